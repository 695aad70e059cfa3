package ui

import (
	"image/color"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/series"
)

// TileData is everything a Tile shows, as plain values. The zero value is
// an idle channel with no name.
type TileData struct {
	// Name is the channel's display name.
	Name string
	// Group is the channel's group, shown as a tag; empty for none.
	Group string
	// State selects the colour of the stripe, badge and progress fill.
	State client.State
	// StateText is the badge text ("retrying in 4 s (attempt 3)"); empty
	// means the state's name.
	StateText string
	// HasProgress shows the progress bar (the channel carries progress).
	HasProgress bool
	// Percent and ETA feed the progress bar (see Progress).
	Percent float64
	ETA     time.Duration
	// Message is the latest message; flattened to one line when drawn.
	Message string
	// Rate is events per second over the last second.
	Rate float64
	// History is events per second for the last minute, oldest first.
	History []float64
	// LastEvent says when the last event arrived ("last event 2 s ago").
	LastEvent string
	// Reconnects counts reconnections since the channel started.
	Reconnects uint64
	// Gaps and Duplicates count event-ID gaps and repeats seen.
	Gaps, Duplicates uint64
	// Oversized counts events over the size cap, skipped.
	Oversized uint64
	// Alerting counts the channel's alert rules firing: the tile is
	// outlined in the error colour while it is above 0.
	Alerting int
	// ChartField, when set, shows a compact chart of that field over
	// ChartPoints (the last minute, ending at ChartEnd) in place of the
	// rate sparkline. ChartPoints is copied.
	ChartField  string
	ChartPoints []series.Point
	ChartEnd    time.Time
}

// Tile is a channel's card on the dashboard: a stripe and badge in the
// state's colour, name and group, progress with ETA, the latest message, an
// events-per-second sparkline and a footer with rate, last-event age,
// reconnects and a gap/duplicate badge. Tapping it calls OnTapped.
//
// Update redraws only the parts whose values changed, so calling it on every
// bridge tick for a busy channel is cheap.
type Tile struct {
	widget.BaseWidget

	// OnTapped is called when the tile is tapped or clicked.
	OnTapped func()
	// OnMenu is called on a right click (secondary tap) with the
	// position in the tile, to open the tile's menu; nil: no menu.
	OnMenu func(at fyne.Position)

	data TileData
	r    *tileRenderer
	// focused draws the keyboard cursor: a frame in the focus colour.
	focused bool
	// minWidth widens the tile beyond its natural width (the dashboard
	// stretches its tiles to fill the window).
	minWidth float32

	stripe, bg *canvas.Rectangle
	name       *canvas.Text
	group      *canvas.Text
	badge      *StateBadge
	progress   *Progress
	message    *canvas.Text
	spark      *Sparkline
	chart      *Chart
	footer     *canvas.Text
	anomalies  *Pill
}

// NewTile returns a tile showing d.
func NewTile(d TileData) *Tile {
	t := &Tile{}
	t.ExtendBaseWidget(t)
	t.stripe = canvas.NewRectangle(color.Transparent)
	t.bg = canvas.NewRectangle(color.Transparent)
	t.name = canvas.NewText("", color.Black)
	t.name.TextStyle = fyne.TextStyle{Bold: true}
	t.group = canvas.NewText("", color.Black)
	t.group.Alignment = fyne.TextAlignTrailing
	t.badge = NewStateBadge(d.State, d.StateText)
	t.progress = NewProgress(d.Percent, d.ETA)
	t.message = canvas.NewText("", color.Black)
	t.spark = NewSparkline(nil)
	t.chart = NewChart("", true)
	t.chart.Hidden = true
	t.footer = canvas.NewText("", color.Black)
	t.anomalies = NewPill("", PillWarning)
	t.data.State = 255 // force the first Update to apply everything
	t.Update(d)
	return t
}

// Data returns what the tile shows.
func (t *Tile) Data() TileData {
	d := t.data
	d.History = t.spark.Values()
	d.ChartPoints = t.chart.Points()
	return d
}

