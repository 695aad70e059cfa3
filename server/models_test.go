package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/transcript"
)

// modelCase is one model endpoint with a request body in its API's shape.
type modelCase struct {
	name, path, body string
	kind             transcript.Kind
	finish, toolID   string
}

func modelCases() []modelCase {
	return []modelCase{
		{"openai", "/v1/chat/completions", `{"model":"demo-gpt","stream":true,"messages":[{"role":"user","content":"Weather in Paris?"}]}`,
			transcript.OpenAIChat, "tool_calls", "call_demo_1"},
		{"anthropic", "/v1/messages", `{"model":"demo-claude","stream":true,"max_tokens":256,"messages":[{"role":"user","content":"Weather in Paris?"}]}`,
			transcript.Anthropic, "tool_use", "toolu_demo_1"},
		{"ollama", "/api/chat", `{"model":"demo-llama","messages":[{"role":"user","content":"Weather in Paris?"}]}`,
			transcript.Ollama, "stop", ""},
	}
}

// postModel sends a model request and returns the response.
func (ts *testServer) postModel(t *testing.T, path, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: ts.tr, Timeout: wait}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// readModel decodes a model response with the engine's decoder for its
// Content-Type and feeds the events to an Assembler; it returns the
// transcript and the read error (io.EOF for a clean end).
func readModel(t *testing.T, resp *http.Response) (transcript.Transcript, error) {
	t.Helper()
	a := transcript.New(transcript.Config{}, time.Now())
	a.Response(time.Now(), resp.StatusCode)
	var next func() (client.Frame, error)
	switch client.FormatOf(resp.Header.Get("Content-Type")) {
	case client.FormatSSE:
		next = client.NewDecoder(resp.Body, client.DecoderConfig{}).Next
	case client.FormatNDJSON:
		next = client.NewNDJSONDecoder(resp.Body, client.DecoderConfig{}).Next
	default:
		t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	for {
		f, err := next()
		if err != nil {
			a.End(time.Now())
			return a.Transcript(), err
		}
		if f.Kind == client.FrameEvent {
			a.Event(f.Event.Type, f.Event.Data, time.Now())
		}
	}
}

func TestModelEndpoints(t *testing.T) {
	ts := newTestServer(t, Config{Clock: clock.Real(), Models: ModelsConfig{TokenRate: MaxTokenRate}})
	want := cannedAnswer()
	for _, tc := range modelCases() {
		t.Run(tc.name, func(t *testing.T) {
			resp := ts.postModel(t, tc.path, tc.body, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %s", resp.Status)
			}
			got, err := readModel(t, resp)
			if !errors.Is(err, io.EOF) {
				t.Fatalf("end: %v", err)
			}
			model := "demo-" + map[string]string{"openai": "gpt", "anthropic": "claude", "ollama": "llama"}[tc.name]
			if got.Kind != tc.kind || got.Model != model || !got.Done || got.Finish != tc.finish ||
				got.Text != strings.Join(want.text, "") || got.Reasoning != strings.Join(want.reasoning, "") {
				t.Errorf("transcript %+v", got)
			}
			if len(got.ToolCalls) != 1 || got.ToolCalls[0].Name != "get_weather" || got.ToolCalls[0].ID != tc.toolID ||
				got.ToolCalls[0].PrettyArguments() != "{\n  \"city\": \"Paris\",\n  \"unit\": \"celsius\"\n}" {
				t.Errorf("tool calls %+v", got.ToolCalls)
			}
			if !got.Usage.Known || got.Usage.OutputTokens != int64(want.pieces()) || got.Usage.InputTokens < 1 {
				t.Errorf("usage %+v", got.Usage)
			}
			chunks := want.pieces()
			if tc.kind == transcript.Ollama {
				chunks = len(want.reasoning) + len(want.text) + 1 // Ollama sends a tool call whole
			}
			if got.Numbers.Chunks != chunks {
				t.Errorf("chunks %d, want %d", got.Numbers.Chunks, chunks)
			}
		})
	}
}

func TestModelRequests(t *testing.T) {
	ts := newTestServer(t, Config{Clock: clock.Real(), Models: ModelsConfig{TokenRate: MaxTokenRate}})
	for _, tt := range []struct {
		path, body string
		hdr        map[string]string
		status     int
		inBody     string
	}{
		{"/v1/chat/completions", `{"model":"m","messages":[]}`, nil, 400, "only streams"},
		{"/v1/messages", `not json`, nil, 400, `"type":"error"`},
		{"/api/chat", `{"stream":false}`, nil, 400, `{"error":`},
		{"/api/chat", `{}`, map[string]string{"X-Ssemon-Token-Rate": "fast"}, 400, "not a positive number"},
		{"/api/chat?rate=0", `{}`, nil, 400, "not a positive number"},
	} {
		resp := ts.postModel(t, tt.path, tt.body, tt.hdr)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.inBody) {
			t.Errorf("%s %s: %s %s", tt.path, tt.body, resp.Status, b)
		}
	}
}

