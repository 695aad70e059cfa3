package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// StateBadge shows a connection state as a coloured pill with words in it:
// "open", "retrying in 4 s (attempt 3)", "failed 404". The colour comes from
// StateColor, so a state looks the same in every view and theme.
type StateBadge struct {
	widget.BaseWidget

	// State selects the colour.
	State client.State
	// Text is what the pill says; empty means the state's name.
	Text string
}

// NewStateBadge returns a badge for state s saying text (empty: the state's name).
func NewStateBadge(s client.State, text string) *StateBadge {
	b := &StateBadge{State: s, Text: text}
	b.ExtendBaseWidget(b)
	return b
}

// Set changes the state and text, redrawing only if either changed.
func (b *StateBadge) Set(s client.State, text string) {
	if b.State == s && b.Text == text {
		return
	}
	b.State, b.Text = s, text
	b.Refresh()
}

func (b *StateBadge) label() string {
	if b.Text != "" {
		return b.Text
	}
	return b.State.String()
}

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (b *StateBadge) CreateRenderer() fyne.WidgetRenderer {
	b.ExtendBaseWidget(b)
	r := &stateBadgeRenderer{b: b, bg: canvas.NewRectangle(StateColor(b.State)), text: canvas.NewText("", onStateColor)}
	r.text.TextStyle = fyne.TextStyle{Bold: true}
	r.objects = []fyne.CanvasObject{r.bg, r.text}
	r.Refresh()
	return r
}

type stateBadgeRenderer struct {
	b       *StateBadge
	bg      *canvas.Rectangle
	text    *canvas.Text
	objects []fyne.CanvasObject
}

func (r *stateBadgeRenderer) padding() (h, v float32) {
	th := r.b.Theme()
	p := th.Size(theme.SizeNameInnerPadding)
	return p, p / 4
}

func (r *stateBadgeRenderer) MinSize() fyne.Size {
	h, v := r.padding()
	s := r.text.MinSize()
	return fyne.NewSize(s.Width+2*h, s.Height+2*v)
}

func (r *stateBadgeRenderer) Layout(size fyne.Size) {
	h, _ := r.padding()
	r.bg.Resize(size)
	s := r.text.MinSize()
	r.text.Move(fyne.NewPos(h, (size.Height-s.Height)/2))
	r.text.Resize(fyne.NewSize(size.Width-2*h, s.Height))
}

func (r *stateBadgeRenderer) Refresh() {
	th := r.b.Theme()
	r.bg.FillColor = StateColor(r.b.State)
	r.bg.CornerRadius = th.Size(theme.SizeNameSelectionRadius) * 2
	r.text.Text = r.b.label()
	r.text.TextSize = th.Size(theme.SizeNameCaptionText) * 1.1
	r.Layout(r.b.Size())
	r.bg.Refresh()
	r.text.Refresh()
}

func (r *stateBadgeRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *stateBadgeRenderer) Destroy() {}
