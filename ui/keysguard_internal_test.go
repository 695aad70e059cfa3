package ui

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// everyFocusable lists every focusable object under o, shown or hidden,
// with its place in the tree; the contents of every tab count, selected
// or not. Of the toolkit's tabs and forms only what the window put in
// them counts: their own buttons (a form's Submit and Cancel, which the
// window's forms never show; the tab bar's overflow button, shown when the
// tabs do not fit) are Fyne's.
func everyFocusable(o fyne.CanvasObject) (out []fyne.Focusable, where []string) {
	var walk func(o fyne.CanvasObject, path string)
	walk = func(o fyne.CanvasObject, path string) {
		path += fmt.Sprintf("/%T", o)
		if f, ok := o.(fyne.Focusable); ok {
			out, where = append(out, f), append(where, path)
		}
		switch o := o.(type) {
		case *container.AppTabs:
			for _, it := range o.Items {
				walk(it.Content, path+"["+it.Text+"]")
			}
		case *widget.Form:
			for _, it := range o.Items {
				walk(it.Widget, path+"["+it.Text+"]")
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c, path)
			}
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c, path)
			}
		}
	}
	walk(o, "")
	return out, where
}

// guardKeys returns the window keys a guarded control lets through;
// false when f is not one of the guarded controls (keys.go).
func guardKeys(f fyne.Focusable) (windowKeys, bool) {
	switch f := f.(type) {
	case *guardedButton:
		return f.keys, true
	case *guardedEntry:
		return f.keys, true
	case *guardedSelectEntry:
		return f.keys, true
	case *guardedSelect:
		return f.keys, true
	case *guardedCheck:
		return f.keys, true
	case *guardedList:
		return f.keys, true
	case *tileGrid:
		return f.keys, true
	}
	return nil, false
}

// assertGuarded fails for every focusable object under o that is not a
// guarded control handing its keys to the window.
func assertGuarded(t *testing.T, view string, o fyne.CanvasObject) int {
	t.Helper()
	none := reflect.ValueOf(noKeys).Pointer()
	fs, where := everyFocusable(o)
	for i, f := range fs {
		keys, ok := guardKeys(f)
		switch {
		case !ok:
			t.Errorf("%s: %T is focusable but not guarded: F11 and Escape stop at it (%s)", view, f, where[i])
		case keys == nil || reflect.ValueOf(keys).Pointer() == none:
			t.Errorf("%s: %T is guarded without the window's keys (%s)", view, f, where[i])
		}
	}
	return len(fs)
}

// TestApp_EveryFocusableControlIsGuarded walks every view, tab and dialog
// of the window: each focusable control must be a guarded one, so that
// the window keys work whatever has the focus (the toolkit's file picker,
// behind the Browse… button of the open dialogs, is the one exception);
// and in every dialog,
// whatever has the focus, F11 does not reach the view behind and Escape
// closes the dialog.
func TestApp_EveryFocusableControlIsGuarded(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	populate(t, x)
	x.banner.Notify("a notice", PillInfo)

	views := map[string]int{}
	views["dashboard"] = assertGuarded(t, "dashboard", x.win.Content())
	x.setPresentation(true)
	views["presentation"] = assertGuarded(t, "presentation", x.win.Content())
	x.setPresentation(false)
	for _, name := range []string{"deploy", "metrics", "orders"} {
		ch, _ := x.mgr.Get(name)
		x.openDetail(x.dash.views[ch])
		views["detail "+name] = assertGuarded(t, "detail "+name, x.win.Content())
		views["transcript "+name] = assertGuarded(t, "transcript tab "+name, x.detail.tt.item.Content)
		x.closeDetail()
	}
	deploy, _ := x.mgr.Get("deploy")
	dialogs := []struct {
		name string
		open func()
	}{
		{"add", func() { x.showChannelForm(client.ChannelConfig{}, false) }},
		{"edit", func() { x.showEdit(deploy) }},
		{"paste curl", func() { x.showChannelForm(client.ChannelConfig{}, false).showPasteCurl() }},
		{"remove", func() { x.confirmRemove(deploy) }},
		{"error", func() { x.showError(errors.New("no such file")) }},
		{"info", func() { x.showInfo("Exported", "Wrote 3 rows") }},
		{"export workspace", x.exportDialog},
		{"export log", func() { x.openDetail(x.dash.views[deploy]); x.detail.exportDialog() }},
		{"alerts", x.showAlerts},
		{"import workspace", x.importDialog},
		{"open recording", x.openRecordingDialog},
		{"diagnose", func() {
			// A CA file that is not there: the examination ends at once
			// (no background run to race with the keys pressed here).
			x.showDiagnosis(client.ChannelConfig{Name: "gone", URL: "https://127.0.0.1:9/gone", CAFile: "/nonexistent/ca.pem"})
		}},
	}
	for _, dlg := range dialogs {
		t.Run(dlg.name, func(t *testing.T) {
			t.Cleanup(func() {
				for x.topDialog() != nil {
					x.topDialog().d.Hide()
				}
				x.closeDetail()
			})
			dlg.open()
			open := len(x.dialogs)
			top := x.win.Canvas().Overlays().Top()
			if open == 0 || top == nil {
				t.Fatal("no dialog open")
			}
			fs, _ := everyFocusable(top)
			views["dialog "+dlg.name] = assertGuarded(t, "dialog "+dlg.name, top)
			for _, f := range fs {
				x.win.Canvas().Focus(f)
				f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF11})
				if x.Presenting() || len(x.dialogs) != open {
					t.Fatalf("F11 on a focused %T: presenting %v, dialogs %d of %d", f, x.Presenting(), len(x.dialogs), open)
				}
			}
			if len(fs) > 0 {
				f := fs[len(fs)-1]
				x.win.Canvas().Focus(f)
				f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
				if len(x.dialogs) != open-1 {
					t.Fatalf("Escape on a focused %T left %d dialogs open, want %d", f, len(x.dialogs), open-1)
				}
			}
		})
	}
	// The walk must have seen the controls it is about, or it proves nothing.
	for _, v := range []string{"dashboard", "detail deploy", "transcript deploy", "dialog add", "dialog paste curl", "dialog remove", "dialog alerts"} {
		if views[v] < 2 {
			t.Errorf("%s: only %d focusable controls seen", v, views[v])
		}
	}
}

