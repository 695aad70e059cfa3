package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/clock"
)

// waitLimit bounds every wait in the tests: generous, for a loaded machine.
const waitLimit = 20 * time.Second

var testStart = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newFakeClock() *clock.Fake { return clock.NewFake(testStart) }

// recorder is a Handler that keeps everything it is given.
type recorder struct {
	mu       sync.Mutex
	frames   []Frame
	ats      []time.Time
	statuses []Status
	changed  chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) HandleFrame(f Frame, at time.Time) {
	r.mu.Lock()
	r.frames = append(r.frames, f)
	r.ats = append(r.ats, at)
	r.notifyLocked()
	r.mu.Unlock()
}

func (r *recorder) HandleStatus(s Status) {
	r.mu.Lock()
	r.statuses = append(r.statuses, s)
	r.notifyLocked()
	r.mu.Unlock()
}

func (r *recorder) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// wait blocks until cond (called with r.mu held) holds.
func (r *recorder) wait(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond()
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out waiting for %s; states %v", what, r.statesLocked())
		}
	}
}

// waitState waits for the n-th (1-based) status with state st and returns it.
func (r *recorder) waitState(t testing.TB, st State, n int) Status {
	t.Helper()
	var got Status
	r.wait(t, st.String(), func() bool {
		k := 0
		for _, s := range r.statuses {
			if s.State == st {
				k++
				if k == n {
					got = s
					return true
				}
			}
		}
		return false
	})
	return got
}

func (r *recorder) waitEvents(t testing.TB, n int) []Event {
	t.Helper()
	r.wait(t, "events", func() bool { return len(r.eventsLocked()) >= n })
	return r.events()
}

func (r *recorder) eventsLocked() []Event {
	var evs []Event
	for _, f := range r.frames {
		if f.Kind == FrameEvent {
			evs = append(evs, f.Event)
		}
	}
	return evs
}

func (r *recorder) events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.eventsLocked()
}

func (r *recorder) statesLocked() []State {
	st := make([]State, len(r.statuses))
	for i, s := range r.statuses {
		st[i] = s.State
	}
	return st
}

func (r *recorder) states() []State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.statesLocked()
}

func (r *recorder) count(st State) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.statuses {
		if s.State == st {
			n++
		}
	}
	return n
}

// seenReq is what a test server saw of one request.
type seenReq struct {
	Method string
	Path   string
	Header http.Header
	Body   string
}

// sseServer is an httptest server whose handler gets the 1-based request
// number, and which records every request.
type sseServer struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []seenReq
	changed chan struct{}
}

func newSSEServer(t testing.TB, h func(w http.ResponseWriter, r *http.Request, n int)) *sseServer {
	t.Helper()
	s := &sseServer{changed: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, seenReq{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body)})
		n := len(s.reqs)
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		h(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sseServer) requests() []seenReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenReq(nil), s.reqs...)
}

// waitRequests waits until the server has seen n requests.
func (s *sseServer) waitRequests(t testing.TB, n int) []seenReq {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got := len(s.reqs)
		ch := s.changed
		s.mu.Unlock()
		if got >= n {
			return s.requests()
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %d requests, got %d", n, got)
		}
	}
}

// sseHeaders writes a 200 event-stream response header and flushes it.
func sseHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
}

func writeFlush(w http.ResponseWriter, s string) {
	_, _ = io.WriteString(w, s)
	w.(http.Flusher).Flush()
}

// hold keeps a response open until the client goes away.
func hold(r *http.Request) { <-r.Context().Done() }

// running is a stream started by startStream.
type running struct {
	s      *Stream
	rec    *recorder
	cancel context.CancelFunc
	done   chan error
}

// startStream runs a stream for cfg in the background; the test's cleanup
// stops it and waits for Run to return.
func startStream(t testing.TB, cfg StreamConfig) *running {
	t.Helper()
	rec := newRecorder()
	s, err := NewStream(cfg, rec)
	if err != nil {
		t.Fatalf("NewStream: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{s: s, rec: rec, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(waitLimit):
			t.Errorf("Run did not return after cancel")
		}
	})
	return r
}

// result waits for Run to return by itself.
func (r *running) result(t testing.TB) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // keep it for the cleanup
		return err
	case <-time.After(waitLimit):
		t.Fatalf("Run did not return; states %v", r.rec.states())
		return nil
	}
}

// blockUntil waits until the fake clock has n timers armed.
func blockUntil(t testing.TB, c *clock.Fake, n int) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		ch := c.Changed()
		if c.Waiters() >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %d timers (have %d)", n, c.Waiters())
		}
	}
}

func errorAs[T error](err error) (T, bool) {
	var target T
	ok := errors.As(err, &target)
	return target, ok
}
