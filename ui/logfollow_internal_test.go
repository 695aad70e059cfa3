package ui

import (
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
)

// burstDetail opens the detail view of a channel fed by the test, on a
// window refreshed at 40 Hz (--refresh 25ms), and counts the rows the list
// redraws.
type burstDetail struct {
	x     *App
	clk   *clock.Fake
	ch    *client.Channel
	d     *detailView
	id    int
	drawn int // rows the list (re)drew, all causes
}

func newBurstDetail(t *testing.T) *burstDetail {
	t.Helper()
	x, clk := newTestApp(t, Options{NoWorkspace: true, TickInterval: 25 * time.Millisecond})
	b := &burstDetail{x: x, clk: clk, ch: pausedChannel(t, x, "firehose")}
	b.feed(60)
	x.bridge.Tick()
	x.openDetail(x.dash.views[b.ch])
	b.d = x.detail
	update := b.d.list.UpdateItem
	b.d.list.UpdateItem = func(id widget.ListItemID, o fyne.CanvasObject) {
		b.drawn++
		update(id, o)
	}
	b.tick() // the first tick lays the list out and takes the newest in view
	return b
}

// feed logs n events.
func (b *burstDetail) feed(n int) {
	for range n {
		b.id++
		b.ch.HandleFrame(event(b.id, "tick", "n"+strconv.Itoa(b.id)), b.clk.Now())
	}
}

// tick moves the clock by one refresh interval and runs a tick.
func (b *burstDetail) tick() {
	b.clk.Advance(25 * time.Millisecond)
	b.x.bridge.Tick()
}

// settle runs the ticks of one logInterval and one more.
func (b *burstDetail) settle() {
	for range int(logInterval/(25*time.Millisecond)) + 1 {
		b.tick()
	}
}

// newest is the id of the newest record the log shows.
func (b *burstDetail) newest() string { return b.d.log.At(b.d.log.Len() - 1).ID }

