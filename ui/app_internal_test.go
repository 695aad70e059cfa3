package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
)

// newTestApp builds the whole window on Fyne's test driver with a fake
// clock and a hand-driven bridge.
func newTestApp(t testing.TB, opts Options) (*App, *clock.Fake) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	clk := clock.NewFake(testEpoch)
	opts.Clock, opts.ManualTick = clk, true
	x, err := New(a, w, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(x.Close)
	w.Resize(fyne.NewSize(1100, 720))
	return x, clk
}

// pausedChannel adds a channel that never connects and waits until it is
// paused, so that the test can feed it frames.
func pausedChannel(t testing.TB, x *App, name string) *client.Channel {
	t.Helper()
	return addPaused(t, x.mgr, name, "")
}

// addPaused adds a channel of group to m that never connects (paused, a
// closed port) and waits until its stream has settled in its paused state,
// so that the test can feed it as a stream would.
func addPaused(t testing.TB, m *client.Manager, name, group string) *client.Channel {
	t.Helper()
	ch, err := m.Add(client.ChannelConfig{Name: name, Group: group, URL: "http://127.0.0.1:9/" + name, Paused: true})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for ch.Status().State != client.Paused {
		select {
		case <-ch.Changed():
		case <-deadline:
			t.Fatalf("channel %s never paused: %v", name, ch.Status().State)
		}
	}
	return ch
}

func TestApp_AddDialogValidation(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	pausedChannel(t, x, "orders")
	for _, tc := range []struct {
		name, url, chName, stall string
		wantErr                  string
	}{
		{"empty url", "", "", "", "enter the stream's URL"},
		{"no scheme", "127.0.0.1:8080/x", "", "", "scheme"},
		{"bad scheme", "ftp://127.0.0.1/x", "", "", `scheme "ftp" is not supported`},
		{"taken name", "http://127.0.0.1:9/a", "orders", "", `another channel is called "orders"`},
		{"bad stall", "http://127.0.0.1:9/a", "", "soon", "Stall timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := x.showChannelForm(client.ChannelConfig{}, false)
			t.Cleanup(f.close)
			test.Type(f.url, tc.url)
			test.Type(f.name, tc.chName)
			test.Type(f.stall, tc.stall)
			test.Tap(f.save)
			if !strings.Contains(f.status.Text, tc.wantErr) {
				t.Fatalf("status = %q, want it to mention %q", f.status.Text, tc.wantErr)
			}
			if len(x.mgr.Channels()) != 1 {
				t.Fatalf("a channel was added despite the error")
			}
		})
	}

	t.Run("valid", func(t *testing.T) {
		f := x.showChannelForm(client.ChannelConfig{}, false)
		test.Type(f.url, "http://127.0.0.1:9/api/stream/deploy")
		test.Type(f.group, "ci")
		test.Tap(f.save)
		ch, ok := x.mgr.Get("deploy")
		if !ok {
			t.Fatalf("no channel named after the URL; status %q", f.status.Text)
		}
		if ch.Config().Group != "ci" {
			t.Fatalf("group = %q, want ci", ch.Config().Group)
		}
	})
}

func TestApp_PresentationToggle(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	if x.Presenting() || !x.toolbar.Visible() {
		t.Fatal("starts in presentation mode")
	}
	x.typedKey(&fyne.KeyEvent{Name: fyne.KeyF11})
	if !x.Presenting() || x.toolbar.Visible() || !x.win.FullScreen() {
		t.Fatalf("after F11: presenting=%v toolbar=%v fullscreen=%v", x.Presenting(), x.toolbar.Visible(), x.win.FullScreen())
	}
	if _, ok := x.dashOver.Theme.(scaledTheme); !ok {
		t.Fatal("presentation mode does not enlarge the dashboard")
	}
	x.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if x.Presenting() || !x.toolbar.Visible() || x.win.FullScreen() {
		t.Fatal("Escape did not leave presentation mode")
	}
}

