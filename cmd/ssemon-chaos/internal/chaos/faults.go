package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/cmd/ssemon-chaos/internal/faultproxy"
)

// FaultsConfig configures RunFaults. Zero fields take the default written
// next to them.
type FaultsConfig struct {
	// Demo serves Channel (a firehose); it is killed and restarted by the
	// last case.
	Demo *Demo
	// Channel is the channel watched. Default "firehose".
	Channel string
	// StallTimeout is the monitor's stall timeout. Default 2 s.
	StallTimeout time.Duration
	// MaxBackoff is the monitor's backoff cap. Default 1 s.
	MaxBackoff time.Duration
	// Refuse is how long connections are refused. Default 2 s.
	Refuse time.Duration
	// Drip is how long the stream drips one byte at a time. Default 1 s.
	Drip time.Duration
	// Injections is how many garbage injections are made. Default 10.
	Injections int
	// Down is how long the killed server stays down. Default 500 ms.
	Down time.Duration
	// Wait bounds every wait. Default 30 s.
	Wait time.Duration
	// Logger receives the monitor's logs. Default: discard.
	Logger *slog.Logger
}

// FaultResult is what the monitor showed for one fault.
type FaultResult struct {
	// Fault names the fault.
	Fault string
	// Shown is the state the monitor showed for it; Err the error shown.
	Shown client.State
	// Err is the status error text shown with it.
	Err string
	// ToState is the time from the fault to Shown; ToOpen from the
	// recovery (the fault's end, or Shown when it ends by itself) to Open.
	ToState, ToOpen time.Duration
	// Bound says what the fault's state and the recovery are checked
	// against: events and states, never a time a loaded machine could
	// miss (ToState and ToOpen are measured and reported).
	Bound string
	// Note is a fault-specific observation.
	Note string
	// Problem is empty when the monitor showed what it should.
	Problem string
}

// FaultsResult is the outcome of RunFaults.
type FaultsResult struct {
	// Faults are the per-fault results, in order.
	Faults []FaultResult
	// IDs is the id-by-id check of the run before the restart.
	IDs IDCheck
}

// faultRun holds the state of one RunFaults.
type faultRun struct {
	cfg FaultsConfig
	ctx context.Context
	p   *faultproxy.Proxy
	ch  *client.Channel
}

// firstAfter returns the first transition to st at or after t.
func (r *faultRun) firstAfter(t time.Time, st client.State) (client.Transition, bool) {
	for _, tr := range r.ch.Snapshot().History {
		if tr.State == st && !tr.At.Before(t) {
			return tr, true
		}
	}
	return client.Transition{}, false
}

// waitState waits for a transition to st at or after t.
func (r *faultRun) waitState(t time.Time, st client.State) (client.Transition, error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Wait)
	defer cancel()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if tr, ok := r.firstAfter(t, st); ok {
			return tr, nil
		}
		select {
		case <-ctx.Done():
			s := r.ch.Snapshot().Status
			return client.Transition{}, fmt.Errorf("no %v within %v (state %v: %s)", st, r.cfg.Wait, s.State, s.Detail)
		case <-tick.C:
		}
	}
}

// waitEvents waits until n more events arrived.
func (r *faultRun) waitEvents(n uint64) error {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Wait)
	defer cancel()
	base := r.ch.Snapshot().Stats.Events
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for r.ch.Snapshot().Stats.Events < base+n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d events: %w", n, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// pause waits d on the real clock (a fault's duration), or until ctx ends.
func (r *faultRun) pause(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.ctx.Done():
	}
}

func errText(tr client.Transition) string {
	_, after, ok := strings.Cut(tr.Detail, ": ")
	if ok && strings.HasPrefix(tr.Detail, "retry in ") {
		return after
	}
	return tr.Detail
}

