package ui

import (
	"image"
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client/alert"
	"github.com/ssemon/ssemon/client/series"
)

// Chart draws one numeric field of a channel over a window of time: the
// min–max band of each bucket and its mean as a line, newest on the right,
// the window's end at the right edge. The title shows the field and its
// latest value; a full chart adds the scale (top and bottom values) and
// the window. Hovering (or tapping) a point shows its time and values.
//
// The plot is one raster image, redrawn only when the points or the window
// change, so a chart on a tile costs one small texture.
type Chart struct {
	widget.BaseWidget

	// Field is the path of the value, shown as the title.
	Field string
	// Compact hides the scale and window labels (a chart on a tile).
	Compact bool

	points []series.Point
	window series.Window
	end    time.Time
	// hover is the index of the point under the pointer, -1 for none.
	hover int
	r     *chartRenderer
}

// NewChart returns an empty chart of field.
func NewChart(field string, compact bool) *Chart {
	c := &Chart{Field: field, Compact: compact, hover: -1}
	c.ExtendBaseWidget(c)
	return c
}

// Set shows points (oldest first, as series.Series.Points returns them)
// over window w ending at end, and reports whether anything changed; it
// redraws only then. The slice is copied.
func (c *Chart) Set(points []series.Point, w series.Window, end time.Time) bool {
	// The window's start moves with each bucket: redraw when it does, or
	// when the points differ.
	bucket := w.Bucket()
	if w == c.window && end.Truncate(bucket).Equal(c.end.Truncate(bucket)) && samePoints(points, c.points) {
		return false
	}
	c.points = append(c.points[:0], points...)
	c.window, c.end = w, end
	if c.hover >= len(c.points) {
		c.hover = -1
	}
	c.Refresh()
	return true
}

func samePoints(a, b []series.Point) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 {
		return true
	}
	x, y := a[len(a)-1], b[len(b)-1]
	return a[0].At.Equal(b[0].At) && x.At.Equal(y.At) && x.N == y.N && x.Min == y.Min && x.Max == y.Max && x.Last == y.Last
}

// Points returns the points shown.
func (c *Chart) Points() []series.Point { return append([]series.Point(nil), c.points...) }

// Window returns the window shown.
func (c *Chart) Window() series.Window { return c.window }

// HoverText returns what the chart says about the point under the pointer
// ("12:03:04 · 43.2 (min 40 · max 47)"), "" when none.
func (c *Chart) HoverText() string {
	if c.hover < 0 || c.hover >= len(c.points) {
		return ""
	}
	p := c.points[c.hover]
	s := p.At.In(time.Local).Format("15:04:05") + " · " + alert.FormatValue(p.Mean)
	if p.Min != p.Max {
		s += " (min " + alert.FormatValue(p.Min) + " · max " + alert.FormatValue(p.Max) + ")"
	}
	return s
}

