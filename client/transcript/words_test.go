package transcript_test

import (
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/transcript"
)

func TestWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "–", 850 * time.Microsecond: "1 ms", 1500 * time.Microsecond: "2 ms", 42 * time.Millisecond: "42 ms",
		340 * time.Millisecond: "340 ms", 1250 * time.Millisecond: "1.3 s", 12 * time.Second: "12 s", 125 * time.Second: "2 min 5 s",
	} {
		if got := transcript.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	got := assemble(t, "openai-chat.sse", 1<<20)
	for _, c := range []struct{ got, want string }{
		{got.Numbers.Line(), "TTFB 5 ms · TTFT 25 ms · 150.0 tok/s · gap p50 10 ms p99 20 ms · longest stall 20 ms · total 125 ms"},
		{got.Usage.Line(), "in 12 · out 9 (reasoning 4) tokens"},
		{got.Head(), "run 0 · OpenAI chat completions · gpt-demo · finish tool_calls"},
		{transcript.Usage{}.Line(), "not reported"},
		{transcript.Numbers{Rate: 12, Chunks: 3}.RateText(), "12.0 chunks/s"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	err := assemble(t, "anthropic-error.sse", 1<<20)
	if o := err.Outcome(); o != "error: overloaded_error: Overloaded" {
		t.Errorf("outcome %q", o)
	}
}