// RunFaults watches the demo's firehose through a fault proxy and applies
// one fault at a time, measuring from each fault to the state shown and
// from its end to Open again: a cut, a stall without FIN, refused
// connections, a slow drip, garbage injection, and last the server killed
// with SIGKILL and restarted on the same port without its replay ring.
func RunFaults(ctx context.Context, cfg FaultsConfig) (FaultsResult, error) {
	var out FaultsResult
	if cfg.Demo == nil {
		return out, errors.New("chaos: FaultsConfig.Demo is required")
	}
	if cfg.Channel == "" {
		cfg.Channel = "firehose"
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 2 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Second
	}
	if cfg.Refuse <= 0 {
		cfg.Refuse = 2 * time.Second
	}
	if cfg.Drip <= 0 {
		cfg.Drip = time.Second
	}
	if cfg.Injections <= 0 {
		cfg.Injections = 10
	}
	if cfg.Down <= 0 {
		cfg.Down = 500 * time.Millisecond
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 30 * time.Second
	}
	p, err := faultproxy.New(faultproxy.Config{Target: cfg.Demo.Addr()})
	if err != nil {
		return out, err
	}
	defer p.Close()
	m := client.NewManager(client.ManagerConfig{Logger: cfg.Logger})
	defer m.Close()
	ch, err := m.Add(client.ChannelConfig{
		Name: cfg.Channel, URL: "http://" + p.Addr() + "/api/stream/" + cfg.Channel, LastEventID: "0",
		StallTimeout: cfg.StallTimeout, MaxBackoff: cfg.MaxBackoff,
		RingSize: client.MaxRingSize, RingBytes: 1 << 30,
	})
	if err != nil {
		return out, err
	}
	r := &faultRun{cfg: cfg, ctx: ctx, p: p, ch: ch}
	if _, err := r.waitState(time.Time{}, client.Open); err != nil {
		return out, err
	}
	if err := r.waitEvents(50); err != nil {
		return out, err
	}
	retry := ch.Snapshot().Stats.Retry

	for _, f := range []func() FaultResult{
		func() FaultResult { return r.cut(retry) },
		func() FaultResult { return r.stall(retry) },
		r.refuse,
		r.drip,
		r.garbage,
	} {
		res := f()
		out.Faults = append(out.Faults, res)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}

	// Every id so far exactly once, through all of the above.
	last, err := cfg.Demo.LastID(ctx, cfg.Channel)
	if err != nil {
		return out, err
	}
	if err := r.waitID(last); err != nil {
		return out, err
	}
	var ids []string
	for _, rec := range ch.Records(nil, 0) {
		if rec.Kind == client.RecordEvent {
			ids = append(ids, rec.ID)
		}
	}
	out.IDs = checkIDs("engine", ids, last)

	out.Faults = append(out.Faults, r.restart(retry))
	return out, nil
}

func (r *faultRun) waitID(id uint64) error {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Wait)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		n, _ := strconv.ParseUint(r.ch.Snapshot().Stats.LastEventID, 10, 64)
		if n >= id {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for id %d (at %d): %w", id, n, ctx.Err())
		case <-tick.C:
		}
	}
}

func (r *faultRun) cut(retry time.Duration) FaultResult {
	res := FaultResult{Fault: "cut (reset) mid-event", Bound: fmt.Sprintf("state: at once; open: first attempt, after retry %v", retry)}
	t0 := time.Now()
	if _, err := r.p.Cut(r.ctx, faultproxy.CutMidEvent, faultproxy.Reset); err != nil {
		res.Problem = err.Error()
		return res
	}
	return r.measure(res, t0, client.Retrying, time.Time{})
}

