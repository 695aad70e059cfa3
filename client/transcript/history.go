package transcript

import (
	"sync"
	"time"
)

// DefaultMaxRuns is how many requests a History keeps.
const DefaultMaxRuns = 20

// History keeps the transcripts of the last requests of one channel, so
// that runs of the same request can be compared. The newest run is the
// one being fed. History is safe for concurrent use: one goroutine feeds
// it while others read it.
type History struct {
	cfg     Config
	maxRuns int

	mu       sync.Mutex
	runs     []*Assembler // oldest first, at most maxRuns
	saved    []Transcript // runs restored from a saved workspace, before runs
	next     int          // number of the next run
	version  uint64
	finished uint64 // recognised runs ended
}

// NewHistory returns a History keeping maxRuns requests (0 means
// DefaultMaxRuns), each assembled with cfg.
func NewHistory(cfg Config, maxRuns int) *History {
	if maxRuns <= 0 {
		maxRuns = DefaultMaxRuns
	}
	return &History{cfg: cfg, maxRuns: maxRuns, next: 1}
}

// Begin starts a new run: a request sent at at. The oldest run goes when
// more than the maximum are kept.
func (h *History) Begin(at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := New(h.cfg, at)
	a.t.Run = h.next
	h.next++
	h.runs = append(h.runs, a)
	h.trim()
	h.version++
}

// trim drops the oldest runs past the maximum, saved ones first.
func (h *History) trim() {
	for len(h.saved)+len(h.runs) > h.maxRuns {
		if len(h.saved) > 0 {
			h.saved = h.saved[1:]
			continue
		}
		h.runs[0] = nil
		h.runs = h.runs[1:]
	}
}

// current returns the run being fed, starting one at at if none was.
func (h *History) current(at time.Time) *Assembler {
	if len(h.runs) == 0 {
		a := New(h.cfg, at)
		a.t.Run = h.next
		h.next++
		h.runs = append(h.runs, a)
		h.trim()
	}
	return h.runs[len(h.runs)-1]
}

// Response records the response headers of the current run.
func (h *History) Response(at time.Time, status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.current(at).Response(at, status)
	h.version++
}

// Event feeds an event to the current run.
func (h *History) Event(typ, data string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.current(at).Event(typ, data, at)
	h.version++
}

// Fail records a failed response or connection on the current run.
func (h *History) Fail(at time.Time, status int, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.current(at)
	a.Fail(at, status, msg)
	h.ended(a)
	h.version++
}

// End records the end of the current run's response; nothing when no run
// is open.
func (h *History) End(at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.runs) == 0 || h.runs[len(h.runs)-1].t.Ended {
		return
	}
	a := h.runs[len(h.runs)-1]
	a.End(at)
	h.ended(a)
	h.version++
}

// ended counts a run that ended, if it was a model stream or an API error.
func (h *History) ended(a *Assembler) {
	if a.t.Kind != Unknown || a.t.HTTPStatus >= 300 {
		h.finished++
	}
}

// Finished counts the runs that ended as model streams (or with an HTTP
// error): a front end saves the runs when it moves.
func (h *History) Finished() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.finished
}

// Saved returns the runs worth keeping in a workspace file — the model
// streams and the HTTP errors, ended — cut for saving (ForSaving).
func (h *History) Saved() []Transcript {
	var out []Transcript
	for _, t := range h.Runs() {
		if t.Ended && (t.Kind != Unknown || t.HTTPStatus >= 300) {
			out = append(out, t.ForSaving())
		}
	}
	return out
}

// Version changes whenever a run changes.
func (h *History) Version() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.version
}

// Len returns the number of runs kept.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.saved) + len(h.runs)
}

// Latest returns the newest run; false when there is none.
func (h *History) Latest() (Transcript, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.runs) > 0 {
		return h.runs[len(h.runs)-1].Transcript(), true
	}
	if len(h.saved) > 0 {
		return h.saved[len(h.saved)-1], true
	}
	return Transcript{}, false
}

// Runs returns every run kept, oldest first.
func (h *History) Runs() []Transcript {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Transcript, 0, len(h.saved)+len(h.runs))
	out = append(out, h.saved...)
	for _, a := range h.runs {
		out = append(out, a.Transcript())
	}
	return out
}

// Recognised reports whether any run kept has a known format.
func (h *History) Recognised() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range h.saved {
		if t.Kind != Unknown {
			return true
		}
	}
	for _, a := range h.runs {
		if a.t.Kind != Unknown {
			return true
		}
	}
	return false
}

// Restore puts runs saved earlier (by Runs, through a workspace) before
// the runs kept, within the maximum; later runs are numbered after them.
func (h *History) Restore(saved []Transcript) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.saved = append(append([]Transcript(nil), saved...), h.saved...)
	for _, t := range saved {
		h.next = max(h.next, t.Run+1)
	}
	h.trim()
	h.version++
}

// Clear forgets every run.
func (h *History) Clear() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.runs, h.saved = nil, nil
	h.version++
}
