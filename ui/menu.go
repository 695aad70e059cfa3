package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"strconv"

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
	add := fyne.NewMenuItem("Add channel…", x.unlessDialog(x.showAdd))
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
	present := fyne.NewMenuItem("Presentation mode", x.unlessDialog(x.TogglePresentation))
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
	reconnect := fyne.NewMenuItem("Reconnect", x.unlessDialog(x.reconnect))
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
	var dc DemoChannel
	var ch *client.Channel // nil: every scenario channel
	if x.detail != nil {
		if c, ok := x.demoChannel(x.detail.v.ch.Config()); ok {
			dc, ch = c, x.detail.v.ch
		}
	}
	items := x.demoMenuItems(dc, ch)
	scenarios := fyne.NewMenuItem("Scenarios", nil)
	var sc []*fyne.MenuItem
	for _, dc := range x.demoScenarios() {
		sc = append(sc, fyne.NewMenuItem(dc.Name+" — "+dc.Description, func() { x.openDemoChannel(dc) }))
	}
	scenarios.ChildMenu = fyne.NewMenu("", sc...)
	items = append(items, fyne.NewMenuItemSeparator(), scenarios)
	if ms := x.demoModelItems(); len(ms) > 0 {
		models := fyne.NewMenuItem("Model streams", nil)
		models.ChildMenu = fyne.NewMenu("", ms...)
		items = append(items, models)
	}
	return fyne.NewMenu("Demo", items...)
}

// installShortcuts binds the keyboard: Ctrl+N add, Ctrl+F search, Space
// pause, Ctrl+R reconnect, Ctrl+Tab and Ctrl+Shift+Tab the detail view's
// tabs, F11 presentation, Escape back, Ctrl+Q quit.
func (x *App) installShortcuts() {
	c := x.win.Canvas()
	mod := fyne.KeyModifierShortcutDefault
	on := func(f func()) func(fyne.Shortcut) {
		f = x.unlessDialog(f)
		return func(fyne.Shortcut) { f() }
	}
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: mod}, on(x.showAdd))
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: mod}, on(x.focusSearch))
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: mod}, on(x.reconnect))
	// Ctrl+Tab is Ctrl on every desktop, macOS included.
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyTab, Modifier: fyne.KeyModifierControl}, on(func() { x.cycleTab(1) }))
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyTab, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift}, on(func() { x.cycleTab(-1) }))
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: mod}, func(fyne.Shortcut) { x.Quit() })
	c.SetOnTypedKey(x.typedKey)
}

// unlessDialog returns f, doing nothing while a dialog is open: no
// shortcut reaches the view behind a dialog.
func (x *App) unlessDialog(f func()) func() {
	return func() {
		if x.topDialog() == nil {
			f()
		}
	}
}

// windowKey handles the keys that act whatever has the focus. With a
// dialog open, Escape cancels it, Enter takes its default action, and no
// key reaches the view behind it. Otherwise F11 toggles presentation
// mode, and Escape leaves it, else clears the focused filter field, else
// goes back to the dashboard, else clears the dashboard filter.
func (x *App) windowKey(ev *fyne.KeyEvent) bool {
	if d := x.topDialog(); d != nil {
		switch ev.Name {
		case fyne.KeyEscape:
			d.dismiss()
			return true
		case fyne.KeyReturn, fyne.KeyEnter:
			if d.confirm != nil {
				d.confirm()
				return true
			}
			return false
		}
		return ev.Name == fyne.KeyF11
	}
	switch ev.Name {
	case fyne.KeyF11:
		x.TogglePresentation()
		return true
	case fyne.KeyEscape:
		c := x.win.Canvas()
		switch e := focusedEntry(c); {
		case x.presentOn:
			x.setPresentation(false)
		case e != nil && e.Text != "":
			e.SetText("")
		case x.detail != nil:
			c.Unfocus()
			x.closeDetail()
		case x.search.Text != "":
			c.Unfocus()
			x.search.SetText("")
		default:
			return false
		}
		return true
	}
	return false
}

// focusedEntry returns the text field that has the focus, or nil.
func focusedEntry(c fyne.Canvas) *widget.Entry {
	switch e := c.Focused().(type) {
	case *guardedEntry:
		return &e.Entry
	case *guardedSelectEntry:
		return &e.Entry
	}
	return nil
}

// typedKey handles keys no focused widget took: the window keys, Space
// (pause), and the arrows and Enter, which move to the tiles.
func (x *App) typedKey(ev *fyne.KeyEvent) {
	if x.windowKey(ev) || x.topDialog() != nil {
		return
	}
	switch ev.Name {
	case fyne.KeySpace:
		x.togglePause()
	case fyne.KeyUp, fyne.KeyDown, fyne.KeyLeft, fyne.KeyRight, fyne.KeyReturn, fyne.KeyEnter:
		if x.detail == nil && len(x.dash.items) > 0 {
			x.win.Canvas().Focus(x.dash.grid)
			if ev.Name != fyne.KeyReturn && ev.Name != fyne.KeyEnter {
				x.dash.grid.TypedKey(ev)
			}
		}
	}
}

// cycleTab shows the detail view's next (1) or previous (-1) tab.
func (x *App) cycleTab(step int) {
	if x.detail != nil && !x.presentOn {
		x.detail.cycleTab(step)
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
	x.showOpenPath("Import workspace", "A workspace (.json) written by Export workspace: its channels are added.",
		[]string{".json"}, x.importWorkspace)
}

func (x *App) exportDialog() {
	x.showSavePath("Export workspace", "ssemon-workspace.json", "The channels you added (not the demo's or recordings').", func(path string) (string, error) {
		n := len(x.persistentConfigs())
		if err := x.exportWorkspace(path); err != nil {
			return "", err
		}
		return strconv.Itoa(n) + plural(uint64(n), " channel", " channels"), nil
	})
}