// measure waits for the fault's state after t0 and for Open after the
// recovery (rec; zero: the state shown). The bounds are events, so that a
// loaded machine cannot miss them: st is the first state shown after the
// fault (at once: no watchdog, timeout or other error came first), and the
// first connection attempt after the recovery opens (the monitor did not
// back off past a working server, nor fail on the way). The waits are hang
// guards (Wait) only.
func (r *faultRun) measure(res FaultResult, t0 time.Time, st client.State, rec time.Time) FaultResult {
	tr, err := r.waitState(t0, st)
	if err != nil {
		res.Problem = err.Error()
		return res
	}
	// A reconnection that was ending when the fault came may show
	// Connecting and Open first; no other state may come before st.
	for _, first := range r.transitionsFrom(t0) {
		if first.State == client.Connecting || first.State == client.Open {
			continue
		}
		if first.State != st {
			res.Problem = fmt.Sprintf("%v (%s) shown first after the fault, not %v", first.State, first.Detail, st)
			return res
		}
		break
	}
	res.Shown, res.ToState, res.Err = st, tr.At.Sub(t0), errText(tr)
	if rec.IsZero() {
		rec = tr.At
	}
	// The monitor may be open again before the harness has seen the
	// recovery end (a restarted server answers before its start returns).
	open, err := r.waitState(tr.At, client.Open)
	if err != nil {
		res.Problem = err.Error()
		return res
	}
	res.ToOpen = max(open.At.Sub(rec), 0)
	attempts := 0
	for _, tr := range r.transitionsFrom(rec) {
		if tr.At.After(open.At) {
			break
		}
		if tr.State == client.Connecting {
			attempts++
		}
	}
	if attempts > 1 {
		res.Problem = fmt.Sprintf("open after %d attempts following the recovery, want the first", attempts)
	}
	_ = r.waitEvents(20)
	return res
}

// transitionsFrom returns the transitions at or after t, oldest first.
func (r *faultRun) transitionsFrom(t time.Time) []client.Transition {
	var out []client.Transition
	for _, tr := range r.ch.Snapshot().History {
		if !tr.At.Before(t) {
			out = append(out, tr)
		}
	}
	return out
}

func (r *faultRun) stall(retry time.Duration) FaultResult {
	s := r.cfg.StallTimeout
	res := FaultResult{Fault: "stall (no bytes, no FIN)", Bound: fmt.Sprintf("state: stall timeout %v after the last byte; open: first attempt, after retry %v", s, retry)}
	t0 := time.Now()
	if n := r.p.Stall(); n == 0 {
		res.Problem = "no connection to stall"
		return res
	}
	// The monitor cannot have read a byte later than the proxy forwarded
	// it (a write in flight now only makes the real last byte later).
	lastByte := r.p.Stats().LastDown
	res = r.measure(res, t0, client.Stalled, time.Time{})
	r.p.Unstall()
	// The watchdog counts from the last byte: never earlier than the
	// timeout after it, however late that byte came on a loaded machine.
	if res.Problem == "" {
		if tr, ok := r.firstAfter(t0, client.Stalled); ok && tr.At.Sub(lastByte) < s-10*time.Millisecond {
			res.Problem = fmt.Sprintf("stalled %v after the last byte, before the %v timeout", tr.At.Sub(lastByte), s)
		}
	}
	return res
}

func (r *faultRun) refuse() FaultResult {
	res := FaultResult{Fault: fmt.Sprintf("refused for %v", r.cfg.Refuse),
		Bound: fmt.Sprintf("state: at once; open: first attempt after the refusal, backoff cap %v", r.cfg.MaxBackoff)}
	t0 := time.Now()
	if err := r.p.SetRefuse(true); err != nil {
		res.Problem = err.Error()
		return res
	}
	if _, err := r.p.Cut(r.ctx, faultproxy.CutNow, faultproxy.Reset); err != nil {
		res.Problem = err.Error()
	}
	// Let the monitor fail against the closed port for a while.
	r.pause(r.cfg.Refuse)
	if err := r.p.SetRefuse(false); err != nil {
		res.Problem = err.Error()
		return res
	}
	rec := time.Now() // listening again: no attempt after this may be refused
	res = r.measure(res, t0, client.Retrying, rec)
	refused := 0
	for _, tr := range r.ch.Snapshot().History {
		if tr.State == client.Retrying && !tr.At.Before(t0) && strings.Contains(tr.Detail, "connection refused") {
			if refused == 0 {
				res.Err = errText(tr) // what the user reads while refused
			}
			refused++
		}
	}
	res.Note = fmt.Sprintf("%d attempts refused", refused)
	if refused == 0 && res.Problem == "" {
		res.Problem = "no attempt showed \"connection refused\""
	}
	return res
}

