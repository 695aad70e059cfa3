package ui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client/alert"
	"github.com/ssemon/ssemon/ui"
)

func TestAlertList_Markup(t *testing.T) {
	test.NewTempApp(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.Local)
	hist := []alert.Transition{
		{Channel: "metrics", Rule: "cpu > 90 for 30s", Firing: true, At: at, Since: at.Add(-30 * time.Second), Value: 93.5, HasValue: true},
		{Channel: "metrics", Rule: "cpu > 90 for 30s", Firing: false, At: at.Add(130 * time.Second), Since: at, Value: 71, HasValue: true},
		{Channel: "deploy", Rule: "progress stuck 1m", Firing: true, At: at.Add(200 * time.Second)},
	}
	for _, tc := range []struct {
		name    string
		channel bool
		items   []alert.Transition
	}{
		{"empty", true, nil},
		{"history", true, hist},
		{"channel", false, hist[:2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := ui.NewAlertList(tc.channel, "No alerts yet")
			l.Set(tc.items)
			w := test.NewTempWindow(t, l)
			w.Resize(fyne.NewSize(560, 160))
			test.AssertRendersToMarkup(t, "alertlist/"+tc.name+".xml", w.Canvas())
			if got := l.Items(); len(got) != len(tc.items) || (len(got) > 0 && got[0].At != tc.items[len(tc.items)-1].At) {
				t.Errorf("items = %v, want newest first", got)
			}
		})
	}
}
