package transcript_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/transcript"
)

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// step is the spacing of fixture events: event i arrives at
// t0 + 5ms (headers) + (i+1)*step.
const step = 10 * time.Millisecond

// chunkReader returns at most n bytes per read, so that events and lines
// arrive split across reads.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// event is one fixture event.
type event struct{ typ, data string }

// readFixture returns the events of a fixture: SSE events for .sse (read
// through the engine's decoder, split into reads of split bytes), one
// event per line for .ndjson.
func readFixture(t *testing.T, name string, split int) []event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []event
	if strings.HasSuffix(name, ".ndjson") {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if sc.Text() != "" {
				out = append(out, event{"", sc.Text()})
			}
		}
		return out
	}
	dec := client.NewDecoder(&chunkReader{bytes.NewReader(b), split}, client.DecoderConfig{})
	for {
		f, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.Kind == client.FrameEvent {
			out = append(out, event{f.Event.Type, f.Event.Data})
		}
	}
}

// assemble feeds a fixture's events, spaced by step, to a new Assembler.
func assemble(t *testing.T, name string, split int) transcript.Transcript {
	t.Helper()
	a := transcript.New(transcript.Config{}, t0)
	a.Response(t0.Add(5*time.Millisecond), 200)
	evs := readFixture(t, name, split)
	for i, e := range evs {
		a.Event(e.typ, e.data, t0.Add(5*time.Millisecond+time.Duration(i+1)*step))
	}
	a.End(t0.Add(5*time.Millisecond + time.Duration(len(evs)+1)*step))
	return a.Transcript()
}

func TestFixtures(t *testing.T) {
	type tool struct{ id, name, args string }
	tests := []struct {
		file      string
		kind      transcript.Kind
		model     string
		text      string
		reasoning string
		tools     []tool
		finish    string
		usage     transcript.Usage
		err       string
		done      bool
	}{
		{
			file: "openai-chat.sse", kind: transcript.OpenAIChat, model: "gpt-demo",
			text: "Let me check.", reasoning: "The user wants the weather.",
			tools:  []tool{{"call_1", "get_weather", `{"city":"Paris","unit":"c"}`}},
			finish: "tool_calls", usage: transcript.Usage{Known: true, InputTokens: 12, OutputTokens: 9, ReasoningTokens: 4}, done: true,
		},
		{
			file: "openai-chat-error.sse", kind: transcript.OpenAIChat, model: "gpt-demo", text: "Half an ans",
			err: "server_error: The server had an error while processing your request.",
		},
		{
			file: "responses.sse", kind: transcript.OpenAIResponses, model: "gpt-demo-r",
			text: "Checking now.", reasoning: "Looking up the forecast.",
			tools:  []tool{{"call_9", "get_weather", `{"city":"Oslo"}`}},
			finish: "completed", usage: transcript.Usage{Known: true, InputTokens: 20, OutputTokens: 11, ReasoningTokens: 5}, done: true,
		},
		{
			file: "anthropic.sse", kind: transcript.Anthropic, model: "claude-demo",
			text: "I'll look that up.", reasoning: "Need the weather tool.",
			tools:  []tool{{"toolu_1", "get_weather", `{"city": "Lyon"}`}},
			finish: "tool_use", usage: transcript.Usage{Known: true, InputTokens: 25, OutputTokens: 42}, done: true,
		},
		{
			file: "anthropic-error.sse", kind: transcript.Anthropic, model: "claude-demo", text: "Partial",
			usage: transcript.Usage{Known: true, InputTokens: 10, OutputTokens: 1},
			err:   "overloaded_error: Overloaded",
		},
		{
			file: "ollama-chat.ndjson", kind: transcript.Ollama, model: "llama-demo",
			text: "Sure, checking.", reasoning: "Weather needed.",
			tools:  []tool{{"", "get_weather", `{"city":"Rome"}`}},
			finish: "stop", usage: transcript.Usage{Known: true, InputTokens: 18, OutputTokens: 7}, done: true,
		},
		{
			file: "ollama-generate.ndjson", kind: transcript.Ollama, model: "llama-demo", text: "The sky is blue.",
			finish: "stop", usage: transcript.Usage{Known: true, InputTokens: 5, OutputTokens: 4}, done: true,
		},
		{
			file: "ollama-error.ndjson", kind: transcript.Ollama, model: "llama-demo", text: "Hel",
			err: "model runner has unexpectedly stopped",
		},
		{file: "unknown.sse", kind: transcript.Unknown},
	}
	for _, tt := range tests {
		for _, split := range []int{1, 7, 1 << 20} {
			got := assemble(t, tt.file, split)
			name := tt.file
			if got.Kind != tt.kind || got.Model != tt.model || got.Text != tt.text || got.Reasoning != tt.reasoning ||
				got.Finish != tt.finish || got.Usage != tt.usage || got.Error != tt.err || got.Done != tt.done || !got.Ended {
				t.Errorf("%s (reads of %d): got kind %v model %q text %q reasoning %q finish %q usage %+v err %q done %v ended %v",
					name, split, got.Kind, got.Model, got.Text, got.Reasoning, got.Finish, got.Usage, got.Error, got.Done, got.Ended)
			}
			if len(got.ToolCalls) != len(tt.tools) {
				t.Fatalf("%s: %d tool calls, want %d: %+v", name, len(got.ToolCalls), len(tt.tools), got.ToolCalls)
			}
			for i, w := range tt.tools {
				g := got.ToolCalls[i]
				if g.ID != w.id || g.Name != w.name || g.Arguments != w.args {
					t.Errorf("%s: tool %d = %+v, want %+v", name, i, g, w)
				}
			}
		}
	}
}