// steady checks that the channel stayed Open, on one connection, through
// fn.
func (r *faultRun) steady(res FaultResult, fn func() error) FaultResult {
	before := r.ch.Snapshot()
	if err := fn(); err != nil {
		res.Problem = err.Error()
		return res
	}
	after := r.ch.Snapshot()
	res.Shown = after.Status.State
	res.Note = fmt.Sprintf("%d events meanwhile, %d reconnects", after.Stats.Events-before.Stats.Events, after.Stats.Connects-before.Stats.Connects)
	if after.Status.State != client.Open || after.Stats.Connects != before.Stats.Connects {
		var trs []string
		for _, tr := range after.History {
			if tr.At.After(before.At) {
				trs = append(trs, tr.State.String()+": "+tr.Detail)
			}
		}
		res.Problem = fmt.Sprintf("state %v after %d reconnects, want open throughout: %q", after.Status.State, after.Stats.Connects-before.Stats.Connects, trs)
	}
	return res
}

func (r *faultRun) drip() FaultResult {
	res := FaultResult{Fault: fmt.Sprintf("slow drip, 1 byte / %v, for %v", faultproxy.DefaultDripInterval, r.cfg.Drip), Bound: "stays open (bytes keep the watchdog fed)"}
	return r.steady(res, func() error {
		r.p.SetDrip(true)
		if err := r.waitEvents(3); err != nil {
			r.p.SetDrip(false)
			return err
		}
		r.pause(r.cfg.Drip)
		r.p.SetDrip(false)
		return r.waitEvents(50)
	})
}

func (r *faultRun) garbage() FaultResult {
	res := FaultResult{Fault: fmt.Sprintf("garbage injected %d times between events", r.cfg.Injections), Bound: "stays open, nothing dispatched"}
	return r.steady(res, func() error {
		for i := 0; i < r.cfg.Injections; i++ {
			if n, err := r.p.Inject(r.ctx, nil); err != nil || n != 1 {
				return fmt.Errorf("injection %d reached %d connections: %v", i+1, n, err)
			}
		}
		return r.waitEvents(50)
	})
}

// restart kills the server with SIGKILL, keeps it down for Down, and
// starts it again on the same port: its ids start over and its ring is
// empty. The monitor must say so.
func (r *faultRun) restart(retry time.Duration) FaultResult {
	res := FaultResult{Fault: fmt.Sprintf("server SIGKILL, down %v, restarted without its ring (at 10 events/s)", r.cfg.Down),
		Bound: fmt.Sprintf("state: at once; open: first attempt after the restart, backoff cap %v", r.cfg.MaxBackoff)}
	before := r.ch.Snapshot()
	t0 := time.Now()
	if err := r.cfg.Demo.Kill(); err != nil {
		res.Problem = err.Error()
		return res
	}
	r.pause(r.cfg.Down)
	// Restarted slowly, its new ids stay below the monitor's last id
	// however long the restart takes on a loaded machine (a server whose
	// new ids overtook it could not be told from the old one).
	if err := r.cfg.Demo.Start(r.ctx, "--firehose-rate", "10"); err != nil {
		res.Problem = err.Error()
		return res
	}
	rec := time.Now()
	res = r.measure(res, t0, client.Retrying, rec)
	if res.Problem != "" {
		return res
	}
	// The loss must be visible: a lost notice in the log and a gap counted.
	var notice *client.Record
	for _, rec := range r.ch.Records(nil, before.LastSeq+1) {
		if rec.Kind == client.RecordEvent && rec.Type == client.LostEventType {
			notice = &rec
			break
		}
	}
	after := r.ch.Snapshot()
	switch {
	case notice == nil:
		res.Problem = "no lost notice after the restart: the monitor continued silently"
	default:
		res.Note = fmt.Sprintf("lost notice %s (reset %v); gaps +%d, missed +%d, duplicates +%d",
			notice.Data, gjson.Get(notice.Data, "reset").Bool(),
			after.Stats.Gaps-before.Stats.Gaps, after.Stats.Missed-before.Stats.Missed, after.Stats.Duplicates-before.Stats.Duplicates)
		if after.Stats.Gaps == before.Stats.Gaps || notice.Duplicate {
			res.Problem = "the restart's lost notice is counted as a duplicate, not as lost history"
		}
	}
	return res
}