func TestApp_DetailFilterPauseAndExport(t *testing.T) {
	x, clk := newTestApp(t, Options{NoWorkspace: true})
	ch := pausedChannel(t, x, "jobs")
	feed := func(id int, typ, data string) {
		clk.Advance(100 * time.Millisecond)
		ch.HandleFrame(event(id, typ, data), clk.Now())
	}
	feed(1, "progress", `{"progress":10}`)
	feed(2, "log", "disk almost full")
	feed(3, "progress", `{"progress":20}`)
	x.bridge.Tick()
	x.openDetail(x.dash.views[ch])
	d := x.detail
	// The log holds the "paused" state line and the three events.
	if x.DetailChannel() != "jobs" || d.list.Length() != 4 {
		t.Fatalf("detail of %q shows %d rows, want jobs with 4", x.DetailChannel(), d.list.Length())
	}

	// Filter by type, then search text.
	d.types.SetSelected("progress")
	if d.list.Length() != 2 {
		t.Fatalf("type filter progress: %d rows, want 2", d.list.Length())
	}
	d.types.SetSelected(allTypes)
	test.Type(d.search, "DISK")
	if d.list.Length() != 1 || d.log.At(0).Type != "log" {
		t.Fatalf("search DISK: %d rows", d.list.Length())
	}
	d.search.SetText("")

	// Pause the display: ingestion goes on, a counter shows what waits.
	x.typedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	feed(4, "progress", `{"progress":30}`)
	feed(5, "progress", `{"progress":40}`)
	x.bridge.Tick()
	if d.list.Length() != 4 || d.waiting.Text != "2 waiting" {
		t.Fatalf("paused: %d rows, counter %q; want 4 rows and \"2 waiting\"", d.list.Length(), d.waiting.Text)
	}
	x.typedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	if d.list.Length() != 6 || d.waiting.Text != "" {
		t.Fatalf("resumed: %d rows, counter %q; want 6 rows, no counter", d.list.Length(), d.waiting.Text)
	}

	// Selecting a record shows it pretty-printed and as a frame.
	d.list.Select(5)
	if !strings.Contains(d.pretty.Text, `"progress": 40`) || !strings.Contains(d.raw.Text, "id: 5\nevent: progress\ndata: {\"progress\":40}\n") {
		t.Fatalf("inspector shows %q / %q", d.pretty.Text, d.raw.Text)
	}

	var jsonl, csv bytes.Buffer
	if err := d.export(&jsonl, ".jsonl"); err != nil {
		t.Fatal(err)
	}
	if err := d.export(&csv, ".csv"); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(jsonl.String(), "\n"); n != 6 || !strings.Contains(jsonl.String(), `"data":"disk almost full"`) {
		t.Fatalf("JSONL export has %d lines:\n%s", n, jsonl.String())
	}
	if n := strings.Count(csv.String(), "\n"); n != 7 || !strings.HasPrefix(csv.String(), "seq,at,kind,id,type,data") {
		t.Fatalf("CSV export has %d lines:\n%s", n, csv.String())
	}

	x.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if x.DetailChannel() != "" {
		t.Fatal("Escape did not return to the dashboard")
	}
}

func TestApp_WorkspacePersistsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ws.json")
	x, _ := newTestApp(t, Options{Workspace: path})
	f := x.showChannelForm(client.ChannelConfig{}, false)
	test.Type(f.url, "http://127.0.0.1:9/api/stream/metrics")
	test.Type(f.name, "metrics")
	test.Tap(f.save)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("workspace not saved after adding a channel: %v", err)
	}
	x.Close()

	y, _ := newTestApp(t, Options{Workspace: path})
	if _, ok := y.mgr.Get("metrics"); !ok {
		t.Fatalf("the restarted app did not load the channel; it has %d", len(y.mgr.Channels()))
	}
}

