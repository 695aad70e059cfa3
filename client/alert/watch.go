package alert

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/series"
)

// Defaults of Config.
const (
	// DefaultCooldown is the least time between two notified firings of
	// one rule.
	DefaultCooldown = time.Minute
	// DefaultHistory is how many transitions a Watch remembers.
	DefaultHistory = 100
	// MaxPending caps the transitions waiting for Take; older ones are
	// dropped (and counted) when nobody takes them.
	MaxPending = 1024
)

// Config configures a Watch. Zero fields take the default written next to
// them; NewWatch copies the Config.
type Config struct {
	// Channel names the channel in transitions.
	Channel string
	// Rules are the rules watched, in order.
	Rules []Rule
	// Start is when watching began: silence is measured from here until
	// the first event. Zero: the time of the first input.
	Start time.Time
	// Cooldown is the least time between two notified firings of the same
	// rule: a rule that flaps fires and recovers in the history every
	// time, but is notified at most once per Cooldown, and the next
	// notification says how many firings were not. 0 means
	// DefaultCooldown (1 min); negative notifies every firing.
	Cooldown time.Duration
	// History is how many transitions History keeps. 0 means
	// DefaultHistory (100).
	History int
}

// Transition is a rule starting or stopping to fire.
type Transition struct {
	// Channel is the channel's name.
	Channel string
	// Rule is the rule's text (Rule.String), Index its place in the
	// channel's rules.
	Rule string
	// Index: see Rule.
	Index int
	// Firing is true when the rule fires, false when it recovers.
	Firing bool
	// At is when it happened: for a firing, the moment the condition had
	// held for the rule's duration.
	At time.Time
	// Since is when the condition began to hold (a firing), or when the
	// rule fired (a recovery).
	Since time.Time
	// Value is the value that made a value rule fire or recover.
	Value float64
	// HasValue tells that Value is set.
	HasValue bool
	// Notify tells whether to notify the user: false for a firing within
	// the rule's cooldown of the last notified one, and for the recovery
	// of a firing that was not notified.
	Notify bool
	// Suppressed counts the firings of this rule not notified since the
	// last notified one.
	Suppressed int
}

// Text is the transition in one line for people: "cpu > 90 for 30s
// firing: cpu 93.5" or "cpu > 90 for 30s recovered after 2m10s".
func (t Transition) Text() string {
	var b strings.Builder
	b.WriteString(t.Rule)
	if t.Firing {
		b.WriteString(" firing")
		if t.HasValue {
			b.WriteString(": " + FormatValue(t.Value))
		}
	} else {
		b.WriteString(" recovered")
		if !t.Since.IsZero() && t.At.After(t.Since) {
			b.WriteString(" after " + formatFor(t.At.Sub(t.Since).Round(time.Second)))
		}
		if t.HasValue {
			b.WriteString(": " + FormatValue(t.Value))
		}
	}
	if t.Suppressed > 0 {
		b.WriteString(" (" + strconv.Itoa(t.Suppressed) + " more since the last notice)")
	}
	return b.String()
}

// FormatValue writes a value as people read it: at most 4 significant
// digits after the point ("93.5", "1200", "0.0042").
func FormatValue(v float64) string {
	if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// RuleState is a rule and whether it fires, for a list of rules.
type RuleState struct {
	// Rule is the rule's text.
	Rule string
	// Firing tells whether it fires now; Since is when it fired.
	Firing bool
	// Since: see Firing.
	Since time.Time
	// Value is the last value a value rule read (HasValue).
	Value float64
	// HasValue: see Value.
	HasValue bool
}

type ruleState struct {
	rule Rule
	text string

	cond     bool      // the condition holds (value, state, type rules)
	since    time.Time // since when it holds
	value    float64
	hasValue bool

	firing     bool
	firedAt    time.Time
	notified   bool
	lastNotify time.Time
	suppressed int
}

// Watch evaluates the rules of one channel. Feed it the channel's events,
// heartbeats, states and progress in the order they happened, and call
// Tick as time passes (rules about silence and durations fire on a tick).
// It is safe for concurrent use.
type Watch struct {
	mu    sync.Mutex
	cfg   Config
	rules []ruleState

	started   bool
	start     time.Time
	state     client.State
	stateAt   time.Time
	openSince time.Time
	quietFrom time.Time // last resume from paused/closed
	lastEvent time.Time
	lastAny   time.Time

	progKnown bool
	progPct   float64
	progAt    time.Time

	pending []Transition
	dropped uint64
	hist    []Transition
	histAt  int
}

// NewWatch returns a Watch of cfg's rules.
func NewWatch(cfg Config) *Watch {
	if cfg.Cooldown == 0 {
		cfg.Cooldown = DefaultCooldown
	}
	if cfg.History <= 0 {
		cfg.History = DefaultHistory
	}
	cfg.Rules = slices.Clone(cfg.Rules)
	w := &Watch{cfg: cfg, state: client.Idle}
	for _, r := range cfg.Rules {
		w.rules = append(w.rules, ruleState{rule: r, text: r.String()})
	}
	if !cfg.Start.IsZero() {
		w.begin(cfg.Start)
	}
	return w
}

func (w *Watch) begin(at time.Time) {
	if !w.started {
		w.started, w.start, w.quietFrom = true, at, at
	}
}

// Rules returns the rules watched.
func (w *Watch) Rules() []Rule {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.cfg.Rules)
}

