// Package serve runs an HTTP server on a listener until its context ends,
// then shuts it down within a bound while the caller ends its streams: the
// lifecycle shared by the demo server, the Redis relay and the replay
// server.
package serve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Options configures Run. Every field is required but Drain.
type Options struct {
	Handler           http.Handler
	ReadHeaderTimeout time.Duration
	MaxHeaderBytes    int
	// ShutdownTimeout bounds the graceful shutdown; connections still open
	// after it are closed.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	// Drain ends the caller's open streams cleanly while the HTTP server
	// stops accepting; it should return once they ended or ctx is done.
	// Streams never end by themselves, so without it Shutdown would wait
	// for the whole timeout.
	Drain func(ctx context.Context)
}

// Run serves ln until ctx is done, then shuts down. It returns the
// listener's error if serving fails, nil after a shutdown.
func Run(ctx context.Context, ln net.Listener, o Options) error {
	hs := &http.Server{
		Handler:           o.Handler,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	o.Logger.Info("shutting down", "timeout", o.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- hs.Shutdown(sctx) }()
	if o.Drain != nil {
		o.Drain(sctx)
	}
	if err := <-shut; err != nil {
		o.Logger.Warn("graceful shutdown incomplete; closing connections", "err", err)
		_ = hs.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
