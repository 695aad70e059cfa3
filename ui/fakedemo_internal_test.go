package ui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
)

// fakeDemo is a DemoServer for tests: SSE channels on httptest that send
// one event per connection and then hold it open, one model endpoint
// (OpenAI chat completions) that streams a short answer, and a log of the
// faults injected. A drop cuts the channel's connections (the answers in
// flight for the model endpoints); a fail fault on the model endpoints
// answers their next request with its status.
type fakeDemo struct {
	srv   *httptest.Server
	names []string
	hb    time.Duration

	mu     sync.Mutex
	faults []DemoFault
	conns  map[string][]chan struct{}
	closed bool
	// holdAnswer makes model answers stop after their first pieces until
	// they are cut.
	holdAnswer bool
	failNext   []int
	bodies     []string // of the model requests
}

// fakeModels is the fault channel name of the fake's model endpoint.
const fakeModels = "models"

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
	if r.URL.Path == "/v1/chat/completions" {
		f.serveModel(w, r)
		return
	}
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

// serveModel streams a short chat completions answer: text, a tool call
// in two pieces, the finish reason, usage and [DONE].
func (f *fakeDemo) serveModel(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	cut := make(chan struct{})
	f.mu.Lock()
	f.bodies = append(f.bodies, string(body))
	status := 0
	if len(f.failNext) > 0 {
		status, f.failNext = f.failNext[0], f.failNext[1:]
	}
	hold := f.holdAnswer
	f.conns[fakeModels] = append(f.conns[fakeModels], cut)
	f.mu.Unlock()
	if status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, `{"error":{"message":"rate limit reached","type":"rate_limit_error"}}`)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(delta, finish string) {
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"model\":\"fake-1\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}]}\n\n", delta, finish)
		w.(http.Flusher).Flush()
	}
	chunk(`{"role":"assistant","content":""}`, "null")
	chunk(`{"content":"Sunny "}`, "null")
	chunk(`{"content":"in Paris."}`, "null")
	if hold {
		select {
		case <-r.Context().Done():
		case <-cut:
			panic(http.ErrAbortHandler)
		}
		return
	}
	chunk(`{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}`, "null")
	chunk(`{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}`, "null")
	chunk(`{"tool_calls":[{"index":0,"function":{"arguments":" \"Paris\"}"}}]}`, "null")
	chunk(`{}`, `"tool_calls"`)
	fmt.Fprint(w, "data: {\"id\":\"c1\",\"model\":\"fake-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,\"total_tokens\":19}}\n\ndata: [DONE]\n\n")
}

// modelBodies returns the bodies of the model requests so far.
func (f *fakeDemo) modelBodies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
}

func (f *fakeDemo) Models() []DemoModel {
	return []DemoModel{{
		Name: "openai-chat", Title: "OpenAI chat completions", URL: f.srv.URL + "/v1/chat/completions",
		Headers:      []client.Header{{Name: "Content-Type", Value: "application/json"}},
		Body:         `{"model":"fake-1","stream":true,"messages":[{"role":"user","content":"Weather?"}]}`,
		FaultChannel: fakeModels,
	}}
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
	if fault.Channel == fakeModels && fault.Kind == FaultFailNext {
		f.failNext = append(f.failNext, fault.Status)
	}
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
