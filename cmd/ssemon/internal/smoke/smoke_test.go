//go:build smoke

package smoke

import (
	"fmt"
	"image"
	"os"
	"testing"
)

// demoChannels is how many channels ssemon --demo watches.
const demoChannels = 7

// TestSmoke runs ssemon --demo: its window appears, every demo stream
// opens, the dashboard shows something (not a blank or uniform window), and
// SIGTERM ends the app cleanly without a Fyne threading error, a panic or a
// race. SSEMON_SHOT names a file to keep the screenshot in (outside the
// tree, or docs/images/smoke.png on purpose).
func TestSmoke(t *testing.T) {
	a := startApp(t, "--demo")
	a.WaitStreamsOpen(t, demoChannels)

	// The tiles fill as the first events arrive: shoot until they show.
	var img image.Image
	var shot string
	a.waitFor(t, "a dashboard in the screenshot", func() bool {
		img, shot = a.Screenshot(t)
		return distinctColours(img) >= 32
	})
	b := img.Bounds()
	if b.Dx() < 400 || b.Dy() < 300 {
		t.Errorf("window is %dx%d, too small to show a dashboard", b.Dx(), b.Dy())
	}
	t.Logf("screenshot %dx%d, %d distinct colours", b.Dx(), b.Dy(), distinctColours(img))
	if dst := os.Getenv("SSEMON_SHOT"); dst != "" {
		data, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(dst, data, 0o644)
		}
		if err != nil {
			t.Errorf("keep screenshot: %v", err)
		} else {
			t.Logf("screenshot written to %s", dst)
		}
	}

	a.Quit(t)
	if t.Failed() {
		return
	}
	fmt.Fprintf(os.Stderr, "smoke: window %s on %s, output %d bytes\n", a.Window, a.Display, len(a.Output()))
}
