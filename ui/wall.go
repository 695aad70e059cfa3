package ui

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/ssemon/ssemon/client"
)

// Wall screen limits.
const (
	// DefaultWallCycle is how long the wall shows one page when the tiles
	// do not fit on one screen.
	DefaultWallCycle = 20 * time.Second
	// wallMinScale is the smallest type the wall draws, relative to the
	// normal size: below it, tiles go on pages that take turns.
	wallMinScale = 0.8
	// wallMaxScale caps how large a few tiles grow.
	wallMaxScale = 3
	// wallPinShare is the share of the width a pinned channel takes.
	wallPinShare = 0.5
)

// wallSection is a group of channels under one header.
type wallSection struct {
	group string
	views []*chanView
}

// wallPlan is how a set of sections fits a screen: the columns and the
// scale of the type.
type wallPlan struct {
	cols  int
	scale float32
}

// planWall chooses the number of columns that gives the largest tiles
// when sections of counts[i] tiles of natural size tile (at scale 1), each
// under a header of height header, must fit size without scrolling.
func planWall(counts []int, tile fyne.Size, header, pad float32, size fyne.Size) wallPlan {
	n := 0
	for _, c := range counts {
		n += c
	}
	best := wallPlan{cols: 1}
	if n == 0 || tile.Width <= 0 || tile.Height <= 0 {
		return best
	}
	for cols := 1; cols <= n; cols++ {
		rows := 0
		for _, c := range counts {
			rows += (c + cols - 1) / cols
		}
		heads := float32(len(counts))
		if len(counts) == 1 {
			heads = 0
		}
		sw := (size.Width - pad*float32(cols-1)) / (float32(cols) * tile.Width)
		sh := (size.Height - pad*float32(rows-1+int(heads))) / (float32(rows)*tile.Height + heads*header)
		s := min(sw, sh)
		if s > best.scale {
			best = wallPlan{cols: cols, scale: s}
		}
	}
	best.scale = min(best.scale, wallMaxScale)
	return best
}

// paginate splits sections into pages that each fit at wallMinScale or
// more: all on one page if they fit, else a group per page, else a group's
// tiles split over several pages.
func paginate(secs []wallSection, tile fyne.Size, header, pad float32, size fyne.Size) [][]wallSection {
	fits := func(ss []wallSection) bool {
		counts := make([]int, len(ss))
		for i, s := range ss {
			counts[i] = len(s.views)
		}
		return planWall(counts, tile, header, pad, size).scale >= wallMinScale
	}
	if len(secs) == 0 || fits(secs) {
		return [][]wallSection{secs}
	}
	var pages [][]wallSection
	for _, s := range secs {
		if fits([]wallSection{s}) {
			pages = append(pages, []wallSection{s})
			continue
		}
		// The most tiles of this group one page holds.
		per := 1
		for per < len(s.views) && fits([]wallSection{{group: s.group, views: s.views[:per+1]}}) {
			per++
		}
		// As many pages as needed, filled evenly.
		n := (len(s.views) + per - 1) / per
		per = (len(s.views) + n - 1) / n
		for i := 0; i < len(s.views); i += per {
			pages = append(pages, []wallSection{{group: s.group, views: s.views[i:min(i+per, len(s.views))]}})
		}
	}
	return pages
}

// wall is presentation mode's screen: every channel's tile, sized to fit
// without scrolling, grouped in sections, a pinned channel large on the
// left, pages taking turns when they do not fit. It lives on the UI
// goroutine and updates only the tiles on screen.
type wall struct {
	x     *App
	cycle time.Duration

	tiles   map[*client.Channel]*Tile
	headers []*canvas.Text
	footer  *canvas.Text
	body    *fyne.Container
	// over draws the page's tiles at the chosen scale; pinOver the pinned
	// tile at its own.
	over, pinOver *container.ThemeOverride
	pinBox        *fyne.Container
	content       fyne.CanvasObject

	pinned   *client.Channel
	pages    [][]wallSection
	page     int
	flipped  time.Time
	scale    float32
	pinScale float32
	size     fyne.Size
	shown    []*Tile
}

func newWall(x *App, cycle time.Duration) *wall {
	if cycle <= 0 {
		cycle = DefaultWallCycle
	}
	w := &wall{x: x, cycle: cycle, tiles: make(map[*client.Channel]*Tile)}
	w.footer = canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder))
	w.footer.Alignment = fyne.TextAlignTrailing
	w.body = container.New(&wallLayout{w: w})
	w.over = container.NewThemeOverride(w.body, x.app.Settings().Theme())
	w.pinBox = container.NewStack()
	w.pinOver = container.NewThemeOverride(w.pinBox, x.app.Settings().Theme())
	w.content = container.New(&wallSplit{w: w}, w.pinOver, w.over, w.footer)
	return w
}

