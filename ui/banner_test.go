package ui_test

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/ui"
)

func TestBanner_MarkupAndDismiss(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		name string
		text string
		kind ui.PillKind
	}{
		{"recovered", "prices recovered: open again", ui.PillInfo},
		{"stalled", "heartbeat stalled: no data for 45 s", ui.PillWarning},
		{"failed", "orders failed: 404 Not Found", ui.PillError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ui.NewBanner()
			w := test.NewTempWindow(t, b)
			w.Resize(fyne.NewSize(480, 48))
			if b.Visible() {
				t.Fatal("a new banner is visible")
			}
			b.Notify(tc.text, tc.kind)
			test.AssertRendersToMarkup(t, "banner/"+tc.name+".xml", w.Canvas())
			dismissed := 0
			b.OnDismissed = func() { dismissed++ }
			test.TapCanvas(w.Canvas(), fyne.NewPos(470, 24)) // the close button at the right
			if b.Visible() || b.Text() != "" || dismissed != 1 {
				t.Fatalf("after tapping close: visible=%v text=%q dismissed=%d", b.Visible(), b.Text(), dismissed)
			}
			test.AssertRendersToMarkup(t, "banner/dismissed.xml", w.Canvas())
		})
	}
}
