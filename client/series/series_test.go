package series_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/series"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestBucketsMinMaxMeanLast(t *testing.T) {
	clk := clock.NewFake(t0)
	s := series.NewSeries()
	// Four values in the first half second, two in the next.
	for _, v := range []float64{5, 1, 9, 3} {
		s.Add(clk.Now(), v)
		clk.Advance(100 * time.Millisecond)
	}
	clk.Advance(100 * time.Millisecond) // 500 ms: next bucket
	s.Add(clk.Now(), 7)
	s.Add(clk.Now(), 8)
	pts := s.Points(series.Minute, clk.Now(), nil)
	want := []series.Point{
		{At: t0, Min: 1, Max: 9, Mean: 4.5, Last: 3, N: 4},
		{At: t0.Add(500 * time.Millisecond), Min: 7, Max: 8, Mean: 7.5, Last: 8, N: 2},
	}
	if len(pts) != len(want) {
		t.Fatalf("points = %+v, want %+v", pts, want)
	}
	for i := range want {
		if !pts[i].At.Equal(want[i].At) || pts[i].Min != want[i].Min || pts[i].Max != want[i].Max ||
			pts[i].Mean != want[i].Mean || pts[i].Last != want[i].Last || pts[i].N != want[i].N {
			t.Errorf("point %d = %+v, want %+v", i, pts[i], want[i])
		}
	}
	// The hour window has them all in one 30 s bucket.
	h := s.Points(series.Hour, clk.Now(), nil)
	if len(h) != 1 || h[0].N != 6 || h[0].Min != 1 || h[0].Max != 9 || h[0].Last != 8 {
		t.Errorf("hour = %+v, want one bucket of 6 values 1..9 last 8", h)
	}
	if v, at, ok := s.Last(); !ok || v != 8 || !at.Equal(clk.Now()) {
		t.Errorf("Last = %v %v %v", v, at, ok)
	}
}

func TestWindowsForgetOldValues(t *testing.T) {
	tests := []struct {
		w    series.Window
		keep time.Duration // a value this old is still shown
		drop time.Duration // a value this old is gone
	}{
		{series.Minute, 59 * time.Second, 61 * time.Second},
		{series.TenMinutes, 9*time.Minute + 50*time.Second, 10*time.Minute + 10*time.Second},
		{series.Hour, 59 * time.Minute, 61 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.w.String(), func(t *testing.T) {
			now := t0.Add(2 * time.Hour)
			s := series.NewSeries()
			s.Add(now.Add(-tc.drop), 1)
			s.Add(now.Add(-tc.keep), 2)
			s.Add(now, 3)
			pts := s.Points(tc.w, now, nil)
			var got []float64
			for _, p := range pts {
				got = append(got, p.Last)
			}
			if !slices.Equal(got, []float64{2, 3}) {
				t.Errorf("values = %v, want [2 3]", got)
			}
			if len(pts) > series.Buckets {
				t.Errorf("%d points, more than %d buckets", len(pts), series.Buckets)
			}
		})
	}
}

// An hour at 1 000 events/s: every bucket filled, memory unchanged, no
// allocation per value, and each window still describes the data exactly.
func TestHourAtThousandPerSecondIsBounded(t *testing.T) {
	if series.SeriesBytes > 20<<10 {
		t.Fatalf("a series takes %d bytes, want at most 20 KiB", series.SeriesBytes)
	}
	s := series.NewSeries()
	const perSec = 1000
	at := t0
	step := time.Second / perSec
	n := 0
	for i := 0; i < 3600*perSec; i++ {
		// A sawtooth 0..99 every 100 values: each bucket sees 0 and 99.
		s.Add(at, float64(i%100))
		at = at.Add(step)
		n++
	}
	now := at.Add(-step)
	if s.Count() != uint64(n) {
		t.Fatalf("count = %d, want %d", s.Count(), n)
	}
	for _, w := range series.Windows {
		pts := s.Points(w, now, nil)
		if len(pts) != series.Buckets {
			t.Errorf("%s: %d points, want %d", w, len(pts), series.Buckets)
		}
		per := int(w.Bucket() / step)
		for _, p := range pts {
			if p.Min != 0 || p.Max != 99 || p.N != per {
				t.Fatalf("%s: bucket %+v, want min 0 max 99 n %d", w, p, per)
			}
		}
	}
	allocs := testing.AllocsPerRun(1000, func() {
		s.Add(at, 1)
		at = at.Add(step)
	})
	if allocs != 0 {
		t.Errorf("Add allocates %.1f times, want 0", allocs)
	}
}