// sections groups the channels, in the dashboard's order, leaving out the
// pinned one.
func (w *wall) sections() []wallSection {
	var secs []wallSection
	index := map[string]int{}
	for _, v := range w.x.dash.order {
		if v.ch == w.pinned {
			continue
		}
		g := v.ch.Config().Group
		i, ok := index[g]
		if !ok {
			i = len(secs)
			index[g] = i
			secs = append(secs, wallSection{group: g})
		}
		secs[i].views = append(secs[i].views, v)
	}
	return secs
}

// tileOf returns the wall's tile of v.
func (w *wall) tileOf(v *chanView) *Tile {
	t := w.tiles[v.ch]
	if t == nil {
		t = NewTile(TileData{Name: v.ch.Name()})
		ch := v.ch
		t.OnTapped = func() { w.togglePin(ch) }
		w.tiles[v.ch] = t
	}
	return t
}

// togglePin pins ch large, or unpins it.
func (w *wall) togglePin(ch *client.Channel) {
	if w.pinned == ch {
		w.pinned = nil
	} else {
		w.pinned = ch
	}
	w.rearrange()
}

// rearrange recomputes the pages for the current channels and size.
func (w *wall) rearrange() {
	w.size = fyne.Size{}
	w.content.Refresh()
}

// natural returns a tile's size and a header's height at scale 1.
func (w *wall) natural() (fyne.Size, float32, float32) {
	th := w.x.app.Settings().Theme()
	probe := NewTile(TileData{Name: "channel", HasProgress: true})
	h := probe.MinSize().Height
	return fyne.NewSize(TileNaturalWidth(th), h), th.Size(theme.SizeNameSubHeadingText) * 1.4, th.Size(theme.SizeNamePadding)
}

// arrange lays out the page at size: chooses the scale, places headers
// and tiles. It runs from the layout.
func (w *wall) arrange(size fyne.Size) {
	tile, header, pad := w.natural()
	secs := w.sections()
	w.pages = paginate(secs, tile, header, pad, size)
	if w.page >= len(w.pages) {
		w.page = 0
	}
	if w.flipped.IsZero() {
		w.flipped = w.x.now() // the first page's turn starts now
	}
	page := w.pages[w.page]
	counts := make([]int, len(page))
	for i, s := range page {
		counts[i] = len(s.views)
	}
	plan := planWall(counts, tile, header, pad, size)
	if plan.scale != w.scale {
		w.scale = plan.scale
		w.over.Theme = scaledTheme{settings: w.x.app.Settings(), scale: w.scale}
	}
	s := w.scale
	objs := make([]fyne.CanvasObject, 0, len(w.tiles)+len(page))
	w.shown = w.shown[:0]
	cellW := (size.Width - pad*s*float32(plan.cols-1)) / float32(plan.cols)
	cellH := tile.Height * s
	y := float32(0)
	hi := 0
	for _, sec := range page {
		if len(page) > 1 {
			if hi == len(w.headers) {
				h := canvas.NewText("", theme.Color(theme.ColorNameForeground))
				h.TextStyle = fyne.TextStyle{Bold: true}
				w.headers = append(w.headers, h)
			}
			h := w.headers[hi]
			hi++
			h.Text = sec.group
			if h.Text == "" {
				h.Text = "other"
			}
			h.TextSize = header * s / 1.4
			h.Color = theme.Color(theme.ColorNameForeground)
			h.Move(fyne.NewPos(0, y))
			h.Resize(fyne.NewSize(size.Width, header*s))
			objs = append(objs, h)
			y += header*s + pad*s
		}
		for i, v := range sec.views {
			t := w.tileOf(v)
			col, row := i%plan.cols, i/plan.cols
			t.Move(fyne.NewPos(float32(col)*(cellW+pad*s), y+float32(row)*(cellH+pad*s)))
			t.Resize(fyne.NewSize(cellW, cellH))
			objs = append(objs, t)
			w.shown = append(w.shown, t)
		}
		rows := (len(sec.views) + plan.cols - 1) / plan.cols
		y += float32(rows) * (cellH + pad*s)
	}
	w.body.Objects = objs
	if len(w.pages) > 1 {
		w.footer.Text = "page " + strconv.Itoa(w.page+1) + " of " + strconv.Itoa(len(w.pages)) + " · next in " + client.FormatDuration(w.cycle)
	} else {
		w.footer.Text = ""
	}
	w.footer.Refresh()
	w.over.Refresh()
	w.refreshTiles(w.x.now(), true)
}