func TestModelFaults(t *testing.T) {
	ts := newTestServer(t, Config{Clock: clock.Real(), Models: ModelsConfig{TokenRate: MaxTokenRate}})
	fault := func(req faultRequest) faultResult {
		t.Helper()
		req.Channel = ModelsChannel
		res, status, err := ts.applyFault(req)
		if err != nil || status != http.StatusOK {
			t.Fatalf("fault %+v: %d %v", req, status, err)
		}
		return res
	}

	// fail: the next request is answered in the API's own error shape.
	fault(faultRequest{Action: "fail", Status: 429})
	fault(faultRequest{Action: "fail", Status: 529})
	resp := ts.postModel(t, "/v1/chat/completions", modelCases()[0].body, nil)
	b, _ := io.ReadAll(resp.Body)
	a := transcript.New(transcript.Config{}, time.Now())
	a.Fail(time.Now(), resp.StatusCode, string(b))
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.HasPrefix(a.Transcript().Error, "HTTP 429 rate_limit_error: ") {
		t.Errorf("429: %s %q", resp.Status, a.Transcript().Error)
	}
	resp = ts.postModel(t, "/v1/messages", modelCases()[1].body, nil)
	b, _ = io.ReadAll(resp.Body)
	a = transcript.New(transcript.Config{}, time.Now())
	a.Fail(time.Now(), resp.StatusCode, string(b))
	if resp.StatusCode != 529 || !strings.HasPrefix(a.Transcript().Error, "HTTP 529 overloaded_error: ") {
		t.Errorf("529: %s %q", resp.Status, a.Transcript().Error)
	}

	// malformed: one truncated chunk mid-answer; the answer goes on.
	fault(faultRequest{Action: "malformed"})
	resp = ts.postModel(t, "/api/chat", modelCases()[2].body, nil)
	b, _ = io.ReadAll(resp.Body)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if !strings.Contains(string(b), malformedChunk+"\n") || !strings.Contains(lines[len(lines)-1], `"done":true`) {
		t.Errorf("malformed answer:\n%s", b)
	}

	// unknown actions are refused.
	if _, status, err := ts.applyFault(faultRequest{Action: "burst", Channel: ModelsChannel, N: 3}); status != http.StatusBadRequest || err == nil {
		t.Errorf("burst on models: %d %v", status, err)
	}
}

