//go:build smoke

package smoke

import (
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dialogShown matches the app's debug log of a dialog opening.
const dialogShown = `msg="dialog shown"`

// focus makes the window take the keyboard: without a window manager the
// keyboard goes to the window under the pointer, once it is mapped.
func (a *App) focus(t *testing.T) {
	t.Helper()
	a.waitFor(t, "the window mapped", func() bool {
		out, _ := a.XDoTool("search", "--onlyvisible", "--name", "SSE Monitor")
		return strings.Contains(out, a.Window)
	})
	a.xdo(t, "mousemove", "--window", a.Window, "600", "400")
}

// xdo runs xdotool and fails the test if it fails.
func (a *App) xdo(t *testing.T, args ...string) string {
	t.Helper()
	out, err := a.XDoTool(args...)
	if err != nil {
		t.Fatalf("xdotool %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(out)
}

// size returns the window's size as xdotool reports it ("1180x760").
func (a *App) size(t *testing.T) string {
	t.Helper()
	for _, l := range strings.Split(a.xdo(t, "getwindowgeometry", a.Window), "\n") {
		if g, ok := strings.CutPrefix(strings.TrimSpace(l), "Geometry: "); ok {
			return g
		}
	}
	t.Fatal("xdotool reported no geometry")
	return ""
}

// key presses keys, then waits until the app logged a new line containing
// want (its count grows): a state, not a pause, tells that it acted.
func (a *App) key(t *testing.T, want string, keys ...string) {
	t.Helper()
	n := strings.Count(a.Output(), want)
	a.xdo(t, append([]string{"key"}, keys...)...)
	a.waitFor(t, want+" after "+strings.Join(keys, " "), func() bool { return strings.Count(a.Output(), want) > n })
}

// quitByKeys presses Ctrl+Q and expects a clean exit.
func (a *App) quitByKeys(t *testing.T) {
	t.Helper()
	a.xdo(t, "key", "ctrl+q")
	select {
	case err := <-a.exited:
		a.stopped = true
		if err != nil {
			t.Fatalf("ssemon exited with %v after Ctrl+Q; output:\n%s", err, a.Output())
		}
	case <-time.After(hangGuard):
		t.Fatalf("ssemon did not exit within %v of Ctrl+Q; output:\n%s", hangGuard, a.Output())
	}
	for _, bad := range fatalOutput {
		if strings.Contains(a.Output(), bad) {
			t.Fatalf("output contains %q:\n%s", bad, a.Output())
		}
	}
}

// keepShot copies the window's screenshot to SSEMON_E2E_SHOTS/name.png
// when that names a folder (outside the tree).
func (a *App) keepShot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("SSEMON_E2E_SHOTS")
	if dir == "" {
		return
	}
	cmd := exec.Command(lookPath(t, "import"), "-window", a.Window, filepath.Join(dir, name+".png"))
	cmd.Env = append(os.Environ(), "DISPLAY="+a.Display)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Logf("screenshot %s: %v %s", name, err, b)
	}
}

// region is the pixels of img inside r, as one comparable string.
func region(img image.Image, r image.Rectangle) string {
	var b strings.Builder
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			b.WriteByte(byte(cr >> 8))
			b.WriteByte(byte(cg >> 8))
			b.WriteByte(byte(cb >> 8))
		}
	}
	return b.String()
}

// TestSmokeEndToEnd drives the real app as a presenter would, with the
// mouse and the keyboard only: start the demo, pick a group in the group
// selector with the mouse (the selector keeps the focus), F11 into
// presentation mode and Escape out of it, add a channel with the keyboard
// (Ctrl+N, type, Enter), quit with Ctrl+Q, start again: the channel is
// still there. Every step waits for the state it causes (a log line, the
// window's size, the saved workspace, a part of the screen), never for a
// fixed time.
func TestSmokeEndToEnd(t *testing.T) {
	display, home := startXvfb(t), t.TempDir()
	a := launchApp(t, display, home, "--demo")
	a.focus(t)
	normal := ""
	a.waitFor(t, "the window's size to settle", func() bool { normal = a.size(t); return normal != "" && normal != "1x1" })
	a.WaitStreamsOpen(t, demoChannels)
	a.keepShot(t, "1-demo")

	// The group selector, with the mouse: it sits right of Add and Demo
	// in the toolbar, under the menu bar. Pick its second entry ("demo");
	// the selector then shows it (its box on screen changes).
	selector := image.Rect(170, 36, 300, 60)
	before, _ := a.Screenshot(t)
	a.xdo(t, "mousemove", "--window", a.Window, "230", "48", "click", "1")
	a.xdo(t, "mousemove", "--window", a.Window, "230", "120", "click", "1")
	a.WaitScreenshot(t, "the selector showing the picked group", func(img image.Image) bool {
		return region(img, selector) != region(before, selector)
	})
	a.xdo(t, "mousemove", "--window", a.Window, "600", "500")
	a.keepShot(t, "2-group-picked")

	// F11: presentation mode fills the screen, although the selector has
	// the focus; Escape brings the window back.
	a.xdo(t, "key", "F11")
	a.waitFor(t, "F11 to enter full screen", func() bool { return a.size(t) == "1280x800" })
	a.keepShot(t, "3-presenting")
	a.xdo(t, "key", "Escape")
	a.waitFor(t, "Escape to leave full screen", func() bool { return a.size(t) == normal })

	// Add a channel with the keyboard only: Ctrl+N opens the dialog with
	// the URL field focused; type, Enter.
	const url = "http://127.0.0.1:9/e2e-added"
	a.key(t, dialogShown, "ctrl+n")
	a.xdo(t, "type", "--delay", "20", url)
	a.keepShot(t, "4-add-dialog")
	a.xdo(t, "key", "Return")
	ws := filepath.Join(home, "config", "ssemon", "workspace.json")
	a.waitFor(t, "the channel saved", func() bool {
		b, _ := os.ReadFile(ws)
		return strings.Contains(string(b), url)
	})
	a.keepShot(t, "5-added")
	a.quitByKeys(t)
	b, _ := os.ReadFile(ws)
	if strings.Contains(string(b), "/api/stream/") {
		t.Fatalf("the demo's channels were saved:\n%s", b)
	}

	// Start again: the channel is there (it connects, so -v names it).
	a2 := launchApp(t, display, home, "--demo")
	a2.focus(t)
	a2.waitFor(t, "the added channel back", func() bool { return strings.Contains(a2.Output(), "e2e-added") })
	a2.WaitScreenshot(t, "the window drawn", func(img image.Image) bool { return distinctColours(img) >= 32 })
	a2.keepShot(t, "6-restarted")
	a2.quitByKeys(t)
}
