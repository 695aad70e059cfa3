package ui_test

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/ui"
)

func TestPill_Markup(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		name string
		text string
		kind ui.PillKind
	}{
		{"empty", "", ui.PillWarning},
		{"info", "120 waiting", ui.PillInfo},
		{"warning", "2 gaps · 1 dup", ui.PillWarning},
		{"error", "evicted 30", ui.PillError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			test.AssertObjectRendersToMarkup(t, "pill/"+tc.name+".xml", ui.NewPill(tc.text, tc.kind))
		})
	}
}
