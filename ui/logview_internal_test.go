package ui

import (
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/clock"
)

func TestLogView_CapacityFilterAndIncrementalPull(t *testing.T) {
	clk := clock.NewFake(testEpoch)
	src := newFakeSource(t, clk)
	ch := src.add(t, "jobs", "")
	l := newLogView(4)
	l.reset(ch) // the "paused" state line
	for i := 1; i <= 6; i++ {
		typ := "tick"
		if i%2 == 0 {
			typ = "Done"
		}
		clk.Advance(time.Second)
		ch.HandleFrame(event(i, typ, "item "+string(rune('A'+i))), clk.Now())
	}
	if n := l.pull(ch); n != 6 {
		t.Fatalf("pull read %d records, want the 6 new ones", n)
	}
	if l.Len() != 4 || l.At(0).ID != "3" || l.At(3).ID != "6" {
		t.Fatalf("view holds %d records from id %s: want the newest 4, ids 3..6", l.Len(), l.At(0).ID)
	}
	if i := l.index(l.At(2).Seq); i != 2 {
		t.Fatalf("index of the third record = %d", i)
	}
	if len(l.types) != 2 || l.types[0] != "Done" || l.types[1] != "tick" {
		t.Fatalf("types = %v", l.types)
	}
	if n := l.pull(ch); n != 0 {
		t.Fatalf("a second pull read %d records, want 0", n)
	}
	l.setFilter(ch, "Done", "", false)
	if l.Len() != 3 {
		t.Fatalf("type Done: %d records, want 3", l.Len())
	}
	l.setFilter(ch, "", "ITEM g", false)
	if l.Len() != 1 || l.At(0).ID != "6" {
		t.Fatalf("search: %d records", l.Len())
	}
	l.setFilter(ch, "", "", false)
	if l.index(12345) != -1 {
		t.Fatal("index of a missing seq is not -1")
	}
}

func TestContainsFold(t *testing.T) {
	for _, tc := range []struct {
		s, needle string
		want      bool
	}{
		{"Hello World", "world", true}, {"Hello", "", true}, {"abc", "abcd", false},
		{"ÉCOLE fermée", "école", true}, {"naïve", "xyz", false},
	} {
		if got := containsFold(tc.s, tc.needle); got != tc.want {
			t.Errorf("containsFold(%q, %q) = %v", tc.s, tc.needle, got)
		}
	}
}
