package ui_test

import (
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/ui"
)

func TestStateBadge_Markup(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		name  string
		state client.State
		text  string
	}{
		{"idle", client.Idle, ""},
		{"connecting", client.Connecting, "connecting"},
		{"open", client.Open, ""},
		{"retrying", client.Retrying, "retrying in 4 s (attempt 3)"},
		{"stalled", client.Stalled, "stalled"},
		{"failed", client.Failed, "failed 404"},
		{"closed", client.Closed, ""},
		{"paused", client.Paused, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ui.NewStateBadge(tc.state, tc.text)
			test.AssertObjectRendersToMarkup(t, "statebadge/"+tc.name+".xml", b)
		})
	}
}

func TestStateBadge_SetChangesColourAndText(t *testing.T) {
	test.NewTempApp(t)
	b := ui.NewStateBadge(client.Open, "")
	w := test.NewTempWindow(t, b)
	w.Resize(fyne.NewSize(200, 40))
	b.Set(client.Failed, "failed 503")
	test.AssertObjectRendersToMarkup(t, "statebadge/set_failed.xml", b)
	if b.State != client.Failed || b.Text != "failed 503" {
		t.Fatalf("Set did not store the values: %v %q", b.State, b.Text)
	}
}

func TestStateColor_DistinctPerState(t *testing.T) {
	seen := map[[4]uint8]client.State{}
	for s := client.Idle; s <= client.Paused; s++ {
		c := ui.StateColor(s)
		k := [4]uint8{c.R, c.G, c.B, c.A}
		if other, dup := seen[k]; dup {
			t.Errorf("%v and %v share colour %v", s, other, c)
		}
		seen[k] = s
		// White text must be readable on it: WCAG contrast ≥ 4.5.
		if cr := contrast(c.R, c.G, c.B); cr < 4.5 {
			t.Errorf("%v colour %v: contrast with white %.2f < 4.5", s, c, cr)
		}
	}
}

func contrast(r, g, b uint8) float64 {
	lin := func(v uint8) float64 {
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	return 1.05 / (l + 0.05)
}
