package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDemo is a DemoServer for tests: SSE channels on httptest that send
// one event per connection and then hold it open, and a log of the faults
// injected. A drop cuts the channel's connections.
type fakeDemo struct {
	srv   *httptest.Server
	names []string
	hb    time.Duration

	mu     sync.Mutex
	faults []DemoFault
	conns  map[string][]chan struct{}
	closed bool
}

// newFakeDemo returns a starter of a fake demo server with the channels
// named, and the server it starts (once started).
func newFakeDemo(t testing.TB, names ...string) (DemoStarter, *fakeDemo) {
	t.Helper()
	f := &fakeDemo{names: names, hb: 3 * time.Second, conns: make(map[string][]chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return func(context.Context) (DemoServer, error) { return f, nil }, f
}

func (f *fakeDemo) serve(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/api/stream/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	cut := make(chan struct{})
	f.mu.Lock()
	f.conns[name] = append(f.conns[name], cut)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprintf(w, "retry: 3000\n\nid: 1\nevent: status_update\ndata: {\"channel\":%q,\"message\":\"hello\"}\n\n", name)
	w.(http.Flusher).Flush()
	select {
	case <-r.Context().Done():
	case <-cut:
		panic(http.ErrAbortHandler) // a cut, not a clean end
	}
}

func (f *fakeDemo) Name() string             { return "fake" }
func (f *fakeDemo) Heartbeat() time.Duration { return f.hb }

func (f *fakeDemo) Channels() []DemoChannel {
	var out []DemoChannel
	for _, n := range f.names {
		out = append(out, DemoChannel{Name: n, Description: n + " scenario", Scenario: n, URL: f.srv.URL + "/api/stream/" + n})
	}
	return out
}

func (f *fakeDemo) Inject(_ context.Context, fault DemoFault) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault)
	if fault.Kind == FaultDrop {
		for name, cs := range f.conns {
			if fault.Channel == "" || fault.Channel == name {
				for _, c := range cs {
					close(c)
				}
				delete(f.conns, name)
			}
		}
	}
	return nil
}

// injected returns the faults injected so far.
func (f *fakeDemo) injected() []DemoFault {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]DemoFault(nil), f.faults...)
}

func (f *fakeDemo) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

// demoNames are the fake demo's channels in tests.
var demoNames = []string{"deploy", "exports", "metrics", "logs", "quiet", "firehose", "flaky"}
