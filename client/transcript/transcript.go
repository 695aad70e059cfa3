// Package transcript assembles the answer of a model API that streams
// tokens — OpenAI chat completions, the OpenAI Responses API, Anthropic
// Messages and Ollama's NDJSON chat and generate — from the events of one
// request, and measures it: time to first byte and first token, tokens
// (or chunks) per second, the gaps between chunks, the longest stall.
//
// The format is recognised by the shape of the events, never by the URL,
// so OpenAI-compatible servers, proxies and gateways are recognised too.
// A stream of another shape stays Unknown: its events are shown as they
// are elsewhere.
//
// The package knows nothing of HTTP or of the event-stream framing: it is
// fed the type and data of each event (an SSE event, or one NDJSON line)
// with its arrival time, plus the start and end of the request. Every
// assembled string is capped (Config); what is cut is counted.
package transcript

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Kind is a recognised stream format.
type Kind uint8

// The formats an Assembler recognises.
const (
	// Unknown is a stream not (or not yet) recognised.
	Unknown Kind = iota
	// OpenAIChat is the chat completions stream: data {"choices":[{"delta":…}]}
	// chunks ending with data [DONE].
	OpenAIChat
	// OpenAIResponses is the Responses API stream: typed events
	// response.created … response.output_text.delta … response.completed.
	OpenAIResponses
	// Anthropic is the Messages stream: message_start, content_block_*,
	// message_delta, message_stop.
	Anthropic
	// Ollama is Ollama's NDJSON /api/chat and /api/generate stream: one
	// object per line with "done" and, on the last, the eval counts.
	Ollama
)

