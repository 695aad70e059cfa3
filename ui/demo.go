package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/server"
)

// DemoGroup is the group of the channels subscribed to the embedded demo
// server. They are never saved to the workspace (the port changes on every
// start).
const DemoGroup = "demo"

// demoServer is the embedded demo server on a free loopback port.
type demoServer struct {
	srv    *server.Server
	base   string
	cancel context.CancelFunc
	done   chan error
}

// startDemo starts the demo server with cfg on 127.0.0.1 and a free port.
func startDemo(cfg server.Config) (*demoServer, error) {
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = time.Second
	}
	srv, err := server.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("demo server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("demo server: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &demoServer{srv: srv, base: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { d.done <- srv.Serve(ctx, ln) }()
	return d, nil
}

// demoChannelName returns the demo server's name of the channel cfg
// subscribes to, if it is one of the embedded demo server's streams.
func (x *App) demoChannelName(cfg client.ChannelConfig) (string, bool) {
	if x.demo == nil {
		return "", false
	}
	name, ok := strings.CutPrefix(cfg.URL, x.demo.base+"/api/stream/")
	if !ok || name == "" || strings.ContainsAny(name, "/?#") {
		return "", false
	}
	return name, true
}

// demoFaults is the row of fault-injection buttons the detail view shows
// for a demo channel, so a presenter can break a stream live.
func (x *App) demoFaults(cfg client.ChannelConfig) fyne.CanvasObject {
	name, ok := x.demoChannelName(cfg)
	if !ok {
		return nil
	}
	srv := x.demo.srv
	btn := func(label string, f func()) *widget.Button {
		b := widget.NewButton(label, f)
		b.Importance = widget.LowImportance
		return b
	}
	return container.NewHBox(
		widget.NewLabelWithStyle("Demo faults:", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		btn("Drop", func() { srv.Drop(name) }),
		btn("Stall 20 s", func() { srv.Stall(name, 20*time.Second) }),
		btn("Burst 500", func() { srv.Burst(name, 500) }),
		btn("Malformed frame", func() { srv.Malformed(name) }),
		btn("Retry 1 s", func() { srv.SetRetry(name, time.Second) }),
		btn("Retry 10 s", func() { srv.SetRetry(name, 10*time.Second) }),
		btn("Fail next (503)", func() { srv.FailNext(name, 503) }),
	)
}

// url returns the stream URL of a channel info.
func (d *demoServer) url(ci server.ChannelInfo) string { return d.base + ci.Path }

// close shuts the server down and waits for it.
func (d *demoServer) close(log *slog.Logger) {
	d.cancel()
	if err := <-d.done; err != nil && !errors.Is(err, server.ErrClosed) {
		log.Warn("demo server", "err", err)
	}
	d.srv.Close()
}
