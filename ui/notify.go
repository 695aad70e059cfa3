package ui

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
)

// Notification limits.
const (
	// notifyCooldown is the least time between two notifications about
	// the same channel (a recovery after an alert is always told).
	notifyCooldown = 30 * time.Second
	// notifyBurst notifications may go out at once; then one more per
	// notifyRefill. Those over the limit are counted and summed up in the
	// next one that goes out.
	notifyBurst  = 5
	notifyRefill = 12 * time.Second
	// recoveredFor is how long a "recovered" banner stays: good news
	// closes by itself.
	recoveredFor = 5 * time.Second
)

// alertKind is what a notification is about.
type alertKind uint8

const (
	alertNone alertKind = iota
	alertFailed
	alertStalled
	alertRecovered
)

// notifier tells the user when a channel fails or stalls and when it
// recovers: as a desktop notification when the session has a
// notification service, else as the in-app banner. It is rate-limited per
// channel and overall. It runs on the UI goroutine.
type notifier struct {
	app     fyne.App
	banner  *Banner
	clk     clock.Clock
	desktop bool

	tokens   float64
	refilled time.Time
	dropped  int
	// sent counts notifications delivered, for tests and diagnostics.
	sent int
}

// newNotifier sends desktop notifications where the session has a
// notification service, else uses the banner.
func newNotifier(a fyne.App, b *Banner, clk clock.Clock) *notifier {
	return &notifier{app: a, banner: b, clk: clk, desktop: hasNotificationService(runtime.GOOS, os.Getenv, os.Stat), tokens: notifyBurst}
}

// hasNotificationService reports whether desktop notifications can be
// delivered on goos. macOS and Windows always have a notification
// service. Elsewhere (Linux, the BSDs) notifications go over the session
// D-Bus, found the way the desktop's own clients find it: the address in
// DBUS_SESSION_BUS_ADDRESS, else the socket $XDG_RUNTIME_DIR/bus that
// systemd user sessions provide.
func hasNotificationService(goos string, getenv func(string) string, stat func(string) (fs.FileInfo, error)) bool {
	switch goos {
	case "darwin", "windows", "ios", "android":
		return true
	}
	if getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	dir := getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		return false
	}
	fi, err := stat(filepath.Join(dir, "bus"))
	return err == nil && fi.Mode().Type() == fs.ModeSocket
}

// chanAlert is the per-channel notification state, kept in its view.
type chanAlert struct {
	// alerted is set after a failure or stall was told, until recovery.
	alerted bool
	// last is when the last notification about the channel went out.
	last time.Time
	// stallErr is the stall already told, so one stall is told once.
	stallErr *client.StallError
}

// classify decides what, if anything, a channel's new status is worth
// telling.
func classify(st client.Status, a *chanAlert) alertKind {
	var stall *client.StallError
	switch {
	case st.State == client.Failed:
		if !a.alerted {
			return alertFailed
		}
	case st.State == client.Stalled || errors.As(st.Err, &stall):
		if stall == nil || stall != a.stallErr {
			a.stallErr = stall
			if !a.alerted {
				return alertStalled
			}
		}
	case st.State == client.Open:
		if a.alerted {
			return alertRecovered
		}
	}
	return alertNone
}

// check looks at the channels that changed in this tick and reports
// whether it notified.
func (n *notifier) check(c *change, d *dashboard) bool {
	told := false
	for _, ch := range c.dirty {
		v := d.view(ch)
		if v == nil {
			continue
		}
		st := ch.Status()
		kind := classify(st, &v.alert)
		if kind == alertNone {
			continue
		}
		now := n.clk.Now()
		if kind != alertRecovered && !v.alert.last.IsZero() && now.Sub(v.alert.last) < notifyCooldown {
			continue
		}
		v.alert.alerted = kind != alertRecovered
		name := ch.Name()
		var text string
		switch kind {
		case alertFailed:
			text = name + " failed"
			if st.HTTPStatus >= 400 {
				text += " (" + strconv.Itoa(st.HTTPStatus) + ")"
			}
			if r := client.StatusReason(st); r != "" {
				text += ": " + r
			}
		case alertStalled:
			text = name + " stalled: no data, reconnecting"
		case alertRecovered:
			text = name + " recovered: open again"
		}
		if n.take(now) {
			v.alert.last = now
			n.send(kind, text)
			told = true
		}
	}
	return told
}

// take spends a token of the overall rate limit.
func (n *notifier) take(now time.Time) bool {
	if n.refilled.IsZero() {
		n.refilled = now
	}
	if el := now.Sub(n.refilled); el > 0 {
		n.tokens = min(notifyBurst, n.tokens+float64(el)/float64(notifyRefill))
		n.refilled = now
	}
	if n.tokens < 1 {
		n.dropped++
		return false
	}
	n.tokens--
	return true
}

func (n *notifier) send(kind alertKind, text string) {
	if n.dropped > 0 {
		text += " (+" + strconv.Itoa(n.dropped) + " more not shown)"
		n.dropped = 0
	}
	n.sent++
	if n.desktop {
		n.app.SendNotification(fyne.NewNotification(Title, text))
		return
	}
	switch kind {
	case alertRecovered:
		n.banner.NotifyUntil(text, PillInfo, n.clk.Now().Add(recoveredFor))
	case alertStalled:
		n.banner.Notify(text, PillWarning)
	default:
		n.banner.Notify(text, PillError)
	}
}
