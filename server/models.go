package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ssemon/ssemon/client/clock"
)

// ModelsChannel is the channel name that addresses the model endpoints in
// fault injection (POST /admin/fault with "channel":"models").
const ModelsChannel = "models"

// Defaults and caps of the model endpoints.
const (
	// DefaultTokenRate is the default ModelsConfig.TokenRate.
	DefaultTokenRate = 20.0
	// MaxTokenRate caps the token rate, from the config or a request.
	MaxTokenRate = 100_000.0
	// DefaultModelName is the model the endpoints name when the request
	// names none.
	DefaultModelName = "ssemon-demo-1"
	// maxModelRequestBytes caps a request body.
	maxModelRequestBytes = 1 << 20
)

// ModelsConfig configures the model endpoints of the demo server.
type ModelsConfig struct {
	// TokenRate is how many answer pieces (tokens) per second the model
	// endpoints stream. A request may override it with the header
	// X-Ssemon-Token-Rate or the query parameter rate. Default 20; at most
	// MaxTokenRate.
	TokenRate float64
}

// answer is the canned answer every model endpoint streams: reasoning, a
// short text, and one tool call whose arguments arrive in pieces.
type answer struct {
	reasoning, text []string
	toolName        string
	toolArgs        []string
}

// cannedAnswer returns the answer of the model endpoints.
func cannedAnswer() answer {
	return answer{
		reasoning: []string{"The ", "user ", "asks ", "about ", "the ", "weather ", "in ", "Paris. ", "I ", "should ", "call ", "the ", "weather ", "tool ", "first."},
		text:      []string{"Let ", "me ", "check ", "the ", "current ", "weather ", "in ", "Paris ", "for ", "you."},
		toolName:  "get_weather",
		toolArgs:  []string{`{"city":`, ` "Paris",`, ` "unit":`, ` "celsius"}`},
	}
}

// pieces is the number of output pieces (tokens) of the answer.
func (a answer) pieces() int { return len(a.reasoning) + len(a.text) + len(a.toolArgs) }

// models serves the model endpoints and holds their faults.
type models struct {
	s      *Server
	cfg    ModelsConfig
	clk    clock.Clock
	answer answer

	mu        sync.Mutex
	failNext  []int
	malformed int                     // next answers get a truncated chunk
	live      map[*modelConn]struct{} // answers being streamed
	seq       uint64
}

// modelConn is one answer being streamed.
type modelConn struct {
	drop       chan struct{} // closed by a drop fault
	stallUntil time.Time     // set by a stall fault (models.mu)
}

func newModels(s *Server, cfg ModelsConfig, clk clock.Clock) *models {
	if cfg.TokenRate <= 0 {
		cfg.TokenRate = DefaultTokenRate
	}
	cfg.TokenRate = min(cfg.TokenRate, MaxTokenRate)
	return &models{s: s, cfg: cfg, clk: clk, answer: cannedAnswer(), live: make(map[*modelConn]struct{})}
}

// modelRoutes registers the model endpoints.
func (m *models) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/chat/completions", m.handleOpenAI)
	mux.HandleFunc("POST /v1/messages", m.handleAnthropic)
	mux.HandleFunc("POST /api/chat", m.handleOllama)
}

// modelRequest is what the endpoints read from a request body.
type modelRequest struct {
	Model  string `json:"model"`
	Stream *bool  `json:"stream"`
	// inputTokens approximates the prompt's tokens: a quarter of the body.
	inputTokens int
}

// modelFormat is the shape of one endpoint's answers.
type modelFormat int

const (
	fmtOpenAI modelFormat = iota
	fmtAnthropic
	fmtOllama
)

