package main

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Memory policy. A busy window (100 channels × 100 events/s, charts on)
// keeps about 105 MB of live Go data: logs, series, fonts. Go's default
// collector lets the heap grow to twice that before collecting, which alone
// would take the process past its 300 MB budget. So the app sets a soft
// limit on the Go runtime's memory: the collector works harder to stay
// under it, and the limit follows the live data up (never below
// liveHeadroom × live) so that a larger workspace never makes it collect
// all the time. GOMEMLIMIT or GOGC in the environment turn the policy off.
const (
	// memoryLimit is the Go runtime's soft memory limit while live data
	// stays small (about 107 MB live or less).
	memoryLimit = 160 << 20
	// liveHeadroom is how far above the live data the limit always is:
	// 1.5 lets the heap grow by half of the live data between two
	// collections, as GOGC=50 would.
	liveHeadroom = 1.5
	// memoryEvery is how often the limit follows the live data.
	memoryEvery = 5 * time.Second
)

// keepMemory applies the memory policy until ctx ends.
func keepMemory(ctx context.Context) {
	if os.Getenv("GOMEMLIMIT") != "" || os.Getenv("GOGC") != "" {
		return
	}
	debug.SetMemoryLimit(memoryLimit)
	go func() {
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(memoryEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			debug.SetMemoryLimit(limitFor(sample[0].Value.Uint64()))
		}
	}()
}

// limitFor is the soft memory limit for live bytes of live data.
func limitFor(live uint64) int64 {
	return max(memoryLimit, int64(math.Min(float64(live)*liveHeadroom, math.MaxInt64/2)))
}
