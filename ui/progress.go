package ui

import (
	"image/color"
	"math"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ssemon/ssemon/client"
)

// Progress is a thin progress bar followed by how far and how long:
// "42 % · ETA 12 s".
// The fill takes the colour given (the channel's state colour on tiles), so a
// stalled transfer shows its bar in the stalled colour.
type Progress struct {
	widget.BaseWidget

	// Percent is how far, 0 to 100 (clamped); NaN or negative means unknown
	// and draws an empty bar saying "—".
	Percent float64
	// ETA is the estimated time left; 0 means unknown and is not shown.
	ETA time.Duration
	// Color fills the done part; nil means the theme's primary colour.
	Color color.Color
}

// NewProgress returns a progress bar at percent with eta left.
func NewProgress(percent float64, eta time.Duration) *Progress {
	p := &Progress{Percent: percent, ETA: eta}
	p.ExtendBaseWidget(p)
	return p
}

// Set changes the values, redrawing only if the text or the bar length
// (to a tenth of a percent) changed; it reports whether it redrew.
func (p *Progress) Set(percent float64, eta time.Duration, c color.Color) bool {
	same := permille(p.Percent) == permille(percent) && p.Color == c
	if same && (p.ETA == eta || client.FormatCountdown(p.ETA) == client.FormatCountdown(eta)) {
		p.Percent, p.ETA = percent, eta
		return false
	}
	p.Percent, p.ETA, p.Color = percent, eta, c
	p.Refresh()
	return true
}

func permille(pc float64) int {
	if math.IsNaN(pc) || pc < 0 {
		return -1
	}
	return int(math.Round(min(pc, 100) * 10))
}

func (p *Progress) label() string { return progressLabel(p.Percent, p.ETA) }

// progressLabel is the text drawn on a Progress.
func progressLabel(percent float64, eta time.Duration) string {
	if math.IsNaN(percent) || percent < 0 {
		return "—"
	}
	pc := min(percent, 100)
	var s string
	if pc < 10 && pc != math.Trunc(pc) {
		s = strconv.FormatFloat(pc, 'f', 1, 64) + " %"
	} else {
		s = strconv.FormatFloat(math.Floor(pc), 'f', 0, 64) + " %"
	}
	if eta > 0 && pc < 100 {
		s += " · ETA " + client.FormatCountdown(eta)
	}
	return s
}

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (p *Progress) CreateRenderer() fyne.WidgetRenderer {
	p.ExtendBaseWidget(p)
	r := &progressRenderer{p: p,
		track: canvas.NewRectangle(color.Transparent),
		bar:   canvas.NewRectangle(color.Transparent),
		text:  canvas.NewText("", color.Black),
	}
	r.objects = []fyne.CanvasObject{r.track, r.bar, r.text}
	r.Refresh()
	return r
}

type progressRenderer struct {
	p          *Progress
	track, bar *canvas.Rectangle
	text       *canvas.Text
	objects    []fyne.CanvasObject
}

// barHeight is the thickness of the bar; the label sits to its right.
func (r *progressRenderer) barHeight() float32 {
	return r.p.Theme().Size(theme.SizeNameInnerPadding)
}

// labelSize is the room for the label: at least that of a typical
// "42 % · ETA 12 s", so that bars on neighbouring tiles line up.
func (r *progressRenderer) labelSize() fyne.Size {
	t := r.text.MinSize()
	typical := fyne.MeasureText("00 % · ETA 00 s", r.text.TextSize, r.text.TextStyle)
	return fyne.NewSize(max(t.Width, typical.Width), t.Height)
}

func (r *progressRenderer) MinSize() fyne.Size {
	pad := r.p.Theme().Size(theme.SizeNamePadding)
	t := r.labelSize()
	return fyne.NewSize(4*pad+pad+t.Width, max(t.Height, r.barHeight()))
}

func (r *progressRenderer) Layout(size fyne.Size) {
	pad := r.p.Theme().Size(theme.SizeNamePadding)
	t := r.labelSize()
	w := max(size.Width-t.Width-pad, 0)
	bh := r.barHeight()
	y := (size.Height - bh) / 2
	r.track.Move(fyne.NewPos(0, y))
	r.track.Resize(fyne.NewSize(w, bh))
	frac := float32(0)
	if pm := permille(r.p.Percent); pm > 0 {
		frac = float32(pm) / 1000
	}
	r.bar.Move(fyne.NewPos(0, y))
	r.bar.Resize(fyne.NewSize(w*frac, bh))
	r.bar.Hidden = frac == 0
	r.text.Move(fyne.NewPos(w+pad, (size.Height-t.Height)/2))
	r.text.Resize(r.text.MinSize())
}

func (r *progressRenderer) Refresh() {
	th := r.p.Theme()
	radius := r.barHeight() / 2
	r.track.FillColor = theme.ColorForWidget(theme.ColorNameInputBackground, r.p)
	r.track.StrokeColor = theme.ColorForWidget(theme.ColorNameInputBorder, r.p)
	r.track.StrokeWidth = 1
	r.track.CornerRadius = radius
	if r.p.Color != nil {
		r.bar.FillColor = r.p.Color
	} else {
		r.bar.FillColor = theme.ColorForWidget(theme.ColorNamePrimary, r.p)
	}
	r.bar.CornerRadius = radius
	r.text.Text = r.p.label()
	r.text.TextSize = th.Size(theme.SizeNameCaptionText)
	r.text.Color = theme.ColorForWidget(theme.ColorNameForeground, r.p)
	r.Layout(r.p.Size())
	r.track.Refresh()
	r.bar.Refresh()
	r.text.Refresh()
}

func (r *progressRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *progressRenderer) Destroy() {}
