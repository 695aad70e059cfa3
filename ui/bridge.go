package ui

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ssemon/ssemon/client/clock"
)

// Defaults of BridgeConfig.
const (
	// DefaultTickInterval is the bridge's tick: 40 Hz, smooth to the eye and
	// far below the cost of one redraw per event.
	DefaultTickInterval = 25 * time.Millisecond
	// MinTickInterval and MaxTickInterval bound BridgeConfig.Interval to
	// the 30–60 Hz the interface is designed for (and no slower than 2 Hz).
	MinTickInterval = time.Second / 60
	MaxTickInterval = 500 * time.Millisecond
	// DefaultIdleInterval is the tick once nothing on screen changed for
	// DefaultIdleAfter: 4 Hz, so an idle window costs next to nothing while
	// the first change after a quiet spell still shows within 250 ms.
	DefaultIdleInterval = 250 * time.Millisecond
	DefaultIdleAfter    = time.Second
)

// PollFunc is called by a Bridge on its own goroutine once per tick. It
// reads whatever it needs from the engine (never touching a widget) and
// returns the work to run on the UI goroutine, or nil when nothing changed.
type PollFunc func(now time.Time) (apply func())

// BridgeConfig configures a Bridge. The zero value of every field selects
// its documented default; NewBridge copies the config.
type BridgeConfig struct {
	// Interval is the time between ticks, clamped to [MinTickInterval,
	// MaxTickInterval]. 0 means DefaultTickInterval (25 ms, 40 Hz).
	Interval time.Duration
	// IdleInterval is the time between ticks once MarkActive was not called
	// for IdleAfter; the next MarkActive brings back Interval. 0 means
	// DefaultIdleInterval (250 ms); it is never shorter than Interval.
	IdleInterval time.Duration
	// IdleAfter is the quiet time after which the bridge slows down.
	// 0 means DefaultIdleAfter (1 s); negative never slows down.
	IdleAfter time.Duration
	// Clock drives the ticker and gives each tick's time. nil means
	// clock.Real().
	Clock clock.Clock
	// Do runs a function on the UI goroutine. nil means fyne.Do. Tests on
	// Fyne's test driver may leave it nil: there fyne.Do runs inline.
	Do func(func())
	// Logger receives debug messages about skipped ticks. nil discards.
	Logger *slog.Logger
}

// BridgeStats counts what a Bridge did, for benchmarks and diagnostics.
type BridgeStats struct {
	// Ticks is how many ticks fired.
	Ticks uint64
	// Applied is how many updates ran on the UI goroutine (at most one per
	// tick; none when nothing changed).
	Applied uint64
	// Coalesced counts ticks skipped because the previous update had not
	// run yet: the UI was busy, and the next tick carries the latest state.
	Coalesced uint64
}

// Bridge carries engine state to the widgets. On every tick it calls its
// PollFunc on its own goroutine and hands the returned work to the UI
// goroutine with a single fyne.Do. It never queues more than one update: if
// the UI has not run the previous one yet, the tick is skipped and the next
// poll sees the newer state. The engine therefore never waits for the UI,
// and the UI is never flooded.
type Bridge struct {
	cfg  BridgeConfig
	poll PollFunc
	log  *slog.Logger

	pending  atomic.Bool
	closed   atomic.Bool
	activity atomic.Uint64
	idle     atomic.Bool
	stats    struct{ ticks, applied, coalesced atomic.Uint64 }

	startOnce sync.Once
	closeOnce sync.Once
	cancel    context.CancelFunc
	ctx       context.Context
	done      chan struct{}
}

// NewBridge returns a stopped bridge that will call poll on every tick.
func NewBridge(cfg BridgeConfig, poll PollFunc) *Bridge {
	if cfg.Interval == 0 {
		cfg.Interval = DefaultTickInterval
	}
	cfg.Interval = min(max(cfg.Interval, MinTickInterval), MaxTickInterval)
	if cfg.IdleInterval == 0 {
		cfg.IdleInterval = DefaultIdleInterval
	}
	cfg.IdleInterval = max(cfg.IdleInterval, cfg.Interval)
	if cfg.IdleAfter == 0 {
		cfg.IdleAfter = DefaultIdleAfter
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Do == nil {
		cfg.Do = fyne.Do
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Bridge{cfg: cfg, poll: poll, log: log, ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// Interval returns the tick interval in effect.
func (b *Bridge) Interval() time.Duration { return b.cfg.Interval }

// Start starts the ticking goroutine. Later calls do nothing, as do calls
// after Close.
func (b *Bridge) Start() {
	b.startOnce.Do(func() {
		if b.closed.Load() {
			close(b.done)
			return
		}
		go b.run()
	})
}

// Close stops the ticker and waits for its goroutine to return. An update
// already handed to the UI goroutine becomes a no-op. Close may be called
// more than once and from any goroutine, including the UI goroutine.
func (b *Bridge) Close() {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		b.cancel()
		b.startOnce.Do(func() { close(b.done) }) // never started
		<-b.done
	})
}

// MarkActive tells the bridge that the last update changed something on
// screen: it keeps (or brings back) the full tick rate. Any goroutine may
// call it; the UI's apply functions do.
func (b *Bridge) MarkActive() { b.activity.Add(1) }

// Idle reports whether the bridge ticks at its idle interval.
func (b *Bridge) Idle() bool { return b.idle.Load() }

// Stats returns the counters so far.
func (b *Bridge) Stats() BridgeStats {
	return BridgeStats{Ticks: b.stats.ticks.Load(), Applied: b.stats.applied.Load(), Coalesced: b.stats.coalesced.Load()}
}

func (b *Bridge) run() {
	defer close(b.done)
	t := b.cfg.Clock.NewTicker(b.cfg.Interval)
	defer t.Stop()
	seen := b.activity.Load()
	quietSince := b.cfg.Clock.Now()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C():
			b.Tick()
		}
		now := b.cfg.Clock.Now()
		switch a := b.activity.Load(); {
		case a != seen:
			seen, quietSince = a, now
			if b.idle.Load() {
				t.Reset(b.cfg.Interval)
				b.idle.Store(false)
			}
		case !b.idle.Load() && b.cfg.IdleAfter >= 0 && now.Sub(quietSince) >= b.cfg.IdleAfter:
			t.Reset(b.cfg.IdleInterval)
			b.idle.Store(true)
		}
	}
}

// Tick runs one tick now: it polls and hands the work to the UI goroutine.
// The ticker calls it; tests and benchmarks may call it directly instead of
// starting the bridge (never both at once).
func (b *Bridge) Tick() {
	if b.closed.Load() {
		return
	}
	b.stats.ticks.Add(1)
	if b.pending.Load() {
		b.stats.coalesced.Add(1)
		b.log.Debug("bridge tick coalesced: UI busy")
		return
	}
	apply := b.poll(b.cfg.Clock.Now())
	if apply == nil {
		return
	}
	b.pending.Store(true)
	b.cfg.Do(func() {
		defer b.pending.Store(false)
		if b.closed.Load() {
			return
		}
		b.stats.applied.Add(1)
		apply()
	})
}