// apiError writes an error in the endpoint's own shape.
func apiError(w http.ResponseWriter, f modelFormat, status int, typ, msg string) {
	var body any
	switch f {
	case fmtAnthropic:
		body = map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": msg}}
	case fmtOllama:
		body = map[string]string{"error": msg}
	default:
		body = map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": typ}}
	}
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == 529 {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// begin reads the request and applies a queued failure; it returns the
// request, the answer's token rate and the connection, or false after
// answering with an error.
func (m *models) begin(w http.ResponseWriter, r *http.Request, f modelFormat, streamDefault bool) (modelRequest, float64, *modelConn, bool) {
	var req modelRequest
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxModelRequestBytes))
	if err != nil {
		apiError(w, f, http.StatusRequestEntityTooLarge, "invalid_request_error", "request body too large or unreadable: "+err.Error())
		return req, 0, nil, false
	}
	if err := json.Unmarshal(b, &req); err != nil {
		apiError(w, f, http.StatusBadRequest, "invalid_request_error", "the body is not a JSON object: "+err.Error())
		return req, 0, nil, false
	}
	req.inputTokens = max(len(b)/4, 1)
	if req.Model == "" {
		req.Model = DefaultModelName
	}
	if stream := streamDefault; (req.Stream != nil && !*req.Stream) || (req.Stream == nil && !stream) {
		apiError(w, f, http.StatusBadRequest, "invalid_request_error", `this demo endpoint only streams: send "stream": true`)
		return req, 0, nil, false
	}
	rate := m.cfg.TokenRate
	v := r.Header.Get("X-Ssemon-Token-Rate")
	if v == "" {
		v = r.URL.Query().Get("rate")
	}
	if v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || !(x > 0) {
			apiError(w, f, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("token rate %q is not a positive number", v))
			return req, 0, nil, false
		}
		rate = min(x, MaxTokenRate)
	}
	m.mu.Lock()
	status := 0
	if len(m.failNext) > 0 {
		status, m.failNext = m.failNext[0], m.failNext[1:]
	}
	c := &modelConn{drop: make(chan struct{})}
	if status == 0 {
		m.live[c] = struct{}{}
		m.seq++
	}
	m.mu.Unlock()
	if status != 0 {
		typ, msg := "api_error", "injected failure"
		switch {
		case status == http.StatusTooManyRequests:
			typ, msg = "rate_limit_error", "rate limit reached (injected by ssemon-demo)"
		case status == 529 || status == http.StatusServiceUnavailable:
			typ, msg = "overloaded_error", "Overloaded (injected by ssemon-demo)"
		}
		m.s.log.Info("model request failed by fault", "path", r.URL.Path, "status", status)
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return req, 0, nil, false
		}
		apiError(w, f, status, typ, msg)
		return req, 0, nil, false
	}
	return req, rate, c, true
}

// end forgets a finished answer.
func (m *models) end(c *modelConn) {
	m.mu.Lock()
	delete(m.live, c)
	m.mu.Unlock()
}

// takeMalformed reports whether this answer carries a malformed chunk.
func (m *models) takeMalformed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.malformed > 0 {
		m.malformed--
		return true
	}
	return false
}

// errDropped ends an answer cut by a drop fault.
var errDropped = errors.New("dropped by fault injection")

// pacer spaces the pieces of one answer at the token rate and applies the
// live faults; write errors and the end of the request end it.
type pacer struct {
	m      *models
	c      *modelConn
	r      *http.Request
	w      http.ResponseWriter
	rc     *http.ResponseController
	period time.Duration
	err    error
}

// wait waits one token period (plus any stall); false when the answer must
// end (client gone, server closing, drop fault).
func (p *pacer) wait() bool {
	if p.err != nil {
		return false
	}
	d := p.period
	p.m.mu.Lock()
	if until := p.c.stallUntil; !until.IsZero() {
		d = max(d, until.Sub(p.m.clk.Now()))
		p.c.stallUntil = time.Time{}
	}
	p.m.mu.Unlock()
	t := p.m.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-p.r.Context().Done():
		p.err = p.r.Context().Err()
	case <-p.m.s.stop:
		p.err = ErrClosed
	case <-p.c.drop:
		p.err = errDropped
	}
	return false
}

// write sends bytes and flushes; a write deadline bounds a stuck client.
func (p *pacer) write(b []byte) bool {
	if p.err != nil {
		return false
	}
	_ = p.rc.SetWriteDeadline(time.Now().Add(p.m.s.cfg.WriteTimeout))
	if _, err := p.w.Write(b); err != nil {
		p.err = err
		return false
	}
	if err := p.rc.Flush(); err != nil {
		p.err = err
		return false
	}
	return true
}

// stream runs one answer: head sets the headers, then each piece is
// written by emit after a token period. A drop fault aborts the
// connection without a clean end.
func (m *models) stream(w http.ResponseWriter, r *http.Request, c *modelConn, rate float64, contentType string, body func(p *pacer)) {
	defer m.end(c)
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	p := &pacer{m: m, c: c, r: r, w: w, rc: http.NewResponseController(w), period: time.Duration(float64(time.Second) / rate)}
	_ = p.rc.Flush()
	body(p)
	if errors.Is(p.err, errDropped) {
		panic(http.ErrAbortHandler) // cut the connection, as a network failure would
	}
}

// sseFrame formats one SSE event (typ "" for none).
func sseFrame(typ string, v any) []byte {
	data, _ := json.Marshal(v)
	var b strings.Builder
	if typ != "" {
		b.WriteString("event: " + typ + "\n")
	}
	b.WriteString("data: ")
	b.Write(data)
	b.WriteString("\n\n")
	return []byte(b.String())
}

