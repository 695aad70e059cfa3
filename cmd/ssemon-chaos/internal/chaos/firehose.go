package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/record"
	"github.com/ssemon/ssemon/client/tail"
	"github.com/ssemon/ssemon/cmd/ssemon-chaos/internal/faultproxy"
)

// FirehoseConfig configures RunFirehose. Zero fields take the default
// written next to them.
type FirehoseConfig struct {
	// Demo serves Channel; its ring must cover a reconnection (the
	// replayable case) and its retry should be short.
	Demo *Demo
	// Channel is the firehose channel. Default "firehose".
	Channel string
	// Cuts is the number of forced disconnects. Default 100.
	Cuts int
	// EventsBetween is how many new events every client must receive
	// between two cuts. Default 20.
	EventsBetween int
	// Wait bounds every wait (a hang guard); the last one, for the clients
	// to catch up, goes on while they move on, up to Wait after their last
	// move. Default 30 s.
	Wait time.Duration
	// Logger receives the monitor's logs. Default: discard.
	Logger *slog.Logger
}

// cutPlan is the rotation of cuts: every point, both close modes.
var cutPlan = [...]struct {
	at   faultproxy.CutPoint
	mode faultproxy.CloseMode
}{
	{faultproxy.CutMidEvent, faultproxy.Reset},
	{faultproxy.CutBetweenEvents, faultproxy.FIN},
	{faultproxy.CutNow, faultproxy.Reset},
	{faultproxy.CutMidEvent, faultproxy.FIN},
	{faultproxy.CutBetweenEvents, faultproxy.Reset},
}

// IDCheck is the id-by-id check of one client.
type IDCheck struct {
	// Client is "engine" (client.Manager) or "ssemon-tail --json".
	Client string
	// Checked is the last published id checked: ids 1..Checked.
	Checked uint64
	// Missing counts ids never received; Duplicated ids received more
	// than once; Foreign events without a numeric id or past Checked
	// are not counted.
	Missing, Duplicated int
	// FirstMissing lists up to 10 missing ids.
	FirstMissing []uint64
	// LostNotices counts "lost" events received.
	LostNotices int
	// Opens counts the connections the client opened.
	Opens int
}

// FirehoseResult is the outcome of RunFirehose.
type FirehoseResult struct {
	// Cuts is the number of cuts made; CutConns the connections they cut.
	Cuts, CutConns int
	// Clients are the id checks, one per client.
	Clients []IDCheck
	// Duration is the time the run took.
	Duration time.Duration
}

// OK reports whether every client got every id exactly once.
func (r FirehoseResult) OK() bool {
	for _, c := range r.Clients {
		if c.Missing != 0 || c.Duplicated != 0 || c.LostNotices != 0 || c.Checked == 0 {
			return false
		}
	}
	return len(r.Clients) > 0
}

// tailClient runs ssemon-tail --json in-process and collects its lines.
type tailClient struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	ids    []string
	lost   int
	opens  int
	states []record.Entry
	err    error
}

func startTail(ctx context.Context, args ...string) *tailClient {
	ctx, cancel := context.WithCancel(ctx)
	tc := &tailClient{cancel: cancel, done: make(chan struct{})}
	pr, pw := io.Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tail.Main(ctx, append([]string{"--json"}, args...), tail.Env{Stdout: pw})
		pw.Close()
	}()
	go func() {
		defer close(tc.done)
		defer wg.Wait()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			var e record.Entry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				tc.mu.Lock()
				tc.err = fmt.Errorf("ssemon-tail wrote a bad JSON line %q: %w", sc.Text(), err)
				tc.mu.Unlock()
				continue
			}
			tc.mu.Lock()
			switch e.Kind {
			case record.KindEvent:
				tc.ids = append(tc.ids, e.ID)
				if e.Type == client.LostEventType {
					tc.lost++
				}
			case record.KindState:
				tc.states = append(tc.states, e)
				if e.State == client.Open {
					tc.opens++
				}
			}
			tc.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	return tc
}

func (tc *tailClient) events() int {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return len(tc.ids)
}

// lastID is the numeric id of the last event received (0 for none).
func (tc *tailClient) lastID() uint64 {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if len(tc.ids) == 0 {
		return 0
	}
	n, _ := strconv.ParseUint(tc.ids[len(tc.ids)-1], 10, 64)
	return n
}

// check is the id-by-id check of what ssemon-tail received up to id upTo,
// and the error it met, if any.
func (tc *tailClient) check(upTo uint64) (IDCheck, error) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	c := checkIDs("ssemon-tail --json", tc.ids, upTo)
	c.LostNotices, c.Opens = tc.lost, tc.opens
	return c, tc.err
}

func (tc *tailClient) stop() {
	tc.cancel()
	<-tc.done
}

// checkIDs checks that ids 1..upTo each appear exactly once in ids.
func checkIDs(name string, ids []string, upTo uint64) IDCheck {
	c := IDCheck{Client: name, Checked: upTo}
	seen := make([]uint8, upTo+1)
	for _, s := range ids {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 || n > upTo {
			continue
		}
		if seen[n] < 2 {
			seen[n]++
		}
	}
	for i := uint64(1); i <= upTo; i++ {
		switch seen[i] {
		case 0:
			c.Missing++
			if len(c.FirstMissing) < 10 {
				c.FirstMissing = append(c.FirstMissing, i)
			}
		case 2:
			c.Duplicated++
		}
	}
	return c
}

