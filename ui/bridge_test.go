package ui_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/ui"
)

var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// uiQueue stands in for the UI goroutine: Do queues, run drains.
type uiQueue chan func()

func (q uiQueue) Do(f func()) { q <- f }

func (q uiQueue) runOne(t *testing.T) {
	t.Helper()
	select {
	case f := <-q:
		f()
	case <-time.After(10 * time.Second):
		t.Fatal("no update reached the UI goroutine within 10 s")
	}
}

func (q uiQueue) empty(t *testing.T) {
	t.Helper()
	select {
	case <-q:
		t.Fatal("an update was queued, want none")
	default:
	}
}

func TestBridge_OneUpdatePerTickAndCoalescing(t *testing.T) {
	fc := clock.NewFake(epoch)
	q := make(uiQueue, 16)
	var polls, applied atomic.Int32
	changed := atomic.Bool{}
	b := ui.NewBridge(ui.BridgeConfig{Clock: fc, Do: q.Do}, func(now time.Time) func() {
		polls.Add(1)
		if !changed.Swap(false) {
			return nil
		}
		return func() { applied.Add(1) }
	})
	t.Cleanup(b.Close)
	if b.Interval() != ui.DefaultTickInterval {
		t.Fatalf("Interval() = %v, want %v", b.Interval(), ui.DefaultTickInterval)
	}

	// Nothing changed: polls happen, nothing reaches the UI.
	b.Tick()
	q.empty(t)

	// A change: exactly one update is queued.
	changed.Store(true)
	b.Tick()
	// While it waits for the UI, further ticks are coalesced without polling.
	changed.Store(true)
	before := polls.Load()
	b.Tick()
	b.Tick()
	if polls.Load() != before {
		t.Fatalf("polled %d times while an update was pending, want 0", polls.Load()-before)
	}
	q.runOne(t)
	q.empty(t)
	if applied.Load() != 1 {
		t.Fatalf("applied %d updates, want 1", applied.Load())
	}
	// The UI caught up: the next tick carries the pending change.
	b.Tick()
	q.runOne(t)
	if applied.Load() != 2 {
		t.Fatalf("applied %d updates, want 2", applied.Load())
	}
	st := b.Stats()
	if st.Ticks != 5 || st.Applied != 2 || st.Coalesced != 2 {
		t.Fatalf("Stats() = %+v, want 5 ticks, 2 applied, 2 coalesced", st)
	}
}

func TestBridge_TicksOnClockAndStopsOnClose(t *testing.T) {
	fc := clock.NewFake(epoch)
	q := make(uiQueue, 16)
	seen := make(chan time.Time, 16)
	b := ui.NewBridge(ui.BridgeConfig{Clock: fc, Do: q.Do, Interval: 20 * time.Millisecond}, func(now time.Time) func() {
		return func() { seen <- now }
	})
	b.Start()
	fc.BlockUntil(1) // the ticker is armed
	fc.Advance(20 * time.Millisecond)
	q.runOne(t)
	if got := <-seen; !got.Equal(epoch.Add(20 * time.Millisecond)) {
		t.Fatalf("poll saw %v, want the tick's time %v", got, epoch.Add(20*time.Millisecond))
	}
	// An update queued before Close must not run after it.
	fc.Advance(20 * time.Millisecond)
	var f func()
	select {
	case f = <-q:
	case <-time.After(10 * time.Second):
		t.Fatal("second tick produced no update")
	}
	b.Close()
	f()
	select {
	case <-seen:
		t.Fatal("an update ran after Close")
	default:
	}
	if fc.Waiters() != 0 {
		t.Fatalf("%d timers still armed after Close", fc.Waiters())
	}
	b.Close() // idempotent
	b.Tick()  // no-op after Close
	q.empty(t)
}

func TestBridge_IntervalClamped(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   time.Duration
		want time.Duration
	}{
		{"default", 0, ui.DefaultTickInterval},
		{"too fast", time.Millisecond, ui.MinTickInterval},
		{"too slow", time.Minute, ui.MaxTickInterval},
		{"in range", 30 * time.Millisecond, 30 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ui.NewBridge(ui.BridgeConfig{Interval: tc.in}, func(time.Time) func() { return nil })
			b.Close()
			if b.Interval() != tc.want {
				t.Fatalf("Interval() = %v, want %v", b.Interval(), tc.want)
			}
		})
	}
}

func TestBridge_CloseWithoutStart(t *testing.T) {
	b := ui.NewBridge(ui.BridgeConfig{}, func(time.Time) func() { return nil })
	done := make(chan struct{})
	go func() { b.Close(); b.Start(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close of a bridge never started blocked")
	}
}

func TestBridge_SlowsDownWhenIdleAndSpeedsUpOnActivity(t *testing.T) {
	fc := clock.NewFake(epoch)
	polls := make(chan time.Time, 64)
	b := ui.NewBridge(ui.BridgeConfig{Clock: fc, Do: func(f func()) { f() }}, func(now time.Time) func() {
		polls <- now
		return nil
	})
	t.Cleanup(b.Close)
	b.Start()
	fc.BlockUntil(1)
	next := func() {
		t.Helper()
		select {
		case <-polls:
		case <-time.After(10 * time.Second):
			t.Fatal("no tick")
		}
	}
	// waitFor waits until cond holds. The bridge flips its idle flag just
	// after re-arming its ticker (so a true flag means the new period is in
	// force); the flag itself has no channel, so it is re-checked every
	// millisecond until the deadline.
	waitFor := func(cond func() bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for !cond() {
			select {
			case <-time.After(time.Millisecond):
			case <-deadline:
				t.Fatal("condition not reached within 10 s")
			}
		}
	}
	// Quiet for a second at 40 Hz: the bridge goes idle.
	for range 40 {
		fc.Advance(ui.DefaultTickInterval)
		next()
	}
	waitFor(b.Idle)
	fc.Advance(ui.DefaultIdleInterval - time.Millisecond)
	select {
	case <-polls:
		t.Fatal("ticked at the fast rate while idle")
	default:
	}
	fc.Advance(time.Millisecond)
	next()
	// Activity brings the fast rate back at the next tick.
	b.MarkActive()
	fc.Advance(ui.DefaultIdleInterval)
	next()
	waitFor(func() bool { return !b.Idle() })
	fc.Advance(ui.DefaultTickInterval)
	next()
}
