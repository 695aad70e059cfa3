package ui

import (
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// openDialog is a dialog the window opened, for the window keys: Escape
// dismisses it, Enter takes its default action.
type openDialog struct {
	d dialog.Dialog
	// confirm is the default action (nil: Enter does nothing).
	confirm func()
	// cancel runs instead of hiding the dialog on Escape (nil: hide).
	cancel func()
}

func (o *openDialog) dismiss() {
	if o.cancel != nil {
		o.cancel()
		return
	}
	o.d.Hide()
}

// showDialog shows d and tracks it until it closes, so that the window
// keys act on it and never on the view behind. confirm is its default
// action (Enter); cancel replaces Hide on Escape. Every dialog of the
// window goes through here.
func (x *App) showDialog(d dialog.Dialog, confirm, cancel func()) *openDialog {
	o := &openDialog{d: d, confirm: confirm, cancel: cancel}
	x.dialogs = append(x.dialogs, o)
	d.SetOnClosed(func() {
		for i, e := range x.dialogs {
			if e == o {
				x.dialogs = append(x.dialogs[:i], x.dialogs[i+1:]...)
				break
			}
		}
		x.log.Debug("dialog closed", "open", len(x.dialogs))
	})
	x.win.Canvas().Unfocus()
	d.Show()
	x.log.Debug("dialog shown", "open", len(x.dialogs))
	return o
}

// topDialog returns the dialog on top, or nil.
func (x *App) topDialog() *openDialog {
	if n := len(x.dialogs); n > 0 {
		return x.dialogs[n-1]
	}
	return nil
}

// newDialog returns a dialog of content with buttons, laid out as the
// toolkit's own dialogs; its buttons are guarded ones (Fyne's standard
// dialogs have plain buttons, which would keep Escape once focused).
func (x *App) newDialog(title string, icon fyne.Resource, content fyne.CanvasObject, buttons ...*guardedButton) *dialog.CustomDialog {
	d := dialog.NewCustomWithoutButtons(title, content, x.win)
	row := make([]fyne.CanvasObject, len(buttons))
	for i, b := range buttons {
		row[i] = b
	}
	d.SetButtons(row)
	d.SetIcon(icon)
	return d
}

// textContent is a dialog's message, centred and wrapped.
func textContent(message string) *widget.Label {
	return &widget.Label{Text: message, Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord}
}

// fitText sizes a message dialog as the toolkit's own: as wide as the
// message on one line, at most 600 and 90 % of the window, and as high as
// the message wrapped to that width.
func (x *App) fitText(d *dialog.CustomDialog, l *widget.Label) {
	pad := 32 + 2*theme.Padding() // the dialog's own margins
	w := widget.NewLabel(l.Text).MinSize().Width + pad
	w = min(w, 600, x.win.Canvas().Size().Width*0.9)
	l.Resize(fyne.NewSize(w-pad, l.MinSize().Height)) // wraps it at that width
	d.Resize(fyne.NewSize(w, d.MinSize().Height))
}

// showMessage shows a message with an OK button (Enter or Escape closes it).
func (x *App) showMessage(title string, icon fyne.Resource, message string) {
	var d *dialog.CustomDialog
	ok := newGuardedButton(x.windowKey, "OK", nil, func() { d.Hide() })
	l := textContent(message)
	d = x.newDialog(title, icon, l, ok)
	x.fitText(d, l)
	x.showDialog(d, d.Hide, nil)
}

// showError shows err in a dialog (Enter or Escape closes it).
func (x *App) showError(err error) {
	text := err.Error()
	if r, size := utf8.DecodeRuneInString(text); r != utf8.RuneError {
		text = string(unicode.ToUpper(r)) + text[size:]
	}
	x.showMessage("Error", theme.ErrorIcon(), text)
}

// showInfo shows a message in a dialog (Enter or Escape closes it).
func (x *App) showInfo(title, message string) {
	x.showMessage(title, theme.InfoIcon(), message)
}

// showConfirm asks a question; Enter (or Yes) confirms, Escape (or No)
// cancels.
func (x *App) showConfirm(title, message string, onConfirm func()) {
	var d *dialog.CustomDialog
	answered := false
	yes := func() {
		d.Hide()
		if !answered {
			answered = true
			onConfirm()
		}
	}
	no := newGuardedButton(x.windowKey, "No", theme.CancelIcon(), func() { d.Hide() })
	ok := newGuardedButton(x.windowKey, "Yes", theme.ConfirmIcon(), yes)
	ok.Importance = widget.HighImportance
	l := textContent(message)
	d = x.newDialog(title, theme.QuestionIcon(), l, no, ok)
	x.fitText(d, l)
	x.showDialog(d, yes, nil)
}

var _ fyne.Widget = (*guardedEntry)(nil)