// detailOf returns a populated app showing the detail view of the channel
// called name.
func detailOf(t *testing.T, name string) (*App, *client.Channel) {
	t.Helper()
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	populate(t, x)
	ch, ok := x.mgr.Get(name)
	if !ok {
		t.Fatalf("no channel %q", name)
	}
	x.openDetail(x.dash.views[ch])
	return x, ch
}

// TestApp_WindowShortcutsWorkFromTextFields: a text field keeps copy,
// paste and word moves, and hands Ctrl+F and the other window shortcuts
// to the window; with a dialog open they do nothing behind it.
func TestApp_WindowShortcutsWorkFromTextFields(t *testing.T) {
	x, _ := detailOf(t, "metrics")
	ctrl := func(k fyne.KeyName) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
	}
	for _, f := range []interface {
		fyne.Focusable
		fyne.Shortcutable
	}{x.detail.watch.rule, x.detail.watch.field} {
		x.win.Canvas().Focus(f)
		f.TypedShortcut(ctrl(fyne.KeyF))
		if x.win.Canvas().Focused() != x.detail.search {
			t.Fatalf("Ctrl+F in a focused %T: focus on %T, want the log search", f, x.win.Canvas().Focused())
		}
	}
	x.win.Canvas().Focus(x.detail.search)
	x.detail.search.TypedShortcut(ctrl(fyne.KeyN))
	if len(x.dialogs) != 1 {
		t.Fatalf("Ctrl+N in a text field: %d dialogs open, want the add dialog", len(x.dialogs))
	}
	// In the add dialog: Ctrl+N and Ctrl+F stay in it.
	url := x.win.Canvas().Focused()
	sc, ok := url.(fyne.Shortcutable)
	if !ok {
		t.Fatalf("the add dialog focused %T", url)
	}
	sc.TypedShortcut(ctrl(fyne.KeyN))
	sc.TypedShortcut(ctrl(fyne.KeyF))
	if len(x.dialogs) != 1 || x.win.Canvas().Focused() != url {
		t.Fatalf("shortcuts in a dialog: %d dialogs, focus on %T; want 1 and the URL field", len(x.dialogs), x.win.Canvas().Focused())
	}
	// The field's own shortcuts stay its own.
	test.Type(url.(*guardedEntry), "http://127.0.0.1:9/x")
	sc.TypedShortcut(&fyne.ShortcutSelectAll{})
	sc.TypedShortcut(&fyne.ShortcutCopy{Clipboard: x.app.Clipboard()})
	if got := x.app.Clipboard().Content(); got != "http://127.0.0.1:9/x" {
		t.Fatalf("Ctrl+A, Ctrl+C in the URL field copied %q", got)
	}
}