// Update shows d, redrawing only what changed, and reports whether
// anything did. d.History is copied.
func (t *Tile) Update(d TileData) bool {
	old := t.data
	t.data = d
	t.data.History = nil // the sparkline holds the samples
	t.data.ChartPoints = nil
	full := d.Name != old.Name || d.Group != old.Group || d.HasProgress != old.HasProgress
	if t.r != nil && (t.r.textSize != t.Theme().Size(theme.SizeNameText) || t.r.fg != theme.ColorForWidget(theme.ColorNameForeground, t)) {
		full = true // the theme changed (variant, presentation mode): redraw all
	}
	changed := full || d.Message != old.Message
	layout := false
	if d.State != old.State || d.StateText != old.StateText {
		t.badge.Set(d.State, d.StateText)
		layout, changed = true, true
		if d.State != old.State {
			t.stripe.FillColor = StateColor(d.State)
			t.stripe.Refresh()
		}
	}
	if d.HasProgress && t.progress.Set(d.Percent, d.ETA, StateColor(d.State)) {
		changed = true
	}
	if t.spark.store(d.History) {
		t.spark.Refresh()
		changed = true
	}
	if t.updateChart(d) {
		changed = true
	}
	if d.Alerting != old.Alerting && (d.Alerting > 0) != (old.Alerting > 0) {
		full, changed = true, true
	}
	if footer := tileFooter(d); footer != t.footer.Text {
		t.footer.Text = footer
		t.footer.Refresh()
		changed = true
	}
	if pill := anomalyText(d.Gaps, d.Duplicates, d.Oversized); pill != t.anomalies.Text {
		full = full || (pill == "") != (t.anomalies.Text == "")
		t.anomalies.SetText(pill)
		layout, changed = true, true
	}
	switch {
	case full:
		t.Refresh()
	case t.r == nil:
		// Not shown yet: CreateRenderer lays everything out.
	default:
		if d.Message != old.Message {
			t.r.styleMessage()
			t.message.Refresh()
		}
		if layout {
			t.r.Layout(t.Size())
		}
	}
	return changed
}

// Urgent reports whether showing d must not wait for the next second: the
// channel's state or its alerts changed, or what the tile is about (name,
// group, progress or not), or the tile never showed anything. Values that
// move all the time (message, progress, rate, ages, charts) are not urgent:
// the dashboard redraws them once a second, all tiles in one frame.
func (t *Tile) Urgent(d TileData) bool {
	old := &t.data
	return d.State != old.State || (d.Alerting > 0) != (old.Alerting > 0) ||
		d.Name != old.Name || d.Group != old.Group || d.HasProgress != old.HasProgress
}

// tileFooter is the tile's bottom line: rate, last-event age, reconnects.
func tileFooter(d TileData) string {
	var b strings.Builder
	b.WriteString(formatRate(d.Rate))
	if d.LastEvent != "" {
		b.WriteString(" · ")
		b.WriteString(d.LastEvent)
	}
	if d.Reconnects > 0 {
		b.WriteString(" · ")
		b.WriteString(formatCount(d.Reconnects))
		b.WriteString(plural(d.Reconnects, " reconnect", " reconnects"))
	}
	return b.String()
}

// anomalyText is the badge of gaps, duplicates and oversized events
// skipped ("2 gaps · 1 dup · 3 oversized"), empty when there are none.
func anomalyText(gaps, dups, oversized uint64) string {
	var parts []string
	if gaps > 0 {
		parts = append(parts, formatCount(gaps)+plural(gaps, " gap", " gaps"))
	}
	if dups > 0 {
		parts = append(parts, formatCount(dups)+plural(dups, " dup", " dups"))
	}
	if oversized > 0 {
		parts = append(parts, formatCount(oversized)+" oversized")
	}
	return strings.Join(parts, " · ")
}

