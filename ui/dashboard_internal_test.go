package ui

import (
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
)

var testEpoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeSource is a Source whose channels are fed by the test: they belong
// to a manager that never connects (every channel is paused), and the test
// calls HandleFrame and HandleStatus as a stream would.
type fakeSource struct {
	m       *client.Manager
	mu      sync.Mutex
	version uint64
	chans   []*client.Channel
}

func newFakeSource(t testing.TB, clk clock.Clock) *fakeSource {
	m := client.NewManager(client.ManagerConfig{Clock: clk})
	t.Cleanup(func() { m.Close() })
	return &fakeSource{m: m}
}

func (f *fakeSource) add(t testing.TB, name, group string) *client.Channel {
	t.Helper()
	ch := addPaused(t, f.m, name, group)
	f.mu.Lock()
	f.chans = append(f.chans, ch)
	f.version++
	f.mu.Unlock()
	return ch
}

func (f *fakeSource) Version() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version
}

func (f *fakeSource) Channels() []*client.Channel {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*client.Channel(nil), f.chans...)
}

func event(id int, typ, data string) client.Frame {
	return client.Frame{Kind: client.FrameEvent, Event: client.Event{ID: strconv.Itoa(id), Type: typ, Data: data}, Size: len(data) + 10}
}

// harness is a dashboard fed by a fake source through a bridge driven by
// hand on the test goroutine (the test driver runs fyne.Do inline).
type harness struct {
	clk    *clock.Fake
	src    *fakeSource
	dash   *dashboard
	bridge *Bridge
	opened []*chanView
	win    fyne.Window
}

func newHarness(t *testing.T) *harness {
	test.NewTempApp(t)
	h := &harness{clk: clock.NewFake(testEpoch)}
	h.src = newFakeSource(t, h.clk)
	h.dash = newDashboard(h.clk.Now, func(v *chanView) { h.opened = append(h.opened, v) }, container.NewStack())
	p := newPoller(h.src, func(c *change) { h.dash.apply(c) })
	h.bridge = NewBridge(BridgeConfig{Clock: h.clk}, p.poll)
	t.Cleanup(h.bridge.Close)
	h.win = test.NewTempWindow(t, h.dash.body)
	h.win.Resize(fyne.NewSize(1000, 700))
	return h
}

// tile returns the visible tile bound to the channel called name.
func (h *harness) tile(t *testing.T, name string) *Tile {
	t.Helper()
	for tile, v := range h.dash.bound {
		if v.ch.Name() == name {
			return tile
		}
	}
	t.Fatalf("no visible tile for %q", name)
	return nil
}

func TestDashboard_BridgeRefreshesOnlyChangedChannels(t *testing.T) {
	h := newHarness(t)
	a := h.src.add(t, "alpha", "ops")
	b := h.src.add(t, "beta", "")
	a.HandleStatus(client.Status{State: client.Open, Since: testEpoch, Attempt: 1})
	b.HandleStatus(client.Status{State: client.Retrying, Since: testEpoch, Attempt: 3, NextAttempt: testEpoch.Add(4 * time.Second)})

	h.bridge.Tick()
	if got := len(h.dash.items); got != 2 {
		t.Fatalf("dashboard shows %d channels, want 2", got)
	}
	if d := h.tile(t, "alpha").Data(); d.State != client.Open || d.Group != "ops" || d.LastEvent != "no events yet" {
		t.Fatalf("alpha tile = %+v", d)
	}
	if d := h.tile(t, "beta").Data(); d.StateText != "retrying in 4 s (attempt 3)" {
		t.Fatalf("beta badge says %q, want the retry countdown", d.StateText)
	}

	// Nothing changed, same second: the tick hands nothing to the UI.
	before := h.bridge.Stats().Applied
	h.bridge.Tick()
	if h.bridge.Stats().Applied != before {
		t.Fatal("an unchanged tick reached the UI")
	}

	// An event on alpha: only alpha's view is re-read.
	h.clk.Advance(10 * time.Millisecond)
	a.HandleFrame(event(1, "progress", `{"progress":40,"message":"copying"}`), h.clk.Now())
	bView := h.dash.views[b]
	bSnap := bView.snap.Version
	h.bridge.Tick()
	d := h.tile(t, "alpha").Data()
	if d.Message != "copying" || !d.HasProgress || d.Percent != 40 {
		t.Fatalf("alpha after an event = %+v, want message and progress", d)
	}
	if bView.snap.Version != bSnap {
		t.Fatal("beta was re-read although it did not change")
	}

	// A second later, ages and countdowns move without any event.
	h.clk.Advance(2 * time.Second)
	h.bridge.Tick()
	if got := h.tile(t, "alpha").Data().LastEvent; got != "last event 2 s ago" {
		t.Fatalf("alpha age = %q, want %q", got, "last event 2 s ago")
	}
	if got := h.tile(t, "beta").Data().StateText; got != "retrying in 2 s (attempt 3)" {
		t.Fatalf("beta countdown = %q, want %q", got, "retrying in 2 s (attempt 3)")
	}
}

func TestDashboard_GroupFilterQueryAndOpen(t *testing.T) {
	h := newHarness(t)
	h.src.add(t, "orders", "shop")
	h.src.add(t, "payments", "shop")
	h.src.add(t, "builds", "ci")
	h.bridge.Tick()
	if got := h.dash.groups.Options; len(got) != 3 || got[1] != "shop" || got[2] != "ci" {
		t.Fatalf("group options = %v", got)
	}
	h.dash.groups.SetSelected("ci")
	if len(h.dash.items) != 1 || h.dash.items[0].ch.Name() != "builds" {
		t.Fatalf("group ci shows %d items", len(h.dash.items))
	}
	h.dash.groups.SetSelected(allGroups)
	h.dash.setQuery("PAY")
	if len(h.dash.items) != 1 || h.dash.items[0].ch.Name() != "payments" {
		t.Fatalf("query PAY shows %d items", len(h.dash.items))
	}
	h.dash.setQuery("")
	if len(h.dash.items) != 3 {
		t.Fatalf("cleared query shows %d items, want 3", len(h.dash.items))
	}
	test.Tap(h.tile(t, "orders"))
	if len(h.opened) != 1 || h.opened[0].ch.Name() != "orders" {
		t.Fatalf("tapping the orders tile opened %v", h.opened)
	}
	if got := h.dash.summary.Text; got != "3 channels · 3 paused" {
		t.Fatalf("summary = %q", got)
	}
}

