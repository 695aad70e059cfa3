//go:build linux && cgo && !ci && !wayland

package winvis

/*
#cgo pkg-config: x11
#include <stdlib.h>
#include <X11/Xlib.h>
#include <X11/Xatom.h>
#include <X11/Xutil.h>

static int ignoreErrors(Display *d, XErrorEvent *e) { return 0; }

// visible returns 1 when the window is viewable and neither iconic nor
// hidden, 0 when it is not, -1 when it cannot be told (no such window).
static int visible(Display *d, Window w, Atom wmState, Atom netState, Atom hidden) {
	int (*old)(Display *, XErrorEvent *) = XSetErrorHandler(ignoreErrors);
	int result = -1;
	XWindowAttributes a;
	if (XGetWindowAttributes(d, w, &a)) {
		result = a.map_state == IsViewable;
		Atom type;
		int format;
		unsigned long n, after;
		unsigned char *data = NULL;
		if (result && XGetWindowProperty(d, w, wmState, 0, 2, False, wmState, &type, &format, &n, &after, &data) == Success && data) {
			if (format == 32 && n >= 1 && ((long *)data)[0] == IconicState) result = 0;
			XFree(data);
			data = NULL;
		}
		if (result && XGetWindowProperty(d, w, netState, 0, 64, False, XA_ATOM, &type, &format, &n, &after, &data) == Success && data) {
			if (format == 32) {
				for (unsigned long i = 0; i < n; i++) {
					if (((Atom *)data)[i] == hidden) result = 0;
				}
			}
			XFree(data);
		}
	}
	XSync(d, False);
	XSetErrorHandler(old);
	return result;
}
*/
import "C"

import "unsafe"

// xconn is the probe's own connection to the X server.
type xconn struct {
	d                         *C.Display
	wmState, netState, hidden C.Atom
}

func (p *Probe) query(handle uintptr) (visible, ok bool) {
	if p.x == nil {
		d := C.XOpenDisplay(nil)
		if d == nil {
			return true, false
		}
		p.x = &xconn{d: d, wmState: atom(d, "WM_STATE"), netState: atom(d, "_NET_WM_STATE"), hidden: atom(d, "_NET_WM_STATE_HIDDEN")}
	}
	switch C.visible(p.x.d, C.Window(handle), p.x.wmState, p.x.netState, p.x.hidden) {
	case 1:
		return true, true
	case 0:
		return false, true
	default:
		return true, false
	}
}

func atom(d *C.Display, name string) C.Atom {
	s := C.CString(name)
	defer C.free(unsafe.Pointer(s))
	return C.XInternAtom(d, s, C.False)
}

func (p *Probe) close() {
	if p.x != nil {
		C.XCloseDisplay(p.x.d)
		p.x = nil
	}
}