// pointAt returns the index of the point nearest to x (in the plot's
// coordinates, width w), -1 when there are none.
func (c *Chart) pointAt(x, w float32) int {
	if len(c.points) == 0 || w <= 0 {
		return -1
	}
	span := c.window.Span()
	at := c.end.Add(-span).Add(time.Duration(float64(x) / float64(w) * float64(span)))
	best, bestD := -1, time.Duration(math.MaxInt64)
	for i, p := range c.points {
		d := p.At.Add(c.window.Bucket() / 2).Sub(at)
		if d < 0 {
			d = -d
		}
		if d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

func (c *Chart) setHover(pos fyne.Position) {
	i := -1
	if c.r != nil {
		x := pos.X - c.r.plot.Position().X
		if x >= 0 && x <= c.r.plot.Size().Width {
			i = c.pointAt(x, c.r.plot.Size().Width)
		}
	}
	if i != c.hover {
		c.hover = i
		c.Refresh()
	}
}

// MouseIn shows the point under the pointer.
func (c *Chart) MouseIn(e *desktop.MouseEvent) { c.setHover(e.Position) }

// MouseMoved follows the pointer.
func (c *Chart) MouseMoved(e *desktop.MouseEvent) { c.setHover(e.Position) }

// MouseOut hides the point.
func (c *Chart) MouseOut() {
	if c.hover >= 0 {
		c.hover = -1
		c.Refresh()
	}
}

// Tapped shows the point under the finger (touch screens).
func (c *Chart) Tapped(e *fyne.PointEvent) { c.setHover(e.Position) }

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (c *Chart) CreateRenderer() fyne.WidgetRenderer {
	c.ExtendBaseWidget(c)
	r := &chartRenderer{c: c}
	r.raster = canvas.NewRaster(r.draw)
	r.raster.ScaleMode = canvas.ImageScalePixels
	r.plot = canvas.NewRectangle(color.Transparent)
	r.title = canvas.NewText("", color.Black)
	r.title.TextStyle = fyne.TextStyle{Bold: true}
	r.top = canvas.NewText("", color.Black)
	r.top.Alignment = fyne.TextAlignTrailing
	r.bottom = canvas.NewText("", color.Black)
	r.bottom.Alignment = fyne.TextAlignTrailing
	r.span = canvas.NewText("", color.Black)
	r.span.Alignment = fyne.TextAlignTrailing
	r.cursor = canvas.NewLine(color.Black)
	r.tip = canvas.NewText("", color.Black)
	r.objects = []fyne.CanvasObject{r.plot, r.raster, r.cursor, r.title, r.top, r.bottom, r.span, r.tip}
	c.r = r
	r.Refresh()
	return r
}

type chartRenderer struct {
	c       *Chart
	raster  *canvas.Raster
	plot    *canvas.Rectangle
	title   *canvas.Text
	top     *canvas.Text
	bottom  *canvas.Text
	span    *canvas.Text
	cursor  *canvas.Line
	tip     *canvas.Text
	objects []fyne.CanvasObject

	line, band color.NRGBA
	lo, hi     float64
	img        *image.NRGBA
}

func (r *chartRenderer) MinSize() fyne.Size {
	th := r.c.Theme()
	capt := th.Size(theme.SizeNameCaptionText)
	if r.c.Compact {
		return fyne.NewSize(r.title.MinSize().Width+60, max(r.title.MinSize().Height, 2*th.Size(theme.SizeNameText)))
	}
	return fyne.NewSize(200, r.title.MinSize().Height+10*capt)
}

func (r *chartRenderer) Layout(size fyne.Size) {
	th := r.c.Theme()
	pad := th.Size(theme.SizeNamePadding)
	ts := r.title.MinSize()
	left, y := float32(0), ts.Height
	if r.c.Compact {
		// Title on the left, vertically centred, the plot beside it.
		left, y = ts.Width+pad, 0
		r.title.Move(fyne.NewPos(0, (size.Height-ts.Height)/2))
		r.title.Resize(ts)
	} else {
		r.title.Move(fyne.NewPos(0, 0))
		r.title.Resize(fyne.NewSize(size.Width, ts.Height))
	}
	right := float32(0)
	if !r.c.Compact {
		right = max(r.top.MinSize().Width, r.bottom.MinSize().Width, r.span.MinSize().Width) + pad
	}
	w := max(size.Width-right-left, 0)
	h := max(size.Height-y, 0)
	if !r.c.Compact {
		sh := r.span.MinSize().Height
		h = max(h-sh, 0)
		r.span.Move(fyne.NewPos(0, y+h))
		r.span.Resize(fyne.NewSize(size.Width, sh))
		r.top.Move(fyne.NewPos(left+w, y))
		r.top.Resize(fyne.NewSize(right, r.top.MinSize().Height))
		r.bottom.Move(fyne.NewPos(left+w, y+h-r.bottom.MinSize().Height))
		r.bottom.Resize(fyne.NewSize(right, r.bottom.MinSize().Height))
	}
	r.plot.Move(fyne.NewPos(left, y))
	r.plot.Resize(fyne.NewSize(w, h))
	r.raster.Move(fyne.NewPos(left, y))
	r.raster.Resize(fyne.NewSize(w, h))
	r.tip.Move(fyne.NewPos(pad, y))
	r.tip.Resize(r.tip.MinSize())
	r.layoutCursor()
}

// layoutCursor puts the hover line on the hovered point.
func (r *chartRenderer) layoutCursor() {
	c := r.c
	r.cursor.Hidden = c.hover < 0 || c.hover >= len(c.points)
	r.tip.Hidden = r.cursor.Hidden
	if r.cursor.Hidden {
		return
	}
	p := c.points[c.hover]
	pos, size := r.plot.Position(), r.plot.Size()
	span := c.window.Span()
	x := float32(float64(p.At.Add(c.window.Bucket()/2).Sub(c.end.Add(-span))) / float64(span) * float64(size.Width))
	r.cursor.Position1 = fyne.NewPos(pos.X+x, pos.Y)
	r.cursor.Position2 = fyne.NewPos(pos.X+x, pos.Y+size.Height)
	// The tip sits on the side with more room.
	tw := r.tip.MinSize().Width
	tx := x + 4
	if x > size.Width/2 {
		tx = x - 4 - tw
	}
	r.tip.Move(fyne.NewPos(pos.X+max(tx, 0), pos.Y))
	r.tip.Resize(r.tip.MinSize())
}

func (r *chartRenderer) Refresh() {
	c, th := r.c, r.c.Theme()
	fg := theme.ColorForWidget(theme.ColorNameForeground, c)
	muted := theme.ColorForWidget(theme.ColorNamePlaceHolder, c)
	capt := th.Size(theme.SizeNameCaptionText)
	r.line = toNRGBA(theme.ColorForWidget(theme.ColorNamePrimary, c))
	r.band = r.line
	r.band.A = r.line.A / 3
	r.plot.FillColor = color.Transparent
	r.plot.StrokeColor = theme.ColorForWidget(theme.ColorNameSeparator, c)
	r.plot.StrokeWidth = 1

	r.lo, r.hi = math.Inf(1), math.Inf(-1)
	for _, p := range c.points {
		r.lo, r.hi = math.Min(r.lo, p.Min), math.Max(r.hi, p.Max)
	}
	title := c.Field
	if n := len(c.points); n > 0 {
		title += "  " + alert.FormatValue(c.points[n-1].Last)
	} else {
		r.lo, r.hi = 0, 0
	}
	r.title.Text, r.title.Color = title, fg
	r.title.TextSize = th.Size(theme.SizeNameText)
	if c.Compact {
		r.title.TextSize = capt
	}
	for _, t := range []*canvas.Text{r.top, r.bottom, r.span, r.tip} {
		t.Color, t.TextSize = muted, capt
	}
	r.top.Text, r.bottom.Text, r.span.Text = "", "", ""
	if !c.Compact {
		if len(c.points) > 0 {
			r.top.Text, r.bottom.Text = alert.FormatValue(r.hi), alert.FormatValue(r.lo)
		}
		r.span.Text = "last " + c.window.String()
	}
	r.top.Hidden, r.bottom.Hidden, r.span.Hidden = c.Compact, c.Compact, c.Compact
	r.tip.Text, r.tip.Color = c.HoverText(), fg
	r.cursor.StrokeColor, r.cursor.StrokeWidth = muted, 1
	r.Layout(c.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

// draw renders the band and the mean line into a w×h image, reusing the
// buffer while the size stays.
func (r *chartRenderer) draw(w, h int) image.Image {
	r.img = rasterBuffer(r.img, w, h)
	c := r.c
	if len(c.points) == 0 || w <= 0 || h <= 0 {
		return r.img
	}
	lo, hi := r.lo, r.hi
	if hi-lo < 1e-9 {
		lo, hi = lo-1, hi+1 // a flat line sits in the middle
	}
	span := float64(c.window.Span())
	start := c.end.Add(-c.window.Span())
	bw := max(int(math.Ceil(float64(w)/series.Buckets)), 1)
	yOf := func(v float64) int {
		return min(max(int(math.Round((hi-v)/(hi-lo)*float64(h-1))), 0), h-1)
	}
	prevX, prevY := -1, -1
	for _, p := range c.points {
		x0 := int(float64(p.At.Sub(start)) / span * float64(w))
		if x0 >= w || x0+bw <= 0 {
			continue
		}
		yMax, yMin := yOf(p.Max), yOf(p.Min)
		for x := max(x0, 0); x < min(x0+bw, w); x++ {
			for y := yMax; y <= yMin; y++ {
				r.set(x, y, r.band)
			}
		}
		mx, my := max(min(x0+bw/2, w-1), 0), yOf(p.Mean)
		if prevX >= 0 {
			r.lineTo(prevX, prevY, mx, my)
		}
		r.set(mx, my, r.line)
		prevX, prevY = mx, my
	}
	return r.img
}

// rasterBuffer returns a cleared w×h image for a raster to draw into:
// img itself when it has that size, else a new one (1×1 for an empty
// size).
func rasterBuffer(img *image.NRGBA, w, h int) *image.NRGBA {
	if w <= 0 || h <= 0 {
		return image.NewNRGBA(image.Rect(0, 0, 1, 1))
	}
	if img == nil || img.Rect.Dx() != w || img.Rect.Dy() != h {
		return image.NewNRGBA(image.Rect(0, 0, w, h))
	}
	clear(img.Pix)
	return img
}

func (r *chartRenderer) set(x, y int, c color.NRGBA) {
	i := r.img.PixOffset(x, y)
	r.img.Pix[i], r.img.Pix[i+1], r.img.Pix[i+2], r.img.Pix[i+3] = c.R, c.G, c.B, c.A
}

// lineTo draws a one-pixel line (Bresenham) in the line colour.
func (r *chartRenderer) lineTo(x0, y0, x1, y1 int) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for {
		r.set(x0, y0, r.line)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *chartRenderer) Destroy() {}
