package hub

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/ssemon/ssemon/server/internal/httpjson"
)

// MaxIDBytes caps the Last-Event-ID read from a request.
const MaxIDBytes = 4096

// Resume is what a client asked for when connecting.
type Resume struct {
	// Has is true when a Last-Event-ID was given (header first, then
	// ?lastEventId=).
	Has bool
	// Raw is the Last-Event-ID as given, cut to MaxIDBytes.
	Raw string
	// History is ?history=N (at most the maximum given to ParseResume),
	// for a client without Last-Event-ID.
	History int
}

// ParseResume reads Last-Event-ID (or ?lastEventId=) and ?history=N,
// capped at maxHistory.
func ParseResume(r *http.Request, maxHistory int) (Resume, error) {
	var rs Resume
	raw := r.Header.Get("Last-Event-ID")
	if raw == "" {
		raw = r.URL.Query().Get("lastEventId")
	}
	if raw != "" {
		rs.Has, rs.Raw = true, raw[:min(len(raw), MaxIDBytes)]
	}
	if h := r.URL.Query().Get("history"); h != "" {
		n, err := strconv.Atoi(h)
		if err != nil || n < 0 {
			return rs, errors.New("history must be a non-negative integer")
		}
		rs.History = min(n, maxHistory)
	}
	return rs, nil
}

// Prepare reads what the client asks for (ParseResume, answering 400 to
// a bad ?history=) and answers HEAD with the stream's headers; false means
// the request is answered.
func Prepare(w http.ResponseWriter, r *http.Request, maxHistory int) (Resume, bool) {
	rs, err := ParseResume(r, maxHistory)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error(), "")
		return rs, false
	}
	if r.Method == http.MethodHead {
		SetHeaders(w, r)
		w.WriteHeader(http.StatusOK)
		return rs, false
	}
	return rs, true
}
