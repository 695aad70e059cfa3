// Package chaos runs the reliability scenarios of SSE Monitor — faults
// between monitor and server, hostile servers, a server under pressure and
// the soak — and reports what the user sees and what it costs: states,
// errors, events lost or duplicated, memory, goroutines and the time from a
// fault to the state shown. The tests of this package run the short forms;
// the ssemon-chaos command runs the long ones and prints the tables of
// docs/RELIABILITY.md.
package chaos

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// RSS returns the resident set size of the process pid (0: this process),
// from /proc. It returns 0 and an error where /proc is missing.
func RSS(pid int) (int64, error) {
	path := "/proc/self/status"
	if pid > 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:")); ok {
			f := bytes.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(string(f[0]), 10, 64)
				if err != nil {
					return 0, err
				}
				return kb << 10, nil
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in %s", path)
}

// HeapSampler samples this process's in-use heap every interval until
// Stop, and keeps the peak.
type HeapSampler struct {
	stop chan struct{}
	done chan struct{}

	mu   sync.Mutex
	base uint64
	peak uint64
}

// heapInuse returns the bytes in in-use heap spans after a collection, so
// that garbage does not count.
func heapInuse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// StartHeapSampler records the current heap (after a GC) as the base and
// samples every interval (0: 10 ms).
func StartHeapSampler(interval time.Duration) *HeapSampler {
	if interval <= 0 {
		interval = 10 * time.Millisecond
	}
	runtime.GC()
	h := &HeapSampler{stop: make(chan struct{}), done: make(chan struct{}), base: heapInuse()}
	h.peak = h.base
	go func() {
		defer close(h.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				v := heapInuse()
				h.mu.Lock()
				h.peak = max(h.peak, v)
				h.mu.Unlock()
			}
		}
	}()
	return h
}

// Stop ends sampling and returns the peak growth over the base, in bytes.
func (h *HeapSampler) Stop() int64 {
	close(h.stop)
	<-h.done
	v := heapInuse()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.peak = max(h.peak, v)
	return int64(h.peak) - int64(h.base)
}

// WaitGoroutines waits until at most n goroutines run (other tests'
// goroutines and the runtime's own ones included) and returns the count;
// it gives up at ctx's end with the last count.
func WaitGoroutines(ctx context.Context, n int) int {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		g := runtime.NumGoroutine()
		if g <= n {
			return g
		}
		select {
		case <-ctx.Done():
			return g
		case <-t.C:
		}
	}
}

// MiB formats a byte count in MiB with one decimal.
func MiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
