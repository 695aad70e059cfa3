package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
)

// focusables lists every visible focusable object under o, in tree
// order.
func focusables(o fyne.CanvasObject) []fyne.Focusable {
	var out []fyne.Focusable
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return // Tab and the mouse never reach it
		}
		if f, ok := o.(fyne.Focusable); ok {
			out = append(out, f)
		}
		switch o := o.(type) {
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

func TestApp_WindowKeysWorkWhateverHasTheFocus(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	populate(t, x)
	press := func(f fyne.Focusable, k fyne.KeyName) {
		x.win.Canvas().Focus(f)
		f.TypedKey(&fyne.KeyEvent{Name: k})
	}
	// The dashboard: F11 enters presentation mode from every control.
	dash := focusables(x.win.Content())
	if len(dash) < 4 {
		t.Fatalf("only %d focusable controls on the dashboard", len(dash))
	}
	for i, f := range dash {
		t.Run(fmt.Sprintf("dashboard %d %T", i, f), func(t *testing.T) {
			press(f, fyne.KeyF11)
			if !x.Presenting() {
				t.Fatalf("F11 on a focused %T did not start presentation mode", f)
			}
			if x.win.Canvas().Focused() != nil {
				t.Fatalf("presentation mode left %T focused", x.win.Canvas().Focused())
			}
			x.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
			if x.Presenting() {
				t.Fatal("Escape did not leave presentation mode")
			}
		})
	}
	// The detail view: Escape goes back from every control (a search
	// field with text is cleared first).
	ch, _ := x.mgr.Get("deploy")
	open := func() []fyne.Focusable {
		x.openDetail(x.dash.views[ch])
		return focusables(x.win.Content())
	}
	n := len(open())
	if n < 8 {
		t.Fatalf("only %d focusable controls in the detail view", n)
	}
	for i := range n {
		f := open()[i]
		t.Run(fmt.Sprintf("detail %d %T", i, f), func(t *testing.T) {
			if e, ok := f.(*guardedEntry); ok {
				test.Type(e, "zz")
				press(f, fyne.KeyEscape)
				if e.Text != "" || x.detail == nil {
					t.Fatalf("Escape in a search field with text: text %q, detail open %v", e.Text, x.detail != nil)
				}
			}
			press(f, fyne.KeyEscape)
			if x.detail != nil {
				t.Fatalf("Escape on a focused %T did not go back to the dashboard", f)
			}
		})
	}
}

func TestApp_ArrowKeysMoveAVisibleCursorOverTheTiles(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	populate(t, x)
	framed := func() []string {
		var out []string
		for tile, v := range x.dash.bound {
			if tile.Focused() {
				out = append(out, v.ch.Name())
			}
		}
		return out
	}
	if got := framed(); len(got) != 0 {
		t.Fatalf("tiles framed before any key: %v", got)
	}
	x.typedKey(&fyne.KeyEvent{Name: fyne.KeyRight}) // nothing focused: the keys go to the tiles
	if x.win.Canvas().Focused() != x.dash.grid {
		t.Fatalf("an arrow key did not move the focus to the tiles (focus: %T)", x.win.Canvas().Focused())
	}
	if got := framed(); len(got) != 1 || got[0] != "metrics" {
		t.Fatalf("after Right the cursor frames %v, want [metrics]", got)
	}
	x.dash.grid.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	if got := framed(); len(got) != 1 || got[0] != "deploy" {
		t.Fatalf("after Left the cursor frames %v, want [deploy]", got)
	}
	x.dash.grid.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if x.DetailChannel() != "deploy" {
		t.Fatalf("Enter opened %q, want deploy", x.DetailChannel())
	}
	if got := framed(); len(got) != 0 {
		t.Fatalf("the cursor stays drawn on %v after the tiles lost the focus", got)
	}
}

func TestApp_DialogKeysStayInTheDialog(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	populate(t, x)
	ch, _ := x.mgr.Get("orders")
	x.openDetail(x.dash.views[ch])

	// Escape cancels the remove confirmation, and only that.
	x.confirmRemove(ch)
	x.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if x.topDialog() != nil || x.detail == nil {
		t.Fatalf("Escape: dialog open %v, detail open %v; want the dialog closed and the detail kept", x.topDialog() != nil, x.detail != nil)
	}
	if _, ok := x.mgr.Get("orders"); !ok {
		t.Fatal("Escape removed the channel")
	}
	// Space and F11 do not reach the view behind an open dialog.
	x.confirmRemove(ch)
	paused := x.detail.paused
	x.typedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	x.typedKey(&fyne.KeyEvent{Name: fyne.KeyF11})
	if x.detail.paused != paused || x.Presenting() {
		t.Fatal("a key reached the view behind the dialog")
	}
	// Enter takes the default action: remove.
	x.typedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if _, ok := x.mgr.Get("orders"); ok || x.topDialog() != nil || x.detail != nil {
		t.Fatal("Enter did not remove the channel and close the dialog")
	}

	// The add dialog: Enter in a field adds, Escape cancels.
	f := x.showChannelForm(client.ChannelConfig{}, false)
	test.Type(f.url, "http://127.0.0.1:9/added")
	f.url.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if _, ok := x.mgr.Get("added"); !ok || x.topDialog() != nil {
		t.Fatalf("Enter in the add dialog: channel added %v, dialog open %v", ok, x.topDialog() != nil)
	}
}

func TestApp_FilterSaysNoMatchCountsWhatIsShownAndEscapeClearsIt(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	populate(t, x)
	test.Type(x.search, "metr")
	if got := x.dash.summary.Text; !strings.HasPrefix(got, "1 of 3 channels shown · 1 retrying") {
		t.Fatalf("summary under a filter: %q", got)
	}
	x.search.SetText("nothing-like-this")
	if !x.dash.noMatch.Visible() || x.dash.grid.Visible() || !strings.Contains(x.dash.noMatch.Text, "No channels match") {
		t.Fatal("a filter that matches nothing does not say so")
	}
	x.win.Canvas().Focus(x.search)
	x.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if x.search.Text != "" || x.dash.noMatch.Visible() || x.dash.summary.Text != "3 channels · 1 open · 1 retrying · 1 failed" {
		t.Fatalf("Escape left filter %q, summary %q", x.search.Text, x.dash.summary.Text)
	}
}

func TestApp_EditStartsTheDetailViewAfresh(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	populate(t, x)
	ch, _ := x.mgr.Get("deploy")
	x.openDetail(x.dash.views[ch])
	x.detail.toggleHold()
	x.detail.list.Select(0)
	if !x.detail.paused || x.detail.selected == 0 {
		t.Fatal("setup: the log is not paused with a selection")
	}
	f := x.showChannelForm(ch.Config(), true)
	f.group.SetText("ops")
	f.submit()
	if x.detail == nil || x.detail.paused || x.detail.selected != 0 || x.detail.holdBtn.Text != "Pause log" {
		t.Fatalf("after Edit the detail view kept its old state (open %v)", x.detail != nil)
	}
}
