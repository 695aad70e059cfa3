package chaos

import (
	"context"
	"testing"
	"time"
)

// heapCap bounds the heap growth of one hostile case: the decoder's cap
// (16 MiB: its read buffer doubles up to it, and so does an event's data)
// and the log's 8 MiB, with room for the race detector.
const heapCap = 40 << 20

// TestHostileServers measures the process's heap and goroutines around
// each case: it must not run beside other tests (none of this package is
// parallel: the proofs are CPU-bound and share two cores).
func TestHostileServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	results, err := RunHostile(ctx, HostileConfig{ConnectTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 17 {
		t.Fatalf("ran %d cases, want 17", len(results))
	}
	for _, r := range results {
		t.Run(r.Case, func(t *testing.T) {
			t.Logf("%-14s %-9v %-26s shown after %v, heap %s, snapshot max %v, server wrote %d bytes in %d requests; %s",
				r.Case, r.State, r.ErrType, r.Shown.Round(time.Millisecond), MiB(r.Heap), r.SnapshotMax, r.ServerBytes, r.Requests, r.Note)
			if r.Problem != "" {
				t.Fatal(r.Problem)
			}
			if r.Heap > heapCap {
				t.Errorf("heap grew %s, over %s", MiB(r.Heap), MiB(heapCap))
			}
			if r.Leftover > 0 {
				t.Errorf("%d goroutines left after the monitor closed", r.Leftover)
			}
			if r.SnapshotMax > 2*time.Second {
				t.Errorf("a snapshot took %v: the UI would freeze", r.SnapshotMax)
			}
		})
	}
}
