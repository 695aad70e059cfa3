package transcript

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// anthropicType reports whether t is an event type of the Anthropic
// Messages stream.
func anthropicType(t string) bool {
	switch t {
	case "message_start", "content_block_start", "content_block_delta",
		"content_block_stop", "message_delta", "message_stop", "ping":
		return true
	}
	return false
}

// detect recognises the format of one event by its shape: the event type
// (the SSE event field, or the data's own "type") and the fields of its
// JSON object.
func detect(typ string, v gjson.Result) Kind {
	t := v.Get("type").String()
	if t == "" {
		t = typ
	}
	switch {
	case anthropicType(t):
		return Anthropic
	case strings.HasPrefix(t, "response."):
		return OpenAIResponses
	case t == "error" && v.Get("error.type").Exists():
		return Anthropic // {"type":"error","error":{"type":"overloaded_error",…}}
	}
	if v.Get("choices").IsArray() || v.Get("object").String() == "chat.completion.chunk" {
		return OpenAIChat
	}
	if d := v.Get("done"); d.IsBool() && (v.Get("message").IsObject() || v.Get("response").Type == gjson.String) {
		return Ollama
	}
	return Unknown
}

// openAIChat reads one chat completions chunk; it reports whether the
// chunk carried output. Only the first choice (index 0) is assembled.
func (a *Assembler) openAIChat(v gjson.Result) bool {
	if a.errorChunk(v) {
		return false
	}
	a.setModel(v.Get("model"))
	out := false
	v.Get("choices").ForEach(func(_, c gjson.Result) bool {
		if c.Get("index").Int() != 0 {
			return true
		}
		d := c.Get("delta")
		if s := d.Get("content"); s.Type == gjson.String && s.Str != "" {
			a.appendCapped(&a.text, s.Str)
			out = true
		}
		for _, f := range []string{"reasoning_content", "reasoning"} {
			if s := d.Get(f); s.Type == gjson.String && s.Str != "" {
				a.appendCapped(&a.reasoning, s.Str)
				out = true
				break
			}
		}
		d.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
			t := a.tool(strconv.FormatInt(tc.Get("index").Int(), 10))
			if t == nil {
				return true
			}
			if id := tc.Get("id").String(); id != "" {
				t.ID = id
			}
			if n := tc.Get("function.name").String(); n != "" {
				t.Name += n
			}
			if s := tc.Get("function.arguments").String(); s != "" {
				a.appendArgs(t, s)
				out = true
			}
			return true
		})
		if f := c.Get("finish_reason"); f.Type == gjson.String && f.Str != "" {
			a.t.Finish = f.Str
		}
		return true
	})
	if u := v.Get("usage"); u.IsObject() {
		a.t.Usage = Usage{
			Known:           true,
			InputTokens:     u.Get("prompt_tokens").Int(),
			OutputTokens:    u.Get("completion_tokens").Int(),
			ReasoningTokens: u.Get("completion_tokens_details.reasoning_tokens").Int(),
		}
	}
	return out
}

// responses reads one Responses API event; it reports whether the event
// carried output.
func (a *Assembler) responses(typ string, v gjson.Result) bool {
	t := v.Get("type").String()
	if t == "" {
		t = typ
	}
	switch t {
	case "response.created", "response.in_progress":
		a.setModel(v.Get("response.model"))
	case "response.output_text.delta", "response.refusal.delta":
		if s := v.Get("delta").String(); s != "" {
			a.appendCapped(&a.text, s)
			return true
		}
	case "response.reasoning_summary_text.delta", "response.reasoning_text.delta", "response.reasoning_summary.delta":
		if s := v.Get("delta"); s.Type == gjson.String && s.Str != "" {
			a.appendCapped(&a.reasoning, s.Str)
			return true
		}
	case "response.output_item.added":
		if it := v.Get("item"); it.Get("type").String() == "function_call" {
			if tc := a.tool(responsesKey(v)); tc != nil {
				tc.ID = it.Get("call_id").String()
				tc.Name = it.Get("name").String()
				if s := it.Get("arguments").String(); s != "" {
					a.appendArgs(tc, s)
				}
			}
		}
	case "response.function_call_arguments.delta":
		tc := a.existingTool(responsesKey(v))
		if tc == nil {
			tc = a.tool(responsesKey(v))
		}
		if tc != nil {
			if s := v.Get("delta").String(); s != "" {
				a.appendArgs(tc, s)
				return true
			}
		}
	case "response.function_call_arguments.done":
		if tc := a.existingTool(responsesKey(v)); tc != nil {
			if s := v.Get("arguments"); s.Type == gjson.String && len(s.Str) <= a.cfg.MaxTextBytes {
				tc.Arguments = s.Str // the whole arguments: authoritative
			}
		}
	case "response.completed", "response.incomplete", "response.failed":
		r := v.Get("response")
		a.setModel(r.Get("model"))
		a.t.Done = true
		a.t.Finish = r.Get("status").String()
		if why := r.Get("incomplete_details.reason").String(); why != "" {
			a.t.Finish += " (" + why + ")"
		}
		a.setError(errorMessage(r))
		if u := r.Get("usage"); u.IsObject() {
			a.t.Usage = Usage{
				Known:           true,
				InputTokens:     u.Get("input_tokens").Int(),
				OutputTokens:    u.Get("output_tokens").Int(),
				ReasoningTokens: u.Get("output_tokens_details.reasoning_tokens").Int(),
			}
		}
	case "error":
		a.setError(errorMessage(v))
	}
	return false
}

