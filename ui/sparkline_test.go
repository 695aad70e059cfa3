package ui_test

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/ui"
)

func TestSparkline_Markup(t *testing.T) {
	test.NewTempApp(t)
	ramp := make([]float64, 60)
	for i := range ramp {
		ramp[i] = float64(i)
	}
	for _, tc := range []struct {
		name   string
		values []float64
	}{
		{"empty", nil},
		{"zeros", make([]float64, 60)},
		{"ramp", ramp},
		{"partial", []float64{5, 0, 12, 120}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ui.NewSparkline(tc.values)
			s.Resize(fyne.NewSize(200, 28))
			test.AssertObjectRendersToMarkup(t, "sparkline/"+tc.name+".xml", s)
			test.AssertObjectRendersToImage(t, "sparkline/"+tc.name+".png", s)
		})
	}
}

func TestSparkline_KeepsNewest(t *testing.T) {
	test.NewTempApp(t)
	long := make([]float64, 90)
	for i := range long {
		long[i] = float64(i)
	}
	s := ui.NewSparkline(long)
	got := s.Values()
	if len(got) != ui.SparklineCap || got[0] != 30 || got[len(got)-1] != 89 {
		t.Fatalf("Values() = %d samples from %v to %v, want 60 from 30 to 89", len(got), got[0], got[len(got)-1])
	}
	if s.Max() != 89 {
		t.Fatalf("Max() = %v, want 89", s.Max())
	}
	long[89] = -1 // the widget holds a copy
	if s.Values()[59] != 89 {
		t.Fatal("SetValues did not copy its input")
	}
}
