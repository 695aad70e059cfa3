package ui

import (
	"image"
	"image/color"
	"math"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// SparklineCap is how many samples a Sparkline keeps: one per second for a
// minute, as the engine's per-second history.
const SparklineCap = 60

// Sparkline draws a row of bars, one per sample, oldest on the left and
// scaled to the largest sample, with that maximum written at the right
// ("max 87/s"). It keeps at most SparklineCap samples, drawing the newest.
//
// The bars are one raster image, redrawn only when the samples change, so a
// dashboard of a hundred sparklines costs a hundred small textures, not six
// thousand rectangles.
type Sparkline struct {
	widget.BaseWidget

	values [SparklineCap]float64
	n      int
}

// NewSparkline returns a sparkline showing values (oldest first).
func NewSparkline(values []float64) *Sparkline {
	s := &Sparkline{}
	s.ExtendBaseWidget(s)
	s.store(values)
	return s
}

func (s *Sparkline) store(values []float64) bool {
	if len(values) > SparklineCap {
		values = values[len(values)-SparklineCap:]
	}
	if s.n == len(values) && slices.Equal(s.values[:s.n], values) {
		return false
	}
	s.n = copy(s.values[:], values)
	return true
}

// SetValues replaces the samples (oldest first; only the newest
// SparklineCap are kept) and redraws if they differ from the current ones.
// The slice is copied.
func (s *Sparkline) SetValues(values []float64) {
	if s.store(values) {
		s.Refresh()
	}
}

// Values returns a copy of the samples shown, oldest first.
func (s *Sparkline) Values() []float64 { return slices.Clone(s.values[:s.n]) }

// Max returns the largest sample, the height of a full bar.
func (s *Sparkline) Max() float64 {
	m := 0.0
	for _, v := range s.values[:s.n] {
		if v > m {
			m = v
		}
	}
	return m
}

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (s *Sparkline) CreateRenderer() fyne.WidgetRenderer {
	s.ExtendBaseWidget(s)
	r := &sparklineRenderer{s: s}
	r.raster = canvas.NewRaster(r.draw)
	r.raster.ScaleMode = canvas.ImageScalePixels
	r.base = canvas.NewRectangle(color.Transparent)
	r.label = canvas.NewText("", color.Black)
	r.label.Alignment = fyne.TextAlignTrailing
	r.objects = []fyne.CanvasObject{r.base, r.raster, r.label}
	r.Refresh()
	return r
}

type sparklineRenderer struct {
	s       *Sparkline
	raster  *canvas.Raster
	base    *canvas.Rectangle
	label   *canvas.Text
	objects []fyne.CanvasObject

	// bar is the colour the raster draws with, read from the theme on Refresh.
	bar color.NRGBA
	img *image.NRGBA
}

func (r *sparklineRenderer) MinSize() fyne.Size {
	th := r.s.Theme()
	l := r.label.MinSize()
	return fyne.NewSize(SparklineCap+th.Size(theme.SizeNamePadding)+l.Width, max(l.Height, 2*th.Size(theme.SizeNameText)))
}

func (r *sparklineRenderer) Layout(size fyne.Size) {
	th := r.s.Theme()
	pad := th.Size(theme.SizeNamePadding)
	l := r.label.MinSize()
	w := max(size.Width-l.Width-pad, 0)
	r.raster.Resize(fyne.NewSize(w, size.Height))
	r.base.Move(fyne.NewPos(0, size.Height-1))
	r.base.Resize(fyne.NewSize(w, 1))
	r.label.Move(fyne.NewPos(w+pad, (size.Height-l.Height)/2))
	r.label.Resize(l)
}

func (r *sparklineRenderer) Refresh() {
	th := r.s.Theme()
	r.bar = toNRGBA(theme.ColorForWidget(theme.ColorNamePrimary, r.s))
	r.base.FillColor = theme.ColorForWidget(theme.ColorNameSeparator, r.s)
	r.label.Color = theme.ColorForWidget(theme.ColorNamePlaceHolder, r.s)
	r.label.TextSize = th.Size(theme.SizeNameCaptionText)
	r.label.Text = "max " + formatRate(r.s.Max())
	r.Layout(r.s.Size())
	r.base.Refresh()
	r.label.Refresh()
	r.raster.Refresh()
}

// draw renders the bars into a w×h image, reusing the previous buffer when
// the size has not changed.
func (r *sparklineRenderer) draw(w, h int) image.Image {
	if w <= 0 || h <= 0 {
		return image.NewNRGBA(image.Rect(0, 0, 1, 1))
	}
	r.img = rasterBuffer(r.img, w, h)
	plotBars(r.img, r.s.values[:r.s.n], SparklineCap, r.bar)
	return r.img
}

// plotBars draws values as bars into img: slots equal-width columns (the
// newest value in the rightmost one), heights proportional to the largest
// value, any non-zero value at least one pixel tall.
func plotBars(img *image.NRGBA, values []float64, slots int, c color.NRGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	peak := 0.0
	for _, v := range values {
		if v > peak {
			peak = v
		}
	}
	if peak <= 0 || slots <= 0 {
		return
	}
	slot := float64(w) / float64(slots)
	first := slots - len(values)
	for i, v := range values {
		if v <= 0 || math.IsNaN(v) {
			continue
		}
		x0 := int(math.Round(float64(first+i) * slot))
		x1 := int(math.Round(float64(first+i+1)*slot)) - 1 // one-pixel gap
		if x1 <= x0 {
			x1 = x0 + 1
		}
		bh := max(int(math.Round(v/peak*float64(h))), 1)
		for y := h - bh; y < h; y++ {
			row := img.Pix[y*img.Stride:]
			for x := x0; x < x1 && x < w; x++ {
				row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, c.A
			}
		}
	}
}

func (r *sparklineRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *sparklineRenderer) Destroy() {}

// toNRGBA converts any colour to non-premultiplied RGBA.
func toNRGBA(c color.Color) color.NRGBA {
	if c == nil {
		return color.NRGBA{}
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}
