package ui_test

import (
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/ui"
)

func TestProgress_Markup(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		name    string
		percent float64
		eta     time.Duration
	}{
		{"unknown", math.NaN(), 0},
		{"zero", 0, 0},
		{"half_eta", 42, 12 * time.Second},
		{"fraction", 2.5, 3 * time.Minute},
		{"done", 100, 5 * time.Second},
		{"over", 140, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ui.NewProgress(tc.percent, tc.eta)
			p.Resize(fyne.NewSize(240, 20))
			test.AssertObjectRendersToMarkup(t, "progress/"+tc.name+".xml", p)
		})
	}
}
