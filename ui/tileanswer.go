package ui

import (
	"strings"

	"github.com/ssemon/ssemon/client/transcript"
)

// maxAnswerLine caps the answer a tile quotes (the tile truncates further
// to its width).
const maxAnswerLine = 240

// answerMessage makes the tile of a model stream say what the answer is
// rather than what its last chunk was ("[DONE]", "type message_stop"): the
// newest run's text, its tool calls and how it ended, or its error. It
// reports false when no run of the channel is recognised as a model
// stream. The line is
// worked out again only when a run changed.
func (v *chanView) answerMessage() bool {
	h := v.ch.Transcripts()
	if ver := h.Version(); ver != v.answerVer {
		v.answerVer, v.answer = ver, ""
		if t, ok := h.Latest(); ok && h.Recognised() { // a refused run too ("error 429: …")
			v.answer = answerLine(&t)
		}
	}
	if v.answer == "" {
		return false
	}
	v.message = v.answer
	return true
}

// answerLine renders a run in one line:
// "Let me check the weather. → get_weather · tool_calls",
// "error 429: rate limit reached", "thinking… · streaming".
func answerLine(t *transcript.Transcript) string {
	if t.Error != "" {
		return t.ShortOutcome() + ": " + t.Error
	}
	var b strings.Builder
	text := strings.Join(strings.Fields(t.Text), " ")
	switch {
	case text != "":
		if len(text) > maxAnswerLine {
			text = strings.ToValidUTF8(text[:maxAnswerLine], "") + "…"
		}
		b.WriteString(text)
	case t.Reasoning != "":
		b.WriteString("thinking…")
	}
	for _, tc := range t.ToolCalls {
		b.WriteString(" → " + tc.Name)
	}
	if b.Len() > 0 {
		b.WriteString(" · ")
	}
	b.WriteString(t.ShortOutcome())
	return b.String()
}
