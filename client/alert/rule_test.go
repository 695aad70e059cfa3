package alert_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/alert"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want alert.Rule
		text string // canonical form
	}{
		{"cpu>90 for 30s", alert.Rule{Kind: alert.KindValue, Path: "cpu", Op: alert.Above, Threshold: 90, For: 30 * time.Second}, "cpu > 90 for 30s"},
		{"  mem.used <= 5.5 ", alert.Rule{Kind: alert.KindValue, Path: "mem.used", Op: alert.AtMost, Threshold: 5.5}, "mem.used <= 5.5"},
		{"queue >= 1000 for 1m", alert.Rule{Kind: alert.KindValue, Path: "queue", Op: alert.AtLeast, Threshold: 1000, For: time.Minute}, "queue >= 1000 for 1m"},
		{"disk<10% for 90", alert.Rule{Kind: alert.KindValue, Path: "disk", Op: alert.Below, Threshold: 10, For: 90 * time.Second}, "disk < 10 for 1m30s"},
		{"items.#(id==2).v > -1", alert.Rule{Kind: alert.KindValue, Path: "items.#(id==2).v", Op: alert.Above, Threshold: -1}, "items.#(id==2).v > -1"},
		{"progress stuck 60s", alert.Rule{Kind: alert.KindStuck, For: time.Minute}, "progress stuck 1m"},
		{"progress stuck for 2m", alert.Rule{Kind: alert.KindStuck, For: 2 * time.Minute}, "progress stuck 2m"},
		{"silent 30s", alert.Rule{Kind: alert.KindSilent, For: 30 * time.Second}, "silent 30s"},
		{"no events 45s", alert.Rule{Kind: alert.KindNoEvents, For: 45 * time.Second}, "no events 45s"},
		{"state failed for 10s", alert.Rule{Kind: alert.KindState, States: []client.State{client.Failed}, For: 10 * time.Second}, "state failed for 10s"},
		{"state stalled|retrying 1m", alert.Rule{Kind: alert.KindState, States: []client.State{client.Stalled, client.Retrying}, For: time.Minute}, "state stalled|retrying for 1m"},
		{"state failed", alert.Rule{Kind: alert.KindState, States: []client.State{client.Failed}}, "state failed"},
		{"type error", alert.Rule{Kind: alert.KindType, EventType: "error"}, "type error"},
		{"progress > 99", alert.Rule{Kind: alert.KindValue, Path: "progress", Op: alert.Above, Threshold: 99}, "progress > 99"},
		{"silent.ms > 3", alert.Rule{Kind: alert.KindValue, Path: "silent.ms", Op: alert.Above, Threshold: 3}, "silent.ms > 3"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			r, err := alert.Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tc.want.Kind || r.Path != tc.want.Path || r.Op != tc.want.Op || r.Threshold != tc.want.Threshold ||
				r.For != tc.want.For || !slices.Equal(r.States, tc.want.States) || r.EventType != tc.want.EventType {
				t.Errorf("Parse = %+v, want %+v", r, tc.want)
			}
			if got := r.String(); got != tc.text {
				t.Errorf("String = %q, want %q", got, tc.text)
			}
			back, err := alert.Parse(r.String())
			if err != nil || back.String() != r.String() {
				t.Errorf("round trip: %v %v", back, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty rule"},
		{"cpu", "want one of"},
		{"cpu >", "missing the threshold"},
		{"> 5", "missing the value's path"},
		{"cpu > lots", `threshold "lots" is not a number`},
		{"cpu > 5 during 3s", `unexpected "during 3s"`},
		{"cpu > 5 for ever", `duration "ever"`},
		{"cpu > 5 for -3s", "negative"},
		{"cpu > 5 for 48h", "longer than 24h"},
		{"silent", "want one duration"},
		{"silent 0s", "more than 0"},
		{"state broken for 3s", `unknown state "broken" (want failed, stalled, retrying, connecting, closed, paused)`},
		{"type a b", "one event type"},
		{"my cpu > 3", "has a space"},
		{strings.Repeat("x", 400) + " > 1", "longer than 300 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := alert.Parse(tc.in)
			var pe *alert.ParseError
			if !errors.As(err, &pe) || pe.Rule != tc.in {
				t.Fatalf("err = %v, want a *ParseError for the rule", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseAll(t *testing.T) {
	rules, err := alert.ParseAll([]string{"cpu > 1", "bogus", "silent 5s", "nope"})
	if len(rules) != 2 || err == nil || strings.Count(err.Error(), "alert rule") != 2 {
		t.Errorf("ParseAll = %v, %v; want 2 rules and 2 errors", rules, err)
	}
	many := make([]string, alert.MaxRules+1)
	for i := range many {
		many[i] = "silent 1s"
	}
	if _, err := alert.ParseAll(many); err == nil {
		t.Error("more than MaxRules accepted")
	}
}

// The states a rule names are the engine's own words for them.
func TestStateWordsAreTheEngines(t *testing.T) {
	for _, s := range []client.State{client.Failed, client.Stalled, client.Retrying, client.Connecting, client.Closed, client.Paused} {
		r, err := alert.Parse("state " + s.String())
		if err != nil || r.States[0] != s {
			t.Errorf("state %s: %v %v", s, r, err)
		}
	}
}
