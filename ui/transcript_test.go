package ui_test

import (
	"reflect"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client/transcript"
	"github.com/ssemon/ssemon/ui"
)

// finishedRun is a complete answer with reasoning and a tool call.
func finishedRun(n int, ttft time.Duration) transcript.Transcript {
	return transcript.Transcript{
		Run: n, Kind: transcript.Anthropic, Model: "claude-demo", HTTPStatus: 200, Done: true, Ended: true,
		Text: "Let me check the current weather in Paris for you.", Reasoning: "The user asks about the weather in Paris.",
		ToolCalls: []transcript.ToolCall{{ID: "toolu_demo_1", Name: "get_weather", Arguments: `{"city": "Paris", "unit": "celsius"}`}},
		Finish:    "tool_use", Usage: transcript.Usage{Known: true, InputTokens: 24, OutputTokens: 29},
		Numbers: transcript.Numbers{TTFB: 4 * time.Millisecond, TTFT: ttft, Total: 1500 * time.Millisecond, Chunks: 29,
			Rate: 20, RateTokens: true, GapP50: 50 * time.Millisecond, GapP99: 90 * time.Millisecond, LongestStall: 90 * time.Millisecond},
	}
}

func TestTranscriptPanel_Markup(t *testing.T) {
	test.NewTempApp(t)
	streaming := transcript.Transcript{Run: 1, Kind: transcript.OpenAIChat, Model: "gpt-demo", HTTPStatus: 200,
		Text: "Let me check", Numbers: transcript.Numbers{TTFB: 3 * time.Millisecond, TTFT: 60 * time.Millisecond, Total: 400 * time.Millisecond, Chunks: 3, Rate: 12, GapP50: 50 * time.Millisecond, GapP99: 60 * time.Millisecond, LongestStall: 60 * time.Millisecond}}
	failed := transcript.Transcript{Run: 3, Kind: transcript.Unknown, HTTPStatus: 429, Ended: true,
		Error: "HTTP 429 rate_limit_error: rate limit reached", Numbers: transcript.Numbers{Total: 12 * time.Millisecond}}
	for _, tc := range []struct {
		name string
		runs []transcript.Transcript
		pick int
	}{
		{"empty", nil, 0},
		{"streaming", []transcript.Transcript{streaming}, 0},
		{"runs", []transcript.Transcript{finishedRun(1, 80*time.Millisecond), finishedRun(2, 65*time.Millisecond), failed}, 0},
		{"picked", []transcript.Transcript{finishedRun(1, 80*time.Millisecond), finishedRun(2, 65*time.Millisecond), failed}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ui.NewTranscriptPanel()
			p.OnRunAgain = func() {}
			p.OnCopy = func(string) {}
			p.Set(tc.runs)
			p.Pick(tc.pick)
			w := test.NewTempWindow(t, p)
			w.Resize(fyne.NewSize(900, 640))
			test.AssertObjectRendersToMarkup(t, "transcript/"+tc.name+".xml", p)
		})
	}
}

func TestTranscriptPanel_Actions(t *testing.T) {
	test.NewTempApp(t)
	p := ui.NewTranscriptPanel()
	again, copied := 0, ""
	p.OnRunAgain = func() { again++ }
	p.OnCopy = func(s string) { copied = s }
	p.Set([]transcript.Transcript{finishedRun(1, time.Millisecond), finishedRun(2, time.Millisecond)})
	w := test.NewTempWindow(t, p)
	w.Resize(fyne.NewSize(900, 640))
	test.Tap(findButton(t, p, "Run again"))
	p.Queued = true // the run on its way ends first
	p.Refresh()
	test.Tap(findButton(t, p, "Run again · queued"))
	p.Queued = false
	p.Refresh()
	findButton(t, p, "Run again")
	test.Tap(findButton(t, p, "Copy answer"))
	if again != 2 || copied != "Let me check the current weather in Paris for you." {
		t.Errorf("run again %d, copied %q", again, copied)
	}
	test.Tap(findButton(t, p, "Copy tool calls"))
	if want := "get_weather  (toolu_demo_1)\n{\n  \"city\": \"Paris\",\n  \"unit\": \"celsius\"\n}"; copied != want {
		t.Errorf("copied tool calls %q, want %q", copied, want)
	}
	if r, ok := p.Selected(); !ok || r.Run != 2 {
		t.Errorf("selected %+v", r)
	}
	p.Pick(1)
	if r, _ := p.Selected(); r.Run != 1 {
		t.Errorf("picked %d", r.Run)
	}
}

// findButton finds the button saying text in o's widget tree.
func findButton(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	var walk func(o fyne.CanvasObject) *widget.Button
	walk = func(o fyne.CanvasObject) *widget.Button {
		if b := asButton(o); b != nil {
			if b.Text == text {
				return b
			}
			return nil
		}
		switch v := o.(type) {
		case *fyne.Container:
			for _, c := range v.Objects {
				if b := walk(c); b != nil {
					return b
				}
			}
			return nil
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				if b := walk(c); b != nil {
					return b
				}
			}
		}
		return nil
	}
	b := walk(o)
	if b == nil {
		t.Fatalf("no button %q", text)
	}
	return b
}

// asButton returns o's button: o itself, or the button it extends (the
// window's buttons extend widget.Button); nil if o is no button.
func asButton(o fyne.CanvasObject) *widget.Button {
	if b, ok := o.(*widget.Button); ok {
		return b
	}
	v := reflect.ValueOf(o)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	if f := v.Elem().FieldByName("Button"); f.IsValid() && f.Type() == reflect.TypeFor[widget.Button]() {
		return f.Addr().Interface().(*widget.Button)
	}
	return nil
}
