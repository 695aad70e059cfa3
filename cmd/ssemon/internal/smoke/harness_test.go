//go:build smoke

package smoke

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hangGuard bounds every wait of the GUI tests. It is never a measure: on a
// loaded machine the window may take long to appear, and that is fine.
const hangGuard = 2 * time.Minute

// Lines in the app's output that fail the test.
var fatalOutput = []string{
	"Error in Fyne call thread",
	"panic:",
	"WARNING: DATA RACE",
	"fatal error:",
}

// lockedBuffer collects a child's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func lookPath(t *testing.T, name string) string {
	t.Helper()
	for _, dir := range []string{"/usr/bin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install it (make deps-test)", name)
	}
	return p
}

// startXvfb starts a private X server and returns its display name. The
// server picks a free display number itself (-displayfd) and names it
// once it is ready for clients.
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var xlog lockedBuffer
	// -noreset: by default an X server resets when its last client leaves,
	// and refuses connections while it does. The tests' own X clients
	// (xdotool polling for the window, before the app has connected) would
	// then make the app's first connection fail now and then ("X11: Failed
	// to open display", seen in make test under load).
	cmd := exec.Command(lookPath(t, "Xvfb"), "-displayfd", "3", "-noreset", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = &xlog, &xlog
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		var exit *exec.ExitError
		if err := stop(cmd, 5*time.Second); err != nil && !errors.As(err, &exit) {
			t.Logf("Xvfb: %v", err) // it had to be killed
		}
	})

	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
		r.Close()
	}()
	select {
	case n := <-line:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb reported display %q; its output:\n%s", n, xlog.String())
		}
		return ":" + n
	case <-time.After(hangGuard):
		t.Fatalf("Xvfb did not report a display within %v; its output:\n%s", hangGuard, xlog.String())
	}
	return ""
}

// stop ends a child and its process group: SIGTERM, then SIGKILL after grace.
func stop(cmd *exec.Cmd, grace time.Duration) error {
	if cmd.Process == nil {
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case err := <-done:
		return err
	case <-time.After(grace):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return errors.New("did not exit within " + grace.String() + " of SIGTERM")
	}
}

// App is the real ssemon binary running on a private Xvfb display, its
// window found. Start one with startApp; it is killed at the test's end
// unless Quit stopped it.
type App struct {
	// Display is the X display the app runs on (":N").
	Display string
	// Window is the X window id of the SSE Monitor window.
	Window string
	// Home holds the app's settings and workspace (XDG_CONFIG_HOME is
	// Home/config).
	Home string

	cmd     *exec.Cmd
	out     lockedBuffer
	exited  chan error
	stopped bool
	xdotool string
}

// startApp runs SSEMON_BIN with args (and -v: the tests wait on its state
// log) on a fresh Xvfb with a private home, and waits for its window.
func startApp(t *testing.T, args ...string) *App {
	t.Helper()
	return launchApp(t, startXvfb(t), t.TempDir(), args...)
}

// launchApp runs SSEMON_BIN like startApp, on display with its settings
// and workspace in home: a second launch with the same home is a restart.
func launchApp(t *testing.T, display, home string, args ...string) *App {
	t.Helper()
	bin := os.Getenv("SSEMON_BIN")
	if bin == "" {
		t.Fatal("SSEMON_BIN is not set: run `make smoke`")
	}
	a := &App{Display: display, Home: home, xdotool: lookPath(t, "xdotool"), exited: make(chan error, 1)}
	a.cmd = exec.Command(bin, append([]string{"-v"}, args...)...)
	a.cmd.Env = append(os.Environ(),
		"DISPLAY="+a.Display,
		"LANG=en_US.UTF-8",
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"),
	)
	a.cmd.Stdout = &a.out
	a.cmd.Stderr = &a.out
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { a.exited <- a.cmd.Wait() }()
	t.Cleanup(func() {
		if !a.stopped {
			_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
			<-a.exited
		}
	})
	a.waitFor(t, "the SSE Monitor window", func() bool {
		out, _ := a.XDoTool("search", "--name", "SSE Monitor")
		a.Window = strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
		return a.Window != ""
	})
	return a
}

