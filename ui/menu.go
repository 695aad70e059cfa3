package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"

	"github.com/ssemon/ssemon/client"
)

// prefTheme is the preference key of the chosen ThemeMode.
const prefTheme = "theme"

func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

// mainMenu builds the window's menu bar.
func (x *App) mainMenu() *fyne.MainMenu {
	quit := fyne.NewMenuItem("Quit", x.Quit)
	quit.IsQuit = true
	quit.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault}
	add := fyne.NewMenuItem("Add channel…", x.showAdd)
	add.Icon = theme.ContentAddIcon()
	add.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}
	file := fyne.NewMenu("File",
		add,
		fyne.NewMenuItem("Import workspace…", x.importDialog),
		fyne.NewMenuItem("Open recording…", x.openRecordingDialog),
		fyne.NewMenuItem("Export workspace…", x.exportDialog),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Start demo server", x.onStartDemo),
		fyne.NewMenuItemSeparator(),
		quit,
	)
	present := fyne.NewMenuItem("Presentation mode", x.TogglePresentation)
	present.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyF11}
	themes := fyne.NewMenuItem("Theme", nil)
	themes.ChildMenu = fyne.NewMenu("",
		fyne.NewMenuItem("Follow system", func() { x.SetTheme(ThemeSystem) }),
		fyne.NewMenuItem("Light", func() { x.SetTheme(ThemeLight) }),
		fyne.NewMenuItem("Dark", func() { x.SetTheme(ThemeDark) }),
	)
	view := fyne.NewMenu("View",
		fyne.NewMenuItem("Dashboard", x.closeDetail),
		fyne.NewMenuItem("Alerts…", x.showAlerts),
		present,
		themes,
	)
	reconnect := fyne.NewMenuItem("Reconnect", x.reconnect)
	reconnect.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault}
	channel := fyne.NewMenu("Channels",
		reconnect,
		fyne.NewMenuItem("Pause all streams", func() { x.pauseAll(true) }),
		fyne.NewMenuItem("Resume all streams", func() { x.pauseAll(false) }),
	)
	menus := []*fyne.Menu{file, view, channel}
	if x.demo != nil {
		menus = append(menus, x.faultMenu())
	}
	return fyne.NewMainMenu(menus...)
}

// refreshMenu rebuilds the menu (demo started, view changed).
func (x *App) refreshMenu() {
	x.menu = x.mainMenu()
	if !x.presentOn {
		x.win.SetMainMenu(x.menu)
	}
}

// faultMenu offers the demo server's fault injections, on the channel in
// the detail view or, from the dashboard, on every demo channel.
func (x *App) faultMenu() *fyne.Menu {
	target := func() string {
		if x.detail != nil {
			if name, ok := x.demoChannelName(x.detail.v.ch.Config()); ok {
				return name
			}
		}
		return "" // every channel
	}
	scope := "all demo channels"
	if t := target(); t != "" {
		scope = t
	}
	item := func(label string, f func(ch string)) *fyne.MenuItem {
		return fyne.NewMenuItem(label+" ("+scope+")", func() {
			if x.demo != nil {
				f(target())
			}
		})
	}
	return fyne.NewMenu("Demo",
		item("Drop connections", func(ch string) { x.demo.srv.Drop(ch) }),
		item("Stall 20 s", func(ch string) { x.demo.srv.Stall(ch, 20*time.Second) }),
		item("Burst 500 events", func(ch string) { x.demo.srv.Burst(ch, 500) }),
		item("Send a malformed frame", func(ch string) { x.demo.srv.Malformed(ch) }),
		item("Retry 1 s", func(ch string) { x.demo.srv.SetRetry(ch, time.Second) }),
		item("Retry 10 s", func(ch string) { x.demo.srv.SetRetry(ch, 10*time.Second) }),
		item("Fail next connect (503)", func(ch string) { x.demo.srv.FailNext(ch, 503) }),
	)
}

// installShortcuts binds the keyboard: Ctrl+N add, Ctrl+F search, Space
// pause, Ctrl+R reconnect, F11 presentation, Escape back, Ctrl+Q quit.
func (x *App) installShortcuts() {
	c := x.win.Canvas()
	mod := fyne.KeyModifierShortcutDefault
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: mod}, func(fyne.Shortcut) { x.showAdd() })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: mod}, func(fyne.Shortcut) { x.focusSearch() })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: mod}, func(fyne.Shortcut) { x.reconnect() })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: mod}, func(fyne.Shortcut) { x.Quit() })
	c.SetOnTypedKey(x.typedKey)
}

// typedKey handles keys no focused widget took.
func (x *App) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyF11:
		x.TogglePresentation()
	case fyne.KeyEscape:
		if x.presentOn {
			x.setPresentation(false)
		} else {
			x.closeDetail()
		}
	case fyne.KeySpace:
		x.togglePause()
	}
}

// focusSearch focuses the detail view's search, or the dashboard filter.
func (x *App) focusSearch() {
	if x.presentOn {
		return
	}
	if x.detail != nil {
		x.detail.focusSearch()
		return
	}
	x.win.Canvas().Focus(x.search)
}

// togglePause pauses the log display of the detail view (Space). On the
// dashboard it pauses every stream, or resumes them all if all are paused.
func (x *App) togglePause() {
	if x.detail != nil {
		x.detail.toggleHold()
		return
	}
	all := true
	for _, ch := range x.mgr.Channels() {
		if !ch.Offline() && ch.Status().State != client.Paused {
			all = false
			break
		}
	}
	x.pauseAll(!all)
}

func (x *App) pauseAll(pause bool) {
	for _, ch := range x.mgr.Channels() {
		if ch.Offline() {
			continue // recordings never connect
		}
		if pause {
			ch.Pause()
		} else {
			ch.Resume()
		}
	}
}

// reconnect reconnects the channel in the detail view, or every channel.
func (x *App) reconnect() {
	if x.detail != nil {
		if !x.detail.v.ch.Offline() {
			x.detail.v.ch.Reconnect()
		}
		return
	}
	for _, ch := range x.mgr.Channels() {
		if !ch.Offline() {
			ch.Reconnect()
		}
	}
}

// SetTheme switches between the system's, the light and the dark theme and
// remembers the choice.
func (x *App) SetTheme(m ThemeMode) {
	x.themeM = m
	x.app.Preferences().SetInt(prefTheme, int(m))
	x.app.Settings().SetTheme(appTheme{mode: m})
	if !x.presentOn {
		x.dashOver.Theme = appTheme{mode: m}
		x.dashOver.Refresh()
	}
}

func (x *App) importDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			dialog.ShowError(err, x.win)
			return
		}
		if r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		if err := x.importWorkspace(path); err != nil {
			dialog.ShowError(err, x.win)
		}
	}, x.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
	d.Show()
}

func (x *App) exportDialog() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			dialog.ShowError(err, x.win)
			return
		}
		if w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		if err := x.exportWorkspace(path); err != nil {
			dialog.ShowError(err, x.win)
		}
	}, x.win)
	d.SetFileName("ssemon-workspace.json")
	d.Show()
}
