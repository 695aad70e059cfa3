package transcript

import (
	"strconv"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client/internal/words"
)

// FormatDuration renders a timing for people, as every duration of the
// product is rendered (client.FormatDuration: "850 ms", "1.3 s",
// "2 min 5 s"); "–" for zero (not reached).
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return words.Duration(d)
}

// RateText renders the output rate: "48.2 tok/s", "12.0 chunks/s", "–".
func (n Numbers) RateText() string {
	if n.Rate <= 0 {
		return "–"
	}
	unit := " chunks/s"
	if n.RateTokens {
		unit = " tok/s"
	}
	return strconv.FormatFloat(n.Rate, 'f', 1, 64) + unit
}

// Line renders the numbers on one line:
// "TTFB 5 ms · TTFT 25 ms · 150.0 tok/s · gap p50 10 ms p99 20 ms · longest stall 20 ms · total 125 ms".
func (n Numbers) Line() string {
	return "TTFB " + FormatDuration(n.TTFB) +
		" · TTFT " + FormatDuration(n.TTFT) +
		" · " + n.RateText() +
		" · gap p50 " + FormatDuration(n.GapP50) + " p99 " + FormatDuration(n.GapP99) +
		" · longest stall " + FormatDuration(n.LongestStall) +
		" · total " + FormatDuration(n.Total)
}

// Line renders the usage: "in 12 · out 9 (reasoning 4) tokens", or
// "not reported" (the front ends say "usage: " before it).
func (u Usage) Line() string {
	if !u.Known {
		return "not reported"
	}
	s := "in " + strconv.FormatInt(u.InputTokens, 10) + " · out " + strconv.FormatInt(u.OutputTokens, 10)
	if u.ReasoningTokens > 0 {
		s += " (reasoning " + strconv.FormatInt(u.ReasoningTokens, 10) + ")"
	}
	return s + " tokens"
}

// Outcome renders how the run ended: the error, the finish reason, or
// whether it is still streaming: "error: HTTP 429 …", "finish tool_calls",
// "ended without an end marker", "streaming".
func (t *Transcript) Outcome() string {
	switch {
	case t.Error != "":
		return "error: " + t.Error
	case t.Finish != "":
		return "finish " + t.Finish
	case t.Done:
		return "done"
	case t.Ended:
		return "ended without an end marker"
	}
	return "streaming"
}

// Head renders the run's title line:
// "run 3 · Anthropic Messages · claude-demo · finish tool_use".
func (t *Transcript) Head() string {
	parts := []string{"run " + strconv.Itoa(t.Run), t.Kind.String()}
	if t.Model != "" {
		parts = append(parts, t.Model)
	}
	parts = append(parts, t.Outcome())
	if t.Truncated > 0 || t.DroppedToolCalls > 0 {
		parts = append(parts, "capped: "+strconv.FormatInt(t.Truncated, 10)+" bytes and "+strconv.Itoa(t.DroppedToolCalls)+" tool calls dropped")
	}
	return strings.Join(parts, " · ")
}

// ShortOutcome renders the outcome in a word or two, for a table column:
// "tool_calls", "error 429", "error", "done", "cut", "streaming".
func (t *Transcript) ShortOutcome() string {
	switch {
	case t.Error != "" && t.HTTPStatus >= 300:
		return "error " + strconv.Itoa(t.HTTPStatus)
	case t.Error != "":
		return "error"
	case t.Finish != "":
		return t.Finish
	case t.Done:
		return "done"
	case t.Ended:
		return "cut"
	}
	return "streaming"
}
