package ui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client/series"
	"github.com/ssemon/ssemon/ui"
)

var chartEnd = time.Date(2026, 3, 1, 12, 1, 0, 0, time.Local)

// wave feeds a series one value a second for the last minute.
func wave() []series.Point {
	s := series.NewSeries()
	for i := range 60 {
		at := chartEnd.Add(time.Duration(i-60) * time.Second)
		s.Add(at, float64(40+(i%20)))
		s.Add(at.Add(200*time.Millisecond), float64(45+(i%20)))
	}
	return s.Points(series.Minute, chartEnd, nil)
}

func TestChart_Markup(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		name    string
		compact bool
		points  []series.Point
	}{
		{"empty", false, nil},
		{"wave", false, wave()},
		{"compact", true, wave()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ui.NewChart("cpu", tc.compact)
			c.Set(tc.points, series.Minute, chartEnd)
			c.Resize(fyne.NewSize(300, 120))
			test.AssertObjectRendersToMarkup(t, "chart/"+tc.name+".xml", c)
			test.AssertObjectRendersToImage(t, "chart/"+tc.name+".png", c)
		})
	}
}

func TestChart_SetRedrawsOnlyOnChange(t *testing.T) {
	test.NewTempApp(t)
	c := ui.NewChart("cpu", false)
	pts := wave()
	if !c.Set(pts, series.Minute, chartEnd) {
		t.Fatal("first Set reported no change")
	}
	if c.Set(pts, series.Minute, chartEnd.Add(100*time.Millisecond)) {
		t.Error("same points in the same bucket reported a change")
	}
	if !c.Set(pts, series.Minute, chartEnd.Add(time.Second)) {
		t.Error("the window moved a bucket: want a change")
	}
	if !c.Set(pts, series.Hour, chartEnd.Add(time.Second)) {
		t.Error("another window: want a change")
	}
}

func TestChart_HoverShowsValueAndTime(t *testing.T) {
	test.NewTempApp(t)
	c := ui.NewChart("cpu", false)
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(320, 140))
	pts := wave()
	c.Set(pts, series.Minute, chartEnd)
	if c.HoverText() != "" {
		t.Fatal("hover text before hovering")
	}
	// The right edge is the newest bucket.
	size := c.Size()
	c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(size.Width*0.5, size.Height/2)}})
	got := c.HoverText()
	if got == "" {
		t.Fatal("no hover text over the plot")
	}
	last := pts[len(pts)-1]
	test.Tap(c) // the middle of the widget
	if c.HoverText() == "" {
		t.Error("tap shows no value")
	}
	c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(1, size.Height/2)}})
	first := c.HoverText()
	if first == got || first[:8] != pts[0].At.Format("15:04:05") {
		t.Errorf("hover at the left edge = %q, want the oldest point (%s)", first, pts[0].At.Format("15:04:05"))
	}
	_ = last
	c.MouseOut()
	if c.HoverText() != "" {
		t.Error("hover text after the pointer left")
	}
}
