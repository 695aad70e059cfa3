package ui

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// allGroups is the group selector's entry that shows every channel.
const allGroups = "All groups"

// dashboard is the grid of channel tiles. It lives on the UI goroutine.
type dashboard struct {
	now    func() time.Time
	onOpen func(*chanView)
	// onMenu opens a tile's menu (right click) at a position in tile t.
	onMenu func(v *chanView, t *Tile, at fyne.Position)

	views map[*client.Channel]*chanView
	order []*chanView // every channel, in the manager's order
	items []*chanView // the ones shown (group filter applied)
	bound map[*Tile]*chanView
	group string
	query string

	grid *tileGrid
	// tileWidth is the width tiles are stretched to, so that the columns
	// fill the dashboard.
	tileWidth float32
	groups    *guardedSelect
	summary   *widget.Label
	empty     fyne.CanvasObject
	// noMatch says that a filter hides every channel.
	noMatch  *widget.Label
	body     *fyne.Container
	lastSumm string
	// hidden skips the tiles while the wall screen or a detail view shows
	// instead.
	hidden bool
	// paused skips every tile while the window cannot be seen.
	paused bool
}

func newDashboard(now func() time.Time, onOpen func(*chanView), emptyHint fyne.CanvasObject) *dashboard {
	d := &dashboard{
		now:    now,
		onOpen: onOpen,
		views:  make(map[*client.Channel]*chanView),
		bound:  make(map[*Tile]*chanView),
		empty:  emptyHint,
	}
	d.grid = &tileGrid{d: d, keys: noKeys, ids: make(map[*Tile]int)}
	d.grid.Length = func() int { return len(d.items) }
	d.grid.CreateItem = func() fyne.CanvasObject {
		t := NewTile(TileData{Name: "channel name", StateText: "retrying in 10 s (attempt 10)"})
		t.minWidth = d.tileWidth
		return t
	}
	d.grid.UpdateItem = d.updateItem
	d.grid.ExtendBaseWidget(d.grid)
	d.grid.OnSelected = func(id widget.GridWrapItemID) {
		d.grid.UnselectAll()
		if id >= 0 && id < len(d.items) && d.onOpen != nil {
			d.onOpen(d.items[id])
		}
	}
	d.groups = newGuardedSelect(noKeys, []string{allGroups}, func(g string) {
		if g == allGroups {
			g = ""
		}
		if g != d.group {
			d.group = g
			d.filter()
		}
	})
	d.groups.Selected = allGroups
	d.summary = widget.NewLabel("")
	d.noMatch = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	d.noMatch.Hide()
	d.body = container.NewStack(container.New(fillLayout{d}, d.grid), d.empty, container.NewCenter(d.noMatch))
	d.empty.Show()
	d.grid.Hide()
	return d
}

func (d *dashboard) updateItem(id widget.GridWrapItemID, o fyne.CanvasObject) {
	t := o.(*Tile)
	if id < 0 || id >= len(d.items) {
		return
	}
	v := d.items[id]
	d.bound[t] = v
	d.grid.ids[t] = id
	t.SetFocused(d.grid.focused && d.grid.cursor == id)
	v.refresh(false)
	t.Update(v.tileData(d.now()))
	t.OnTapped = func() {
		if d.onOpen != nil {
			d.onOpen(v)
		}
	}
	t.OnMenu = nil
	if d.onMenu != nil {
		t.OnMenu = func(at fyne.Position) { d.onMenu(v, t, at) }
	}
}

// setChannels replaces the set of channels, keeping the views of those
// that stay.
func (d *dashboard) setChannels(chans []*client.Channel) {
	views := make(map[*client.Channel]*chanView, len(chans))
	d.order = d.order[:0]
	for _, ch := range chans {
		v := d.views[ch]
		if v == nil {
			v = &chanView{ch: ch, stale: true}
		}
		views[ch] = v
		d.order = append(d.order, v)
	}
	d.views = views
	for t, v := range d.bound {
		if views[v.ch] == nil {
			delete(d.bound, t)
			delete(d.grid.ids, t)
		}
	}
	// Group choices: every group in use, in order of first appearance.
	opts := []string{allGroups}
	for _, v := range d.order {
		g := v.ch.Config().Group
		if g != "" && !slices.Contains(opts, g) {
			opts = append(opts, g)
		}
	}
	if !slices.Equal(opts, d.groups.Options) {
		d.groups.SetOptions(opts)
		if d.group != "" && !slices.Contains(opts, d.group) {
			d.group = ""
			d.groups.SetSelected(allGroups)
		}
	}
	d.filter()
}

// setQuery filters the tiles to channels whose name, group or URL
// contains q (case-insensitive).
func (d *dashboard) setQuery(q string) {
	q = strings.ToLower(strings.TrimSpace(q))
	if q != d.query {
		d.query = q
		d.filter()
	}
}

// filter recomputes the shown items for the selected group and query.
func (d *dashboard) filter() {
	d.items = d.items[:0]
	for _, v := range d.order {
		cfg := v.ch.Config()
		if d.group != "" && cfg.Group != d.group {
			continue
		}
		if d.query != "" && !strings.Contains(strings.ToLower(cfg.Name+" "+cfg.Group+" "+cfg.URL), d.query) {
			continue
		}
		d.items = append(d.items, v)
	}
	switch {
	case len(d.order) == 0:
		d.grid.Hide()
		d.noMatch.Hide()
		d.empty.Show()
	case len(d.items) == 0:
		d.grid.Hide()
		d.empty.Hide()
		d.noMatch.SetText("No channels match the filter (Escape clears it)")
		d.noMatch.Show()
	default:
		d.empty.Hide()
		d.noMatch.Hide()
		d.grid.Show()
	}
	d.grid.Refresh()
	d.updateSummary()
}

