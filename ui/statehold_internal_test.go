package ui

import (
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
)

func TestStateHold_EveryStateShowsForASecond(t *testing.T) {
	t0 := testEpoch
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var h stateHold
	hist := []client.Transition{{At: at(0), State: client.Open}}
	if s, txt := h.apply(hist, client.Open, "open", at(0)); s != client.Open || txt != "open" {
		t.Fatalf("start: %v %q", s, txt)
	}
	// Stalled and retrying within the same millisecond, between two
	// refreshes: the tile shows stalled first, for a second.
	hist = append(hist,
		client.Transition{At: at(5000), State: client.Stalled},
		client.Transition{At: at(5000), State: client.Retrying})
	for _, step := range []struct {
		ms   int
		want client.State
		text string
	}{
		{5020, client.Stalled, "stalled"},
		{5500, client.Stalled, "stalled"},
		{6030, client.Retrying, "retrying in 3 s (attempt 1)"},
		{9000, client.Retrying, "retrying in 3 s (attempt 1)"},
	} {
		s, txt := h.apply(hist, client.Retrying, "retrying in 3 s (attempt 1)", at(step.ms))
		if s != step.want || txt != step.text {
			t.Fatalf("at %d ms: %v %q, want %v %q", step.ms, s, txt, step.want, step.text)
		}
	}
	// A flapping channel shows at most a few queued states, then the
	// present.
	for i := range 20 {
		st := client.Open
		if i%2 == 1 {
			st = client.Retrying
		}
		hist = append(hist, client.Transition{At: at(10000 + i), State: st})
	}
	now := 10100
	for range maxStateQueue + 2 {
		h.apply(hist, client.Retrying, "live", at(now))
		now += 1000
	}
	if s, txt := h.apply(hist, client.Retrying, "live", at(now)); s != client.Retrying || txt != "live" {
		t.Fatalf("after the flapping: %v %q, want the present", s, txt)
	}
}

func TestTimeline_AStateOfNoDurationIsStillASegment(t *testing.T) {
	tl := NewTimeline(10 * time.Minute)
	at := func(s float64) time.Time { return testEpoch.Add(time.Duration(s * float64(time.Second))) }
	tl.Set([]client.Transition{
		{At: at(0), State: client.Open},
		{At: at(30), State: client.Stalled},
		{At: at(30), State: client.Retrying}, // the same instant
		{At: at(33), State: client.Open},
	}, at(60))
	var states []client.State
	for _, s := range tl.segments() {
		states = append(states, s.state)
		if s.state == client.Stalled && (s.to-s.from)*60 < 0.99 {
			t.Fatalf("the stall lasts %.2f s on the timeline, want at least 1 s", (s.to-s.from)*60)
		}
	}
	if len(states) != 4 || states[1] != client.Stalled || states[2] != client.Retrying {
		t.Fatalf("segments %v, want open, stalled, retrying, open", states)
	}
}
