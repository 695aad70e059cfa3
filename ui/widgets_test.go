package ui_test

import (
	"math"
	"testing"
	"time"

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
		{"retrying", client.Retrying, "retrying 3 — next in 4 s"},
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

func TestSparkline_Markup(t *testing.T) {
	test.NewTempApp(t)
	ramp := make([]float64, 60)
	for i := range ramp {
		ramp[i] = float64(i)
	}
	for _, tc := range []struct {
		name   string
		values []float64
	}{
		{"empty", nil},
		{"zeros", make([]float64, 60)},
		{"ramp", ramp},
		{"partial", []float64{5, 0, 12, 120}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ui.NewSparkline(tc.values)
			s.Resize(fyne.NewSize(200, 28))
			test.AssertObjectRendersToMarkup(t, "sparkline/"+tc.name+".xml", s)
			test.AssertObjectRendersToImage(t, "sparkline/"+tc.name+".png", s)
		})
	}
}

func TestSparkline_KeepsNewest(t *testing.T) {
	test.NewTempApp(t)
	long := make([]float64, 90)
	for i := range long {
		long[i] = float64(i)
	}
	s := ui.NewSparkline(long)
	got := s.Values()
	if len(got) != ui.SparklineCap || got[0] != 30 || got[len(got)-1] != 89 {
		t.Fatalf("Values() = %d samples from %v to %v, want 60 from 30 to 89", len(got), got[0], got[len(got)-1])
	}
	if s.Max() != 89 {
		t.Fatalf("Max() = %v, want 89", s.Max())
	}
	long[89] = -1 // the widget holds a copy
	if s.Values()[59] != 89 {
		t.Fatal("SetValues did not copy its input")
	}
}

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

func sampleHistory() []float64 {
	h := make([]float64, 60)
	for i := range h {
		h[i] = float64((i*7)%23 + 10)
	}
	return h
}

func TestTile_Markup(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		name string
		data ui.TileData
	}{
		{"connecting", ui.TileData{Name: "orders", State: client.Connecting, StateText: "connecting", LastEvent: "no events yet"}},
		{"open_progress", ui.TileData{
			Name: "build-42", Group: "ci", State: client.Open, HasProgress: true, Percent: 42, ETA: 12 * time.Second,
			Message: "compiling package client (12/31)", Rate: 12.5, History: sampleHistory(), LastEvent: "last event 2 s ago",
		}},
		{"retrying", ui.TileData{
			Name: "prices", State: client.Retrying, StateText: "retrying 3 — next in 4 s", Message: `{"sym":"ACME","px":12.5}`,
			History: []float64{30, 30, 29, 0, 0}, LastEvent: "last event 9 s ago", Reconnects: 3, Gaps: 2, Duplicates: 1,
		}},
		{"stalled", ui.TileData{Name: "heartbeat", State: client.Stalled, StateText: "stalled — silent 30 s", LastEvent: "last event 31 s ago", Reconnects: 1}},
		{"failed", ui.TileData{Name: "metrics", State: client.Failed, StateText: "failed 404", LastEvent: "never"}},
		{"closed", ui.TileData{Name: "jobs", State: client.Closed, HasProgress: true, Percent: 100, Message: "done", LastEvent: "last event 3 min ago"}},
		{"paused", ui.TileData{Name: "logs", State: client.Paused, Message: "a very long log line that certainly does not fit on one tile line and must be cut with an ellipsis", LastEvent: "last event 1 min ago"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tile := ui.NewTile(tc.data)
			tile.Resize(fyne.NewSize(320, tile.MinSize().Height))
			test.AssertObjectRendersToMarkup(t, "tile/"+tc.name+".xml", tile)
		})
	}
}

func TestTile_UpdateAndTap(t *testing.T) {
	test.NewTempApp(t)
	tile := ui.NewTile(ui.TileData{Name: "orders", State: client.Connecting})
	w := test.NewTempWindow(t, tile)
	w.Resize(fyne.NewSize(340, 220))
	tile.Update(ui.TileData{Name: "orders", State: client.Open, Message: "order 17 shipped", Rate: 3, History: []float64{1, 2, 3}, LastEvent: "last event just now", Gaps: 1})
	test.AssertObjectRendersToMarkup(t, "tile/updated.xml", tile)
	if got := tile.Data(); got.State != client.Open || got.Message != "order 17 shipped" || len(got.History) != 3 {
		t.Fatalf("Data() after Update = %+v", got)
	}
	taps := 0
	tile.OnTapped = func() { taps++ }
	test.Tap(tile)
	if taps != 1 {
		t.Fatalf("OnTapped called %d times, want 1", taps)
	}
}
