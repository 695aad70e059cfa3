package client

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client/internal/words"
	"github.com/tidwall/gjson"
)

// This file is the one place where the engine's facts become words for
// people: durations, states and event summaries. Every front end (the
// window, the terminal, JSON "detail" fields) uses these functions, so
// they all say the same thing.

// FormatDuration renders d for people: "250 ms", "3 s", "18.6 s",
// "2 min 5 s", "11 min", "3 h 20 min", "2 d 4 h". Below a second it counts
// milliseconds (at least 1 ms), below a minute tenths of a second (a
// whole number drops the ".0"), then whole seconds, minutes, hours and
// days, two units at most. Zero and negative durations give "0 s".
func FormatDuration(d time.Duration) string { return words.Duration(d) }

// FormatCountdown renders a time left (a countdown, an ETA) that is
// redrawn as time passes: whole seconds rounded up, so that it never shows
// "0 s" before the end and changes at most once a second ("4 s",
// "2 min 5 s"). Zero and negative give "0 s".
func FormatCountdown(d time.Duration) string {
	if r := d % time.Second; r > 0 {
		d += time.Second - r
	}
	return FormatDuration(d)
}

// StatusLabel is the short form of a status, for a badge: the state with
// its attempt, its countdown (as of now, see FormatCountdown) and its HTTP
// status: "open", "connecting (attempt 2)", "retrying in 4 s (attempt 3,
// HTTP 503)", "failed 404", "open · TLS unverified".
func StatusLabel(st Status, now time.Time) string {
	switch st.State {
	case Connecting:
		if st.Attempt > 1 {
			return "connecting (attempt " + strconv.Itoa(st.Attempt) + ")"
		}
		return "connecting"
	case Open:
		if st.Insecure {
			return "open · TLS unverified"
		}
		return "open"
	case Retrying:
		return retryingWords(st, FormatCountdown(st.NextAttempt.Sub(now)), true)
	case Failed:
		if st.HTTPStatus >= 400 {
			return "failed " + strconv.Itoa(st.HTTPStatus)
		}
		return "failed"
	}
	return st.State.String()
}

// StatusText is the one-line description of a status, with its reason:
// "connecting to host:8080 (attempt 2)", "open (HTTP/1.1 200 OK)",
// "retrying in 18.6 s (attempt 3): connection refused", "stalled: no data
// for 45 s", "failed 404 Not Found: <body>", "closed by server (204)". The
// wait before the next attempt is counted from now (pass st.Since for the
// wait as it was decided).
func StatusText(st Status, now time.Time) string {
	var s string
	switch st.State {
	case Connecting:
		if st.Detail != "" {
			return st.Detail
		}
		return StatusLabel(st, now)
	case Open:
		s = "open"
		if st.Detail != "" {
			s += " (" + st.Detail + ")"
		}
		if st.Insecure {
			s += " · TLS unverified"
		}
		return s
	case Retrying:
		wait := ""
		if !st.NextAttempt.IsZero() {
			wait = FormatDuration(st.NextAttempt.Sub(now))
		}
		s = retryingWords(st, wait, false)
		if r := StatusReason(st); r != "" {
			s += ": " + r
		}
		return s
	case Stalled:
		return "stalled: " + strings.TrimPrefix(StatusReason(st), "stalled: ")
	case Failed:
		var he *HTTPError
		if errors.As(st.Err, &he) || (st.Err == nil && st.HTTPStatus >= 400) {
			s = "failed " + strconv.Itoa(st.HTTPStatus)
			if t := http.StatusText(st.HTTPStatus); t != "" {
				s += " " + t
			}
			if b := cutLine(st.BodyPreview, 160); b != "" {
				s += ": " + b
			}
			return s
		}
		s = "failed: " + StatusReason(st)
		var ce *ContentTypeError
		if errors.As(st.Err, &ce) {
			if b := cutLine(st.BodyPreview, 80); b != "" {
				s += ": " + b
			}
		}
		return s
	case Closed:
		switch {
		case st.HTTPStatus == http.StatusNoContent:
			return "closed by server (204)"
		case errors.Is(st.Err, ErrStreamEnded):
			return "closed: stream ended by server"
		}
		return "closed"
	}
	return st.State.String()
}