func plural(n uint64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// SetFocused shows or hides the keyboard cursor's frame on the tile.
func (t *Tile) SetFocused(on bool) {
	if on == t.focused {
		return
	}
	t.focused = on
	if t.r != nil {
		t.r.frame()
		t.bg.Refresh()
	}
}

// Focused reports whether the tile shows the keyboard cursor.
func (t *Tile) Focused() bool { return t.focused }

// Tapped opens the channel: it calls OnTapped.
func (t *Tile) Tapped(*fyne.PointEvent) {
	if t.OnTapped != nil {
		t.OnTapped()
	}
}

// TappedSecondary opens the tile's menu: it calls OnMenu.
func (t *Tile) TappedSecondary(ev *fyne.PointEvent) {
	if t.OnMenu != nil {
		t.OnMenu(ev.Position)
	}
}

// Cursor shows a pointing hand over the tile.
func (t *Tile) Cursor() desktop.Cursor { return desktop.PointerCursor }

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (t *Tile) CreateRenderer() fyne.WidgetRenderer {
	t.ExtendBaseWidget(t)
	r := &tileRenderer{t: t}
	t.r = r
	r.objects = []fyne.CanvasObject{t.bg, t.stripe, t.name, t.group, t.badge, t.progress, t.message, t.spark, t.chart, t.footer, t.anomalies}
	r.Refresh()
	return r
}

type tileRenderer struct {
	t       *Tile
	objects []fyne.CanvasObject
	// width is the content width of the last layout.
	width float32
	// textSize and fg are the theme's text size and foreground colour the
	// last Refresh drew with.
	textSize float32
	fg       color.Color
}

// styleMessage sets the message line's text and colour from the data: the
// latest message cut to the width, or a muted placeholder.
func (r *tileRenderer) styleMessage() {
	t := r.t
	if t.data.Message == "" {
		t.message.Text = "no message yet"
		t.message.Color = theme.ColorForWidget(theme.ColorNamePlaceHolder, t)
		return
	}
	t.message.Text = fitText(t.data.Message, r.width, t.message.TextSize, t.message.TextStyle)
	t.message.Color = theme.ColorForWidget(theme.ColorNameForeground, t)
}

// metrics are the sizes a tile is laid out with.
type tileMetrics struct {
	pad, stripe, text, caption, width float32
}

func (r *tileRenderer) metrics() tileMetrics {
	th := r.t.Theme()
	m := tileMetrics{
		pad:     th.Size(theme.SizeNameInnerPadding),
		stripe:  th.Size(theme.SizeNamePadding),
		text:    th.Size(theme.SizeNameText),
		caption: th.Size(theme.SizeNameCaptionText),
	}
	m.width = tileContentWidth(m.text)
	return m
}

// tileContentWidth is the natural width of a tile's content at text size ts.
func tileContentWidth(ts float32) float32 { return ts * 23 }

// TileNaturalWidth returns a tile's natural width under theme th; the
// dashboard stretches tiles from there to fill its width.
func TileNaturalWidth(th fyne.Theme) float32 {
	return tileContentWidth(th.Size(theme.SizeNameText)) + th.Size(theme.SizeNamePadding) + 2*th.Size(theme.SizeNameInnerPadding)
}

func (r *tileRenderer) MinSize() fyne.Size {
	m := r.metrics()
	h := m.pad // top
	h += r.t.name.MinSize().Height + m.pad/2
	h += r.t.badge.MinSize().Height + m.pad/2
	h += r.t.progress.MinSize().Height + m.pad/2
	h += r.t.message.MinSize().Height + m.pad/2
	h += 2*m.text + m.pad/2
	h += r.t.footer.MinSize().Height
	h += m.pad // bottom
	return fyne.NewSize(max(m.width+m.stripe+2*m.pad, r.t.minWidth), h)
}

func (r *tileRenderer) Layout(size fyne.Size) {
	t, m := r.t, r.metrics()
	t.bg.Resize(size)
	t.stripe.Resize(fyne.NewSize(m.stripe, size.Height))
	x := m.stripe + m.pad
	w := max(size.Width-x-m.pad, 0)
	y := m.pad

	// Name on the left, group tag on the right.
	gs := t.group.MinSize()
	if t.group.Text == "" {
		gs.Width = 0
	}
	t.group.Move(fyne.NewPos(x+w-gs.Width, y))
	t.group.Resize(gs)
	nameW := w - gs.Width
	if gs.Width > 0 {
		nameW -= m.pad
	}
	t.name.Text = fitText(t.data.Name, nameW, t.name.TextSize, t.name.TextStyle)
	ns := t.name.MinSize()
	t.name.Move(fyne.NewPos(x, y))
	t.name.Resize(fyne.NewSize(nameW, ns.Height))
	y += ns.Height + m.pad/2

	bs := t.badge.MinSize()
	t.badge.Move(fyne.NewPos(x, y))
	t.badge.Resize(fyne.NewSize(min(bs.Width, w), bs.Height))
	y += bs.Height + m.pad/2

	ps := t.progress.MinSize()
	t.progress.Move(fyne.NewPos(x, y))
	t.progress.Resize(fyne.NewSize(w, ps.Height))
	t.progress.Hidden = !t.data.HasProgress
	y += ps.Height + m.pad/2

	r.width = w
	r.styleMessage()
	ms := t.message.MinSize()
	t.message.Move(fyne.NewPos(x, y))
	t.message.Resize(fyne.NewSize(w, ms.Height))
	y += ms.Height + m.pad/2

	sh := 2 * m.text
	t.spark.Move(fyne.NewPos(x, y))
	t.spark.Resize(fyne.NewSize(w, sh))
	t.chart.Move(fyne.NewPos(x, y))
	t.chart.Resize(fyne.NewSize(w, sh))
	y += sh + m.pad/2

	as := t.anomalies.MinSize()
	if t.anomalies.Text == "" {
		as.Width = 0
	}
	fs := t.footer.MinSize()
	t.footer.Move(fyne.NewPos(x, y))
	t.footer.Resize(fyne.NewSize(w-as.Width, fs.Height))
	t.anomalies.Move(fyne.NewPos(x+w-as.Width, y+(fs.Height-as.Height)/2))
	t.anomalies.Resize(as)
	t.anomalies.Hidden = t.anomalies.Text == ""
}

// fitText shortens s to one line that fits width at text size size and
// style, ending in "…" when cut. It guesses the cut from an average glyph
// width and corrects it with at most two measurements, which keeps layout
// cheap for messages that change many times a second.
func fitText(s string, width, size float32, style fyne.TextStyle) string {
	line := oneLine(s, 0)
	if size <= 0 || width <= 0 {
		return line
	}
	n := utf8.RuneCountInString(line)
	guess := int(width / (size * 0.45))
	if n <= guess {
		if fyne.MeasureText(line, size, style).Width <= width {
			return line
		}
		guess = n
	}
	for range 2 {
		cut := oneLine(line, max(guess-1, 1))
		w := fyne.MeasureText(cut, size, style).Width
		if w <= width {
			return cut
		}
		guess = int(float32(guess)*width/w) - 1
	}
	return oneLine(line, max(guess-1, 1))
}

func (r *tileRenderer) Refresh() {
	t, m := r.t, r.metrics()
	r.textSize = m.text
	t.bg.FillColor = theme.ColorForWidget(theme.ColorNameInputBackground, t)
	r.frame()
	t.bg.CornerRadius = t.Theme().Size(theme.SizeNameSelectionRadius)
	t.stripe.FillColor = StateColor(t.data.State)
	t.stripe.CornerRadius = t.bg.CornerRadius

	fg := theme.ColorForWidget(theme.ColorNameForeground, t)
	r.fg = fg
	muted := theme.ColorForWidget(theme.ColorNamePlaceHolder, t)
	t.name.Color, t.name.TextSize = fg, m.text*1.15
	t.group.Color, t.group.TextSize, t.group.Text = muted, m.caption, t.data.Group
	t.message.TextSize = m.text
	t.footer.Color, t.footer.TextSize = muted, m.caption
	r.Layout(t.Size())
	for _, o := range []fyne.CanvasObject{t.bg, t.stripe, t.name, t.group, t.message, t.footer} {
		o.Refresh()
	}
	t.badge.Refresh()
	t.progress.Refresh()
	t.spark.Refresh()
	t.chart.Refresh()
	t.anomalies.Refresh()
}

// frame draws the tile's border: the keyboard cursor's frame, else a
// firing alert's, else a thin line.
func (r *tileRenderer) frame() {
	t := r.t
	if t.focused {
		t.bg.StrokeColor = theme.ColorForWidget(theme.ColorNamePrimary, t)
		t.bg.StrokeWidth = 3
		return
	}
	if t.data.Alerting > 0 {
		t.bg.StrokeColor = theme.ColorForWidget(theme.ColorNameError, t)
		t.bg.StrokeWidth = 3
		return
	}
	t.bg.StrokeColor = theme.ColorForWidget(theme.ColorNameSeparator, t)
	t.bg.StrokeWidth = 1
}

func (r *tileRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *tileRenderer) Destroy() {}
