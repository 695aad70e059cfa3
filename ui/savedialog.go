package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// prefExportDir is the preference key of the folder of the last export.
const prefExportDir = "exportDir"

// expandPath turns a typed path into an absolute one: "~" and "~/…" are
// the home folder, a relative path is taken in dir.
func expandPath(p, dir string) (string, error) {
	p = strings.TrimSpace(p)
	switch {
	case p == "":
		return "", errors.New("enter a file name")
	case p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`):
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no home folder for %q: %w", p, err)
		}
		p = filepath.Join(home, p[1:])
	case !filepath.IsAbs(p):
		p = filepath.Join(dir, p)
	}
	return filepath.Clean(p), nil
}

// exportDir is the folder an export dialog starts in: the last one used,
// else the home folder.
func (x *App) exportDir() string {
	if d := x.app.Preferences().String(prefExportDir); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		return home
	}
	return "."
}

// savePathDialog asks for a file to write: a typed path (absolute, "~/…",
// or relative to the folder of the last export), prefilled with that
// folder and name. Enter writes, Escape cancels. write returns what it
// wrote ("1 200 rows"), which the confirmation names with the file.
type savePathDialog struct {
	x      *App
	path   *guardedEntry
	status *widget.Label
	d      dialog.Dialog
	write  func(path string) (string, error)
}

// showSavePath opens a savePathDialog titled title for a file called name.
func (x *App) showSavePath(title, name, hint string, write func(path string) (string, error)) *savePathDialog {
	s := &savePathDialog{x: x, write: write}
	s.path = newGuardedEntry(x.windowKey)
	s.path.SetText(filepath.Join(x.exportDir(), name))
	s.status = widget.NewLabel(hint)
	s.status.Wrapping = fyne.TextWrapWord
	save := newGuardedButton(x.windowKey, "Export", nil, s.submit)
	save.Importance = widget.HighImportance
	cancel := newGuardedButton(x.windowKey, "Cancel", nil, func() { s.d.Hide() })
	content := container.NewVBox(
		widget.NewLabel("File (an absolute path, ~/…, or a name in the folder shown):"),
		s.path, s.status,
		container.NewHBox(layoutSpacer(), cancel, save),
	)
	s.d = dialog.NewCustomWithoutButtons(title, content, x.win)
	s.d.Resize(fyne.NewSize(620, 0))
	x.showDialog(s.d, s.submit, nil)
	x.win.Canvas().Focus(s.path)
	return s
}

// submit writes the file and confirms it, or says what went wrong and
// stays open.
func (s *savePathDialog) submit() {
	p, err := expandPath(s.path.Text, s.x.exportDir())
	if err == nil {
		var what string
		if what, err = s.write(p); err == nil {
			s.x.app.Preferences().SetString(prefExportDir, filepath.Dir(p))
			s.d.Hide()
			s.x.showInfo("Exported", "Wrote "+what+" to "+p)
			return
		}
	}
	s.status.Importance = widget.DangerImportance
	s.status.SetText(err.Error())
}
