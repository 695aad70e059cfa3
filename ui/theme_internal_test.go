package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
)

// populate gives x three channels in different states with data, and
// ticks the bridge.
func populate(t *testing.T, x *App) {
	t.Helper()
	for i, name := range []string{"deploy", "metrics", "orders"} {
		ch := pausedChannel(t, x, name)
		ch.HandleFrame(event(i+1, "status_update", `{"progress":40,"message":"building"}`), testEpoch)
		st := []client.Status{
			{State: client.Open, Since: testEpoch, Attempt: 1},
			{State: client.Retrying, Since: testEpoch, Attempt: 3, NextAttempt: testEpoch.Add(4 * time.Second)},
			{State: client.Failed, Since: testEpoch, HTTPStatus: 404, Detail: "HTTP 404"},
		}[i]
		ch.HandleStatus(st)
	}
	x.bridge.Tick()
	relayout(x.win.Content())
}

// relayout lays out every container and widget under o again, as the
// desktop driver does before it draws a frame in which sizes changed (the
// test driver does not).
func relayout(o fyne.CanvasObject) {
	switch o := o.(type) {
	case fyne.Widget:
		r := test.WidgetRenderer(o)
		r.Layout(o.Size())
		for _, c := range r.Objects() {
			relayout(c)
		}
	case *fyne.Container:
		if o.Layout != nil {
			o.Layout.Layout(o.Objects, o.Size())
		}
		for _, c := range o.Objects {
			relayout(c)
		}
	}
}

func TestApp_ThemeSwitchRendersLikeAColdStart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to ThemeMode
	}{
		{"dark to light", ThemeDark, ThemeLight},
		{"light to dark", ThemeLight, ThemeDark},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warm, _ := newTestApp(t, Options{NoWorkspace: true, Theme: tc.from})
			populate(t, warm)
			before := test.RenderToMarkup(warm.win.Canvas())
			warm.SetTheme(tc.to)
			warm.bridge.Tick()
			relayout(warm.win.Content())
			switched := test.RenderToMarkup(warm.win.Canvas())

			cold, _ := newTestApp(t, Options{NoWorkspace: true, Theme: tc.to})
			populate(t, cold)
			want := test.RenderToMarkup(cold.win.Canvas())
			if switched == before {
				t.Fatal("switching the theme changed nothing on screen")
			}
			if switched != want {
				t.Fatalf("after switching to %v the window differs from a cold start in %v:\n%s", tc.to, tc.to, firstDiff(switched, want))
			}
			test.AssertRendersToMarkup(t, "app/dashboard-"+tc.to.String()+".xml", warm.win.Canvas())
			var marked []string
			for _, m := range warm.menu.Items {
				for _, it := range m.Items {
					if it.ChildMenu == nil || it.Label != "Theme" {
						continue
					}
					for _, c := range it.ChildMenu.Items {
						if c.Checked {
							marked = append(marked, c.Label)
						}
					}
				}
			}
			if want := map[ThemeMode]string{ThemeLight: "Light", ThemeDark: "Dark"}[tc.to]; len(marked) != 1 || marked[0] != want {
				t.Fatalf("the Theme menu marks %v, want only %q", marked, want)
			}
		})
	}
}

// firstDiff returns the lines around the first difference of a and b.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(i-300, 0)
	return "got:  …" + a[lo:min(i+200, len(a))] + "\nwant: …" + b[lo:min(i+200, len(b))]
}
