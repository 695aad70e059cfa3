//go:build smoke

package smoke

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// session is one run of the real ssemon on a display, driven by xdotool.
type session struct {
	t        *testing.T
	display  string
	xdotool  string
	app      *exec.Cmd
	out      *lockedBuffer
	exited   chan error
	stopped  bool
	window   string
	shotsDir string
}

// startSession runs bin with args and the config in home, and waits for
// its window.
func startSession(t *testing.T, bin, display, home string, args ...string) *session {
	t.Helper()
	s := &session{t: t, display: display, xdotool: lookPath(t, "xdotool"), out: &lockedBuffer{}, exited: make(chan error, 1)}
	s.shotsDir = os.Getenv("SSEMON_E2E_SHOTS")
	s.app = exec.Command(bin, args...)
	s.app.Env = append(os.Environ(),
		"DISPLAY="+display,
		"LANG=en_US.UTF-8",
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"),
	)
	s.app.Stdout, s.app.Stderr = s.out, s.out
	s.app.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.app.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { s.exited <- s.app.Wait() }()
	t.Cleanup(func() {
		if !s.stopped {
			_ = syscall.Kill(-s.app.Process.Pid, syscall.SIGKILL)
			<-s.exited
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	id, err := findWindowID(ctx, s.xdotool, display, "SSE Monitor")
	if err != nil {
		t.Fatalf("no SSE Monitor window (%v); output:\n%s", err, s.out.String())
	}
	s.window = id
	// No window manager: the keyboard goes to the window under the
	// pointer, once the window is mapped.
	s.waitFor("the window is mapped", func() bool {
		cmd := exec.Command(s.xdotool, "search", "--onlyvisible", "--name", "SSE Monitor")
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, _ := cmd.Output()
		return strings.Contains(string(out), id)
	})
	s.xdo("mousemove", "--window", id, "600", "400")
	return s
}

// xdo runs xdotool on the session's display.
func (s *session) xdo(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.xdotool, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	b, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return strings.TrimSpace(string(b))
}

// size returns the window's size as xdotool reports it ("1180x760").
func (s *session) size() string {
	s.t.Helper()
	for _, l := range strings.Split(s.xdo("getwindowgeometry", s.window), "\n") {
		if g, ok := strings.CutPrefix(strings.TrimSpace(l), "Geometry: "); ok {
			return g
		}
	}
	s.t.Fatal("xdotool reported no geometry")
	return ""
}

// waitFor polls cond (a few times a second) until it holds or the hang
// guard ends; what says what was awaited.
func (s *session) waitFor(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			s.shot("timeout")
			s.t.Fatalf("%s: not within 30 s; output:\n%s", what, s.out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// shot keeps a screenshot of the window when SSEMON_E2E_SHOTS names a
// folder (outside the tree).
func (s *session) shot(name string) {
	if s.shotsDir == "" {
		return
	}
	cmd := exec.Command(lookPath(s.t, "import"), "-window", s.window, filepath.Join(s.shotsDir, name+".png"))
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	if b, err := cmd.CombinedOutput(); err != nil {
		s.t.Logf("screenshot %s: %v %s", name, err, b)
	}
}

// quit presses Ctrl+Q and waits for a clean exit.
func (s *session) quit() {
	s.t.Helper()
	s.xdo("key", "ctrl+q")
	select {
	case err := <-s.exited:
		s.stopped = true
		if err != nil {
			s.t.Fatalf("ssemon exited with %v after Ctrl+Q; output:\n%s", err, s.out.String())
		}
	case <-time.After(30 * time.Second):
		s.t.Fatalf("ssemon did not exit within 30 s of Ctrl+Q; output:\n%s", s.out.String())
	}
	for _, bad := range fatalOutput {
		if strings.Contains(s.out.String(), bad) {
			s.t.Fatalf("output contains %q:\n%s", bad, s.out.String())
		}
	}
}

// TestSmokeEndToEnd drives the real app as a presenter would, with the
// mouse and the keyboard only: start the demo, pick a group in the group
// selector with the mouse (the selector keeps the focus), F11 into
// presentation mode and Escape out of it, add a channel with the keyboard
// (Ctrl+N, type, Enter), quit with Ctrl+Q, start again: the channel is
// still there.
func TestSmokeEndToEnd(t *testing.T) {
	bin := os.Getenv("SSEMON_BIN")
	if bin == "" {
		t.Fatal("SSEMON_BIN is not set: run `make smoke`")
	}
	display := startXvfb(t)
	home := t.TempDir()
	s := startSession(t, bin, display, home, "--demo")
	normal := ""
	s.waitFor("the window's size settles", func() bool { normal = s.size(); return normal != "" && normal != "1x1" })
	s.shot("1-demo")

	// The group selector, with the mouse: it sits right of Add and Demo
	// in the toolbar, under the menu bar. Pick its second entry ("demo").
	s.xdo("mousemove", "--window", s.window, "230", "48", "click", "1")
	time.Sleep(500 * time.Millisecond) // the pop-up opens on the next frame
	s.shot("2-group-list")
	s.xdo("mousemove", "--window", s.window, "230", "120", "click", "1")
	time.Sleep(300 * time.Millisecond)
	s.xdo("mousemove", "--window", s.window, "600", "500")
	s.shot("3-group-picked")

	// F11: presentation mode fills the screen, although the selector has
	// the focus; Escape brings the window back.
	s.xdo("key", "F11")
	s.waitFor("F11 enters full screen", func() bool { return s.size() == "1280x800" })
	s.shot("4-presenting")
	s.xdo("key", "Escape")
	s.waitFor("Escape leaves full screen", func() bool { return s.size() == normal })

	// Add a channel with the keyboard only.
	const url = "http://127.0.0.1:9/e2e-added"
	s.xdo("key", "ctrl+n")
	time.Sleep(500 * time.Millisecond)
	s.xdo("type", "--delay", "20", url)
	s.shot("5-add-dialog")
	s.xdo("key", "Return")
	ws := filepath.Join(home, "config", "ssemon", "workspace.json")
	s.waitFor("the channel is saved", func() bool {
		b, _ := os.ReadFile(ws)
		return strings.Contains(string(b), url)
	})
	s.shot("6-added")
	s.quit()
	b, _ := os.ReadFile(ws)
	if strings.Contains(string(b), "/api/stream/") {
		t.Fatalf("the demo's channels were saved:\n%s", b)
	}

	// Start again: the channel is there (it connects, so -v names it).
	s2 := startSession(t, bin, display, home, "--demo", "-v")
	s2.waitFor("the added channel comes back", func() bool { return strings.Contains(s2.out.String(), "e2e-added") })
	s2.shot("7-restarted")
	s2.quit()
}

// findWindowID waits for a window called name on display and returns its
// id.
func findWindowID(ctx context.Context, xdotool, display, name string) (string, error) {
	for {
		cmd := exec.CommandContext(ctx, xdotool, "search", "--name", name)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, _ := cmd.Output()
		if id := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]); id != "" {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