// apply brings the visible tiles up to date with a tick's change and
// reports whether anything on screen changed.
func (d *dashboard) apply(c *change) bool {
	active := false
	if c.channels != nil {
		d.setChannels(c.channels)
		active = true
	}
	for _, ch := range c.dirty {
		if v := d.views[ch]; v != nil {
			v.stale = true
		}
	}
	if d.paused {
		return active
	}
	all := c.second
	for t, v := range d.bound {
		if d.hidden {
			break
		}
		if showView(t, v, c.now, all) {
			active = true
		}
	}
	if all || c.channels != nil {
		if d.updateSummary() {
			active = true
		}
	}
	return active
}

// showView brings tile t up to date with view v for a tick. When all is
// set (the tick of a new second) the tile shows the channel as it is now;
// between seconds only an urgent change (Tile.Urgent: a new state, an alert
// firing or recovering) redraws it. So a busy dashboard redraws its values
// once a second, every tile in the same frame, and a state change shows
// within a tick. It reports whether anything on the tile changed.
func showView(t *Tile, v *chanView, now time.Time, all bool) bool {
	if !all && !v.stale {
		return false
	}
	v.refresh(all)
	d := v.tileData(now)
	if !all && !t.Urgent(d) {
		return false
	}
	return t.Update(d)
}

// showAll brings every tile in view up to date, as after a time out of
// view (the detail view was open).
func (d *dashboard) showAll(now time.Time) {
	for t, v := range d.bound {
		showView(t, v, now, true)
	}
}

// updateSummary counts the channels shown by state for the toolbar: "7
// channels · 5 open · 1 retrying · 1 failed", or "2 of 7 channels shown ·
// 2 open" under a filter. It reports whether the text changed.
func (d *dashboard) updateSummary() bool {
	var counts [client.Paused + 1]int
	for _, v := range d.items {
		if s := v.ch.Status().State; int(s) < len(counts) {
			counts[s]++
		}
	}
	text := strconv.Itoa(len(d.order)) + plural(uint64(len(d.order)), " channel", " channels")
	if len(d.items) != len(d.order) {
		// Filtered: the counts are of what is shown.
		text = strconv.Itoa(len(d.items)) + " of " + text + " shown"
	}
	for s, n := range counts {
		if n > 0 && client.State(s) != client.Idle {
			text += " · " + strconv.Itoa(n) + " " + client.State(s).String()
		}
	}
	if text == d.lastSumm {
		return false
	}
	d.lastSumm = text
	d.summary.SetText(text)
	return true
}

// fillLayout gives the grid all the room and stretches the tiles so that
// their columns fill the width, instead of leaving a band on the right.
type fillLayout struct{ d *dashboard }

func (l fillLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	g := l.d.grid
	g.Move(fyne.NewPos(0, 0))
	g.Resize(size)
	th := g.Theme()
	pad := th.Size(theme.SizeNamePadding)
	natural := TileNaturalWidth(th)
	cols := max(int((size.Width+pad)/(natural+pad)), 1)
	w := float32(math.Floor(float64((size.Width+pad)/float32(cols) - pad)))
	w = max(w, natural)
	if math.Abs(float64(w-l.d.tileWidth)) >= 1 {
		l.d.tileWidth = w
		g.Refresh()    // takes the new width from a fresh template tile
		g.Resize(size) // and recounts the columns with it
	}
}

func (l fillLayout) MinSize(objs []fyne.CanvasObject) fyne.Size { return l.d.grid.MinSize() }

// view returns the view of ch, if ch is on the dashboard.
func (d *dashboard) view(ch *client.Channel) *chanView { return d.views[ch] }

// tileGrid is the dashboard's grid of tiles. The keyboard moves a cursor
// over the tiles (arrows), which the tile under it shows with a frame in
// the focus colour while the grid has the focus; Space or Enter opens that
// tile. The window keys pass through (see keys.go).
type tileGrid struct {
	widget.GridWrap
	d    *dashboard
	keys windowKeys
	// focused is set while the grid has the keyboard focus; cursor is
	// the item the keys are on (the GridWrap's own focus, mirrored).
	focused bool
	cursor  int
	// ids maps each tile on screen to its item.
	ids map[*Tile]int
}

// TypedKey moves the cursor, or opens the tile under it.
func (g *tileGrid) TypedKey(ev *fyne.KeyEvent) {
	if g.keys(ev) {
		return
	}
	n := len(g.d.items)
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		ev = &fyne.KeyEvent{Name: fyne.KeySpace}
	case fyne.KeyDown:
		g.cursor = min(g.cursor+g.ColumnCount(), n-1)
	case fyne.KeyUp:
		g.cursor = max(g.cursor-g.ColumnCount(), 0)
	case fyne.KeyLeft:
		g.cursor = max(g.cursor-1, 0)
	case fyne.KeyRight:
		g.cursor = min(g.cursor+1, max(n-1, 0))
	}
	g.GridWrap.TypedKey(ev)
	g.markFocus()
}

// FocusGained shows the cursor.
func (g *tileGrid) FocusGained() {
	g.focused = true
	g.GridWrap.FocusGained()
	g.markFocus()
}

// FocusLost hides the cursor.
func (g *tileGrid) FocusLost() {
	g.focused = false
	g.GridWrap.FocusLost()
	g.markFocus()
}

// markFocus frames the tile under the cursor, and only that one.
func (g *tileGrid) markFocus() {
	for t, id := range g.ids {
		t.SetFocused(g.focused && id == g.cursor)
	}
}
