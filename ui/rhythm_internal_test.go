package ui

import (
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
)

func TestUnusualGap(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	// steady builds a log of n events every step, then one more after last.
	steady := func(n int, step, last time.Duration, extra ...client.Record) []client.Record {
		var recs []client.Record
		at := t0
		for range n {
			recs = append(recs, client.Record{Kind: client.RecordEvent, At: at})
			at = at.Add(step)
		}
		recs = append(recs, extra...)
		return append(recs, client.Record{Kind: client.RecordEvent, At: at.Add(last - step)})
	}
	comment := client.Record{Kind: client.RecordComment, At: t0.Add(time.Hour)}
	for _, tc := range []struct {
		name string
		recs []client.Record
		want bool
	}{
		{"long pause in a steady log", steady(20, 100*time.Millisecond, 2*time.Second), true},
		{"a usual gap", steady(20, 100*time.Millisecond, 150*time.Millisecond), false},
		{"long but under a second", steady(20, 10*time.Millisecond, 900*time.Millisecond), false},
		{"slow rhythm, same gap", steady(20, time.Second, 2*time.Second), false},
		{"too little history", steady(5, 100*time.Millisecond, 5*time.Second), false},
		{"comments do not count as events", steady(20, 100*time.Millisecond, 2*time.Second, comment), true},
		{"bursts then a second", steady(20, 0, time.Second), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := func(i int) client.Record { return tc.recs[i] }
			if got := unusualGap(at, len(tc.recs)-1); got != tc.want {
				t.Fatalf("unusualGap = %v, want %v", got, tc.want)
			}
			if unusualGap(at, 0) {
				t.Fatal("the first record has no gap")
			}
		})
	}
	state := []client.Record{{Kind: client.RecordEvent, At: t0}, {Kind: client.RecordState, At: t0.Add(time.Hour)}}
	if unusualGap(func(i int) client.Record { return state[i] }, 1) {
		t.Fatal("only events are marked")
	}
}
