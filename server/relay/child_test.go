package relay

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// childEnv makes the test binary run a relay instead of the tests (the
// nginx test starts two of them and kills them with SIGKILL).
const childEnv = "SSEMON_RELAY_CHILD"

// runChild serves a relay of $SSEMON_RELAY_SOURCE on $SSEMON_RELAY_LISTEN
// until SIGTERM, and returns the exit status.
func runChild() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := New(Config{
		Source:    os.Getenv("SSEMON_RELAY_SOURCE"),
		Retry:     100 * time.Millisecond,
		Heartbeat: time.Second,
		Logger:    log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay child:", err)
		return 1
	}
	defer r.Close()
	ln, err := net.Listen("tcp", os.Getenv("SSEMON_RELAY_LISTEN"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay child:", err)
		return 1
	}
	if err := r.Serve(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, "relay child:", err)
		return 1
	}
	return 0
}