// malformedChunk is a truncated JSON chunk, as a broken proxy would cut it.
const malformedChunk = `{"id":"x","choices":[{"index":0,"delta":{"content":"trunc`

// handleOpenAI serves POST /v1/chat/completions in the chat completions
// stream shape: role chunk, reasoning_content, content, tool call pieces,
// finish_reason, a usage chunk, data: [DONE].
func (m *models) handleOpenAI(w http.ResponseWriter, r *http.Request) {
	req, rate, c, ok := m.begin(w, r, fmtOpenAI, false)
	if !ok {
		return
	}
	bad := m.takeMalformed()
	id := "chatcmpl-demo-" + strconv.FormatUint(m.seqNow(), 10)
	created := m.clk.Now().Unix()
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	m.stream(w, r, c, rate, "text/event-stream; charset=utf-8", func(p *pacer) {
		if !p.write(sseFrame("", chunk(map[string]any{"role": "assistant", "content": ""}, nil))) {
			return
		}
		for _, s := range m.answer.reasoning {
			if !p.wait() || !p.write(sseFrame("", chunk(map[string]any{"reasoning_content": s}, nil))) {
				return
			}
		}
		for i, s := range m.answer.text {
			if bad && i == len(m.answer.text)/2 && !p.write([]byte("data: "+malformedChunk+"\n\n")) {
				return
			}
			if !p.wait() || !p.write(sseFrame("", chunk(map[string]any{"content": s}, nil))) {
				return
			}
		}
		call := map[string]any{"index": 0, "id": "call_demo_1", "type": "function", "function": map[string]any{"name": m.answer.toolName, "arguments": ""}}
		if !p.write(sseFrame("", chunk(map[string]any{"tool_calls": []any{call}}, nil))) {
			return
		}
		for _, s := range m.answer.toolArgs {
			piece := map[string]any{"index": 0, "function": map[string]any{"arguments": s}}
			if !p.wait() || !p.write(sseFrame("", chunk(map[string]any{"tool_calls": []any{piece}}, nil))) {
				return
			}
		}
		if !p.write(sseFrame("", chunk(map[string]any{}, "tool_calls"))) {
			return
		}
		out := m.answer.pieces()
		usage := map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": req.Model, "choices": []any{},
			"usage": map[string]any{"prompt_tokens": req.inputTokens, "completion_tokens": out, "total_tokens": req.inputTokens + out,
				"completion_tokens_details": map[string]any{"reasoning_tokens": len(m.answer.reasoning)}}}
		if p.write(sseFrame("", usage)) {
			p.write([]byte("data: [DONE]\n\n"))
		}
	})
}

// handleAnthropic serves POST /v1/messages in the Messages stream shape:
// message_start, a thinking block, a text block, a tool_use block with
// input_json_delta pieces, message_delta with stop_reason and usage,
// message_stop; ping events between blocks.
func (m *models) handleAnthropic(w http.ResponseWriter, r *http.Request) {
	req, rate, c, ok := m.begin(w, r, fmtAnthropic, false)
	if !ok {
		return
	}
	bad := m.takeMalformed()
	id := "msg_demo_" + strconv.FormatUint(m.seqNow(), 10)
	ev := func(p *pacer, typ string, v map[string]any) bool {
		v["type"] = typ
		return p.write(sseFrame(typ, v))
	}
	m.stream(w, r, c, rate, "text/event-stream; charset=utf-8", func(p *pacer) {
		msg := map[string]any{"id": id, "type": "message", "role": "assistant", "model": req.Model, "content": []any{},
			"stop_reason": nil, "stop_sequence": nil, "usage": map[string]any{"input_tokens": req.inputTokens, "output_tokens": 1}}
		if !ev(p, "message_start", map[string]any{"message": msg}) {
			return
		}
		blocks := []struct {
			start  map[string]any
			pieces []string
			delta  func(string) map[string]any
		}{
			{map[string]any{"type": "thinking", "thinking": ""}, m.answer.reasoning,
				func(s string) map[string]any { return map[string]any{"type": "thinking_delta", "thinking": s} }},
			{map[string]any{"type": "text", "text": ""}, m.answer.text,
				func(s string) map[string]any { return map[string]any{"type": "text_delta", "text": s} }},
			{map[string]any{"type": "tool_use", "id": "toolu_demo_1", "name": m.answer.toolName, "input": map[string]any{}}, m.answer.toolArgs,
				func(s string) map[string]any { return map[string]any{"type": "input_json_delta", "partial_json": s} }},
		}
		for i, b := range blocks {
			if !ev(p, "content_block_start", map[string]any{"index": i, "content_block": b.start}) {
				return
			}
			for j, s := range b.pieces {
				if bad && i == 1 && j == len(b.pieces)/2 && !p.write([]byte("event: content_block_delta\ndata: "+malformedChunk+"\n\n")) {
					return
				}
				if !p.wait() || !ev(p, "content_block_delta", map[string]any{"index": i, "delta": b.delta(s)}) {
					return
				}
			}
			if !ev(p, "content_block_stop", map[string]any{"index": i}) || !ev(p, "ping", map[string]any{}) {
				return
			}
		}
		if ev(p, "message_delta", map[string]any{"delta": map[string]any{"stop_reason": "tool_use", "stop_sequence": nil},
			"usage": map[string]any{"output_tokens": m.answer.pieces()}}) {
			ev(p, "message_stop", map[string]any{})
		}
	})
}