// TestApp_CtrlTabSwitchesTheDetailTabs: tab bars take no focus, so
// Ctrl+Tab and Ctrl+Shift+Tab go through the detail view's tabs, from any
// control (a text field hands them on), the Transcript tab included once
// the stream has one.
func TestApp_CtrlTabSwitchesTheDetailTabs(t *testing.T) {
	x, ch := detailOf(t, "deploy")
	d := x.detail
	d.tt.tabs.Append(d.tt.item) // as when a model stream is recognised
	d.tt.tabs.SelectIndex(0)
	next := &desktop.CustomShortcut{KeyName: fyne.KeyTab, Modifier: fyne.KeyModifierControl}
	prev := &desktop.CustomShortcut{KeyName: fyne.KeyTab, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift}
	x.win.Canvas().Focus(d.search)
	var seen []string
	for range 7 {
		d.search.TypedShortcut(next)
		seen = append(seen, d.selectedTab())
	}
	if got, want := strings.Join(seen, ","), "Raw frame,Charts,Alerts,Connection,Transcript,Data,Raw frame"; got != want {
		t.Fatalf("Ctrl+Tab went through %s, want %s", got, want)
	}
	if d.tt.tabs.SelectedIndex() != 0 || !d.conn.tabs.Visible() {
		t.Fatal("an inspector tab is selected but the events and inspector are not shown")
	}
	x.win.Canvas().(fyne.Shortcutable).TypedShortcut(prev)
	x.win.Canvas().(fyne.Shortcutable).TypedShortcut(prev)
	if got := d.selectedTab(); got != "Transcript" || d.tt.tabs.Selected() != d.tt.item {
		t.Fatalf("Ctrl+Shift+Tab twice from Raw frame: %s", got)
	}
	// Behind a dialog the tabs stay.
	x.confirmRemove(ch)
	x.win.Canvas().(fyne.Shortcutable).TypedShortcut(next)
	if got := d.selectedTab(); got != "Transcript" {
		t.Fatalf("Ctrl+Tab behind a dialog switched to %s", got)
	}
}

// TestApp_MessageDialogsFitTheirText: a message dialog is as wide as its
// text on one line (up to 600) and no higher than the text wrapped to that
// width needs.
func TestApp_MessageDialogsFitTheirText(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	x.win.Resize(fyne.NewSize(1200, 800))
	short := textContent("Wrote 327 rows to /tmp/exports.jsonl")
	for _, tc := range []struct {
		name string
		open func()
		maxH float32
	}{
		{"short", func() { x.showInfo("Exported", "Wrote 327 rows to /tmp/exports.jsonl") }, 2.2*short.MinSize().Height + 100},
		{"long", func() { x.showError(errors.New(strings.Repeat("a long reason ", 30))) }, 6*short.MinSize().Height + 100},
		{"confirm", func() { x.showConfirm("Remove", "Remove the channel deploy?", func() {}) }, 2.2*short.MinSize().Height + 100},
	} {
		tc.open()
		top := x.win.Canvas().Overlays().Top().(*widget.PopUp)
		sz := top.Content.Size()
		if sz.Width > 600 || sz.Height > tc.maxH {
			t.Errorf("%s: dialog %v, want at most 600 wide and %v high", tc.name, sz, tc.maxH)
		}
		x.topDialog().d.Hide()
	}
}

// TestGuardedSelectEntry_DropDownStillOpens: the guarded field picker's
// drop-down button (replaced by a guarded one) still lists the options,
// and picking one fills the field.
func TestGuardedSelectEntry_DropDownStillOpens(t *testing.T) {
	test.NewTempApp(t)
	e := newGuardedSelectEntry(noKeys, []string{"cpu", "memory_mb"})
	w := test.NewTempWindow(t, e)
	w.Resize(fyne.NewSize(300, 200))
	b, ok := e.ActionItem.(*guardedButton)
	if !ok {
		t.Fatalf("drop-down button is a %T", e.ActionItem)
	}
	test.Tap(b)
	menu := w.Canvas().Overlays().Top()
	if menu == nil {
		t.Fatal("the drop-down did not open")
	}
	txt, ok := find(menu, func(t *canvas.Text) bool { return t.Text == "memory_mb" })
	if !ok {
		t.Fatal("no memory_mb in the drop-down")
	}
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(txt)
	test.TapCanvas(w.Canvas(), at.Add(fyne.NewPos(2, 2)))
	if e.Text != "memory_mb" {
		t.Fatalf("picked memory_mb, field says %q", e.Text)
	}
}

// TestApp_WindowKeysWorkOnEveryDetailTab: on each tab of the detail view
// (Transcript included), every control on screen hands Escape to the
// window: with a message open over the view, Escape on any of them closes
// the message, and the view stays as it was.
func TestApp_WindowKeysWorkOnEveryDetailTab(t *testing.T) {
	x, _ := detailOf(t, "metrics")
	d := x.detail
	d.tt.tabs.Append(d.tt.item) // as when a model stream is recognised
	d.tt.panel.OnRunAgain = func() {}
	stops, _ := d.tabStops()
	for range stops {
		d.cycleTab(1)
		tab := d.selectedTab()
		fs := focusables(x.win.Content())
		if len(fs) < 4 {
			t.Fatalf("%s tab: only %d controls on screen", tab, len(fs))
		}
		for _, f := range fs {
			x.showInfo("Note", "a message over the view")
			x.win.Canvas().Focus(f)
			f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
			if x.topDialog() != nil || x.detail != d || d.selectedTab() != tab {
				t.Fatalf("%s tab: Escape on a focused %T: dialog open %v, view kept %v", tab, f, x.topDialog() != nil, x.detail == d && d.selectedTab() == tab)
			}
		}
	}
}
