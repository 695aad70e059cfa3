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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

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
// server picks a free display number itself (-displayfd).
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(lookPath(t, "Xvfb"), "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() { stop(cmd, 5*time.Second) })

	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
		r.Close()
	}()
	select {
	case n := <-line:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb reported display %q", n)
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not report a display within 30 s")
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

func findWindow(ctx context.Context, xdotool, display, name string) (string, error) {
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

func TestSmoke(t *testing.T) {
	bin := os.Getenv("SSEMON_BIN")
	if bin == "" {
		t.Fatal("SSEMON_BIN is not set: run `make smoke`")
	}
	xdotool := lookPath(t, "xdotool")
	importBin := lookPath(t, "import")
	display := startXvfb(t)

	home := t.TempDir()
	var out lockedBuffer
	app := exec.Command(bin, "--demo")
	app.Env = append(os.Environ(),
		"DISPLAY="+display,
		"LANG=en_US.UTF-8",
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"),
	)
	app.Stdout = &out
	app.Stderr = &out
	app.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := app.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	var stopped bool
	t.Cleanup(func() {
		if !stopped {
			_ = syscall.Kill(-app.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	go func() { exited <- app.Wait() }()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	type found struct {
		id  string
		err error
	}
	win := make(chan found, 1)
	go func() {
		id, err := findWindow(ctx, xdotool, display, "SSE Monitor")
		win <- found{id, err}
	}()
	var id string
	select {
	case f := <-win:
		if f.err != nil {
			t.Fatalf("the SSE Monitor window never appeared (%v); output:\n%s", f.err, out.String())
		}
		id = f.id
	case err := <-exited:
		stopped = true
		t.Fatalf("ssemon exited before showing a window (%v); output:\n%s", err, out.String())
	}

	// Let the demo streams connect and the dashboard fill before the shot.
	select {
	case err := <-exited:
		stopped = true
		t.Fatalf("ssemon exited after showing its window (%v); output:\n%s", err, out.String())
	case <-time.After(6 * time.Second):
	}

	shot := filepath.Join(t.TempDir(), "shot.png")
	cmd := exec.Command(importBin, "-window", id, shot)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, b)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 400 || b.Dy() < 300 {
		t.Errorf("window is %dx%d, too small to show a dashboard", b.Dx(), b.Dy())
	}
	if n := distinctColours(img); n < 32 {
		t.Errorf("screenshot has %d distinct colours: blank or uniform window", n)
	} else {
		t.Logf("screenshot %dx%d, %d distinct colours", b.Dx(), b.Dy(), n)
	}
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

	// A clean exit on SIGTERM: updaters stopped before the app quits.
	_ = syscall.Kill(app.Process.Pid, syscall.SIGTERM)
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("ssemon exited with %v on SIGTERM", err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("ssemon did not exit within 15 s of SIGTERM")
	}

	log := out.String()
	for _, bad := range fatalOutput {
		if strings.Contains(log, bad) {
			t.Errorf("output contains %q:\n%s", bad, log)
		}
	}
	if t.Failed() {
		return
	}
	fmt.Fprintf(os.Stderr, "smoke: window %s on %s, output %d bytes\n", id, display, len(log))
}
