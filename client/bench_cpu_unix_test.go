//go:build unix

package client

import (
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time (user + system) this process used so far.
// On a machine shared with other work it measures cost where wall-clock
// rates measure the load.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
