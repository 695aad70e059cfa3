package ring

import (
	"fmt"
	"strings"
	"testing"
)

// contents returns the values held, oldest first, joined by ",".
func contents(r *Ring[string]) string { return strings.Join(r.AppendTo(nil, 0), ",") }

func TestRingPushOrderAndCap(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		push     int
		want     string // values held, oldest first
		dropped  int
	}{
		{"empty", 3, 0, "", 0},
		{"under cap", 3, 2, "0,1", 0},
		{"at cap", 3, 3, "0,1,2", 0},
		{"past cap keeps the newest", 3, 7, "4,5,6", 4},
		{"capacity below 1 holds one", 0, 3, "2", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New[string](tt.capacity)
			dropped := 0
			for i := range tt.push {
				if r.Push(fmt.Sprint(i)) {
					dropped++
				}
			}
			if got := contents(&r); got != tt.want || dropped != tt.dropped {
				t.Errorf("holds %q (%d dropped), want %q (%d)", got, dropped, tt.want, tt.dropped)
			}
			if r.Len() != len(r.AppendTo(nil, 0)) || r.Full() != (r.Len() == r.Cap()) {
				t.Errorf("Len %d Cap %d Full %v", r.Len(), r.Cap(), r.Full())
			}
		})
	}
}

func TestRingGrowsPast64InOrder(t *testing.T) {
	r := New[int](1000)
	for i := range 1300 {
		r.Push(i)
		if i == 0 && len(r.buf) != 64 {
			t.Fatalf("first storage %d slots, want 64", len(r.buf))
		}
	}
	if r.Len() != 1000 || len(r.buf) != 1000 {
		t.Fatalf("len %d storage %d, want 1000 1000", r.Len(), len(r.buf))
	}
	for i := range r.Len() {
		if v := *r.At(i); v != 300+i {
			t.Fatalf("At(%d) = %d, want %d", i, v, 300+i)
		}
	}
	if *r.Oldest() != 300 || *r.Newest() != 1299 {
		t.Errorf("oldest %d newest %d", *r.Oldest(), *r.Newest())
	}
	// Growth while wrapped keeps the order.
	w := New[int](200)
	for i := range 64 {
		w.Push(i)
	}
	w.Drop()
	w.Drop()
	for i := 64; i < 70; i++ {
		w.Push(i)
	}
	for i := range w.Len() {
		if v := *w.At(i); v != i+2 {
			t.Fatalf("after wrapped growth At(%d) = %d, want %d", i, v, i+2)
		}
	}
}

func TestRingEvictionReleasesValues(t *testing.T) {
	r := New[string](2)
	r.Push("a")
	r.Push("b")
	r.Push("c") // overwrites "a" in place
	for i, v := range r.buf {
		if v == "a" {
			t.Errorf("slot %d still holds the evicted value", i)
		}
	}
	r.Drop() // drops "b"
	for i, v := range r.buf {
		if v == "b" {
			t.Errorf("slot %d still holds the dropped value", i)
		}
	}
	if contents(&r) != "c" {
		t.Errorf("holds %q, want c", contents(&r))
	}
}

func TestRingAppendToAndClear(t *testing.T) {
	r := New[string](4)
	for _, v := range []string{"a", "b", "c", "d", "e"} {
		r.PushRef(&v)
	}
	for _, tt := range []struct {
		from int
		want string
	}{{-1, "b,c,d,e"}, {0, "b,c,d,e"}, {2, "d,e"}, {4, ""}, {9, ""}} {
		if got := strings.Join(r.AppendTo(nil, tt.from), ","); got != tt.want {
			t.Errorf("AppendTo(%d) = %q, want %q", tt.from, got, tt.want)
		}
	}
	r.Clear()
	if r.Len() != 0 || r.Oldest() != nil || r.Newest() != nil || r.buf != nil {
		t.Errorf("after Clear: len %d", r.Len())
	}
	r.Drop() // no-op on empty
	var zero Ring[string]
	if !zero.Push("x") || zero.Len() != 0 {
		t.Error("the zero Ring stored a value")
	}
}

func TestRingAtOutOfRangePanics(t *testing.T) {
	r := New[int](2)
	r.Push(1)
	for _, i := range []int{-1, 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("At(%d) did not panic", i)
				}
			}()
			r.At(i)
		}()
	}
}

func TestRingPushAllocatesNothingWhenFull(t *testing.T) {
	r := New[string](64)
	for range 64 {
		r.Push("x")
	}
	v := "y"
	best := 1.0
	for range 5 { // best of several runs: other goroutines may allocate
		best = min(best, testing.AllocsPerRun(100, func() { r.PushRef(&v) }))
	}
	if best != 0 {
		t.Errorf("PushRef on a full ring allocates %v times", best)
	}
}
