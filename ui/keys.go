package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Window-level keys. Fyne hands an unmodified key to the focused widget
// only, so a control that kept the focus after a click (the group
// selector, a button, the log list) would swallow F11 and Escape, and an
// entry keeps Ctrl+F and the other window shortcuts to itself. Every
// focusable control the window builds is therefore one of the guarded
// types below: each offers the key to the window first (windowKeys) and
// keeps only what the window leaves. Fyne's selectable labels focus an
// inner object that cannot be guarded, so the window uses none: what is
// worth copying has a Copy button. A test walks every view, tab and dialog
// of the window and fails on any focusable object that is not guarded.

// windowKeys handles the keys that work whatever has the focus; it
// reports whether it took the key.
type windowKeys func(ev *fyne.KeyEvent) bool

// guardedSelect is a widget.Select that lets the window keys through.
type guardedSelect struct {
	widget.Select
	keys windowKeys
}

func newGuardedSelect(keys windowKeys, options []string, changed func(string)) *guardedSelect {
	s := &guardedSelect{keys: keys}
	s.Options, s.OnChanged = options, changed
	s.ExtendBaseWidget(s)
	return s
}

// TypedKey offers the key to the window first.
func (s *guardedSelect) TypedKey(ev *fyne.KeyEvent) {
	if !s.keys(ev) {
		s.Select.TypedKey(ev)
	}
}

// guardedEntry is a widget.Entry that lets the window keys through;
// Escape clears it (then, when empty, goes to the window).
type guardedEntry struct {
	widget.Entry
	keys windowKeys
}

func newGuardedEntry(keys windowKeys) *guardedEntry {
	e := &guardedEntry{keys: keys}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

func newGuardedMultiLineEntry(keys windowKeys) *guardedEntry {
	e := &guardedEntry{keys: keys}
	e.MultiLine, e.Wrapping = true, fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey offers F11, Escape and Enter to the window first (Escape
// clears a filter field, cancels a dialog; Enter takes a dialog's default
// action).
func (e *guardedEntry) TypedKey(ev *fyne.KeyEvent) {
	if !windowTakesEntryKey(e.keys, e.MultiLine, ev) {
		e.Entry.TypedKey(ev)
	}
}

// windowTakesEntryKey offers a text field's key to the window: F11,
// Escape, and Enter unless the field is multi-line (there it is a new
// line). It reports whether the window took it.
func windowTakesEntryKey(keys windowKeys, multiLine bool, ev *fyne.KeyEvent) bool {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		return !multiLine && keys(ev)
	case fyne.KeyEscape, fyne.KeyF11:
		return keys(ev)
	}
	return false
}

// TypedShortcut hands the window's shortcuts (Ctrl+F, Ctrl+R, …) to the
// window; the entry keeps its own (copy, paste, word moves).
func (e *guardedEntry) TypedShortcut(sh fyne.Shortcut) {
	if !entryShortcut(sh) && windowShortcut(e, sh) {
		return
	}
	e.Entry.TypedShortcut(sh)
}

// entryShortcut tells whether an entry acts on sh: the clipboard, undo,
// select all, and Ctrl with the arrows, Backspace or Delete.
func entryShortcut(sh fyne.Shortcut) bool {
	c, ok := sh.(*desktop.CustomShortcut)
	if !ok {
		return true
	}
	switch c.KeyName {
	case fyne.KeyLeft, fyne.KeyRight, fyne.KeyBackspace, fyne.KeyDelete, fyne.KeyHome, fyne.KeyEnd:
		return true
	}
	return false
}

// windowShortcut hands sh to the shortcuts of the canvas o is on; false
// when o is on none.
func windowShortcut(o fyne.CanvasObject, sh fyne.Shortcut) bool {
	app := fyne.CurrentApp()
	if app == nil {
		return false
	}
	c, ok := app.Driver().CanvasForObject(o).(fyne.Shortcutable)
	if !ok {
		return false
	}
	c.TypedShortcut(sh)
	return true
}

// guardedSelectEntry is a widget.SelectEntry that lets the window keys
// through, like guardedEntry; its drop-down button is guarded too.
type guardedSelectEntry struct {
	widget.SelectEntry
	keys windowKeys
}

func newGuardedSelectEntry(keys windowKeys, options []string) *guardedSelectEntry {
	e := &guardedSelectEntry{keys: keys}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	e.SetOptions(options) // creates the drop-down button, replaced here
	if b, ok := e.ActionItem.(*widget.Button); ok {
		g := newGuardedButton(keys, "", b.Icon, b.OnTapped)
		g.Importance = b.Importance
		e.ActionItem = g
	}
	return e
}

// TypedKey offers F11, Escape and Enter to the window first.
func (e *guardedSelectEntry) TypedKey(ev *fyne.KeyEvent) {
	if !windowTakesEntryKey(e.keys, false, ev) {
		e.SelectEntry.TypedKey(ev)
	}
}

// TypedShortcut hands the window's shortcuts to the window.
func (e *guardedSelectEntry) TypedShortcut(sh fyne.Shortcut) {
	if !entryShortcut(sh) && windowShortcut(e, sh) {
		return
	}
	e.SelectEntry.TypedShortcut(sh)
}

// guardedButton is a widget.Button that lets the window keys through.
type guardedButton struct {
	widget.Button
	keys windowKeys
}

func newGuardedButton(keys windowKeys, label string, icon fyne.Resource, tapped func()) *guardedButton {
	b := &guardedButton{keys: keys}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey offers the key to the window first (Space and Enter press the
// button, as on every desktop).
func (b *guardedButton) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeySpace || ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter || !b.keys(ev) {
		b.Button.TypedKey(ev)
	}
}

// guardedCheck is a widget.Check that lets the window keys through.
type guardedCheck struct {
	widget.Check
	keys windowKeys
}

func newGuardedCheck(keys windowKeys, label string, changed func(bool)) *guardedCheck {
	c := &guardedCheck{keys: keys}
	c.Text, c.OnChanged = label, changed
	c.ExtendBaseWidget(c)
	return c
}

// TypedKey offers the key to the window first (Space toggles the box).
func (c *guardedCheck) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeySpace || !c.keys(ev) {
		c.Check.TypedKey(ev)
	}
}

// guardedList is a widget.List that lets the window keys through; the
// arrows and Space stay the list's.
type guardedList struct {
	widget.List
	keys windowKeys
}

func newGuardedList(keys windowKeys, length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *guardedList {
	l := &guardedList{keys: keys}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey offers the key to the window first.
func (l *guardedList) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyUp, fyne.KeyDown, fyne.KeySpace, fyne.KeyPageUp, fyne.KeyPageDown:
		l.List.TypedKey(ev)
	default:
		if !l.keys(ev) {
			l.List.TypedKey(ev)
		}
	}
}

// noKeys takes no key: the guarded widgets' default until the window
// hands them its handler.
func noKeys(*fyne.KeyEvent) bool { return false }
