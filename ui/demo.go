package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

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
