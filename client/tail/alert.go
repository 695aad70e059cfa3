package tail

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/alert"
	"github.com/ssemon/ssemon/client/record"
	"github.com/ssemon/ssemon/client/series"
)

// ExitAlert: with --exit-on-alert, an alert rule fired.
const ExitAlert = 5

// AlertTick is how often time-based alert rules (silence, durations) are
// evaluated.
const AlertTick = time.Second

// progressPaths are the fields the tail reads progress from for "progress
// stuck" rules, as the engine's default progress fields.
var progressPaths = [...]string{"progress", "percent", "pct", "percentage"}

// registerAlerts adds --alert and --exit-on-alert to fs.
func registerAlerts(f *flagSet, o *Options) {
	f.List(&o.Alerts, "alert")
	f.Bool(&o.ExitOnAlert, "exit-on-alert")
}

// parseAlerts checks the --alert rules and each target's own (workspace)
// rules.
func parseAlerts(o *Options) error {
	var errs []error
	if _, err := alert.ParseAll(o.Alerts); err != nil {
		errs = append(errs, fmt.Errorf("--alert: %w", err))
	}
	for _, t := range o.Targets {
		if _, err := alert.ParseAll(t.Alerts); err != nil {
			errs = append(errs, fmt.Errorf("channel %q: %w", t.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &UsageError{Msg: "alert rules", Err: err}
	}
	if o.ExitOnAlert && len(o.Alerts) == 0 && !anyTargetAlerts(o.Targets) {
		return usagef("--exit-on-alert needs an --alert rule (or a workspace channel with alerts)")
	}
	return nil
}

func anyTargetAlerts(ts []Target) bool {
	for _, t := range ts {
		if len(t.Alerts) > 0 {
			return true
		}
	}
	return false
}

// alerter evaluates the alert rules of every stream. It runs on the writer
// goroutine: it sees the entries in the order they are printed.
type alerter struct {
	common  []alert.Rule
	watches map[string]*alert.Watch
	buf     []alert.Transition
	// replay evaluates time-based rules at each entry's time (--play has
	// no clock of its own) and watches channels as they appear.
	replay bool
}

// newAlerter returns nil when no stream has a rule.
func newAlerter(o *Options, start time.Time) *alerter {
	if len(o.Alerts) == 0 && !anyTargetAlerts(o.Targets) {
		return nil
	}
	common, _ := alert.ParseAll(o.Alerts) // checked by Parse
	a := &alerter{common: common, watches: make(map[string]*alert.Watch, len(o.Targets))}
	for _, t := range o.Targets {
		own, _ := alert.ParseAll(t.Alerts)
		rules := append(append([]alert.Rule(nil), common...), own...)
		if len(rules) == 0 {
			continue
		}
		a.watches[t.Name] = alert.NewWatch(alert.Config{Channel: t.Name, Rules: rules, Start: start})
	}
	return a
}

// entry feeds an entry to its stream's rules.
func (a *alerter) entry(e *record.Entry) {
	w := a.watches[e.Channel]
	if w == nil {
		if !a.replay || len(a.common) == 0 || e.Channel == "" {
			return
		}
		w = alert.NewWatch(alert.Config{Channel: e.Channel, Rules: a.common, Start: e.Time})
		a.watches[e.Channel] = w
	}
	if a.replay {
		defer a.tick(e.Time)
	}
	switch e.Kind {
	case record.KindEvent:
		w.Event(e.Time, e.Type, e.Data)
		for _, p := range progressPaths {
			if v, ok := series.Number(gjson.Get(e.Data, p)); ok {
				w.Progress(e.Time, v)
				break
			}
		}
	case record.KindComment:
		w.Comment(e.Time)
	case record.KindState:
		w.Status(client.Status{State: e.State, Since: e.Time})
	}
}

// tick evaluates every rule at now.
func (a *alerter) tick(now time.Time) {
	for _, w := range a.watches {
		w.Tick(now)
	}
}

// take returns the transitions to print: those to notify (a flapping rule
// is told at most once a minute, see package alert).
func (a *alerter) take() []alert.Transition {
	a.buf = a.buf[:0]
	for _, w := range a.watches {
		for _, t := range w.Take(nil) {
			if t.Notify {
				a.buf = append(a.buf, t)
			}
		}
	}
	return a.buf
}

// appendAlert writes a transition as a line: human, or a JSON record
// {"kind":"alert",...}.
func appendAlert(dst []byte, t *alert.Transition, jsonOut bool, p printer) []byte {
	if jsonOut {
		dst = append(dst, `{"kind":"alert","time":`...)
		dst = strconv.AppendQuote(dst, t.At.UTC().Format(time.RFC3339Nano))
		dst = append(dst, `,"channel":`...)
		dst = strconv.AppendQuote(dst, t.Channel)
		dst = append(dst, `,"rule":`...)
		dst = strconv.AppendQuote(dst, t.Rule)
		dst = append(dst, `,"firing":`...)
		dst = strconv.AppendBool(dst, t.Firing)
		if t.HasValue {
			dst = append(dst, `,"value":`...)
			dst = strconv.AppendFloat(dst, t.Value, 'g', -1, 64)
		}
		if !t.Since.IsZero() {
			dst = append(dst, `,"since":`...)
			dst = strconv.AppendQuote(dst, t.Since.UTC().Format(time.RFC3339Nano))
		}
		if t.Suppressed > 0 {
			dst = append(dst, `,"suppressed":`...)
			dst = strconv.AppendInt(dst, int64(t.Suppressed), 10)
		}
		dst = append(dst, `,"text":`...)
		dst = strconv.AppendQuote(dst, t.Text())
		return append(dst, "}\n"...)
	}
	word, sgr := "ALERT", sgrRed
	if !t.Firing {
		word, sgr = "RECOVERED", sgrGreen
	}
	if hp, ok := p.(*humanPrinter); ok {
		e := record.Entry{Kind: record.KindState, Time: t.At, Channel: t.Channel}
		dst = hp.prefix(dst, &e, "")
		dst = hp.paint(dst, sgr, word)
	} else {
		dst = append(dst, word...)
	}
	dst = append(dst, ' ')
	dst = append(dst, sanitize(t.Text())...)
	return append(dst, '\n')
}

// alert feeds an item to the rules and prints what fired or recovered.
func (w *writer) alert(it *item) {
	if w.stopped {
		return
	}
	if !it.tick.IsZero() {
		w.alerts.tick(it.tick)
	} else {
		w.alerts.entry(&it.e)
	}
	for _, t := range w.alerts.take() {
		w.buf = appendAlert(w.buf[:0], &t, w.s.opts.JSON, w.p)
		if _, err := w.out.Write(w.buf); err != nil && w.ioErr == nil {
			w.ioErr = fmt.Errorf("output: %w", err)
			w.halt("error")
			return
		}
		if t.Firing && w.s.opts.ExitOnAlert {
			if w.exit == 0 {
				w.exit = ExitAlert
			}
			fmt.Fprintf(w.s.env.Stderr, "%s: %s: alert: %s\n", Tool, t.Channel, t.Text())
			w.flush()
			w.halt("alert")
			return
		}
	}
	if !it.tick.IsZero() && len(w.s.queue) == 0 {
		w.flush()
	}
}
