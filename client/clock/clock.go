// Package clock abstracts time so that the SSE engine, the demo server and
// the UI bridge can be driven by a fake clock in tests instead of sleeps.
//
// Real returns the system clock. Fake is a manual clock: time moves only
// when the test calls Advance, and every timer whose deadline is reached
// fires, in deadline order, before Advance returns.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock is the part of package time the engine uses.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer creates a timer that fires once after d.
	NewTimer(d time.Duration) Timer
	// NewTicker creates a ticker that fires every d (d must be > 0).
	NewTicker(d time.Duration) Ticker
}

// Timer is a one-shot timer, as time.Timer.
type Timer interface {
	// C delivers the time when the timer fires.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was active.
	Stop() bool
	// Reset changes the timer to fire after d; it reports whether it was active.
	Reset(d time.Duration) bool
}

// Ticker delivers ticks at an interval, as time.Ticker.
type Ticker interface {
	// C delivers the ticks.
	C() <-chan time.Time
	// Stop turns the ticker off.
	Stop()
	// Reset stops the ticker and resets its period to d.
	Reset(d time.Duration)
}

// Real returns the system clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

func (realClock) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time   { return r.t.C }
func (r realTicker) Stop()                 { r.t.Stop() }
func (r realTicker) Reset(d time.Duration) { r.t.Reset(d) }

// Fake is a manual clock for tests. Its zero value is not usable: call NewFake.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*fakeTimer
	// changed is closed and replaced whenever a timer or ticker is created or
	// reset, so that tests can wait until the code under test has armed one.
	changed chan struct{}
}

// NewFake returns a fake clock set to start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer creates a fake timer.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, ch: make(chan time.Time, 1)}
	f.mu.Lock()
	t.arm(d)
	f.mu.Unlock()
	return t
}

// NewTicker creates a fake ticker.
func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	t := &fakeTimer{f: f, ch: make(chan time.Time, 1), period: d}
	f.mu.Lock()
	t.arm(d)
	f.mu.Unlock()
	return fakeTicker{t}
}

// Advance moves the clock forward by d, firing every timer whose deadline is
// reached, in deadline order. A ticker fires at most once per Advance for
// each period passed, dropping ticks its reader has not taken (as time.Ticker).
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	end := f.now.Add(d)
	for {
		sort.SliceStable(f.waiters, func(i, j int) bool { return f.waiters[i].when.Before(f.waiters[j].when) })
		if len(f.waiters) == 0 || f.waiters[0].when.After(end) {
			break
		}
		t := f.waiters[0]
		f.waiters = f.waiters[1:]
		f.now = t.when
		t.active = false
		select {
		case t.ch <- t.when:
		default:
		}
		if t.period > 0 {
			t.arm(t.period)
		}
	}
	f.now = end
}

// Set moves the clock to t (forward only), as Advance.
func (f *Fake) Set(t time.Time) {
	d := t.Sub(f.Now())
	if d > 0 {
		f.Advance(d)
	}
}

// Waiters returns how many timers and tickers are armed.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// Changed returns a channel that is closed the next time a timer or ticker is
// created, reset or stopped. Use it to wait, without sleeping, until the code
// under test has armed the timer the test is about to fire.
func (f *Fake) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

// BlockUntil waits until at least n timers or tickers are armed.
func (f *Fake) BlockUntil(n int) {
	for {
		f.mu.Lock()
		if len(f.waiters) >= n {
			f.mu.Unlock()
			return
		}
		ch := f.changed
		f.mu.Unlock()
		<-ch
	}
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

type fakeTimer struct {
	f      *Fake
	ch     chan time.Time
	when   time.Time
	period time.Duration
	active bool
}

// arm must be called with f.mu held.
func (t *fakeTimer) arm(d time.Duration) {
	t.when = t.f.now.Add(d)
	if !t.active {
		t.f.waiters = append(t.f.waiters, t)
		t.active = true
	}
	t.f.notifyLocked()
}

// disarm must be called with f.mu held.
func (t *fakeTimer) disarm() bool {
	if !t.active {
		return false
	}
	for i, w := range t.f.waiters {
		if w == t {
			t.f.waiters = append(t.f.waiters[:i], t.f.waiters[i+1:]...)
			break
		}
	}
	t.active = false
	t.f.notifyLocked()
	return true
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	return t.disarm()
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := t.active
	t.arm(d)
	return was
}

type fakeTicker struct{ t *fakeTimer }

func (k fakeTicker) C() <-chan time.Time { return k.t.ch }

func (k fakeTicker) Stop() { k.t.Stop() }

func (k fakeTicker) Reset(d time.Duration) {
	k.t.f.mu.Lock()
	defer k.t.f.mu.Unlock()
	k.t.period = d
	k.t.arm(d)
}