// String names the format for people.
func (k Kind) String() string {
	switch k {
	case Unknown:
		return "unknown"
	case OpenAIChat:
		return "OpenAI chat completions"
	case OpenAIResponses:
		return "OpenAI Responses"
	case Anthropic:
		return "Anthropic Messages"
	case Ollama:
		return "Ollama"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Defaults of Config.
const (
	// DefaultMaxTextBytes caps the text, the reasoning and each tool
	// call's arguments.
	DefaultMaxTextBytes = 4 << 20
	// DefaultMaxToolCalls caps the tool calls kept per request.
	DefaultMaxToolCalls = 128
	// DefaultMaxGaps caps the inter-chunk gaps kept for the percentiles.
	DefaultMaxGaps = 1 << 16
	// DefaultDetectWithin is how many events may pass unrecognised before
	// the stream is declared Unknown for good.
	DefaultDetectWithin = 16
)

// Config sets the caps of an Assembler. The zero value gives the defaults.
type Config struct {
	// MaxTextBytes caps the assembled text, the reasoning and the
	// arguments of each tool call, in bytes; what goes past it is dropped
	// and counted in Transcript.Truncated. 0 means DefaultMaxTextBytes
	// (4 MiB).
	MaxTextBytes int
	// MaxToolCalls caps the tool calls kept; further calls are counted in
	// Transcript.DroppedToolCalls. 0 means DefaultMaxToolCalls (128).
	MaxToolCalls int
	// MaxGaps caps the inter-chunk gaps kept for the percentiles (the
	// longest stall is tracked over every gap). 0 means DefaultMaxGaps
	// (65 536).
	MaxGaps int
	// DetectWithin is how many events may pass without a recognised shape
	// before the stream is Unknown for good. 0 means DefaultDetectWithin
	// (16).
	DetectWithin int
}

func (c Config) withDefaults() Config {
	if c.MaxTextBytes <= 0 {
		c.MaxTextBytes = DefaultMaxTextBytes
	}
	if c.MaxToolCalls <= 0 {
		c.MaxToolCalls = DefaultMaxToolCalls
	}
	if c.MaxGaps <= 0 {
		c.MaxGaps = DefaultMaxGaps
	}
	if c.DetectWithin <= 0 {
		c.DetectWithin = DefaultDetectWithin
	}
	return c
}

// ToolCall is one tool (function) call the model made.
type ToolCall struct {
	// ID is the call's id ("" when the format has none).
	ID string `json:"id,omitempty"`
	// Name is the tool's name.
	Name string `json:"name"`
	// Arguments are the arguments as streamed: JSON text assembled from
	// its pieces.
	Arguments string `json:"arguments"`
}

// PrettyArguments returns the arguments indented as JSON, or as they came
// when they are not (or not yet) valid JSON.
func (t ToolCall) PrettyArguments() string {
	if strings.TrimSpace(t.Arguments) == "" {
		return "{}"
	}
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(t.Arguments), "", "  "); err != nil {
		return t.Arguments
	}
	return b.String()
}

// Usage is the token accounting a stream reports.
type Usage struct {
	// Known is true once the stream reported any usage.
	Known bool `json:"known"`
	// InputTokens counts the prompt's tokens.
	InputTokens int64 `json:"input"`
	// OutputTokens counts the generated tokens (reasoning included where
	// the format counts it there).
	OutputTokens int64 `json:"output"`
	// ReasoningTokens counts the output tokens spent on reasoning, when
	// the format says.
	ReasoningTokens int64 `json:"reasoning,omitempty"`
}

// Numbers are the timings of one request. A zero duration means "not
// reached" (no first byte, no token, no gap).
type Numbers struct {
	// TTFB is from the request to the response headers.
	TTFB time.Duration `json:"ttfbNs"`
	// TTFT is from the request to the first chunk that carries output
	// (text, reasoning or tool arguments).
	TTFT time.Duration `json:"ttftNs"`
	// Total is from the request to the end of the response (or to the
	// last event while it streams).
	Total time.Duration `json:"totalNs"`
	// Chunks counts the events that carried output.
	Chunks int `json:"chunks"`
	// Rate is output per second between the first and the last output
	// chunk: tokens when the stream reported output tokens (RateTokens),
	// else chunks. 0 until two chunks arrived at different times.
	Rate float64 `json:"rate"`
	// RateTokens tells that Rate counts tokens, not chunks.
	RateTokens bool `json:"rateTokens,omitempty"`
	// GapP50 and GapP99 are percentiles (nearest rank) of the gaps between
	// consecutive output chunks.
	GapP50 time.Duration `json:"gapP50Ns"`
	// GapP99: see GapP50.
	GapP99 time.Duration `json:"gapP99Ns"`
	// LongestStall is the longest silence of the answer once it began: a
	// gap between consecutive output chunks, or the wait from the last
	// output chunk to the answer's end — its finish reason or end marker,
	// else the end of the response (so the silence before a cut or a stall
	// timeout counts).
	LongestStall time.Duration `json:"longestStallNs"`
}

// Transcript is the assembled answer of one request and its numbers.
type Transcript struct {
	// Run numbers the requests of a History, from 1.
	Run int `json:"run"`
	// Kind is the recognised format.
	Kind Kind `json:"kind"`
	// Model is the model the stream names.
	Model string `json:"model,omitempty"`
	// Text is the assembled answer.
	Text string `json:"text,omitempty"`
	// Reasoning is the assembled reasoning or thinking (or its summary).
	Reasoning string `json:"reasoning,omitempty"`
	// ToolCalls are the tool calls, in the order they started.
	ToolCalls []ToolCall `json:"toolCalls,omitempty"`
	// Finish is the finish or stop reason ("stop", "end_turn",
	// "tool_calls", "length"…).
	Finish string `json:"finish,omitempty"`
	// Usage is the reported token usage.
	Usage Usage `json:"usage"`
	// Error is an error the stream or the response reported (an error
	// event, an HTTP 429 body); "" when none.
	Error string `json:"error,omitempty"`
	// HTTPStatus is the response's status code (0 before the headers).
	HTTPStatus int `json:"httpStatus,omitempty"`
	// Done is true once the stream's own end marker arrived ([DONE],
	// message_stop, response.completed, "done":true).
	Done bool `json:"done,omitempty"`
	// Ended is true once the response ended, cleanly or not.
	Ended bool `json:"ended,omitempty"`
	// Events counts the events read.
	Events int `json:"events"`
	// GaveUp is true once DetectWithin events passed without a known
	// shape: the stream is not a model stream (show its events instead).
	GaveUp bool `json:"gaveUp,omitempty"`
	// Truncated counts bytes dropped by the caps; DroppedToolCalls the
	// tool calls dropped by MaxToolCalls.
	Truncated int64 `json:"truncated,omitempty"`
	// DroppedToolCalls: see Truncated.
	DroppedToolCalls int `json:"droppedToolCalls,omitempty"`
	// Started is when the request was sent.
	Started time.Time `json:"started"`
	// Numbers are the timings.
	Numbers Numbers `json:"numbers"`
}

// kindNames are the JSON names of the kinds, indexed by Kind.
func kindNames() []string {
	return []string{"unknown", "openai-chat", "openai-responses", "anthropic", "ollama"}
}

// MarshalText writes the kind's JSON name ("openai-chat", …).
func (k Kind) MarshalText() ([]byte, error) {
	if n := kindNames(); int(k) < len(n) {
		return []byte(n[k]), nil
	}
	return nil, fmt.Errorf("transcript: invalid kind %d", k)
}

// UnmarshalText reads a kind's JSON name; an unknown name is Unknown.
func (k *Kind) UnmarshalText(b []byte) error {
	*k = Unknown
	for i, n := range kindNames() {
		if n == string(b) {
			*k = Kind(i)
		}
	}
	return nil
}

// SavedTextBytes caps each text of a transcript kept in a workspace file.
const SavedTextBytes = 16 << 10

// ForSaving returns t with its text, reasoning and tool arguments cut to
// SavedTextBytes each (the cut counted in Truncated), for a workspace
// file.
func (t Transcript) ForSaving() Transcript {
	cut := func(s string) string {
		if len(s) <= SavedTextBytes {
			return s
		}
		n := SavedTextBytes
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		t.Truncated += int64(len(s) - n)
		return s[:n]
	}
	t.Text = cut(t.Text)
	t.Reasoning = cut(t.Reasoning)
	t.ToolCalls = slices.Clone(t.ToolCalls)
	for i := range t.ToolCalls {
		t.ToolCalls[i].Arguments = cut(t.ToolCalls[i].Arguments)
	}
	return t
}

// Recognised reports whether the stream has a known format.
func (t *Transcript) Recognised() bool { return t.Kind != Unknown }

// Assembler builds the Transcript of one request from its events. It is
// not safe for concurrent use (History is).
type Assembler struct {
	cfg Config
	t   Transcript

	text, reasoning strings.Builder
	tools           []ToolCall
	toolKey         map[string]int // format's key of a tool call → index in tools
	unrecognised    int
	given           bool // detection gave up

	firstOut, lastOut time.Time
	answerEnd         time.Time // when the finish reason or end marker came
	gaps              []time.Duration
	lastAt            time.Time
	version           uint64
	cache             *Transcript // the last Transcript built, valid while version is cacheVer
	cacheVer          uint64
}

// New returns an Assembler for a request sent at start.
func New(cfg Config, start time.Time) *Assembler {
	a := &Assembler{cfg: cfg.withDefaults()}
	a.t.Started = start
	return a
}

// Version changes whenever the transcript changes.
func (a *Assembler) Version() uint64 { return a.version }

// Response records the response headers: status and arrival time.
func (a *Assembler) Response(at time.Time, status int) {
	a.version++
	a.t.HTTPStatus = status
	if a.t.Numbers.TTFB == 0 {
		a.t.Numbers.TTFB = since(a.t.Started, at)
	}
	a.touch(at)
}

// Fail records a response that did not open the stream (an HTTP error
// status with its body, such as a 429 or 529 with a JSON error) or a
// failure of the connection (status 0, msg the error). The error message
// is read from a JSON error body when there is one.
func (a *Assembler) Fail(at time.Time, status int, msg string) {
	a.version++
	if status != 0 {
		a.t.HTTPStatus = status
	}
	if m := errorMessage(gjson.Parse(msg)); m != "" {
		msg = m
	}
	msg = strings.TrimSpace(msg)
	if status != 0 {
		msg = strings.TrimSpace("HTTP " + strconv.Itoa(status) + " " + msg)
	}
	a.setError(msg)
	a.end(at)
}

// End records the end of the response.
func (a *Assembler) End(at time.Time) {
	a.version++
	a.end(at)
}

func (a *Assembler) end(at time.Time) {
	if !a.t.Ended && !a.lastOut.IsZero() { // the silence after the last output
		last := at
		if !a.answerEnd.IsZero() {
			last = a.answerEnd // what came after the answer's end is no stall
		}
		a.t.Numbers.LongestStall = max(a.t.Numbers.LongestStall, since(a.lastOut, last))
	}
	a.t.Ended = true
	a.touch(at)
}

func (a *Assembler) touch(at time.Time) {
	if at.After(a.lastAt) {
		a.lastAt = at
	}
	a.t.Numbers.Total = since(a.t.Started, a.lastAt)
}

// Event feeds one event: its type (the SSE event field, "message" or ""
// for NDJSON) and data, with its arrival time.
func (a *Assembler) Event(typ, data string, at time.Time) {
	a.event(typ, data, at)
	if a.answerEnd.IsZero() && (a.t.Done || a.t.Finish != "") {
		a.answerEnd = at
	}
}

func (a *Assembler) event(typ, data string, at time.Time) {
	a.version++
	a.t.Events++
	a.touch(at)
	if a.given {
		return
	}
	if a.t.Kind == OpenAIChat && strings.TrimSpace(data) == "[DONE]" {
		a.t.Done = true
		return
	}
	v := gjson.Parse(data)
	if !v.IsObject() {
		if strings.TrimSpace(data) == "[DONE]" && a.t.Kind == Unknown {
			a.t.Kind = OpenAIChat
			a.t.Done = true
			return
		}
		a.miss()
		return
	}
	if a.t.Kind == Unknown {
		a.t.Kind = detect(typ, v)
		if a.t.Kind == Unknown {
			a.setError(errorMessage(v))
			a.miss()
			return
		}
	}
	out := false
	switch a.t.Kind {
	case OpenAIChat:
		out = a.openAIChat(v)
	case OpenAIResponses:
		out = a.responses(typ, v)
	case Anthropic:
		out = a.anthropic(typ, v)
	case Ollama:
		out = a.ollama(v)
	}
	if out {
		a.output(at)
	}
}

// miss counts an unrecognised event and gives up after DetectWithin.
func (a *Assembler) miss() {
	if a.t.Kind != Unknown {
		return
	}
	a.unrecognised++
	if a.unrecognised >= a.cfg.DetectWithin {
		a.given = true
		a.t.GaveUp = true
	}
}

// output records the arrival of an output chunk.
func (a *Assembler) output(at time.Time) {
	n := &a.t.Numbers
	n.Chunks++
	if a.firstOut.IsZero() {
		a.firstOut = at
		n.TTFT = since(a.t.Started, at)
	} else {
		g := max(at.Sub(a.lastOut), 0)
		if len(a.gaps) < a.cfg.MaxGaps {
			a.gaps = append(a.gaps, g)
		}
		n.LongestStall = max(n.LongestStall, g)
	}
	a.lastOut = at
}

// since is end - start, or 0 when either is unknown or end is before.
func since(start, end time.Time) time.Duration {
	if start.IsZero() || end.IsZero() {
		return 0
	}
	return max(end.Sub(start), 0)
}

// Transcript returns a copy of the transcript as assembled so far. Its
// ToolCalls may be shared with later calls: do not modify them.
func (a *Assembler) Transcript() Transcript {
	if a.cache != nil && a.cacheVer == a.version {
		return *a.cache
	}
	t := a.build()
	a.cache, a.cacheVer = &t, a.version
	return t
}

// build assembles the transcript (percentiles sort the gaps).
func (a *Assembler) build() Transcript {
	t := a.t
	t.Text = a.text.String()
	t.Reasoning = a.reasoning.String()
	t.ToolCalls = slices.Clone(a.tools)
	n := &t.Numbers
	if len(a.gaps) > 0 {
		s := slices.Clone(a.gaps)
		slices.Sort(s)
		n.GapP50 = percentile(s, 50)
		n.GapP99 = percentile(s, 99)
	}
	if span := a.lastOut.Sub(a.firstOut); span > 0 {
		count := float64(n.Chunks)
		if t.Usage.OutputTokens > 0 {
			count = float64(t.Usage.OutputTokens)
			n.RateTokens = true
		}
		n.Rate = count / span.Seconds()
	}
	return t
}

// percentile returns the nearest-rank p-th percentile of sorted s.
func percentile(s []time.Duration, p int) time.Duration {
	rank := (p*len(s) + 99) / 100 // ceil(p/100 * n)
	return s[max(rank, 1)-1]
}

// appendCapped appends s to b within the text cap, counting what is cut.
func (a *Assembler) appendCapped(b *strings.Builder, s string) {
	room := a.cfg.MaxTextBytes - b.Len()
	if len(s) > room {
		a.t.Truncated += int64(len(s) - max(room, 0))
		s = s[:max(room, 0)]
	}
	b.WriteString(s)
}

// tool returns the tool call with the format's key, creating it; nil when
// MaxToolCalls is reached.
func (a *Assembler) tool(key string) *ToolCall {
	if i, ok := a.toolKey[key]; ok {
		return &a.tools[i]
	}
	if len(a.tools) >= a.cfg.MaxToolCalls {
		a.t.DroppedToolCalls++
		if a.toolKey == nil {
			a.toolKey = make(map[string]int)
		}
		a.toolKey[key] = -1
		return nil
	}
	if a.toolKey == nil {
		a.toolKey = make(map[string]int)
	}
	a.toolKey[key] = len(a.tools)
	a.tools = append(a.tools, ToolCall{})
	return &a.tools[len(a.tools)-1]
}

// existingTool returns the tool call with key, or nil.
func (a *Assembler) existingTool(key string) *ToolCall {
	if i, ok := a.toolKey[key]; ok && i >= 0 {
		return &a.tools[i]
	}
	return nil
}

// appendArgs appends a piece of a tool call's arguments within the cap.
func (a *Assembler) appendArgs(tc *ToolCall, s string) {
	room := a.cfg.MaxTextBytes - len(tc.Arguments)
	if len(s) > room {
		a.t.Truncated += int64(len(s) - max(room, 0))
		s = s[:max(room, 0)]
	}
	tc.Arguments += s
}

// setModel keeps the first model named.
func (a *Assembler) setModel(v gjson.Result) {
	if a.t.Model == "" && v.Type == gjson.String {
		a.t.Model = v.Str
	}
}

// errorMessage reads the message of a JSON error object in the shapes the
// formats use: {"error":{"message":…}}, {"error":"…"},
// {"type":"error","error":{"type":…,"message":…}}, {"type":"error","message":…}.
func errorMessage(v gjson.Result) string {
	if !v.IsObject() {
		return ""
	}
	e := v.Get("error")
	switch {
	case e.Type == gjson.String:
		return e.Str
	case e.IsObject():
		msg := e.Get("message").String()
		label := e.Get("code").String() // the more specific, when given
		if label == "" {
			label = e.Get("type").String()
		}
		switch {
		case label == "":
			return msg
		case msg == "":
			return label
		}
		return label + ": " + msg
	}
	if v.Get("type").String() == "error" {
		msg := v.Get("message").String()
		if c := v.Get("code").String(); c != "" {
			return c + ": " + msg
		}
		return msg
	}
	return ""
}

// Kind returns the format recognised so far.
func (a *Assembler) Kind() Kind { return a.t.Kind }

// GaveUp reports whether detection gave up: not a model stream.
func (a *Assembler) GaveUp() bool { return a.t.GaveUp }

// Text returns the text assembled so far, without copying it.
func (a *Assembler) Text() string { return a.text.String() }

// Reasoning returns the reasoning assembled so far, without copying it.
func (a *Assembler) Reasoning() string { return a.reasoning.String() }
