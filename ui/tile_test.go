package ui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/ui"
)

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
			Name: "prices", State: client.Retrying, StateText: "retrying in 4 s (attempt 3)", Message: `{"sym":"ACME","px":12.5}`,
			History: []float64{30, 30, 29, 0, 0}, LastEvent: "last event 9 s ago", Reconnects: 3, Gaps: 2, Duplicates: 1,
		}},
		{"oversized", ui.TileData{
			Name: "exports", State: client.Open, Message: "batch 7 ready", History: []float64{1, 1, 0, 1}, LastEvent: "last event 1 s ago",
			Gaps: 1, Oversized: 3,
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
