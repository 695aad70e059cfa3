// Package alert watches a channel for conditions an operator wants to be
// told about: a value above or below a threshold for a while, progress
// that stopped moving, a silent stream, a bad connection state, an event of
// a given type. Rules are written as short text (the same in the window,
// the workspace file and ssemon-tail --alert):
//
//	cpu > 90 for 30s          a value (gjson path) above a threshold for 30 s
//	queue.depth >= 1000       … at once (no "for")
//	mem < 5 for 1m            below (also <=)
//	progress stuck 60s        progress not moving for 60 s while open
//	silent 30s                nothing at all (no event, no heartbeat) for 30 s
//	no events 30s             no event for 30 s; heartbeats do not count
//	state failed for 10s      in a state for 10 s (failed, stalled, retrying,
//	state stalled|retrying 1m   connecting, closed, paused; "|" for several)
//	type error                an event of type "error" (clears after a
//	                            minute without one)
//
// A Watch evaluates the rules of one channel as its events and states
// arrive and as time passes (Tick), and reports each rule's firing and
// recovery as a Transition, with a history and a per-rule rate limit on
// notifications. docs/alerts.md is the reference.
package alert

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client"
)

// Kind is what a rule watches.
type Kind uint8

// The kinds of rule.
const (
	// KindValue compares a numeric field with a threshold.
	KindValue Kind = iota + 1
	// KindStuck: progress not moving while the connection is open.
	KindStuck
	// KindSilent: no event and no heartbeat.
	KindSilent
	// KindNoEvents: no event, heartbeats not counted.
	KindNoEvents
	// KindState: the connection in one of some states.
	KindState
	// KindType: an event of a given type arrived.
	KindType
)

// Op is a comparison of a value rule.
type Op uint8

// The comparisons.
const (
	Above   Op = iota + 1 // >
	AtLeast               // >=
	Below                 // <
	AtMost                // <=
)

var opText = [...]string{Above: ">", AtLeast: ">=", Below: "<", AtMost: "<="}

// String returns the operator as written (">", ">=", "<", "<=").
func (o Op) String() string {
	if int(o) < len(opText) && o > 0 {
		return opText[o]
	}
	return "?"
}

// holds reports whether v op threshold.
func (o Op) holds(v, threshold float64) bool {
	switch o {
	case Above:
		return v > threshold
	case AtLeast:
		return v >= threshold
	case Below:
		return v < threshold
	case AtMost:
		return v <= threshold
	}
	return false
}

// Limits of rules.
const (
	// MaxRuleLen caps the text of a rule, in bytes.
	MaxRuleLen = client.MaxWatchTextLen
	// MaxRules caps the rules of one channel.
	MaxRules = client.MaxAlerts
	// MaxFor caps a rule's duration.
	MaxFor = 24 * time.Hour
	// TypeHold is how long a type rule stays firing after the last event
	// of its type.
	TypeHold = time.Minute
)

// Rule is one parsed alert rule. Its zero value is not a rule: use Parse.
type Rule struct {
	// Kind is what the rule watches.
	Kind Kind
	// Path is the value's gjson path (KindValue).
	Path string
	// Op and Threshold are the comparison (KindValue).
	Op Op
	// Threshold: see Op.
	Threshold float64
	// For is how long the condition must hold before the rule fires (0:
	// at once). For KindStuck, KindSilent and KindNoEvents it is the quiet
	// time.
	For time.Duration
	// States are the states of a KindState rule.
	States []client.State
	// EventType is the event type of a KindType rule.
	EventType string
}

// ParseError reports a rule that cannot be read: the text, and what is
// wrong with it.
type ParseError struct {
	// Rule is the text as given.
	Rule string
	// Err says what is wrong.
	Err error
}