// RunFirehose points two clients — the engine (a client.Manager channel)
// and ssemon-tail --json — through a fault proxy at the demo server's
// firehose, from its first event, cuts their connections Cuts times in
// rotation (mid-event and between events, reset and FIN, and at once),
// then checks id by id that each received every published id exactly once.
func RunFirehose(ctx context.Context, cfg FirehoseConfig) (FirehoseResult, error) {
	var res FirehoseResult
	if cfg.Demo == nil {
		return res, errors.New("chaos: FirehoseConfig.Demo is required")
	}
	if cfg.Channel == "" {
		cfg.Channel = "firehose"
	}
	if cfg.Cuts <= 0 {
		cfg.Cuts = 100
	}
	if cfg.EventsBetween <= 0 {
		cfg.EventsBetween = 20
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 30 * time.Second
	}
	start := time.Now()
	p, err := faultproxy.New(faultproxy.Config{Target: cfg.Demo.Addr()})
	if err != nil {
		return res, err
	}
	defer p.Close()
	url := "http://" + p.Addr() + "/api/stream/" + cfg.Channel

	m := client.NewManager(client.ManagerConfig{Logger: cfg.Logger})
	defer m.Close()
	ch, err := m.Add(client.ChannelConfig{
		Name: cfg.Channel, URL: url, LastEventID: "0",
		RingSize: client.MaxRingSize, RingBytes: 1 << 30, StallTimeout: 10 * time.Second,
	})
	if err != nil {
		return res, err
	}
	tc := startTail(ctx, "--last-event-id", "0", url)
	defer tc.stop()

	engineEvents := func() int { return int(ch.Snapshot().Stats.Events) }
	waitFor := func(what string, cond func() bool) error { return waitUntil(ctx, cfg.Wait, what, cond) }

	for i := 0; i < cfg.Cuts; i++ {
		e0, t0 := engineEvents(), tc.events()
		if err := waitFor(fmt.Sprintf("%d new events on both clients before cut %d", cfg.EventsBetween, i+1), func() bool {
			return engineEvents()-e0 >= cfg.EventsBetween && tc.events()-t0 >= cfg.EventsBetween && p.Stats().Active >= 2
		}); err != nil {
			return res, err
		}
		n, err := cutNext(ctx, p, cfg.Wait, res.Cuts)
		if err != nil {
			return res, err
		}
		if n == 0 { // every connection ended before the cut landed: cut again
			i--
			continue
		}
		res.Cuts++
		res.CutConns += n
	}

	last, err := cfg.Demo.LastID(ctx, cfg.Channel)
	if err != nil {
		return res, err
	}
	// The clients read a backlog at whatever pace the machine allows:
	// waited for as long as they move on.
	if err := waitCatchUp(ctx, cfg.Wait, "both clients", last, func() uint64 {
		n, _ := strconv.ParseUint(ch.Snapshot().Stats.LastEventID, 10, 64)
		return min(n, tc.lastID())
	}); err != nil {
		return res, err
	}

	var ids []string
	lost := 0
	for _, r := range ch.Records(nil, 0) {
		if r.Kind == client.RecordEvent {
			ids = append(ids, r.ID)
			if r.Type == client.LostEventType {
				lost++
			}
		}
	}
	snap := ch.Snapshot()
	ec := checkIDs("engine", ids, last)
	ec.LostNotices, ec.Opens = lost, int(snap.Stats.Connects)
	if snap.Stats.Evicted > 0 {
		return res, fmt.Errorf("chaos: the engine's log evicted %d records; the check needs them all", snap.Stats.Evicted)
	}
	tcc, terr := tc.check(last)
	res.Clients = []IDCheck{ec, tcc}
	res.Duration = time.Since(start)
	return res, terr
}

// cutNext makes cut number done+1 through p, the next of the rotation,
// waiting at most wait for its point to come. It returns the number of
// connections cut: 0 when every one ended before the cut landed.
func cutNext(ctx context.Context, p *faultproxy.Proxy, wait time.Duration, done int) (int, error) {
	plan := cutPlan[done%len(cutPlan)]
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	n, err := p.Cut(cctx, plan.at, plan.mode)
	if err != nil {
		return 0, fmt.Errorf("chaos: cut %d (%v, %v): %w", done+1, plan.at, plan.mode, err)
	}
	return n, nil
}

// waitCatchUp waits until pos reaches id: as long as pos moves on, and
// at most limit after its last move (a client that stopped) or until ctx
// ends.
func waitCatchUp(ctx context.Context, limit time.Duration, who string, id uint64, pos func() uint64) error {
	last := pos()
	moved := time.Now()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for last < id {
		select {
		case <-ctx.Done():
			return fmt.Errorf("chaos: waiting for %s to reach id %d (at %d): %w", who, id, last, ctx.Err())
		case now := <-t.C:
			if p := pos(); p != last {
				last, moved = p, now
			} else if now.Sub(moved) >= limit {
				return fmt.Errorf("chaos: waiting for %s to reach id %d: stuck at %d for %v", who, id, last, limit)
			}
		}
	}
	return nil
}

// waitUntil polls cond every 5 ms until it holds, or fails after limit (a
// hang guard) or when ctx ends.
func waitUntil(ctx context.Context, limit time.Duration, what string, cond func() bool) error {
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-wctx.Done():
			return fmt.Errorf("chaos: waiting for %s: %w", what, wctx.Err())
		case <-t.C:
		}
	}
	return nil
}
