package ui

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
)

func TestPlanWall(t *testing.T) {
	tile := fyne.NewSize(300, 150)
	tests := []struct {
		name     string
		counts   []int
		size     fyne.Size
		cols     int
		minScale float32
		maxScale float32
	}{
		{"one tile grows to the cap", []int{1}, fyne.NewSize(1920, 1080), 1, wallMaxScale, wallMaxScale},
		{"six on a wide screen: 2 columns of 3", []int{6}, fyne.NewSize(1920, 1080), 2, 2.3, 2.4},
		{"twelve: 3 columns", []int{12}, fyne.NewSize(1920, 1080), 3, 1.7, 1.8},
		{"sections take rows of their own", []int{3, 3}, fyne.NewSize(1800, 1000), 3, 1.9, 2.0},
		{"a hundred shrink below readable", []int{100}, fyne.NewSize(1280, 800), 9, 0.3, 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := planWall(tc.counts, tile, 30, 4, tc.size)
			if p.cols != tc.cols || p.scale < tc.minScale || p.scale > tc.maxScale {
				t.Errorf("plan = %+v, want %d columns at scale %.1f–%.1f", p, tc.cols, tc.minScale, tc.maxScale)
			}
			// Whatever the plan, it fits: no scrolling.
			rows := 0
			for _, c := range tc.counts {
				rows += (c + p.cols - 1) / p.cols
			}
			if w := float32(p.cols) * tile.Width * p.scale; w > tc.size.Width {
				t.Errorf("width %v > %v", w, tc.size.Width)
			}
			if h := float32(rows) * tile.Height * p.scale; h > tc.size.Height {
				t.Errorf("height %v > %v", h, tc.size.Height)
			}
		})
	}
}

func TestPaginate(t *testing.T) {
	tile := fyne.NewSize(300, 150)
	mk := func(group string, n int) wallSection {
		s := wallSection{group: group}
		for range n {
			s.views = append(s.views, &chanView{})
		}
		return s
	}
	size := fyne.NewSize(1280, 800)
	if pages := paginate([]wallSection{mk("a", 3), mk("b", 4)}, tile, 30, 4, size); len(pages) != 1 {
		t.Errorf("7 tiles: %d pages, want 1", len(pages))
	}
	pages := paginate([]wallSection{mk("a", 10), mk("b", 10), mk("c", 40)}, tile, 30, 4, size)
	var got []string
	for _, p := range pages {
		got = append(got, fmt.Sprintf("%s:%d", p[0].group, len(p[0].views)))
		counts := []int{len(p[0].views)}
		if s := planWall(counts, tile, 30, 4, size).scale; s < wallMinScale {
			t.Errorf("page %v drawn at %.2f, below %.2f", counts, s, wallMinScale)
		}
	}
	if fmt.Sprint(got) != "[a:10 b:10 c:20 c:20]" {
		t.Errorf("pages = %v", got)
	}
}

// Presentation mode on a small screen: the groups take turns, the page
// flips after the cycle, a tapped tile is pinned large.
func TestApp_WallCyclesAndPins(t *testing.T) {
	x, clk := newTestApp(t, Options{NoWorkspace: true, WallCycle: 10 * time.Second})
	for g := range 3 {
		for i := range 12 {
			name := fmt.Sprintf("g%d-c%d", g, i)
			if _, err := x.mgr.Add(client.ChannelConfig{Name: name, Group: fmt.Sprintf("group %d", g), URL: "http://127.0.0.1:9/" + name, Paused: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	x.bridge.Tick()
	x.setPresentation(true)
	x.win.Resize(fyne.NewSize(1000, 700))
	x.bridge.Tick()
	w := x.wall
	if len(w.pages) < 2 {
		t.Fatalf("%d pages for 36 tiles on 1000×700, want several", len(w.pages))
	}
	first := w.pages[0][0].group
	for _, tl := range w.shown {
		if tl.Size().Width <= 0 || tl.Position().Y+tl.Size().Height > 700 {
			t.Fatalf("a tile does not fit: %v at %v", tl.Size(), tl.Position())
		}
	}
	if w.footer.Text == "" {
		t.Error("no page indicator")
	}
	clk.Advance(11 * time.Second)
	x.bridge.Tick()
	clk.Advance(time.Second)
	x.bridge.Tick()
	if w.page != 1 || w.pages[1][0].group == first && w.pages[1][0].views[0] == w.pages[0][0].views[0] {
		t.Fatalf("page = %d after the cycle, want 1", w.page)
	}
	// Tap a tile on screen: it is pinned on the left, the others fit the rest.
	tl := w.shown[0]
	test.Tap(tl)
	if w.pinned == nil {
		t.Fatal("tap did not pin")
	}
	if tl.Size().Width < 400 {
		t.Errorf("pinned tile is %v wide, want about half the screen", tl.Size().Width)
	}
	for _, s := range w.shown {
		if s == tl {
			t.Error("the pinned tile is also on the page")
		}
	}
	test.Tap(tl)
	if w.pinned != nil {
		t.Error("a second tap did not unpin")
	}
	x.setPresentation(false)
	if x.dash.hidden {
		t.Error("dashboard still hidden after presentation mode")
	}
}
