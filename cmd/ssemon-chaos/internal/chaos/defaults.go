package chaos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ssemon/ssemon/cmd/ssemon-chaos/internal/faultproxy"
)

// DefaultsConfig configures RunDefaults. Zero fields take the default
// written next to them.
type DefaultsConfig struct {
	// Demo serves Channel, a firehose, with the server's default settings
	// (history of a minute, retry 3 s, write timeout 10 s).
	Demo *Demo
	// Channel is the firehose channel. Default "firehose".
	Channel string
	// Faults is the number of faults of each kind (cut, stall, slow
	// drip). Default 100.
	Faults int
	// EventsBetween is how many new events ssemon-tail must receive
	// between two faults. Default 500.
	EventsBetween int
	// Stalls are the stall lengths, used in rotation. Default 1 s, 2 s,
	// 3 s and 11 s (past the server's 10 s write timeout).
	Stalls []time.Duration
	// Drips are the slow-drip lengths, used in rotation. Default 1 s,
	// 2 s and 4 s.
	Drips []time.Duration
	// Wait bounds every wait (a hang guard); the last one, for ssemon-tail
	// to catch up, goes on while it moves on, up to Wait after its last
	// move. Default 2 min.
	Wait time.Duration
}

// DefaultsResult is the outcome of RunDefaults.
type DefaultsResult struct {
	// Cuts, Stalls and Drips count the faults made.
	Cuts, Stalls, Drips int
	// CutConns counts the connections the cuts cut.
	CutConns int
	// Tail is the id-by-id check of ssemon-tail.
	Tail IDCheck
	// Duration is the time the run took.
	Duration time.Duration
}

// OK reports whether the tail got every id exactly once, without a lost
// notice.
func (r DefaultsResult) OK() bool {
	c := r.Tail
	return c.Checked > 0 && c.Missing == 0 && c.Duplicated == 0 && c.LostNotices == 0
}

// RunDefaults points ssemon-tail --json, with its default settings, through
// a fault proxy at the demo server's firehose from its first event, and
// makes Faults faults of each kind in turn — a cut (every cut point and
// close mode in rotation), a stall of forwarding in both directions, a
// slow drip of one byte at a time — each after EventsBetween new events;
// then checks id by id that the tail received every published id exactly
// once.
func RunDefaults(ctx context.Context, cfg DefaultsConfig) (DefaultsResult, error) {
	var res DefaultsResult
	if cfg.Demo == nil {
		return res, errors.New("chaos: DefaultsConfig.Demo is required")
	}
	if cfg.Channel == "" {
		cfg.Channel = "firehose"
	}
	if cfg.Faults <= 0 {
		cfg.Faults = 100
	}
	if cfg.EventsBetween <= 0 {
		cfg.EventsBetween = 500
	}
	if len(cfg.Stalls) == 0 {
		cfg.Stalls = []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 11 * time.Second}
	}
	if len(cfg.Drips) == 0 {
		cfg.Drips = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 2 * time.Minute
	}
	start := time.Now()
	p, err := faultproxy.New(faultproxy.Config{Target: cfg.Demo.Addr()})
	if err != nil {
		return res, err
	}
	defer p.Close()
	url := "http://" + p.Addr() + "/api/stream/" + cfg.Channel
	tc := startTail(ctx, "--last-event-id", "0", url)
	defer tc.stop()

	waitFor := func(what string, cond func() bool) error { return waitUntil(ctx, cfg.Wait, what, cond) }
	pause := func(d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}

	for i := 0; i < 3*cfg.Faults; i++ {
		t0 := tc.events()
		if err := waitFor(fmt.Sprintf("%d new events before fault %d", cfg.EventsBetween, i+1), func() bool {
			return tc.events()-t0 >= cfg.EventsBetween && p.Stats().Active >= 1
		}); err != nil {
			return res, err
		}
		n := i / 3
		switch i % 3 {
		case 0:
			conns, err := cutNext(ctx, p, cfg.Wait, res.Cuts)
			if err != nil {
				return res, err
			}
			if conns == 0 { // the connection ended before the cut landed: again
				i--
				continue
			}
			res.Cuts++
			res.CutConns += conns
		case 1:
			if p.Stall() == 0 {
				i--
				continue
			}
			err := pause(cfg.Stalls[n%len(cfg.Stalls)])
			p.Unstall()
			if err != nil {
				return res, err
			}
			res.Stalls++
		case 2:
			p.SetDrip(true)
			err := pause(cfg.Drips[n%len(cfg.Drips)])
			p.SetDrip(false)
			if err != nil {
				return res, err
			}
			res.Drips++
		}
	}

	last, err := cfg.Demo.LastID(ctx, cfg.Channel)
	if err != nil {
		return res, err
	}
	if err := waitCatchUp(ctx, cfg.Wait, "ssemon-tail", last, tc.lastID); err != nil {
		return res, err
	}
	res.Tail, err = tc.check(last)
	res.Duration = time.Since(start)
	return res, err
}
