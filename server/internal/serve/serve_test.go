package serve_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ssemon/ssemon/server/internal/serve"
)

// A stream that only ends when drained must not hold the shutdown for the
// whole timeout, and Run must return nil after a shutdown.
func TestRunDrainsStreamsOnShutdown(t *testing.T) {
	defer goleak.VerifyNone(t)
	// Bounds a loaded machine cannot miss: a drained stream ends long
	// before a one-minute shutdown timeout (the maximum is a hang guard far
	// below it); one that is not drained is cut no earlier than its
	// 3-second timeout.
	tests := []struct {
		name    string
		drain   bool
		timeout time.Duration
		maxTime time.Duration
		minTime time.Duration
	}{
		{"drained", true, time.Minute, 30 * time.Second, 0},
		{"not drained: cut after the timeout", false, 3 * time.Second, time.Minute, 2500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stop := make(chan struct{})
			started := make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
				close(started)
				select {
				case <-stop:
				case <-r.Context().Done():
				}
			})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			o := serve.Options{Handler: h, ReadHeaderTimeout: time.Second, MaxHeaderBytes: 1 << 14,
				ShutdownTimeout: tt.timeout, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			if tt.drain {
				o.Drain = func(context.Context) { close(stop) }
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- serve.Run(ctx, ln, o) }()
			resp, err := http.Get("http://" + ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			<-started
			begin := time.Now()
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("Run: %v", err)
			}
			if d := time.Since(begin); d > tt.maxTime || d < tt.minTime {
				t.Fatalf("shutdown took %v, want between %v and %v", d, tt.minTime, tt.maxTime)
			}
			if !tt.drain {
				close(stop)
			}
			http.DefaultClient.CloseIdleConnections()
		})
	}
}
