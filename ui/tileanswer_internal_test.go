package ui

import (
	"strings"
	"testing"

	"github.com/ssemon/ssemon/client/transcript"
)

func TestAnswerLine(t *testing.T) {
	long := strings.Repeat("é", maxAnswerLine)
	for _, tc := range []struct {
		name string
		t    transcript.Transcript
		want string
	}{
		{"text and a tool call", transcript.Transcript{Text: "Let me  check\nthe weather.", Finish: "tool_calls",
			ToolCalls: []transcript.ToolCall{{Name: "get_weather"}}, Ended: true}, "Let me check the weather. → get_weather · tool_calls"},
		{"thinking", transcript.Transcript{Reasoning: "The user asks"}, "thinking… · streaming"},
		{"error", transcript.Transcript{Error: "rate limit reached", HTTPStatus: 429, Ended: true}, "error 429: rate limit reached"},
		{"cut", transcript.Transcript{Text: "Sunny", Ended: true}, "Sunny · cut"},
		{"nothing yet", transcript.Transcript{}, "streaming"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := answerLine(&tc.t); got != tc.want {
				t.Fatalf("answerLine = %q, want %q", got, tc.want)
			}
		})
	}
	got := answerLine(&transcript.Transcript{Text: long, Done: true})
	if !strings.HasSuffix(got, "… · done") || !strings.HasPrefix(got, "éé") || len(got) > maxAnswerLine+20 || !strings.Contains(got, "é…") {
		t.Fatalf("a long answer is cut to %q", got)
	}
}