// retryingWords is "retrying in <wait> (attempt n)", with the HTTP status
// in the parentheses when withStatus.
func retryingWords(st Status, wait string, withStatus bool) string {
	s := "retrying"
	if wait != "" {
		s += " in " + wait
	}
	var notes []string
	if st.Attempt > 0 {
		notes = append(notes, "attempt "+strconv.Itoa(st.Attempt))
	}
	if withStatus && st.HTTPStatus >= 400 {
		notes = append(notes, "HTTP "+strconv.Itoa(st.HTTPStatus))
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

// StatusReason is why a stream is in its state, in one short line: the
// error, with transport errors reduced to what a person needs
// ("connection refused", "cannot resolve host"); else the transition's
// detail. It is "" for a status without either.
func StatusReason(st Status) string {
	if st.Err == nil {
		return cutLine(st.Detail, 200)
	}
	if errors.Is(st.Err, ErrStreamEnded) {
		return "stream ended by server"
	}
	msg := st.Err.Error()
	var ce *ConnectError
	if !errors.As(st.Err, &ce) {
		return cutLine(msg, 200)
	}
	for _, k := range [...]struct{ sub, short string }{
		{"connection refused", "connection refused"},
		{"connection reset", "connection reset"},
		{"no such host", "cannot resolve host"},
		{"i/o timeout", "connection timed out"},
		{"network is unreachable", "network unreachable"},
		{"no route to host", "no route to host"},
	} {
		if strings.Contains(msg, k.sub) {
			return k.short
		}
	}
	if msg == "read: unexpected EOF" {
		return "connection lost (unexpected EOF)"
	}
	return cutLine(msg, 200)
}

// cutLine reduces s to one line (runs of white space become one space) of
// at most n runes, marking a cut with "…".
func cutLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	runes := 0
	for i := range s {
		if runes == n {
			return s[:i] + "…"
		}
		runes++
	}
	return s
}

// summaryFields caps the fields a summary lists.
const summaryFields = 6

// summaryNoise are top-level fields a summary leaves out: they identify an
// event rather than say what it reports, or a progress bar shows them.
var summaryNoise = [...]string{"channel", "timestamp", "ts", "time", "seq", "id", "type", "event",
	"progress", "percent", "pct", "percentage"}

// Summarize turns an event's data into a readable one-line message of at
// most SummaryBytes bytes: a JSON object becomes its top-level scalar
// fields ("cpu 43 · memory 61 · rps 1200", at most six), leaving out
// identifiers, timestamps and progress values (or listing only those when
// there is nothing else); anything else is the text itself.
func Summarize(data string) string {
	trim := strings.TrimSpace(data)
	if len(trim) == 0 || trim[0] != '{' || !gjson.Valid(trim) {
		return truncateUTF8(data, SummaryBytes)
	}
	if s := summarizeObject(trim, true); s != "" {
		return s
	}
	// Nothing but identifiers: show those rather than raw JSON.
	if s := summarizeObject(trim, false); s != "" {
		return s
	}
	return truncateUTF8(data, SummaryBytes)
}

// summarizeObject lists the scalar fields of a valid JSON object, without
// the summaryNoise fields if skipNoise.
func summarizeObject(trim string, skipNoise bool) string {
	var b strings.Builder
	n := 0
	gjson.Parse(trim).ForEach(func(k, v gjson.Result) bool {
		key := k.String()
		for _, noise := range summaryNoise {
			if skipNoise && strings.EqualFold(key, noise) {
				return true
			}
		}
		var val string
		switch v.Type {
		case gjson.String:
			if val = strings.Join(strings.Fields(v.Str), " "); val == "" {
				return true
			}
		case gjson.Number:
			val = strconv.FormatFloat(v.Float(), 'f', -1, 64)
			if len(val) > 8 {
				val = strconv.FormatFloat(v.Float(), 'g', 4, 64)
			}
		case gjson.True, gjson.False:
			val = v.Raw
		default:
			return true // objects, arrays and nulls do not fit a line
		}
		if n > 0 {
			b.WriteString(" · ")
		}
		b.WriteString(key)
		b.WriteByte(' ')
		b.WriteString(val)
		n++
		return n < summaryFields && b.Len() < SummaryBytes
	})
	return truncateUTF8(b.String(), SummaryBytes)
}

// String words a report of an oversized event or comment line, for a log
// line or a status: "oversized: event of 50.0 MiB skipped (cap 16 MiB)",
// or while it goes on "oversized: event over the 16 MiB cap, skipping
// (64.0 MiB so far)".
func (o Oversized) String() string {
	what := "event"
	if o.Comment {
		what = "comment line"
	}
	if o.More {
		return "oversized: " + what + " over the " + FormatBytes(int64(o.Cap)) + " cap, skipping (" + FormatBytes(o.Bytes) + " so far)"
	}
	return "oversized: " + what + " of " + FormatBytes(o.Bytes) + " skipped (cap " + FormatBytes(int64(o.Cap)) + ")"
}