// Error returns `alert rule "cpu >> 9": <cause>`.
func (e *ParseError) Error() string {
	return fmt.Sprintf("alert rule %q: %v", e.Rule, e.Err)
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// ErrSyntax is the cause of a ParseError for text that follows no form of
// the grammar; the message lists the forms.
var ErrSyntax = errors.New(`want one of: "<path> > N [for 30s]" (also >=, <, <=), "progress stuck 60s", "silent 30s", "no events 30s", "state failed [for 10s]", "type error"`)

// stateWords are the states a KindState rule may name, by their words.
var stateWords = [...]client.State{client.Failed, client.Stalled, client.Retrying, client.Connecting, client.Closed, client.Paused}

// Parse reads a rule written in the grammar of the package comment.
// Spaces are optional around operators; keywords are lower case.
func Parse(text string) (Rule, error) {
	r, err := parse(strings.TrimSpace(text))
	if err != nil {
		return Rule{}, &ParseError{Rule: text, Err: err}
	}
	return r, nil
}

// ParseAll parses rules, returning every error joined.
func ParseAll(texts []string) ([]Rule, error) {
	if len(texts) > MaxRules {
		return nil, fmt.Errorf("%d alert rules, at most %d per channel", len(texts), MaxRules)
	}
	var rules []Rule
	var errs []error
	for _, t := range texts {
		r, err := Parse(t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}

func parse(s string) (Rule, error) {
	if s == "" {
		return Rule{}, errors.New("empty rule")
	}
	if len(s) > MaxRuleLen {
		return Rule{}, fmt.Errorf("longer than %d bytes", MaxRuleLen)
	}
	f := strings.Fields(s)
	switch {
	case len(f) >= 2 && f[0] == "progress" && f[1] == "stuck":
		return quiet(KindStuck, f[2:])
	case f[0] == "silent":
		return quiet(KindSilent, f[1:])
	case len(f) >= 2 && f[0] == "no" && (f[1] == "events" || f[1] == "event"):
		return quiet(KindNoEvents, f[2:])
	case f[0] == "state" && len(f) >= 2 && !hasOp(s):
		return parseState(f[1:])
	case f[0] == "type" && len(f) >= 2 && !hasOp(s):
		if len(f) != 2 {
			return Rule{}, errors.New(`"type" takes one event type, e.g. "type error"`)
		}
		return Rule{Kind: KindType, EventType: f[1]}, nil
	}
	return parseValue(s)
}

// quiet reads the "[for] 30s" of stuck, silent and no-events rules.
func quiet(k Kind, rest []string) (Rule, error) {
	if len(rest) > 0 && rest[0] == "for" {
		rest = rest[1:]
	}
	if len(rest) != 1 {
		return Rule{}, errors.New("want one duration, e.g. 30s")
	}
	d, err := parseDuration(rest[0])
	if err != nil {
		return Rule{}, err
	}
	if d <= 0 {
		return Rule{}, errors.New("the duration must be more than 0")
	}
	return Rule{Kind: k, For: d}, nil
}

func parseState(rest []string) (Rule, error) {
	r := Rule{Kind: KindState}
	for _, w := range strings.Split(rest[0], "|") {
		st, ok := stateByWord(w)
		if !ok {
			var words []string
			for _, s := range stateWords {
				words = append(words, s.String())
			}
			return Rule{}, fmt.Errorf("unknown state %q (want %s)", w, strings.Join(words, ", "))
		}
		r.States = append(r.States, st)
	}
	d, err := forClause(rest[1:], true)
	if err != nil {
		return Rule{}, err
	}
	r.For = d
	return r, nil
}

func stateByWord(w string) (client.State, bool) {
	for _, s := range stateWords {
		if s.String() == w {
			return s, true
		}
	}
	return 0, false
}

// forClause reads an optional "[for] 30s" at the end of a rule.
func forClause(rest []string, bareOK bool) (time.Duration, error) {
	switch {
	case len(rest) == 0:
		return 0, nil
	case len(rest) == 2 && rest[0] == "for":
		return parseDuration(rest[1])
	case len(rest) == 1 && bareOK:
		return parseDuration(rest[0])
	}
	return 0, fmt.Errorf("unexpected %q (want \"for 30s\" or nothing)", strings.Join(rest, " "))
}

func hasOp(s string) bool { return strings.ContainsAny(s, "<>") }

// parseValue reads "<path> <op> <number> [for <duration>]". The operator
// is the first < or > outside brackets and parentheses, so gjson queries
// such as items.#(id==2).value stay whole.
func parseValue(s string) (Rule, error) {
	depth, at := 0, -1
	for i := 0; i < len(s) && at < 0; i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '<', '>':
			if depth == 0 {
				at = i
			}
		}
	}
	if at < 0 {
		return Rule{}, ErrSyntax
	}
	path := strings.TrimSpace(s[:at])
	if path == "" {
		return Rule{}, errors.New("missing the value's path before the operator, e.g. cpu > 90")
	}
	if strings.ContainsAny(path, " \t") {
		return Rule{}, fmt.Errorf("path %q has a space: %w", path, ErrSyntax)
	}
	r := Rule{Kind: KindValue, Path: path}
	rest := s[at:]
	switch {
	case strings.HasPrefix(rest, ">="):
		r.Op, rest = AtLeast, rest[2:]
	case strings.HasPrefix(rest, "<="):
		r.Op, rest = AtMost, rest[2:]
	case strings.HasPrefix(rest, ">"):
		r.Op, rest = Above, rest[1:]
	default:
		r.Op, rest = Below, rest[1:]
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return Rule{}, fmt.Errorf("missing the threshold after %s", r.Op)
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
	if err != nil || v != v {
		return Rule{}, fmt.Errorf("threshold %q is not a number", f[0])
	}
	r.Threshold = v
	if r.For, err = forClause(f[1:], false); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// parseDuration reads a Go duration ("30s", "1m30s", "500ms") or a bare
// number of seconds ("30").
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.ParseFloat(s, 64)
		if nerr != nil {
			return 0, fmt.Errorf("duration %q: want e.g. 30s, 5m, 1h", s)
		}
		d = time.Duration(n * float64(time.Second))
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	if d > MaxFor {
		return 0, fmt.Errorf("duration %q is longer than %s", s, MaxFor)
	}
	return d, nil
}

// String returns the rule in its canonical text form, which Parse reads
// back to the same rule: "cpu > 90 for 30s", "progress stuck 1m",
// "state failed|stalled for 10s", "type error".
func (r Rule) String() string {
	var b strings.Builder
	switch r.Kind {
	case KindValue:
		b.WriteString(r.Path + " " + r.Op.String() + " " + strconv.FormatFloat(r.Threshold, 'g', -1, 64))
		if r.For > 0 {
			b.WriteString(" for " + formatFor(r.For))
		}
	case KindStuck:
		b.WriteString("progress stuck " + formatFor(r.For))
	case KindSilent:
		b.WriteString("silent " + formatFor(r.For))
	case KindNoEvents:
		b.WriteString("no events " + formatFor(r.For))
	case KindState:
		b.WriteString("state ")
		for i, s := range r.States {
			if i > 0 {
				b.WriteByte('|')
			}
			b.WriteString(s.String())
		}
		if r.For > 0 {
			b.WriteString(" for " + formatFor(r.For))
		}
	case KindType:
		b.WriteString("type " + r.EventType)
	default:
		return "invalid rule"
	}
	return b.String()
}

// formatFor writes a duration as short as Go reads it back: "30s", "1m",
// "1h30m", "500ms".
func formatFor(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
