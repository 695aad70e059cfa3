package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
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
	})
	x.win.Canvas().Unfocus()
	d.Show()
	return o
}

// topDialog returns the dialog on top, or nil.
func (x *App) topDialog() *openDialog {
	if n := len(x.dialogs); n > 0 {
		return x.dialogs[n-1]
	}
	return nil
}

// showError shows err in a dialog (Enter or Escape closes it).
func (x *App) showError(err error) {
	d := dialog.NewError(err, x.win)
	x.showDialog(d, d.Hide, nil)
}

// showInfo shows a message in a dialog (Enter or Escape closes it).
func (x *App) showInfo(title, message string) {
	d := dialog.NewInformation(title, message, x.win)
	x.showDialog(d, d.Hide, nil)
}

// showConfirm asks a question; Enter confirms, Escape cancels.
func (x *App) showConfirm(title, message string, onConfirm func()) {
	var d *dialog.ConfirmDialog
	answered := false
	d = dialog.NewConfirm(title, message, func(ok bool) {
		if ok && !answered {
			answered = true
			onConfirm()
		}
	}, x.win)
	x.showDialog(d, func() { d.Confirm() }, nil)
}

var _ fyne.Widget = (*guardedEntry)(nil)
