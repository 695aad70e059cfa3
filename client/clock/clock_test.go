package clock_test

import (
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/clock"
)

func TestFakeTimersFireInDeadlineOrder(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		advance time.Duration
		want    []string
	}{
		{"before any", 500 * time.Millisecond, nil},
		{"first only", 1500 * time.Millisecond, []string{"a"}},
		{"both", 3 * time.Second, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := clock.NewFake(start)
			b := f.NewTimer(2 * time.Second)
			a := f.NewTimer(time.Second)
			f.Advance(tt.advance)
			var got []string
			for _, x := range []struct {
				n string
				t clock.Timer
			}{{"a", a}, {"b", b}} {
				select {
				case at := <-x.t.C():
					if at.After(start.Add(tt.advance)) {
						t.Errorf("%s fired at %v, after now", x.n, at)
					}
					got = append(got, x.n)
				default:
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("fired %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("fired %v, want %v", got, tt.want)
				}
			}
			if !f.Now().Equal(start.Add(tt.advance)) {
				t.Errorf("Now = %v, want %v", f.Now(), start.Add(tt.advance))
			}
		})
	}
}

func TestFakeStopAndReset(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	tm := f.NewTimer(time.Second)
	if !tm.Stop() {
		t.Fatal("Stop of an armed timer reported inactive")
	}
	f.Advance(2 * time.Second)
	select {
	case <-tm.C():
		t.Fatal("stopped timer fired")
	default:
	}
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a stopped timer reported active")
	}
	f.Advance(time.Second)
	select {
	case <-tm.C():
	default:
		t.Fatal("reset timer did not fire")
	}
}

func TestFakeTickerRearms(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	tk := f.NewTicker(time.Second)
	defer tk.Stop()
	for i := 0; i < 3; i++ {
		f.Advance(time.Second)
		select {
		case <-tk.C():
		default:
			t.Fatalf("tick %d missing", i)
		}
	}
	if f.Waiters() != 1 {
		t.Fatalf("Waiters = %d, want 1", f.Waiters())
	}
}

// TestBlockUntil: BlockUntil returns once n timers or tickers are armed,
// not before; a broken BlockUntil fails the test instead of hanging it.
func TestBlockUntil(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	f.BlockUntil(0) // nothing to wait for: returns at once

	done := make(chan struct{})
	var armed int // Waiters when BlockUntil returned
	go func() {
		f.BlockUntil(2)
		armed = f.Waiters()
		close(done)
	}()
	first := f.NewTimer(time.Second)
	select {
	case <-done:
		t.Fatal("BlockUntil(2) returned with one timer armed")
	default:
	}
	// Stopping and re-arming never brings the count to 2.
	first.Stop()
	first.Reset(time.Second)
	select {
	case <-done:
		t.Fatal("BlockUntil(2) returned with one timer armed")
	default:
	}
	tk := f.NewTicker(time.Second)
	defer tk.Stop()
	select {
	case <-done:
	case <-time.After(time.Minute): // hang guard only
		t.Fatalf("BlockUntil(2) still blocked with %d timers armed", f.Waiters())
	}
	if armed < 2 {
		t.Errorf("BlockUntil(2) returned with %d timers armed", armed)
	}
}