// Output is everything the app wrote to stdout and stderr so far.
func (a *App) Output() string { return a.out.String() }

// XDoTool runs xdotool on the app's display and returns its output.
func (a *App) XDoTool(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.xdotool, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+a.Display)
	out, err := cmd.Output()
	return string(out), err
}

// waitFor polls cond every 100 ms until it holds. It fails the test when
// the app exits meanwhile, or after hangGuard.
func (a *App) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	guard := time.NewTimer(hangGuard)
	defer guard.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case err := <-a.exited:
			a.stopped = true
			t.Fatalf("ssemon exited (%v) while waiting for %s; output:\n%s", err, what, a.Output())
		case <-guard.C:
			t.Fatalf("no %s within %v; output:\n%s", what, hangGuard, a.Output())
		case <-tick.C:
		}
	}
}

// openLine matches the engine's debug log of a stream opening.
var openLine = regexp.MustCompile(`(?m)msg="stream state".* url=(\S+) state=open`)

// WaitStreamsOpen waits until n distinct streams have been open.
func (a *App) WaitStreamsOpen(t *testing.T, n int) {
	t.Helper()
	a.waitFor(t, strconv.Itoa(n)+" open streams", func() bool {
		urls := map[string]bool{}
		for _, m := range openLine.FindAllStringSubmatch(a.Output(), -1) {
			urls[m[1]] = true
		}
		return len(urls) >= n
	})
}

// Screenshot captures the app's window with ImageMagick's import, into
// the test's temporary folder, and returns the image and the file.
func (a *App) Screenshot(t *testing.T) (image.Image, string) {
	t.Helper()
	img, shot, err := a.screenshot(t)
	if err != nil {
		t.Fatal(err)
	}
	return img, shot
}

// WaitScreenshot takes screenshots until one satisfies ok (a window that
// is not mapped yet cannot be captured: that is a "not yet" too).
func (a *App) WaitScreenshot(t *testing.T, what string, ok func(image.Image) bool) (image.Image, string) {
	t.Helper()
	var img image.Image
	var shot string
	var last error
	defer func() {
		if t.Failed() && last != nil {
			t.Logf("last screenshot error: %v", last)
		}
	}()
	a.waitFor(t, what, func() bool {
		img, shot, last = a.screenshot(t)
		return last == nil && ok(img)
	})
	return img, shot
}

func (a *App) screenshot(t *testing.T) (image.Image, string, error) {
	shot := filepath.Join(t.TempDir(), "shot.png")
	cmd := exec.Command(lookPath(t, "import"), "-window", a.Window, shot)
	cmd.Env = append(os.Environ(), "DISPLAY="+a.Display)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("screenshot: %v\n%s", err, b)
	}
	f, err := os.Open(shot)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, "", fmt.Errorf("screenshot is not a PNG: %v", err)
	}
	return img, shot, nil
}

// Quit sends SIGTERM and expects a clean exit, then checks the output for
// threading errors, panics and races.
func (a *App) Quit(t *testing.T) {
	t.Helper()
	_ = syscall.Kill(a.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case err := <-a.exited:
		a.stopped = true
		if err != nil {
			t.Errorf("ssemon exited with %v on SIGTERM", err)
		}
	case <-time.After(hangGuard):
		t.Errorf("ssemon did not exit within %v of SIGTERM", hangGuard)
	}
	log := a.Output()
	for _, bad := range fatalOutput {
		if strings.Contains(log, bad) {
			t.Errorf("output contains %q:\n%s", bad, log)
		}
	}
}

// distinctColours counts the colours of every other pixel of img.
func distinctColours(img image.Image) int {
	b := img.Bounds()
	seen := map[uint32]struct{}{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[(r>>8)<<16|(g>>8)<<8|bl>>8] = struct{}{}
		}
	}
	return len(seen)
}

// saturatedShare is the share of every other pixel of img that is clearly
// coloured (not grey: channels more than 60 apart).
func saturatedShare(img image.Image) float64 {
	b := img.Bounds()
	n, sat := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if max(r, g, bl)>>8-min(r, g, bl)>>8 > 60 {
				sat++
			}
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(sat) / float64(n)
}