func TestLateValuesDoNotOverwriteNewer(t *testing.T) {
	s := series.NewSeries()
	now := t0.Add(time.Hour)
	s.Add(now, 5)
	// Exactly one minute (120 buckets) earlier maps to the same slot of
	// the minute ring: it must not replace the newer bucket.
	s.Add(now.Add(-time.Minute), 100)
	pts := s.Points(series.Minute, now, nil)
	if len(pts) != 1 || pts[0].Max != 5 {
		t.Errorf("points = %+v, want the newer bucket only", pts)
	}
	if v, _, _ := s.Last(); v != 5 {
		t.Errorf("Last = %v, want 5 (the late value is older)", v)
	}
}

func TestParseWindow(t *testing.T) {
	for in, want := range map[string]series.Window{"1 min": series.Minute, "10m": series.TenMinutes, "1h": series.Hour, " 1 h ": series.Hour} {
		if w, ok := series.ParseWindow(in); !ok || w != want {
			t.Errorf("ParseWindow(%q) = %v %v, want %v", in, w, ok, want)
		}
	}
	if _, ok := series.ParseWindow("2m"); ok {
		t.Error("ParseWindow(2m) accepted")
	}
}

func TestSetReadsPathsAndSuggests(t *testing.T) {
	s := series.NewSet([]string{"cpu", "mem.used", "cpu", ""})
	if got := s.Paths(); !slices.Equal(got, []string{"cpu", "mem.used"}) {
		t.Fatalf("paths = %v", got)
	}
	at := t0
	events := []string{
		`{"id":1,"ts":1700000000,"cpu":41.5,"mem":{"used":"61%","total":100},"host":"a"}`,
		`{"id":2,"cpu":"43","mem":{"used":62},"p99":12}`,
		`{"id":3,"cpu":null}`,
		`not json`,
	}
	for _, e := range events {
		s.Observe(at, e)
		at = at.Add(time.Second)
	}
	if v, _, ok := s.Last("cpu"); !ok || v != 43 {
		t.Errorf("cpu = %v %v, want 43", v, ok)
	}
	if v, _, ok := s.Last("mem.used"); !ok || v != 62 {
		t.Errorf("mem.used = %v %v, want 62", v, ok)
	}
	pts := s.Points("mem.used", series.Minute, at, nil)
	if len(pts) != 2 || pts[0].Last != 61 {
		t.Errorf("mem.used points = %+v", pts)
	}
	if got := s.Skipped(); got != 2 {
		t.Errorf("skipped = %d, want 2 (cpu null, mem.used missing)", got)
	}
	// Suggested: numeric fields not already read, no ids or times.
	if got, want := s.Suggestions(), []string{"mem.total", "p99"}; !slices.Equal(got, want) {
		t.Errorf("suggestions = %v, want %v", got, want)
	}
	// Changing the paths keeps the series of those that stay.
	s.SetPaths([]string{"p99", "cpu"})
	if v, _, ok := s.Last("cpu"); !ok || v != 43 {
		t.Errorf("cpu after SetPaths = %v %v, want 43 kept", v, ok)
	}
	if got := s.Suggestions(); !slices.Equal(got, []string{"mem.total", "mem.used"}) {
		t.Errorf("suggestions after SetPaths = %v", got)
	}
}

func TestSetCapsFieldsAndSuggestions(t *testing.T) {
	var paths []string
	obj := "{"
	for i := range 40 {
		paths = append(paths, fmt.Sprintf("f%d", i))
		if i > 0 {
			obj += ","
		}
		obj += fmt.Sprintf(`"g%d":%d`, i, i)
	}
	obj += "}"
	s := series.NewSet(paths)
	if n := len(s.Paths()); n != series.MaxFields {
		t.Errorf("%d paths kept, want %d", n, series.MaxFields)
	}
	s.Observe(t0, obj)
	if n := len(s.Suggestions()); n != series.MaxSuggestions {
		t.Errorf("%d suggestions, want %d", n, series.MaxSuggestions)
	}
}

func BenchmarkSetObserve(b *testing.B) {
	s := series.NewSet([]string{"cpu", "mem", "rps"})
	data := `{"ts":1700000000,"cpu":43.2,"mem":61,"rps":1200,"host":"web-1"}`
	at := t0
	b.ReportAllocs()
	for b.Loop() {
		s.Observe(at, data)
		at = at.Add(time.Millisecond)
	}
}
