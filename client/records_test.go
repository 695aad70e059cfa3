package client

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRingCapsAndOrder(t *testing.T) {
	tests := []struct {
		name        string
		capacity    int
		maxBytes    int64
		push        int
		dataLen     int
		wantLen     int
		wantEvicted uint64
	}{
		{"under cap", 10, 1 << 20, 5, 1, 5, 0},
		{"count cap", 10, 1 << 20, 25, 1, 10, 15},
		{"grows past 64", 1000, 1 << 30, 300, 1, 300, 0},
		{"byte cap", 1000, 10 * (recordOverhead + 100), 50, 100, 10, 40},
		{"record bigger than byte cap kept alone", 10, 10, 3, 100, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRecordLog(tt.capacity, tt.maxBytes)
			data := strings.Repeat("x", tt.dataLen)
			for i := 0; i < tt.push; i++ {
				if seq := g.push(Record{Kind: RecordEvent, ID: "", Data: data, Size: i}); seq != uint64(i+1) {
					t.Fatalf("push %d got seq %d", i, seq)
				}
			}
			if g.len() != tt.wantLen || g.evicted != tt.wantEvicted {
				t.Fatalf("len %d evicted %d, want %d %d", g.len(), g.evicted, tt.wantLen, tt.wantEvicted)
			}
			first := uint64(tt.push - tt.wantLen + 1)
			if g.firstSeq() != first {
				t.Errorf("firstSeq %d, want %d", g.firstSeq(), first)
			}
			for i := 0; i < g.len(); i++ {
				r, ok := g.at(i)
				if !ok || r.Seq != first+uint64(i) || r.Size != int(r.Seq-1) {
					t.Fatalf("at(%d) = %+v", i, r)
				}
			}
			if _, ok := g.at(g.len()); ok {
				t.Error("at(n) ok")
			}
			if _, ok := g.at(-1); ok {
				t.Error("at(-1) ok")
			}
			if g.bytes > tt.maxBytes && g.len() > 1 {
				t.Errorf("bytes %d over cap %d", g.bytes, tt.maxBytes)
			}
		})
	}
}

func TestRingAppendFrom(t *testing.T) {
	g := newRecordLog(5, 1<<20)
	for i := 0; i < 8; i++ { // seqs 4..8 remain
		g.push(Record{Data: fmt.Sprint(i + 1)})
	}
	tests := []struct {
		from uint64
		want string
	}{
		{0, "[4 5 6 7 8]"},
		{4, "[4 5 6 7 8]"},
		{6, "[6 7 8]"},
		{8, "[8]"},
		{9, "[]"},
		{100, "[]"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.from), func(t *testing.T) {
			var seqs []uint64
			for _, r := range g.appendFrom(nil, tt.from) {
				seqs = append(seqs, r.Seq)
			}
			if got := fmt.Sprint(seqs); got != tt.want && !(tt.want == "[]" && seqs == nil) {
				t.Errorf("from %d: %s, want %s", tt.from, got, tt.want)
			}
		})
	}
	g.clear()
	if g.len() != 0 || g.firstSeq() != 9 || len(g.appendFrom(nil, 0)) != 0 {
		t.Errorf("after clear: n %d first %d", g.len(), g.firstSeq())
	}
	if seq := g.push(Record{}); seq != 9 {
		t.Errorf("seq after clear = %d, want 9", seq)
	}
}

func TestRateCounter(t *testing.T) {
	var r rateCounter
	base := int64(1_000_000)
	for s := int64(0); s < 10; s++ {
		for i := int64(0); i <= s; i++ {
			r.add(base + s)
		}
	}
	hist := make([]float64, RateWindow)
	sum := r.history(base+10, hist)
	if sum != 55 {
		t.Errorf("sum = %d, want 55", sum)
	}
	if hist[RateWindow-1] != 10 || hist[RateWindow-10] != 1 || hist[RateWindow-11] != 0 {
		t.Errorf("history tail = %v", hist[RateWindow-12:])
	}
	// A minute later the old buckets are gone, even those never overwritten.
	r.add(base + 75)
	if sum := r.history(base+76, hist); sum != 1 {
		t.Errorf("sum after a minute = %d, want 1 (%v)", sum, hist)
	}
	if r.count(base+5) != 0 {
		t.Error("stale bucket counted")
	}
	r.add(base) // too old: ignored
	if sum := r.history(base+76, nil); sum != 1 {
		t.Errorf("old event counted: %d", sum)
	}
}

func TestRecordKindString(t *testing.T) {
	got := fmt.Sprint(RecordEvent, RecordComment, RecordRetry, RecordState, RecordKind(9))
	if got != "event comment retry state RecordKind(9)" {
		t.Errorf("got %q", got)
	}
	_ = time.Second
}