func TestDashboard_TickCostsNoAllocationsWhenIdle(t *testing.T) {
	h := newHarness(t)
	for i := range 20 {
		h.src.add(t, "ch"+strconv.Itoa(i), "")
	}
	h.bridge.Tick()
	// The count is process-wide (a runtime or test goroutine may allocate
	// meanwhile): take the least of five measurements.
	allocs := math.Inf(1)
	for range 5 {
		allocs = min(allocs, testing.AllocsPerRun(100, h.bridge.Tick))
	}
	if allocs != 0 {
		t.Fatalf("an idle tick allocates %.1f times, want 0", allocs)
	}
}

func TestDashboard_HeartbeatsShowLiveness(t *testing.T) {
	h := newHarness(t)
	q := h.src.add(t, "quiet", "")
	q.HandleStatus(client.Status{State: client.Open, Since: testEpoch})
	h.clk.Advance(time.Second)
	q.HandleFrame(client.Frame{Kind: client.FrameComment, Comment: "heartbeat", Size: 12}, h.clk.Now())
	h.clk.Advance(3 * time.Second)
	h.bridge.Tick()
	if got := h.tile(t, "quiet").Data().LastEvent; got != "no events yet · heartbeat < 30 s ago" {
		t.Fatalf("quiet tile says %q", got)
	}
	// While heartbeats keep coming the text stays put (nothing to redraw).
	before := h.bridge.Stats().Applied
	h.clk.Advance(10 * time.Second)
	q.HandleFrame(client.Frame{Kind: client.FrameComment, Comment: "heartbeat", Size: 12}, h.clk.Now())
	h.bridge.Tick()
	if got := h.tile(t, "quiet").Data().LastEvent; got != "no events yet · heartbeat < 30 s ago" || h.bridge.Stats().Applied != before+1 {
		t.Fatalf("after another heartbeat: %q", got)
	}
	h.clk.Advance(recentBeat + time.Minute)
	h.bridge.Tick()
	if got := h.tile(t, "quiet").Data().LastEvent; got != "no events yet · heartbeat 1 min ago" {
		t.Fatalf("silent quiet tile says %q", got)
	}
}

func TestDashboard_TilesStretchToFillTheWidth(t *testing.T) {
	h := newHarness(t)
	for _, n := range []string{"a", "b", "c", "d"} {
		h.src.add(t, n, "")
	}
	h.bridge.Tick()
	for _, width := range []float32{1000, 1237, 700} {
		h.win.Resize(fyne.NewSize(width, 700))
		size := h.dash.grid.Size()
		cols := h.dash.grid.ColumnCount()
		pad := h.dash.grid.Theme().Size("padding")
		tile := h.tile(t, "a")
		used := float32(cols)*tile.Size().Width + float32(cols-1)*pad
		if cols < 1 || size.Width-used > float32(cols)+1 || used > size.Width {
			t.Fatalf("width %v: %d columns of %v use %v of %v", width, cols, tile.Size().Width, used, size.Width)
		}
	}
}

func TestDashboard_ValuesRedrawOnceASecondStatesAtOnce(t *testing.T) {
	h := newHarness(t)
	a := h.src.add(t, "alpha", "")
	a.HandleStatus(client.Status{State: client.Open, Since: testEpoch, Attempt: 1})
	a.HandleFrame(event(1, "", "first"), testEpoch)
	h.bridge.Tick()
	h.clk.Advance(2 * time.Second) // past the state's hold (stateHold)
	h.bridge.Tick()                // 12:00:02.000, a new second: everything shows
	if d := h.tile(t, "alpha").Data(); d.Message != "first" || d.State != client.Open {
		t.Fatalf("first tick shows %q / %v", d.Message, d.State)
	}

	// Between seconds a new value waits: no redraw for it.
	h.clk.Advance(250 * time.Millisecond)
	a.HandleFrame(event(2, "", "second"), h.clk.Now())
	h.bridge.Tick()
	if got := h.tile(t, "alpha").Data().Message; got != "first" {
		t.Fatalf("a value redrew between seconds: message %q", got)
	}

	// A new state shows at once, with the values of that moment.
	h.clk.Advance(250 * time.Millisecond)
	a.HandleStatus(client.Status{State: client.Retrying, Since: h.clk.Now(), Attempt: 2, NextAttempt: h.clk.Now().Add(3 * time.Second)})
	h.bridge.Tick()
	if d := h.tile(t, "alpha").Data(); d.State != client.Retrying {
		t.Fatalf("a state change waited for the second: %v", d.State)
	}

	// The next second brings every value.
	h.clk.Advance(250 * time.Millisecond)
	a.HandleStatus(client.Status{State: client.Open, Since: h.clk.Now(), Attempt: 2})
	a.HandleFrame(event(3, "", "third"), h.clk.Now())
	h.clk.Advance(250 * time.Millisecond) // 12:00:03.000
	h.bridge.Tick()
	if d := h.tile(t, "alpha").Data(); d.Message != "third" {
		t.Fatalf("the second's tick shows %q, want the newest message", d.Message)
	}
}