// arrangePin sizes the pinned tile's area.
func (w *wall) arrangePin(size fyne.Size) {
	w.pinBox.Objects = nil
	if w.pinned == nil {
		return
	}
	v := w.x.dash.view(w.pinned)
	if v == nil {
		w.pinned = nil
		return
	}
	tile, _, _ := w.natural()
	s := min(size.Width/tile.Width, size.Height/tile.Height, 2*wallMaxScale)
	if s != w.pinScale {
		w.pinScale = s
		w.pinOver.Theme = scaledTheme{settings: w.x.app.Settings(), scale: s}
	}
	t := w.tileOf(v)
	w.pinBox.Objects = []fyne.CanvasObject{container.NewCenter(container.NewGridWrap(fyne.NewSize(size.Width, min(size.Height, tile.Height*s)), t))}
	w.pinOver.Refresh()
}

// refreshTiles updates the tiles on screen; force redraws all of them.
func (w *wall) refreshTiles(now time.Time, force bool) bool {
	changed := false
	update := func(t *Tile, ch *client.Channel) {
		if v := w.x.dash.view(ch); v != nil && showView(t, v, now, force) {
			changed = true
		}
	}
	for ch, t := range w.tiles {
		on := ch == w.pinned
		for _, s := range w.shown {
			if s == t {
				on = true
				break
			}
		}
		if on {
			update(t, ch)
		}
	}
	return changed
}

// apply brings the wall up to date with a tick: new channels rearrange
// it, pages take turns, and the tiles on screen follow their channels.
func (w *wall) apply(c *change) bool {
	if c.channels != nil {
		for ch := range w.tiles {
			if w.x.dash.view(ch) == nil {
				delete(w.tiles, ch)
				if w.pinned == ch {
					w.pinned = nil
				}
			}
		}
		w.rearrange()
		return true
	}
	if c.second && len(w.pages) > 1 {
		left := w.cycle - c.now.Sub(w.flipped)
		if left <= 0 {
			w.page = (w.page + 1) % len(w.pages)
			w.flipped = c.now
			w.rearrange()
			return true
		}
		text := "page " + strconv.Itoa(w.page+1) + " of " + strconv.Itoa(len(w.pages)) + " · next in " + client.FormatDuration(left.Round(time.Second))
		if text != w.footer.Text {
			w.footer.Text = text
			w.footer.Refresh()
		}
	}
	return w.refreshTiles(c.now, c.second)
}

// wallLayout places the page's tiles (wall.arrange does the work).
type wallLayout struct{ w *wall }

func (l *wallLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	if size != l.w.size {
		l.w.size = size
		l.w.arrange(size)
	}
}

func (l *wallLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(1, 1) }

// wallSplit gives the pinned tile its share on the left, the page the
// rest, and the page footer the bottom-right corner.
type wallSplit struct{ w *wall }

func (l *wallSplit) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pin, page, footer := objs[0], objs[1], objs[2]
	fs := footer.MinSize()
	fh := float32(0)
	if l.w.footer.Text != "" || len(l.w.pages) > 1 {
		fh = fs.Height
	}
	h := max(size.Height-fh, 0)
	pw := float32(0)
	if l.w.pinned != nil {
		pw = float32(math.Floor(float64(size.Width * wallPinShare)))
	}
	pin.Move(fyne.NewPos(0, 0))
	pin.Resize(fyne.NewSize(pw, h))
	if pw == 0 {
		pin.Hide()
	} else {
		pin.Show()
	}
	if pw > 0 {
		l.w.arrangePin(fyne.NewSize(pw, h))
	} else {
		l.w.pinBox.Objects = nil
	}
	gap := float32(0)
	if pw > 0 {
		gap = 2 * theme.Padding()
	}
	page.Move(fyne.NewPos(pw+gap, 0))
	page.Resize(fyne.NewSize(max(size.Width-pw-gap, 0), h))
	footer.Move(fyne.NewPos(0, size.Height-fs.Height))
	footer.Resize(fyne.NewSize(size.Width, fs.Height))
}

func (l *wallSplit) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(1, 1) }

// DefaultAppTick is the window's refresh interval: a new state or a firing
// alert shows within it. Values that move all the time (messages,
// progress, rates, ages, charts) redraw once a second on the dashboard and
// the wall screen, all tiles in one frame. Under software rendering every
// redraw repaints the whole window, so the redraw rate is most of the
// window's CPU (docs/BENCHMARKS.md). Scrolling and typing are drawn by Fyne
// as they happen, whatever the tick.
const DefaultAppTick = 250 * time.Millisecond

// showAtStart opens the detail view of the channel called name.
func (x *App) showAtStart(name string) error {
	ch, ok := x.mgr.Get(name)
	if !ok {
		return fmt.Errorf("--show %q: no such channel", name)
	}
	x.dash.setChannels(x.mgr.Channels())
	if v := x.dash.view(ch); v != nil {
		x.openDetail(v)
	}
	return nil
}
