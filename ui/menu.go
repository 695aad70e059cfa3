package ui

import (
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
	)
	if x.opts.DemoServer != nil && x.demo == nil {
		file.Items = append(file.Items, fyne.NewMenuItem("Start demo server", x.onStartDemo), fyne.NewMenuItemSeparator())
	}
	file.Items = append(file.Items, quit)
	present := fyne.NewMenuItem("Presentation mode", x.TogglePresentation)
	present.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyF11}
	themes := fyne.NewMenuItem("Theme", nil)
	themes.ChildMenu = fyne.NewMenu("")
	for _, m := range []struct {
		label string
		mode  ThemeMode
	}{{"Follow system", ThemeSystem}, {"Light", ThemeLight}, {"Dark", ThemeDark}} {
		it := fyne.NewMenuItem(m.label, func() { x.SetTheme(m.mode) })
		it.Checked = x.themeM == m.mode
		themes.ChildMenu.Items = append(themes.ChildMenu.Items, it)
	}
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

// faultMenu offers the demo server's scenarios and fault injections, on
// the channel in the detail view or, from the dashboard, on every demo
// channel.
func (x *App) faultMenu() *fyne.Menu {
	target := ""
	if x.detail != nil {
		if dc, ok := x.demoChannel(x.detail.v.ch.Config()); ok {
			target = dc.Name
		}
	}
	items := x.demoMenuItems(target)
	scenarios := fyne.NewMenuItem("Scenarios", nil)
	var sc []*fyne.MenuItem
	for _, dc := range x.demoScenarios() {
		sc = append(sc, fyne.NewMenuItem(dc.Name+" — "+dc.Description, func() { x.openDemoChannel(dc) }))
	}
	scenarios.ChildMenu = fyne.NewMenu("", sc...)
	items = append(items, fyne.NewMenuItemSeparator(), scenarios)
	return fyne.NewMenu("Demo", items...)
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
	// Fyne re-applies the theme to everything in the window; tiles the
	// dashboard keeps out of view see it when they are reused (Tile.Update).
	x.app.Settings().SetTheme(appTheme{mode: m})
	x.dashOver.Refresh()
	x.refreshMenu()
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