// responsesKey identifies a Responses output item across its events: the
// item id when given, else the output index.
func responsesKey(v gjson.Result) string {
	if id := v.Get("item_id").String(); id != "" {
		return id
	}
	if id := v.Get("item.id").String(); id != "" {
		return id
	}
	return "#" + strconv.FormatInt(v.Get("output_index").Int(), 10)
}

// anthropic reads one Messages stream event; it reports whether the event
// carried output.
func (a *Assembler) anthropic(typ string, v gjson.Result) bool {
	t := v.Get("type").String()
	if t == "" {
		t = typ
	}
	switch t {
	case "message_start":
		m := v.Get("message")
		a.setModel(m.Get("model"))
		if u := m.Get("usage"); u.IsObject() {
			a.t.Usage.Known = true
			a.t.Usage.InputTokens = u.Get("input_tokens").Int()
			a.t.Usage.OutputTokens = u.Get("output_tokens").Int()
		}
	case "content_block_start":
		b := v.Get("content_block")
		switch b.Get("type").String() {
		case "tool_use", "server_tool_use":
			if tc := a.tool(strconv.FormatInt(v.Get("index").Int(), 10)); tc != nil {
				tc.ID = b.Get("id").String()
				tc.Name = b.Get("name").String()
				if in := b.Get("input"); in.IsObject() && len(in.Map()) > 0 {
					a.appendArgs(tc, in.Raw)
				}
			}
		case "text":
			if s := b.Get("text").String(); s != "" {
				a.appendCapped(&a.text, s)
				return true
			}
		case "thinking":
			if s := b.Get("thinking").String(); s != "" {
				a.appendCapped(&a.reasoning, s)
				return true
			}
		}
	case "content_block_delta":
		d := v.Get("delta")
		switch d.Get("type").String() {
		case "text_delta":
			if s := d.Get("text").String(); s != "" {
				a.appendCapped(&a.text, s)
				return true
			}
		case "thinking_delta":
			if s := d.Get("thinking").String(); s != "" {
				a.appendCapped(&a.reasoning, s)
				return true
			}
		case "input_json_delta":
			if tc := a.existingTool(strconv.FormatInt(v.Get("index").Int(), 10)); tc != nil {
				if s := d.Get("partial_json").String(); s != "" {
					a.appendArgs(tc, s)
					return true
				}
			}
		}
	case "message_delta":
		if s := v.Get("delta.stop_reason").String(); s != "" {
			a.t.Finish = s
		}
		if u := v.Get("usage"); u.IsObject() {
			a.t.Usage.Known = true
			if o := u.Get("output_tokens"); o.Exists() {
				a.t.Usage.OutputTokens = o.Int() // cumulative
			}
			if in := u.Get("input_tokens"); in.Exists() && in.Int() > 0 {
				a.t.Usage.InputTokens = in.Int()
			}
		}
	case "message_stop":
		a.t.Done = true
	case "error":
		a.setError(errorMessage(v))
	}
	return false
}

// ollama reads one line of /api/chat or /api/generate; it reports whether
// the line carried output.
func (a *Assembler) ollama(v gjson.Result) bool {
	if a.errorChunk(v) {
		return false
	}
	a.setModel(v.Get("model"))
	out := false
	msg := v.Get("message")
	text, thinking := msg.Get("content"), msg.Get("thinking")
	if !msg.Exists() { // /api/generate
		text, thinking = v.Get("response"), v.Get("thinking")
	}
	if s := text.String(); s != "" {
		a.appendCapped(&a.text, s)
		out = true
	}
	if s := thinking.String(); s != "" {
		a.appendCapped(&a.reasoning, s)
		out = true
	}
	msg.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		// Ollama sends each call whole.
		if t := a.tool("#" + strconv.Itoa(len(a.tools)+a.t.DroppedToolCalls)); t != nil {
			t.ID = tc.Get("id").String()
			t.Name = tc.Get("function.name").String()
			args := tc.Get("function.arguments")
			if args.Type == gjson.String {
				a.appendArgs(t, args.Str)
			} else if args.Exists() {
				a.appendArgs(t, args.Raw)
			}
			out = true
		}
		return true
	})
	if v.Get("done").Bool() {
		a.t.Done = true
		a.t.Finish = v.Get("done_reason").String()
		pe, ec := v.Get("prompt_eval_count"), v.Get("eval_count")
		if pe.Exists() || ec.Exists() {
			a.t.Usage = Usage{Known: true, InputTokens: pe.Int(), OutputTokens: ec.Int()}
		}
	}
	return out
}

// setError keeps the first error message reported.
func (a *Assembler) setError(msg string) {
	if a.t.Error == "" {
		a.t.Error = msg
	}
}

// errorChunk records the error of a chunk that is an error object, and
// reports whether it was one.
func (a *Assembler) errorChunk(v gjson.Result) bool {
	m := errorMessage(v)
	a.setError(m)
	return m != ""
}