// visible returns the ids of the records the list's rows on screen show,
// top first.
func (b *burstDetail) visible(t *testing.T) []string {
	t.Helper()
	drv := fyne.CurrentApp().Driver()
	top := drv.AbsolutePositionForObject(b.d.list).Y
	bottom := top + b.d.list.Size().Height
	type shown struct {
		y  float32
		id string
	}
	var rows []shown
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch w := o.(type) {
		case *LogRow:
			y := drv.AbsolutePositionForObject(w).Y
			if y+w.Size().Height > top && y < bottom {
				rows = append(rows, shown{y, w.Record().ID})
			}
			return
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(b.d.list)
	sort.Slice(rows, func(i, j int) bool { return rows[i].y < rows[j].y })
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	if len(ids) == 0 {
		t.Fatal("no log row on screen")
	}
	return ids
}

// At 1 000 events/s and a 40 Hz window, the following log is redrawn a few
// times a second, every record coming in between drawn together, the
// header's message in the same frames, and the newest record is in view
// after each redraw.
func TestDetailLog_FollowsABurstAtAHumanRate(t *testing.T) {
	b := newBurstDetail(t)
	if !b.d.autoscroll || b.d.held() {
		t.Fatal("a new detail view does not follow its stream")
	}
	b.drawn = 0
	redraws, moved, apart := 0, 0, 0
	for range 40 { // one second
		b.feed(25)
		before, msg := b.drawn, b.d.message.Text
		b.tick()
		drawn := b.drawn > before
		if drawn {
			redraws++
		}
		if b.d.message.Text != msg {
			moved++
			if !drawn {
				apart++
			}
		}
	}
	want := int(time.Second / logInterval)
	if redraws < want-1 || redraws > want+1 {
		t.Errorf("the log was redrawn at %d of 40 ticks in one second of a burst, want %d (every %v)", redraws, want, logInterval)
	}
	if moved == 0 || moved > want+1 || apart > 0 {
		t.Errorf("the header's message changed at %d ticks, %d of them without the log: want about %d, all with the log", moved, apart, want)
	}
	// What came after the last redraw is drawn within logInterval.
	b.settle()
	if want := strconv.Itoa(b.id); b.newest() != want {
		t.Fatalf("after the burst the log's newest is %s, want %s", b.newest(), want)
	}
	if v := b.visible(t); len(v) == 0 || v[len(v)-1] != b.newest() {
		t.Errorf("the newest record %s is not in view: rows %v", b.newest(), v)
	}
}

// Scrolling back holds the log still: the rows in view do not change while
// events pour in, nothing is redrawn, a pill counts what waits; scrolling
// to the end follows the stream again. The scroll itself is drawn at once,
// not at the next tick.
func TestDetailLog_ScrollingBackHoldsScrollingToTheEndFollows(t *testing.T) {
	b := newBurstDetail(t)
	c := b.x.win.Canvas()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(b.d.list).Add(fyne.NewPos(40, 40))
	bottom := b.visible(t)
	drv := fyne.CurrentApp().Driver()
	b.x.win.Content().Refresh() // lays the window out as a frame would
	searchSize, checkAt := b.d.search.Size(), drv.AbsolutePositionForObject(b.d.autoCheck)

	test.Scroll(c, pos, 0, 200) // the wheel, up
	up := b.visible(t)
	if len(up) == 0 || up[0] == bottom[0] {
		t.Fatalf("a scroll up by 200 moved the rows in view from %v to %v", bottom, up)
	}
	b.drawn = 0
	for range 40 {
		b.feed(25)
		b.tick()
	}
	if b.d.autoscroll || !b.d.held() {
		t.Fatal("scrolling back did not stop the log following its stream")
	}
	if got := b.visible(t); !slices.Equal(got, up) {
		t.Fatalf("while held, the rows in view changed from %v to %v", up, got)
	}
	if b.drawn != 0 {
		t.Errorf("while held, the list redrew %d rows", b.drawn)
	}
	if want := formatCount(1000) + " waiting"; b.d.waiting.Text != want {
		t.Errorf("waiting pill %q, want %q", b.d.waiting.Text, want)
	}
	b.x.win.Content().Refresh()
	if s, c := b.d.search.Size(), drv.AbsolutePositionForObject(b.d.autoCheck); s != searchSize || c != checkAt {
		t.Errorf("the waiting count moved the filter bar: search field %v → %v, Auto-scroll at %v → %v", searchSize, s, checkAt, c)
	}

	test.Scroll(c, pos, 0, -1e6) // back to the end
	b.tick()
	if !b.d.autoscroll || b.d.held() || b.d.waiting.Text != "" {
		t.Fatalf("scrolling to the end: autoscroll %v, waiting %q; want following, none waiting", b.d.autoscroll, b.d.waiting.Text)
	}
	if want := strconv.Itoa(b.id); b.newest() != want {
		t.Fatalf("following again, the log's newest is %s, want %s", b.newest(), want)
	}
	if v := b.visible(t); v[len(v)-1] != b.newest() {
		t.Errorf("following again, the newest record %s is not in view: rows %v", b.newest(), v)
	}
}

// Selecting a row holds the log (the row stays where it was picked); a
// new size of the list does not count as the user's scrolling.
func TestDetailLog_SelectingHoldsResizingFollows(t *testing.T) {
	b := newBurstDetail(t)
	b.x.win.Resize(fyne.NewSize(1100, 640))
	b.feed(10)
	b.settle()
	if b.d.held() {
		t.Fatal("a smaller window made the log hold still")
	}
	if v := b.visible(t); v[len(v)-1] != b.newest() || b.newest() != strconv.Itoa(b.id) {
		t.Fatalf("after a resize the newest record %s is not in view: rows %v", b.newest(), v)
	}
	v := b.visible(t)
	picked := v[len(v)/2]
	b.d.list.Select(b.d.log.index(b.d.log.At(b.d.log.Len() - len(v) + len(v)/2).Seq))
	if b.d.selRec.ID != picked || !b.d.held() {
		t.Fatalf("selected %q (held %v), want %q and the log held", b.d.selRec.ID, b.d.held(), picked)
	}
	b.feed(100)
	b.settle()
	if got := b.visible(t); !slices.Equal(got, v) {
		t.Fatalf("with a row selected the rows in view moved from %v to %v", v, got)
	}
}

// Behind the Transcript tab the log is not redrawn; back on the Events
// tab it shows what came at the next tick.
func TestDetailLog_NotRedrawnBehindAnotherTab(t *testing.T) {
	b := newBurstDetail(t)
	b.d.showTranscript()
	b.drawn = 0
	before := b.newest()
	for range 40 {
		b.feed(25)
		b.tick()
	}
	if b.drawn != 0 || b.newest() != before {
		t.Errorf("behind the Transcript tab the log took records up to %s (was %s) and redrew %d rows", b.newest(), before, b.drawn)
	}
	b.d.tt.tabs.SelectIndex(0)
	b.tick()
	if want := strconv.Itoa(b.id); b.newest() != want {
		t.Fatalf("back on the Events tab the log's newest is %s, want %s", b.newest(), want)
	}
	if v := b.visible(t); v[len(v)-1] != b.newest() {
		t.Errorf("the newest record %s is not in view: rows %v", b.newest(), v)
	}
}

// A detail view opened at start (--show) follows its stream.
func TestDetailLog_ShownAtStartFollows(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true, URLs: []string{"http://127.0.0.1:9/jobs"}, Show: "jobs"})
	if x.detail == nil || !x.detail.autoscroll || x.detail.held() {
		t.Fatalf("--show jobs: detail view %v", x.detail != nil)
	}
}

// While a detail view is open the dashboard's tiles are out of view: they
// are left alone (no frame is drawn for them), and are up to date as soon
// as the dashboard shows again.
func TestApp_DetailViewLeavesTheTilesAlone(t *testing.T) {
	x, clk := newTestApp(t, Options{NoWorkspace: true})
	alpha, beta := pausedChannel(t, x, "alpha"), pausedChannel(t, x, "beta")
	alpha.HandleFrame(event(1, "", "before"), clk.Now())
	x.bridge.Tick()
	tile := func() *Tile { return tileOf(t, x, alpha) }
	if d := tile().Data(); d.Message != "before" {
		t.Fatalf("tile says %q", d.Message)
	}
	x.openDetail(x.dash.views[beta])
	alpha.HandleFrame(event(2, "", "while away"), clk.Now())
	alpha.HandleStatus(client.Status{State: client.Open, Since: clk.Now(), Attempt: 1})
	for range 3 {
		clk.Advance(time.Second)
		x.bridge.Tick()
	}
	if d := tile().Data(); d.Message != "before" || d.State != client.Paused {
		t.Fatalf("with the detail view open the tile changed to %q / %v", d.Message, d.State)
	}
	x.closeDetail()
	if d := tile().Data(); d.Message != "while away" || d.State != client.Open {
		t.Fatalf("back on the dashboard the tile says %q / %v", d.Message, d.State)
	}
}

// tileOf returns the tile bound to ch on x's dashboard.
func tileOf(t *testing.T, x *App, ch *client.Channel) *Tile {
	t.Helper()
	for tile, v := range x.dash.bound {
		if v.ch == ch {
			return tile
		}
	}
	t.Fatalf("no tile for %s", ch.Name())
	return nil
}