func TestNumbers(t *testing.T) {
	// openai-chat.sse: 11 events at 15, 25, … 115 ms; output in events
	// 2–8 (reasoning ×2, content ×2, tool args ×2 — the tool's opening
	// chunk carries no argument text) at 25, 35, 45, 55, 75, 85 ms.
	got := assemble(t, "openai-chat.sse", 1<<20).Numbers
	want := transcript.Numbers{
		TTFB: 5 * time.Millisecond, TTFT: 25 * time.Millisecond, Total: 125 * time.Millisecond,
		Chunks: 6, RateTokens: true, Rate: 9 / 0.060,
		GapP50: 10 * time.Millisecond, GapP99: 20 * time.Millisecond, LongestStall: 20 * time.Millisecond,
	}
	if got != want {
		t.Errorf("numbers\n got %+v\nwant %+v", got, want)
	}

	// Without usage, the rate counts chunks.
	a := transcript.New(transcript.Config{}, t0)
	for i, ms := range []int{100, 150, 160, 170, 900} {
		a.Event("", `{"model":"m","response":"x","done":false}`, t0.Add(time.Duration(ms)*time.Millisecond))
		if i == 0 && a.Transcript().Numbers.Rate != 0 {
			t.Error("rate with one chunk")
		}
	}
	n := a.Transcript().Numbers
	if n.RateTokens || n.Chunks != 5 || n.Rate != 5/0.8 || n.LongestStall != 730*time.Millisecond ||
		n.GapP50 != 10*time.Millisecond || n.GapP99 != 730*time.Millisecond || n.TTFT != 100*time.Millisecond || n.TTFB != 0 {
		t.Errorf("chunk numbers: %+v", n)
	}
}