func TestModelDropAndStall(t *testing.T) {
	// Fake clock: one token per 100 ms of it. No heartbeats: the answer's
	// token timer is then the clock's only waiter, which the test counts.
	ts := newTestServer(t, Config{Heartbeat: -1, Models: ModelsConfig{TokenRate: 10}})
	resp := ts.postModel(t, "/v1/messages", modelCases()[1].body, nil)
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || line != "event: message_start\n" {
		t.Fatalf("first line %q %v", line, err)
	}
	ts.clk.BlockUntil(1) // the answer waits for its first token
	res, _, err := ts.applyFault(faultRequest{Action: "stall", Channel: ModelsChannel, Duration: "1h"})
	if err != nil || res.Affected != 1 {
		t.Fatalf("stall: %+v %v", res, err)
	}
	// The pending token period ends; the next wait is stretched by the stall.
	ts.clk.Advance(100 * time.Millisecond)
	waitFor(t, "the stalled wait", func() bool { return ts.clk.Waiters() == 1 })
	ts.clk.Advance(30 * time.Minute)
	if ts.clk.Waiters() != 1 {
		t.Fatal("the stall ended early")
	}
	res, _, err = ts.applyFault(faultRequest{Action: "drop", Channel: ModelsChannel})
	if err != nil || res.Affected != 1 {
		t.Fatalf("drop: %+v %v", res, err)
	}
	_, err = io.ReadAll(r)
	if err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("a dropped answer must end without a clean end, got %v", err)
	}
}

// TestModelsThroughEngine is the end-to-end path: the demo's model
// endpoints, the engine's stream (request mode, the format picked from
// the Content-Type), the transcript of each run.
func TestModelsThroughEngine(t *testing.T) {
	ts := newTestServer(t, Config{Clock: clock.Real(), Models: ModelsConfig{TokenRate: MaxTokenRate}})
	want := cannedAnswer()
	for _, tc := range modelCases() {
		t.Run(tc.name, func(t *testing.T) {
			h := transcript.NewHistory(transcript.Config{}, 0)
			cfg := client.ChannelConfig{URL: ts.ts.URL + tc.path, Method: http.MethodPost, Body: tc.body}
			sc, err := cfg.StreamConfig(nil)
			if err != nil {
				t.Fatal(err)
			}
			sc.Transport = ts.tr
			st, err := client.NewStream(sc, client.NewTranscriptFeed(h))
			if err != nil {
				t.Fatal(err)
			}
			// Two runs: the request mode ends each with its response.
			for run := 1; run <= 2; run++ {
				if err := st.Run(context.Background()); err != nil {
					t.Fatalf("run %d: %v", run, err)
				}
			}
			runs := h.Runs()
			if len(runs) != 2 {
				t.Fatalf("%d runs", len(runs))
			}
			for _, got := range runs {
				if got.Kind != tc.kind || !got.Done || !got.Ended || got.Error != "" || got.Finish != tc.finish ||
					got.Text != strings.Join(want.text, "") || got.Reasoning != strings.Join(want.reasoning, "") ||
					len(got.ToolCalls) != 1 || got.ToolCalls[0].PrettyArguments() != "{\n  \"city\": \"Paris\",\n  \"unit\": \"celsius\"\n}" ||
					got.Usage.OutputTokens != int64(want.pieces()) || got.Numbers.TTFB <= 0 || got.Numbers.TTFT < got.Numbers.TTFB ||
					got.Numbers.Total < got.Numbers.TTFT {
					t.Errorf("run %d: %+v", got.Run, got)
				}
			}
			if s := st.Status(); s.State != client.Closed {
				t.Errorf("state %v, want closed", s.State)
			}
		})
	}
	// A 529 from the Anthropic endpoint: the run fails with the API's error.
	if _, _, err := ts.applyFault(faultRequest{Action: "fail", Channel: ModelsChannel, Status: 529}); err != nil {
		t.Fatal(err)
	}
	h := transcript.NewHistory(transcript.Config{}, 0)
	sc, _ := (client.ChannelConfig{URL: ts.ts.URL + "/v1/messages", Method: http.MethodPost, Body: modelCases()[1].body}).StreamConfig(nil)
	sc.Transport = ts.tr
	st, err := client.NewStream(sc, client.NewTranscriptFeed(h))
	if err != nil {
		t.Fatal(err)
	}
	var he *client.HTTPError
	if err := st.Run(context.Background()); !errors.As(err, &he) || he.Status != 529 {
		t.Fatalf("run: %v", err)
	}
	if got, _ := h.Latest(); got.Error != "HTTP 529 overloaded_error: Overloaded (injected by ssemon-demo)" {
		t.Errorf("529 run: %q", got.Error)
	}
}