// handleOllama serves POST /api/chat in Ollama's NDJSON shape: one object
// per line with message.thinking, message.content, message.tool_calls, and
// a last line with done, done_reason and the eval counts.
func (m *models) handleOllama(w http.ResponseWriter, r *http.Request) {
	req, rate, c, ok := m.begin(w, r, fmtOllama, true)
	if !ok {
		return
	}
	bad := m.takeMalformed()
	start := m.clk.Now()
	line := func(msg map[string]any, done bool) []byte {
		msg["role"] = "assistant"
		if _, ok := msg["content"]; !ok {
			msg["content"] = ""
		}
		v := map[string]any{"model": req.Model, "created_at": m.clk.Now().UTC().Format(time.RFC3339Nano), "message": msg, "done": done}
		b, _ := json.Marshal(v)
		return append(b, '\n')
	}
	m.stream(w, r, c, rate, "application/x-ndjson", func(p *pacer) {
		for _, s := range m.answer.reasoning {
			if !p.wait() || !p.write(line(map[string]any{"thinking": s}, false)) {
				return
			}
		}
		for i, s := range m.answer.text {
			if bad && i == len(m.answer.text)/2 && !p.write([]byte(malformedChunk+"\n")) {
				return
			}
			if !p.wait() || !p.write(line(map[string]any{"content": s}, false)) {
				return
			}
		}
		args := strings.Join(m.answer.toolArgs, "")
		call := map[string]any{"function": map[string]any{"name": m.answer.toolName, "arguments": json.RawMessage(args)}}
		if !p.wait() || !p.write(line(map[string]any{"tool_calls": []any{call}}, false)) {
			return
		}
		v := map[string]any{"model": req.Model, "created_at": m.clk.Now().UTC().Format(time.RFC3339Nano),
			"message": map[string]any{"role": "assistant", "content": ""}, "done": true, "done_reason": "stop",
			"total_duration": m.clk.Now().Sub(start).Nanoseconds(), "prompt_eval_count": req.inputTokens, "eval_count": m.answer.pieces()}
		b, _ := json.Marshal(v)
		p.write(append(b, '\n'))
	})
}

// seqNow returns the number of answers started so far.
func (m *models) seqNow() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq
}

// apply applies a fault addressed to ModelsChannel: fail (the next
// request answers status: 429 and 529 in the API's own error shape),
// stall (answers in flight pause for duration), drop (answers in flight
// are cut), malformed (the next answer carries a truncated JSON chunk).
func (m *models) apply(req faultRequest, d func(string, string, bool) (time.Duration, error)) (faultResult, int, error) {
	res := faultResult{OK: true, Action: strings.ToLower(req.Action), Channel: req.Channel}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch res.Action {
	case "fail":
		if !validFailStatus(req.Status) {
			return res, http.StatusBadRequest, errors.New("status must be 204 or between 400 and 599 (429 and 529 answer in the APIs' error shapes)")
		}
		if len(m.failNext) >= MaxFailNext {
			return res, http.StatusTooManyRequests, fmt.Errorf("at most %d failures may be queued", MaxFailNext)
		}
		m.failNext = append(m.failNext, req.Status)
		res.Affected = 1
	case "stall":
		dur, err := d("duration", req.Duration, false)
		if err != nil {
			return res, http.StatusBadRequest, err
		}
		until := m.clk.Now().Add(dur)
		for c := range m.live {
			c.stallUntil = until
		}
		res.Affected = len(m.live)
	case "drop":
		for c := range m.live {
			close(c.drop)
			delete(m.live, c)
			res.Affected++
		}
	case "malformed":
		m.malformed++
		res.Affected = 1
	default:
		return res, http.StatusBadRequest, fmt.Errorf("action %q does not apply to the model endpoints: want fail, stall, drop or malformed", req.Action)
	}
	m.s.log.Info("fault: models", "action", res.Action, "affected", res.Affected)
	return res, http.StatusOK, nil
}
