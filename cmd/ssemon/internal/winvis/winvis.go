// Package winvis tells whether a desktop window can be seen at all: not
// while it is minimised (iconified) or unmapped. SSE Monitor stops drawing
// while its window cannot be seen (ui.Options.Visible).
//
// Fyne v2.7.1's GLFW driver gives no such signal (its lifecycle events
// follow the keyboard focus, and a wall screen is seldom focused), so on
// X11 the probe asks the X server about the window Fyne hands out through
// driver.NativeWindow. Elsewhere (Wayland, other systems, builds without
// cgo) the window always counts as visible.
package winvis

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// Probe answers Visible for one window. Its methods must be called on the
// UI goroutine (the one running fyne.Do), as ui.Options.Visible is.
type Probe struct {
	x *xconn // nil until the window has an X11 handle; see probe_x11.go
	// handle is the window's X11 handle, 0 until known.
	handle uintptr
	// failed tells that no X connection could be opened: always visible.
	failed bool
}

// New returns a probe; it connects to the X server at its first use.
func New() *Probe { return &Probe{} }

// Visible reports whether w can be seen: false while it is unmapped,
// minimised (ICCCM IconicState) or hidden (_NET_WM_STATE_HIDDEN). It is
// true whenever that cannot be known.
func (p *Probe) Visible(w fyne.Window) bool {
	if p.failed {
		return true
	}
	if p.handle == 0 {
		nw, ok := w.(driver.NativeWindow)
		if !ok {
			p.failed = true
			return true
		}
		nw.RunNative(func(ctx any) {
			if x, ok := ctx.(driver.X11WindowContext); ok {
				p.handle = x.WindowHandle
			}
		})
		if p.handle == 0 {
			return true // not created yet, or not X11
		}
	}
	visible, ok := p.query(p.handle)
	if !ok {
		p.failed = true
		return true
	}
	return visible
}

// Close closes the probe's X connection.
func (p *Probe) Close() { p.close() }