// Event feeds an event of type typ with data, received at at.
func (w *Watch) Event(at time.Time, typ, data string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.begin(at)
	w.lastEvent, w.lastAny = later(w.lastEvent, at), later(w.lastAny, at)
	for i := range w.rules {
		r := &w.rules[i]
		switch r.rule.Kind {
		case KindValue:
			v, ok := series.Number(gjson.Get(data, r.rule.Path))
			if !ok {
				continue
			}
			r.value, r.hasValue = v, true
			holds := r.rule.Op.holds(v, r.rule.Threshold)
			if holds && !r.cond {
				r.since = at
			}
			r.cond = holds
		case KindType:
			if typ != r.rule.EventType {
				continue
			}
			// The hold runs from the newest such event.
			r.cond, r.since = true, at
		default:
			continue
		}
		w.eval(i, at)
	}
}

// Comment feeds a comment line (a heartbeat) received at at.
func (w *Watch) Comment(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.begin(at)
	w.lastAny = later(w.lastAny, at)
}

// Record feeds a record of the channel's log: events and comments; other
// records are ignored (feed states with Status).
func (w *Watch) Record(r *client.Record) {
	switch r.Kind {
	case client.RecordEvent:
		w.Event(r.At, r.Type, r.Data)
	case client.RecordComment:
		w.Comment(r.At)
	}
}

// Status feeds the connection's status; repeated statuses are ignored.
func (w *Watch) Status(st client.Status) {
	w.mu.Lock()
	defer w.mu.Unlock()
	at := st.Since
	if at.IsZero() {
		return
	}
	w.begin(at)
	if st.State == w.state && at.Equal(w.stateAt) {
		return
	}
	prev := w.state
	w.state, w.stateAt = st.State, at
	if st.State == client.Open && prev != client.Open {
		w.openSince = at
	}
	if quietExempt(prev) && !quietExempt(st.State) {
		w.quietFrom = at
	}
	for i := range w.rules {
		r := &w.rules[i]
		if r.rule.Kind != KindState {
			continue
		}
		in := slices.Contains(r.rule.States, st.State)
		// A retrying or stalled episode goes on through the attempts
		// between the waits.
		if !in && st.State == client.Connecting && r.cond &&
			(slices.Contains(r.rule.States, client.Retrying) || slices.Contains(r.rule.States, client.Stalled)) {
			in = true
		}
		if in && !r.cond {
			r.since = at
		}
		r.cond = in
		w.eval(i, at)
	}
}

// quietExempt: in these states a stream is silent on purpose.
func quietExempt(s client.State) bool { return s == client.Paused || s == client.Closed }

// Progress feeds the channel's progress percentage read at at; a rule
// about stuck progress measures the time since the value last changed.
func (w *Watch) Progress(at time.Time, pct float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.begin(at)
	if !w.progKnown || pct != w.progPct {
		w.progKnown, w.progPct, w.progAt = true, pct, at
		for i := range w.rules {
			if w.rules[i].rule.Kind == KindStuck {
				w.eval(i, at)
			}
		}
	}
}

// Snapshot feeds a channel snapshot's status and progress.
func (w *Watch) Snapshot(s *client.Snapshot) {
	w.Status(s.Status)
	if s.Progress.Known && !s.Progress.At.IsZero() {
		w.Progress(s.Progress.At, s.Progress.Percent)
	}
}

