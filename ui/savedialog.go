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
	"fyne.io/fyne/v2/storage"
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

// prefOpenDir is the preference key of the folder of the last file opened.
const prefOpenDir = "openDir"

// lastDir is the folder remembered under the preference pref, else the
// home folder.
func (x *App) lastDir(pref string) string {
	if d := x.app.Preferences().String(pref); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		return home
	}
	return "."
}

// pathDialog asks for a file: a typed path (absolute, "~/…", or relative
// to the folder last used for the same purpose), prefilled with that
// folder. Enter takes the action (Export, Open), Escape cancels; a failure
// is said in the dialog, which stays open.
type pathDialog struct {
	x      *App
	path   *guardedEntry
	status *widget.Label
	d      *dialog.CustomDialog
	// pref remembers the folder of the last file acted on.
	pref string
	// act acts on the file; what it returns, when not "", is confirmed
	// in a dialog titled done ("Wrote 1 200 rows to …").
	act  func(path string) (string, error)
	done string
}

// showPathDialog opens a pathDialog titled title, prefilled with name in
// the remembered folder; extra controls go left of Cancel.
func (x *App) showPathDialog(title, verb, name, hint, pref string, act func(path string) (string, error), extra ...fyne.CanvasObject) *pathDialog {
	s := &pathDialog{x: x, pref: pref, act: act}
	s.path = newGuardedEntry(x.windowKey)
	s.path.SetText(filepath.Join(x.lastDir(pref), name))
	if name == "" {
		s.path.SetText(s.path.Text + string(filepath.Separator))
	}
	s.status = widget.NewLabel(hint)
	s.status.Wrapping = fyne.TextWrapWord
	ok := newGuardedButton(x.windowKey, verb, nil, s.submit)
	ok.Importance = widget.HighImportance
	cancel := newGuardedButton(x.windowKey, "Cancel", nil, func() { s.d.Hide() })
	buttons := container.NewHBox(append(extra, layoutSpacer(), cancel, ok)...)
	content := container.NewVBox(
		widget.NewLabel("File (an absolute path, ~/…, or a name in the folder shown):"),
		s.path, s.status, buttons,
	)
	s.d = dialog.NewCustomWithoutButtons(title, content, x.win)
	s.d.Resize(fyne.NewSize(620, 0))
	x.showDialog(s.d, s.submit, nil)
	x.win.Canvas().Focus(s.path)
	s.path.CursorColumn = len([]rune(s.path.Text))
	return s
}

// showSavePath asks for a file to write, called name in the folder of the
// last export; write returns what it wrote ("1 200 rows"), which a dialog
// confirms with the file.
func (x *App) showSavePath(title, name, hint string, write func(path string) (string, error)) *pathDialog {
	s := x.showPathDialog(title, "Export", name, hint, prefExportDir, write)
	s.done = "Exported"
	return s
}

// showOpenPath asks for a file to read, in the folder of the last file
// opened; Browse… offers the toolkit's file picker (files ending in one of
// exts), whose choice is opened at once.
func (x *App) showOpenPath(title, hint string, exts []string, open func(path string) error) *pathDialog {
	var s *pathDialog
	browse := newGuardedButton(x.windowKey, "Browse…", nil, func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				if err != nil {
					s.fail(err)
				}
				return
			}
			r.Close()
			s.path.SetText(r.URI().Path())
			s.submit()
		}, x.win)
		d.SetFilter(storage.NewExtensionFileFilter(exts))
		if dir, err := storage.ListerForURI(storage.NewFileURI(x.lastDir(prefOpenDir))); err == nil {
			d.SetLocation(dir)
		}
		x.showDialog(d, nil, nil)
	})
	s = x.showPathDialog(title, "Open", "", hint, prefOpenDir, func(p string) (string, error) {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			return "", err
		case fi.IsDir():
			return "", fmt.Errorf("%s is a folder: add the file's name", p)
		}
		return "", open(p)
	}, browse)
	return s
}

// submit acts on the file and confirms it, or says what went wrong and
// stays open.
func (s *pathDialog) submit() {
	p, err := expandPath(s.path.Text, s.x.lastDir(s.pref))
	if err == nil {
		var what string
		if what, err = s.act(p); err == nil {
			s.x.app.Preferences().SetString(s.pref, filepath.Dir(p))
			s.d.Hide()
			if what != "" {
				s.x.showInfo(s.done, "Wrote "+what+" to "+p)
			}
			return
		}
	}
	s.fail(err)
}

// fail says err in the dialog.
func (s *pathDialog) fail(err error) {
	s.status.Importance = widget.DangerImportance
	s.status.SetText(err.Error())
}
