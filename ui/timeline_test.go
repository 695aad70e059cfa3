package ui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/ui"
)

func TestTimeline_Markup(t *testing.T) {
	test.NewTempApp(t)
	tr := func(sec int, s client.State) client.Transition {
		return client.Transition{At: epoch.Add(time.Duration(sec) * time.Second), State: s}
	}
	for _, tc := range []struct {
		name   string
		window time.Duration
		trs    []client.Transition
		now    time.Duration
	}{
		{"empty", 0, nil, 0},
		{"steady_open", 0, []client.Transition{tr(0, client.Connecting), tr(1, client.Open)}, 100 * time.Second},
		{"flapping", 0, []client.Transition{
			tr(0, client.Connecting), tr(2, client.Open), tr(30, client.Retrying), tr(33, client.Connecting),
			tr(34, client.Open), tr(60, client.Stalled), tr(61, client.Retrying), tr(64, client.Connecting), tr(65, client.Failed),
		}, 100 * time.Second},
		{"window_clips_old", time.Minute, []client.Transition{tr(0, client.Connecting), tr(1, client.Open), tr(90, client.Paused)}, 120 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := ui.NewTimeline(tc.window)
			tl.Set(tc.trs, epoch.Add(tc.now))
			tl.Resize(fyne.NewSize(400, tl.MinSize().Height))
			test.AssertObjectRendersToMarkup(t, "timeline/"+tc.name+".xml", tl)
		})
	}
}