func TestApp_BrokenWorkspaceIsKeptAndReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ws.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"channels":[{"name":"a",`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	x, err := New(a, w, Options{Workspace: path, ManualTick: true, Clock: clock.NewFake(testEpoch)})
	t.Cleanup(x.Close)
	if err == nil || !strings.Contains(x.banner.Text(), "will not be saved") {
		t.Fatalf("err = %v, banner %q: want the broken file reported", err, x.banner.Text())
	}
	x.Close()
	if b, _ := os.ReadFile(path); string(b) != `{"version":1,"channels":[{"name":"a",` {
		t.Fatal("the broken workspace file was overwritten")
	}
}

func TestApp_KeyboardShortcuts(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	sc, ok := x.win.Canvas().(fyne.Shortcutable)
	if !ok {
		t.Skip("the test canvas does not take shortcuts")
	}
	ctrl := func(k fyne.KeyName) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
	}
	// Ctrl+F on the dashboard focuses the channel filter.
	sc.TypedShortcut(ctrl(fyne.KeyF))
	if x.win.Canvas().Focused() != x.search {
		t.Fatal("Ctrl+F did not focus the dashboard filter")
	}
	x.win.Canvas().Unfocus()
	// Ctrl+N opens the add dialog: its URL entry takes the focus.
	sc.TypedShortcut(ctrl(fyne.KeyN))
	e, ok := x.win.Canvas().Focused().(*guardedEntry)
	if !ok || e.PlaceHolder != "http://127.0.0.1:8080/api/stream/deploy" {
		t.Fatalf("Ctrl+N: focus on %T, want the add dialog's URL field", x.win.Canvas().Focused())
	}
	// Escape in the dialog's field cancels the dialog, and nothing else.
	test.Type(e, "http://x")
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if x.topDialog() != nil || len(x.mgr.Channels()) != 0 {
		t.Fatalf("Escape left the add dialog open (%v) or added a channel", x.topDialog() != nil)
	}
	// Space on the dashboard pauses every stream, and again resumes them.
	ch := pausedChannel(t, x, "orders")
	x.win.Canvas().Unfocus()
	x.typedKey(&fyne.KeyEvent{Name: fyne.KeySpace}) // all paused: resume
	deadline := time.After(10 * time.Second)
	for ch.Status().State == client.Paused {
		select {
		case <-ch.Changed():
		case <-deadline:
			t.Fatal("Space did not resume the paused stream")
		}
	}
}

func TestApp_HiddenWindowUpdatesNoWidget(t *testing.T) {
	var hidden atomic.Bool
	x, clk := newTestApp(t, Options{Visible: func(fyne.Window) bool { return !hidden.Load() }})
	ch := pausedChannel(t, x, "alpha")
	ch.HandleStatus(client.Status{State: client.Open, Since: clk.Now(), Attempt: 1})
	ch.HandleFrame(event(1, "", "before"), clk.Now())
	x.bridge.Tick()
	tile := func() *Tile { return tileOf(t, x, ch) }
	if d := tile().Data(); d.Message != "before" || d.State != client.Open {
		t.Fatalf("shown window: tile %q / %v", d.Message, d.State)
	}

	hidden.Store(true)
	clk.Advance(time.Second)
	ch.HandleFrame(event(2, "", "while hidden"), clk.Now())
	ch.HandleStatus(client.Status{State: client.Retrying, Since: clk.Now(), Attempt: 2, NextAttempt: clk.Now().Add(5 * time.Second)})
	for range 3 {
		clk.Advance(time.Second)
		x.bridge.Tick()
	}
	if d := tile().Data(); d.Message != "before" || d.State != client.Open {
		t.Fatalf("hidden window: tile changed to %q / %v", d.Message, d.State)
	}
	if got := ch.Snapshot().Stats.Events; got != 2 {
		t.Fatalf("the engine recorded %d events while hidden, want 2", got)
	}

	// Shown again: the next tick brings everything on screen up to date,
	// although nothing changed since the last hidden tick.
	hidden.Store(false)
	clk.Advance(time.Second)
	x.bridge.Tick()
	if d := tile().Data(); d.Message != "while hidden" || d.State != client.Retrying {
		t.Fatalf("shown again: tile %q / %v", d.Message, d.State)
	}
}
