package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// PillKind selects a Pill's colours.
type PillKind uint8

// The pill kinds, each drawn with the theme's matching colour pair.
const (
	// PillInfo is neutral: counters such as "120 waiting".
	PillInfo PillKind = iota
	// PillWarning marks something worth a look: gaps, duplicates, evictions.
	PillWarning
	// PillError marks a failure.
	PillError
)

// Pill is a small rounded label for counters and flags ("2 gaps · 1 dup",
// "120 waiting"). An empty pill takes no space and draws nothing.
type Pill struct {
	widget.BaseWidget

	// Text is what the pill says.
	Text string
	// Kind selects the colours.
	Kind PillKind
}

// NewPill returns a pill saying text in the colours of kind.
func NewPill(text string, kind PillKind) *Pill {
	p := &Pill{Text: text, Kind: kind}
	p.ExtendBaseWidget(p)
	return p
}

// SetText changes the text, redrawing only if it changed.
func (p *Pill) SetText(text string) {
	if p.Text == text {
		return
	}
	p.Text = text
	p.Refresh()
}

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (p *Pill) CreateRenderer() fyne.WidgetRenderer {
	p.ExtendBaseWidget(p)
	r := &pillRenderer{p: p, bg: canvas.NewRectangle(color.Transparent), text: canvas.NewText("", color.Black)}
	r.text.TextStyle = fyne.TextStyle{Bold: true}
	r.objects = []fyne.CanvasObject{r.bg, r.text}
	r.Refresh()
	return r
}

type pillRenderer struct {
	p       *Pill
	bg      *canvas.Rectangle
	text    *canvas.Text
	objects []fyne.CanvasObject
}

func (r *pillRenderer) colors() (bg, fg fyne.ThemeColorName) {
	switch r.p.Kind {
	case PillWarning:
		return theme.ColorNameWarning, theme.ColorNameForegroundOnWarning
	case PillError:
		return theme.ColorNameError, theme.ColorNameForegroundOnError
	default:
		return theme.ColorNamePrimary, theme.ColorNameForegroundOnPrimary
	}
}

func (r *pillRenderer) MinSize() fyne.Size {
	if r.p.Text == "" {
		return fyne.Size{}
	}
	pad := r.p.Theme().Size(theme.SizeNamePadding)
	s := r.text.MinSize()
	return fyne.NewSize(s.Width+2*pad, s.Height)
}

func (r *pillRenderer) Layout(size fyne.Size) {
	pad := r.p.Theme().Size(theme.SizeNamePadding)
	r.bg.Resize(size)
	s := r.text.MinSize()
	r.text.Move(fyne.NewPos(pad, (size.Height-s.Height)/2))
	r.text.Resize(fyne.NewSize(max(size.Width-2*pad, 0), s.Height))
}

func (r *pillRenderer) Refresh() {
	th := r.p.Theme()
	bg, fg := r.colors()
	r.bg.FillColor = theme.ColorForWidget(bg, r.p)
	r.bg.CornerRadius = th.Size(theme.SizeNameCaptionText) / 2
	r.text.Color = theme.ColorForWidget(fg, r.p)
	r.text.TextSize = th.Size(theme.SizeNameCaptionText)
	r.text.Text = r.p.Text
	r.bg.Hidden = r.p.Text == ""
	r.text.Hidden = r.p.Text == ""
	r.Layout(r.p.Size())
	r.bg.Refresh()
	r.text.Refresh()
}

func (r *pillRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *pillRenderer) Destroy() {}
