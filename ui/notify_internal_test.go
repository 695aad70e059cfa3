package ui

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
)

func TestNotifier_FailStallRecoverRateLimited(t *testing.T) {
	a := test.NewTempApp(t)
	clk := clock.NewFake(testEpoch)
	src := newFakeSource(t, clk)
	d := newDashboard(clk.Now, nil, container.NewStack())
	b := NewBanner()
	n := newNotifier(a, b, clk)
	n.desktop = false
	tick := func(chs ...*client.Channel) {
		d.setChannels(src.Channels())
		n.check(&change{now: clk.Now(), dirty: chs}, d)
	}
	ch := src.add(t, "orders", "")

	ch.HandleStatus(client.Status{State: client.Failed, HTTPStatus: 404, Detail: "HTTP 404"})
	tick(ch)
	if n.sent != 1 || b.Text() != "orders failed (404): HTTP 404" {
		t.Fatalf("after failure: sent %d, banner %q", n.sent, b.Text())
	}
	tick(ch) // still failed: told once
	if n.sent != 1 {
		t.Fatalf("a lasting failure was told %d times", n.sent)
	}
	ch.HandleStatus(client.Status{State: client.Open})
	tick(ch)
	if n.sent != 2 || b.Text() != "orders recovered: open again" {
		t.Fatalf("after recovery: sent %d, banner %q", n.sent, b.Text())
	}
	// A stall right after: within the cooldown, not told.
	ch.HandleStatus(client.Status{State: client.Retrying, Err: &client.StallError{Timeout: 45 * time.Second}})
	tick(ch)
	if n.sent != 2 {
		t.Fatalf("a stall within the cooldown was told")
	}
	clk.Advance(notifyCooldown)
	ch.HandleStatus(client.Status{State: client.Retrying, Err: &client.StallError{Timeout: 45 * time.Second}})
	tick(ch)
	if n.sent != 3 || b.Text() != "orders stalled: no data, reconnecting" {
		t.Fatalf("after the cooldown: sent %d, banner %q", n.sent, b.Text())
	}

	// Many channels failing at once: at most notifyBurst go out, the rest
	// are counted into the next one.
	var many []*client.Channel
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		c := src.add(t, name, "")
		c.HandleStatus(client.Status{State: client.Failed})
		many = append(many, c)
	}
	before := n.sent
	tick(many...)
	if got := n.sent - before; got >= len(many) || n.dropped == 0 {
		t.Fatalf("%d of %d simultaneous failures were told, %d dropped: want a limit", got, len(many), n.dropped)
	}
}

func TestHasNotificationService(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no unix socket here: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	plain := t.TempDir()
	if err := os.WriteFile(filepath.Join(plain, "bus"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		goos string
		env  map[string]string
		want bool
	}{
		{"macOS without D-Bus", "darwin", nil, true},
		{"Windows without D-Bus", "windows", nil, true},
		{"Linux with the bus address", "linux", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}, true},
		{"Linux with the runtime dir's bus", "linux", map[string]string{"XDG_RUNTIME_DIR": dir}, true},
		{"FreeBSD with the runtime dir's bus", "freebsd", map[string]string{"XDG_RUNTIME_DIR": dir}, true},
		{"Linux, runtime dir without a socket", "linux", map[string]string{"XDG_RUNTIME_DIR": plain}, false},
		{"Linux, no session bus", "linux", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := hasNotificationService(tc.goos, func(k string) string { return tc.env[k] }, os.Stat)
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestApp_BannersNeverMoveTheLayoutAndGoodNewsCloses(t *testing.T) {
	x, clk := newTestApp(t, Options{NoWorkspace: true})
	ch := pausedChannel(t, x, "orders")
	x.notifier.desktop = false
	x.bridge.Tick()
	relayout(x.win.Content())
	before, size := x.center.Position(), x.center.Size()

	ch.HandleStatus(client.Status{State: client.Failed, HTTPStatus: 404, Detail: "HTTP 404"})
	x.bridge.Tick()
	relayout(x.win.Content())
	if !x.banner.Visible() || x.center.Position() != before || x.center.Size() != size {
		t.Fatalf("banner shown %v; the view moved from %v %v to %v %v", x.banner.Visible(), before, size, x.center.Position(), x.center.Size())
	}
	ch.HandleStatus(client.Status{State: client.Open})
	x.bridge.Tick()
	if !strings.Contains(x.banner.Text(), "recovered") {
		t.Fatalf("banner says %q, want the recovery", x.banner.Text())
	}
	clk.Advance(recoveredFor - time.Second)
	x.bridge.Tick()
	if !x.banner.Visible() {
		t.Fatal("the recovered banner closed too early")
	}
	clk.Advance(2 * time.Second)
	x.bridge.Tick()
	if x.banner.Visible() {
		t.Fatalf("the recovered banner stays after %v", recoveredFor+time.Second)
	}
	// A failure stays until closed.
	ch.HandleStatus(client.Status{State: client.Failed, HTTPStatus: 500, Detail: "HTTP 500"})
	clk.Advance(notifyCooldown)
	x.bridge.Tick()
	clk.Advance(time.Minute)
	x.bridge.Tick()
	if !x.banner.Visible() {
		t.Fatal("a failure banner closed by itself")
	}
}
