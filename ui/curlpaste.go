package ui

import (
	"os"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client/curlcmd"
)

// pasteCurlButton opens a dialog to paste a curl command (from a terminal,
// a README or a browser's "Copy as cURL"); its request fills the form.
func (f *channelForm) pasteCurlButton() *guardedButton {
	return newGuardedButton(f.x.windowKey, "Paste curl…", theme.ContentPasteIcon(), f.showPasteCurl)
}

func (f *channelForm) showPasteCurl() {
	cmd := newGuardedMultiLineEntry(f.x.windowKey)
	cmd.SetPlaceHolder("curl -N -H 'Authorization: Bearer …' https://api.example.com/events")
	cmd.SetMinRowsVisible(6)
	cmd.Wrapping = fyne.TextWrapBreak
	if clip := f.x.app.Clipboard().Content(); strings.HasPrefix(strings.TrimSpace(clip), "curl") {
		cmd.SetText(clip)
	}
	msg := widget.NewLabel("The URL, method, headers, body, -k and --cacert fill the form.")
	msg.Wrapping = fyne.TextWrapWord
	var dlg dialog.Dialog
	apply := func() {
		if err := f.applyCurl(cmd.Text, os.ReadFile); err != nil {
			msg.Importance = widget.DangerImportance
			msg.SetText(err.Error())
			return
		}
		dlg.Hide()
	}
	fill := newGuardedButton(f.x.windowKey, "Fill the form", theme.ConfirmIcon(), apply)
	fill.Importance = widget.HighImportance
	cancel := newGuardedButton(f.x.windowKey, "Cancel", theme.CancelIcon(), func() { dlg.Hide() })
	content := container.NewBorder(nil, container.NewVBox(msg, container.NewHBox(layoutSpacer(), cancel, fill)), nil, nil, cmd)
	dlg = dialog.NewCustomWithoutButtons("Paste a curl command", content, f.x.win)
	dlg.Resize(fyne.NewSize(600, 320))
	// Enter in the command field is a new line; elsewhere it fills the form.
	f.x.showDialog(dlg, apply, nil)
	f.x.win.Canvas().Focus(cmd)
}

// applyCurl reads a curl command into the form's request fields; what
// the form cannot hold is said in the status line.
func (f *channelForm) applyCurl(cmd string, readFile func(string) ([]byte, error)) error {
	res, err := curlcmd.Parse(cmd, readFile)
	if err != nil {
		return err
	}
	c := res.Channel
	f.url.SetText(c.URL)
	if strings.TrimSpace(f.name.Text) == "" && f.orig == "" {
		f.name.SetText(c.Name)
	}
	method := orDefault(c.Method, "GET")
	if !slices.Contains(f.method.Options, method) {
		f.method.SetOptions(append(f.method.Options, method))
	}
	f.method.SetSelected(method)
	for len(f.headers) > 0 {
		f.headerBox.Remove(f.headers[0].row)
		f.headers = f.headers[1:]
	}
	for _, h := range c.Headers {
		f.addHeader(h.Name, h.Value)
	}
	f.body.SetText(c.Body)
	f.insecure.SetChecked(c.Insecure)
	f.caFile.SetText(c.CAFile)
	notes := []string{"Filled from the curl command."}
	if c.LastEventID != "" {
		notes = append(notes, "Its Last-Event-ID ("+c.LastEventID+") is not kept: the channel resumes from the ids it receives.")
	}
	if len(res.Ignored) > 0 {
		notes = append(notes, "Left out (no use to a stream): "+strings.Join(res.Ignored, ", ")+".")
	}
	f.status.Importance = widget.MediumImportance
	f.status.SetText(strings.Join(notes, " "))
	return nil
}
