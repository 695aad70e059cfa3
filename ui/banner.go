package ui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Banner is an in-app notice across the top of the window: "orders failed
// (404)", "prices recovered". It stands in for desktop notifications where
// the session has none, and carries errors that must not be missed. The
// dismiss button hides it and calls OnDismissed.
type Banner struct {
	widget.BaseWidget

	// OnDismissed is called after the user closed the banner.
	OnDismissed func()

	text string
	kind PillKind
	// until is when a passing notice closes by itself (zero: never).
	until time.Time
	close *guardedButton
}

// NewBanner returns a hidden banner.
func NewBanner() *Banner {
	b := &Banner{}
	b.ExtendBaseWidget(b)
	b.close = newGuardedButton(noKeys, "", theme.CancelIcon(), b.Dismiss)
	b.close.Importance = widget.LowImportance
	b.Hide()
	return b
}

// Notify shows the banner saying text in the colours of kind, until it is
// dismissed or replaced.
func (b *Banner) Notify(text string, kind PillKind) {
	b.text, b.kind, b.until = text, kind, time.Time{}
	b.Show()
	b.Refresh()
}

// NotifyUntil shows the banner like Notify; Expire closes it at until.
func (b *Banner) NotifyUntil(text string, kind PillKind, until time.Time) {
	b.Notify(text, kind)
	b.until = until
}

// Expire closes a banner shown with NotifyUntil once now reaches its end,
// and reports whether it did.
func (b *Banner) Expire(now time.Time) bool {
	if b.until.IsZero() || now.Before(b.until) || b.text == "" {
		return false
	}
	b.Dismiss()
	return true
}

// Text returns the message shown ("" after Dismiss).
func (b *Banner) Text() string { return b.text }

// Dismiss hides the banner and calls OnDismissed.
func (b *Banner) Dismiss() {
	b.text, b.until = "", time.Time{}
	b.Hide()
	if b.OnDismissed != nil {
		b.OnDismissed()
	}
}

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (b *Banner) CreateRenderer() fyne.WidgetRenderer {
	b.ExtendBaseWidget(b)
	r := &bannerRenderer{b: b, bg: canvas.NewRectangle(color.Transparent), text: canvas.NewText("", color.Black)}
	r.text.TextStyle = fyne.TextStyle{Bold: true}
	r.objects = []fyne.CanvasObject{r.bg, r.text, b.close}
	r.Refresh()
	return r
}

type bannerRenderer struct {
	b       *Banner
	bg      *canvas.Rectangle
	text    *canvas.Text
	objects []fyne.CanvasObject
}

func (r *bannerRenderer) MinSize() fyne.Size {
	pad := r.b.Theme().Size(theme.SizeNameInnerPadding)
	t, c := r.text.MinSize(), r.b.close.MinSize()
	return fyne.NewSize(t.Width+c.Width+3*pad, max(t.Height+pad, c.Height))
}

func (r *bannerRenderer) Layout(size fyne.Size) {
	pad := r.b.Theme().Size(theme.SizeNameInnerPadding)
	r.bg.Resize(size)
	c := r.b.close.MinSize()
	r.b.close.Move(fyne.NewPos(size.Width-c.Width, (size.Height-c.Height)/2))
	r.b.close.Resize(c)
	t := r.text.MinSize()
	r.text.Move(fyne.NewPos(pad, (size.Height-t.Height)/2))
	r.text.Resize(fyne.NewSize(max(size.Width-c.Width-2*pad, 0), t.Height))
}

func (r *bannerRenderer) Refresh() {
	var bg, fg fyne.ThemeColorName
	switch r.b.kind {
	case PillWarning:
		bg, fg = theme.ColorNameWarning, theme.ColorNameForegroundOnWarning
	case PillError:
		bg, fg = theme.ColorNameError, theme.ColorNameForegroundOnError
	default:
		bg, fg = theme.ColorNameSuccess, theme.ColorNameForegroundOnSuccess
	}
	r.bg.FillColor = theme.ColorForWidget(bg, r.b)
	r.text.Color = theme.ColorForWidget(fg, r.b)
	r.text.TextSize = r.b.Theme().Size(theme.SizeNameText)
	r.text.Text = r.b.text
	r.Layout(r.b.Size())
	r.bg.Refresh()
	r.text.Refresh()
}

func (r *bannerRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *bannerRenderer) Destroy() {}
