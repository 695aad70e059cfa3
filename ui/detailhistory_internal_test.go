package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// The list of recent states keeps its height whatever it holds, so that
// nothing below it moves when a state comes.
func TestHistoryText_FixedHeight(t *testing.T) {
	test.NewTempApp(t)
	l := widget.NewLabel("")
	l.Truncation = fyne.TextTruncateEllipsis
	var h []client.Transition
	var heights []float32
	for i := range historyLines + 2 {
		text := historyText(h, testEpoch.Add(time.Hour), historyLines)
		if n := strings.Count(text, "\n") + 1; n != historyLines {
			t.Fatalf("%d transitions: %d lines, want %d", len(h), n, historyLines)
		}
		l.SetText(text)
		heights = append(heights, l.MinSize().Height)
		h = append(h, client.Transition{At: testEpoch.Add(time.Duration(i) * time.Minute), State: client.Retrying,
			Detail: "a reason long enough to need more than one line where the label is narrow " + strings.Repeat("x", 80)})
	}
	for i, ht := range heights {
		if ht != heights[0] {
			t.Fatalf("heights %v: the list moved at %d transitions", heights, i)
		}
	}
}
