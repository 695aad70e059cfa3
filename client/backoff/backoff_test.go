package backoff

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	top := func(n int64) int64 { return n - 1 } // the largest draw
	bottom := func(int64) int64 { return 0 }    // the smallest draw
	never := func(int64) int64 { t.Fatal("jitter drawn for a wait that cannot vary"); return 0 }
	s := time.Second
	tests := []struct {
		name string
		p    Policy
		n    int
		rnd  func(int64) int64
		want time.Duration
	}{
		{"keep base: first wait exact", Policy{Base: s, Max: time.Minute, KeepBase: true}, 1, never, s},
		{"keep base: n below 1 counts as 1", Policy{Base: s, Max: time.Minute, KeepBase: true}, 0, never, s},
		{"keep base: doubled, top draw", Policy{Base: s, Max: time.Minute, KeepBase: true}, 3, top, 4 * s},
		{"keep base: bottom draw stays at base", Policy{Base: s, Max: time.Minute, KeepBase: true}, 2, bottom, s},
		{"keep base: capped", Policy{Base: s, Max: 5 * s, KeepBase: true}, 10, top, 5 * s},
		{"keep base: max below base", Policy{Base: 3 * s, Max: s, KeepBase: true}, 5, never, 3 * s},
		{"jittered: first wait in the upper half", Policy{Base: 2 * s, Max: time.Minute}, 1, bottom, s},
		{"jittered: doubled, top draw", Policy{Base: s, Max: time.Minute}, 2, top, 2 * s},
		{"jittered: capped", Policy{Base: s, Max: 4 * s}, 30, bottom, 2 * s},
		{"zero policy", Policy{}, 3, never, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Delay(tt.n, tt.rnd); got != tt.want {
				t.Errorf("Delay(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestDelayNoOverflow(t *testing.T) {
	p := Policy{Base: time.Hour, Max: 24 * time.Hour}
	if got := p.Delay(1<<20, func(n int64) int64 { return n - 1 }); got != 24*time.Hour {
		t.Errorf("Delay = %v, want the cap", got)
	}
}