// The longest stall counts the silence from the last output chunk to the
// answer's end: its finish reason or end marker, else the response's end
// (a cut, a stall timeout), events without output (pings) or not.
func TestLongestStallUntilTheEnd(t *testing.T) {
	const (
		out   = `{"model":"m","response":"x","done":false}`
		ping  = `{"model":"m","response":"","done":false}`
		final = `{"model":"m","response":"","done":true,"done_reason":"stop"}`
	)
	type ev struct {
		ms   int
		data string
	}
	answer := []ev{{100, out}, {150, out}, {200, out}}
	tests := []struct {
		name   string
		events []ev
		endMs  int
		fail   bool // the response ends with a connection failure
		want   time.Duration
	}{
		{"cut after a silence", answer, 5200, false, 5 * time.Second},
		{"stall timeout", answer, 3200, true, 3 * time.Second},
		{"pings during the silence", append(slices.Clone(answer), ev{1200, ping}, ev{2200, ping}), 3200, false, 3 * time.Second},
		{"end marker, then the connection lingers", append(slices.Clone(answer), ev{210, final}), 30000, false, 50 * time.Millisecond},
		{"end marker after a silence", append(slices.Clone(answer), ev{2200, final}), 2300, false, 2 * time.Second},
		{"clean end right after the output", answer, 220, false, 50 * time.Millisecond},
		{"no output at all", []ev{{100, ping}}, 9000, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := transcript.New(transcript.Config{}, t0)
			a.Response(t0.Add(10*time.Millisecond), 200)
			for _, e := range tt.events {
				a.Event("", e.data, t0.Add(time.Duration(e.ms)*time.Millisecond))
			}
			end := t0.Add(time.Duration(tt.endMs) * time.Millisecond)
			if tt.fail {
				a.Fail(end, 0, "stream stalled")
			} else {
				a.End(end)
			}
			a.End(end.Add(time.Hour)) // a second end changes nothing
			if got := a.Transcript().Numbers.LongestStall; got != tt.want {
				t.Errorf("longest stall %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	for _, tt := range []struct {
		file   string
		status int
		want   string
	}{
		{"openai-429.json", 429, "HTTP 429 rate_limit_exceeded: Rate limit reached for requests"},
		{"anthropic-529.json", 529, "HTTP 529 overloaded_error: Overloaded"},
	} {
		body, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		a := transcript.New(transcript.Config{}, t0)
		a.Fail(t0.Add(time.Second), tt.status, string(body))
		got := a.Transcript()
		if got.Error != tt.want || got.HTTPStatus != tt.status || !got.Ended || got.Numbers.Total != time.Second {
			t.Errorf("%s: %+v", tt.file, got)
		}
	}
	a := transcript.New(transcript.Config{}, t0)
	a.Fail(t0, 0, "connect: connection refused")
	if got := a.Transcript().Error; got != "connect: connection refused" {
		t.Errorf("transport error: %q", got)
	}
}

func TestCaps(t *testing.T) {
	a := transcript.New(transcript.Config{MaxTextBytes: 8, MaxToolCalls: 1, MaxGaps: 2}, t0)
	for i := range 4 {
		a.Event("", `{"choices":[{"index":0,"delta":{"content":"abcde"}}]}`, t0.Add(time.Duration(i)*time.Second))
	}
	a.Event("", `{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"a","arguments":"0123456789"}}]}}]}`, t0.Add(5*time.Second))
	a.Event("", `{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"name":"b","arguments":"{}"}}]}}]}`, t0.Add(6*time.Second))
	got := a.Transcript()
	if got.Text != "abcdeabc" || got.Truncated != 12+2 || len(got.ToolCalls) != 1 || got.ToolCalls[0].Arguments != "01234567" || got.DroppedToolCalls != 1 {
		t.Errorf("caps: text %q truncated %d tools %+v dropped %d", got.Text, got.Truncated, got.ToolCalls, got.DroppedToolCalls)
	}
	// Only two gaps kept for the percentiles, but the stall covers all.
	if got.Numbers.LongestStall != 2*time.Second || got.Numbers.GapP99 != time.Second {
		t.Errorf("gap caps: %+v", got.Numbers)
	}
}

func TestUnknownGivesUp(t *testing.T) {
	a := transcript.New(transcript.Config{DetectWithin: 3}, t0)
	for range 3 {
		a.Event("tick", `{"n":1}`, t0)
	}
	// A recognisable chunk after the detection window stays unread.
	a.Event("", `{"choices":[{"index":0,"delta":{"content":"late"}}]}`, t0)
	if got := a.Transcript(); got.Kind != transcript.Unknown || got.Text != "" || got.Events != 4 || !got.GaveUp {
		t.Errorf("%+v", got)
	}
}

func TestPrettyArguments(t *testing.T) {
	for in, want := range map[string]string{
		`{"city":"Paris","days":[1,2]}`: "{\n  \"city\": \"Paris\",\n  \"days\": [\n    1,\n    2\n  ]\n}",
		`{"city":"Pa`:                   `{"city":"Pa`,
		"":                              "{}",
	} {
		if got := (transcript.ToolCall{Arguments: in}).PrettyArguments(); got != want {
			t.Errorf("%q: got %q", in, got)
		}
	}
}

func TestHistory(t *testing.T) {
	h := transcript.NewHistory(transcript.Config{}, 2)
	for run := range 3 {
		start := t0.Add(time.Duration(run) * time.Minute)
		h.Begin(start)
		h.Response(start.Add(time.Millisecond), 200)
		h.Event("", `{"model":"m","response":"run","done":false}`, start.Add(2*time.Millisecond))
		h.End(start.Add(3 * time.Millisecond))
	}
	runs := h.Runs()
	if len(runs) != 2 || runs[0].Run != 2 || runs[1].Run != 3 || !h.Recognised() || runs[1].Text != "run" {
		t.Fatalf("runs: %+v", runs)
	}
	v := h.Version()
	h.End(t0) // no open run: nothing changes
	if h.Version() != v {
		t.Error("End without an open run changed the history")
	}
	// Restored runs come first and later runs are numbered after them.
	r := transcript.NewHistory(transcript.Config{}, 3)
	r.Restore(runs)
	r.Begin(t0)
	got := r.Runs()
	if len(got) != 3 || got[2].Run != 4 {
		t.Errorf("restored: %+v", got)
	}
	if l, ok := r.Latest(); !ok || l.Run != 4 {
		t.Errorf("latest: %+v", l)
	}
	r.Clear()
	if r.Len() != 0 {
		t.Error("Clear kept runs")
	}
}

func TestSavedRoundTrip(t *testing.T) {
	h := transcript.NewHistory(transcript.Config{}, 0)
	h.Begin(t0) // a model run
	h.Response(t0.Add(time.Millisecond), 200)
	h.Event("", `{"model":"m","response":"`+strings.Repeat("é", transcript.SavedTextBytes)+`","done":true}`, t0.Add(2*time.Millisecond))
	h.End(t0.Add(3 * time.Millisecond))
	h.Begin(t0) // not a model stream: not saved
	h.Event("tick", `{"n":1}`, t0)
	h.End(t0)
	h.Begin(t0) // an HTTP error: saved
	h.Fail(t0, 429, `{"error":{"message":"slow down"}}`)
	if h.Finished() != 2 {
		t.Errorf("finished %d", h.Finished())
	}
	saved := h.Saved()
	if len(saved) != 2 || len(saved[0].Text) != transcript.SavedTextBytes || saved[0].Truncated != int64(transcript.SavedTextBytes) {
		t.Fatalf("saved %d runs, text %d bytes, truncated %d", len(saved), len(saved[0].Text), saved[0].Truncated)
	}
	b, err := json.Marshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"kind":"ollama"`) {
		t.Errorf("json: %.200s", b)
	}
	var back []transcript.Transcript
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, saved) {
		t.Errorf("round trip:\n%+v\n%+v", back[1], saved[1])
	}
}
