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

	// The tiles appear and fill as the first events arrive: shoot until
	// their state badges and progress bars colour the window (an empty
	// dashboard is grey text and one blue button: about 0.25 %).
	img, shot := a.WaitScreenshot(t, "demo tiles in the screenshot", func(img image.Image) bool {
		return saturatedShare(img) >= 0.01
	})
	if n := distinctColours(img); n < 32 {
		t.Errorf("screenshot has %d distinct colours: blank or uniform window", n)
	}
	b := img.Bounds()
	if b.Dx() < 400 || b.Dy() < 300 {
		t.Errorf("window is %dx%d, too small to show a dashboard", b.Dx(), b.Dy())
	}
	t.Logf("screenshot %dx%d, %d distinct colours, %.1f %% coloured", b.Dx(), b.Dy(), distinctColours(img), 100*saturatedShare(img))
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
