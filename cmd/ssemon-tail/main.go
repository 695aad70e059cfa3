// Command ssemon-tail watches Server-Sent-Events streams from the terminal:
// events, comments and the connection's true state, as human lines or JSON
// Lines, with filters, limits and session recording. It runs the same
// engine as the SSE Monitor GUI and never links a UI toolkit.
//
// Run ssemon-tail --help for flags, exit codes and examples; see
// docs/tail.md for recipes and the JSON Lines schema.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ssemon/ssemon/client/tail"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := tail.Main(ctx, os.Args[1:], tail.Env{
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Terminal: isTerminal(os.Stdout),
	})
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