// Tick evaluates every rule at now: rules about durations and silence fire
// or recover here.
func (w *Watch) Tick(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.begin(now)
	for i := range w.rules {
		w.eval(i, now)
	}
}

// due returns whether rule i should be firing at now, and since when its
// condition holds.
func (w *Watch) due(i int, now time.Time) (bool, time.Time) {
	r := &w.rules[i]
	d := r.rule.For
	switch r.rule.Kind {
	case KindValue, KindState:
		return r.cond && !now.Before(r.since.Add(d)), r.since
	case KindType:
		return r.cond && now.Sub(r.since) < TypeHold, r.since
	case KindStuck:
		if w.state != client.Open || !w.progKnown || w.progPct >= 100 {
			return false, time.Time{}
		}
		since := later(w.progAt, w.openSince)
		return !now.Before(since.Add(d)), since
	case KindSilent, KindNoEvents:
		if quietExempt(w.state) || !w.started {
			return false, time.Time{}
		}
		last := w.lastAny
		if r.rule.Kind == KindNoEvents {
			last = w.lastEvent
		}
		since := later(last, w.quietFrom)
		return !now.Before(since.Add(d)), since
	}
	return false, time.Time{}
}

// eval fires or recovers rule i as of now.
func (w *Watch) eval(i int, now time.Time) {
	r := &w.rules[i]
	should, since := w.due(i, now)
	switch {
	case should && !r.firing:
		at := since.Add(r.rule.For)
		if r.rule.Kind == KindType || at.After(now) || at.Before(since) {
			at = now
		}
		r.firing, r.firedAt = true, at
		t := w.transition(i, true, at, since)
		if w.cfg.Cooldown < 0 || r.lastNotify.IsZero() || at.Sub(r.lastNotify) >= w.cfg.Cooldown {
			t.Notify, t.Suppressed = true, r.suppressed
			r.suppressed, r.lastNotify, r.notified = 0, at, true
		} else {
			r.suppressed++
			r.notified = false
		}
		w.emit(t)
	case !should && r.firing:
		if r.rule.Kind == KindType {
			now = r.since.Add(TypeHold)
			r.cond = false
		}
		r.firing = false
		t := w.transition(i, false, now, r.firedAt)
		t.Notify = r.notified
		w.emit(t)
	}
}

func (w *Watch) transition(i int, firing bool, at, since time.Time) Transition {
	r := &w.rules[i]
	t := Transition{Channel: w.cfg.Channel, Rule: r.text, Index: i, Firing: firing, At: at, Since: since}
	if r.rule.Kind == KindValue && r.hasValue {
		t.Value, t.HasValue = r.value, true
	}
	return t
}

func (w *Watch) emit(t Transition) {
	if len(w.pending) >= MaxPending {
		w.pending = w.pending[1:]
		w.dropped++
	}
	w.pending = append(w.pending, t)
	if len(w.hist) < w.cfg.History {
		w.hist = append(w.hist, t)
		return
	}
	w.hist[w.histAt] = t
	w.histAt = (w.histAt + 1) % len(w.hist)
}

// Take appends the transitions since the last Take to dst, oldest first,
// and returns it.
func (w *Watch) Take(dst []Transition) []Transition {
	w.mu.Lock()
	defer w.mu.Unlock()
	dst = append(dst, w.pending...)
	clear(w.pending)
	w.pending = w.pending[:0]
	return dst
}

// Dropped counts transitions dropped because nobody took them.
func (w *Watch) Dropped() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dropped
}

// History appends the remembered transitions to dst, oldest first.
func (w *Watch) History(dst []Transition) []Transition {
	w.mu.Lock()
	defer w.mu.Unlock()
	dst = append(dst, w.hist[w.histAt:]...)
	return append(dst, w.hist[:w.histAt]...)
}

// States returns each rule's text and whether it fires.
func (w *Watch) States() []RuleState {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]RuleState, len(w.rules))
	for i, r := range w.rules {
		out[i] = RuleState{Rule: r.text, Firing: r.firing, Value: r.value, HasValue: r.hasValue}
		if r.firing {
			out[i].Since = r.firedAt
		}
	}
	return out
}

// Firing counts the rules firing now.
func (w *Watch) Firing() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, r := range w.rules {
		if r.firing {
			n++
		}
	}
	return n
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
