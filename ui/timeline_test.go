package ui_test

import (
	"image/color"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/ui"
)

func TestTimeline_Markup(t *testing.T) {
	test.NewTempApp(t)
	tr := func(sec int, s client.State) client.Transition {
		return client.Transition{At: epoch.Add(time.Duration(sec) * time.Second), State: s}
	}
	for _, tc := range []struct {
		name   string
		window time.Duration
		trs    []client.Transition
		now    time.Duration
	}{
		{"empty", 0, nil, 0},
		{"steady_open", 0, []client.Transition{tr(0, client.Connecting), tr(1, client.Open)}, 100 * time.Second},
		{"flapping", 0, []client.Transition{
			tr(0, client.Connecting), tr(2, client.Open), tr(30, client.Retrying), tr(33, client.Connecting),
			tr(34, client.Open), tr(60, client.Stalled), tr(61, client.Retrying), tr(64, client.Connecting), tr(65, client.Failed),
		}, 100 * time.Second},
		{"window_clips_old", time.Minute, []client.Transition{tr(0, client.Connecting), tr(1, client.Open), tr(90, client.Paused)}, 120 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := ui.NewTimeline(tc.window)
			tl.Set(tc.trs, epoch.Add(tc.now))
			tl.Resize(fyne.NewSize(400, tl.MinSize().Height))
			test.AssertObjectRendersToMarkup(t, "timeline/"+tc.name+".xml", tl)
		})
	}
}

// flappingChannel is a channel that reconnected (resuming from id 40),
// stalled, reconnected again, and saw a gap, a duplicate and an invalid id.
func flappingChannel() ([]client.Transition, []ui.TimelineAttempt, []ui.TimelineMark) {
	at := func(sec int) time.Time { return epoch.Add(time.Duration(sec) * time.Second) }
	trs := []client.Transition{
		{At: at(0), State: client.Connecting}, {At: at(1), State: client.Open},
		{At: at(30), State: client.Retrying, Detail: "stream ended by server"}, {At: at(31), State: client.Connecting},
		{At: at(32), State: client.Open}, {At: at(60), State: client.Stalled, Detail: "no data for 45 s"},
		{At: at(61), State: client.Retrying}, {At: at(63), State: client.Connecting}, {At: at(64), State: client.Open},
	}
	attempts := []ui.TimelineAttempt{
		{Number: 1, Start: at(0), End: at(30), Opened: true, Text: "200 OK · stream ended by server"},
		{Number: 2, Start: at(31), End: at(60), Opened: true, Text: "Last-Event-ID 40 · 200 OK · stall"},
		{Number: 3, Start: at(63), Opened: true, Text: "Last-Event-ID 75 · 200 OK"},
	}
	marks := []ui.TimelineMark{
		{At: at(33), Kind: ui.MarkDuplicate, Text: "duplicate: id 40 again after reconnecting", Seq: 50},
		{At: at(66), Kind: ui.MarkGap, Text: "gap: 5 events missing (75 → 81)", Seq: 90},
		{At: at(80), Kind: ui.MarkInvalidID, Text: `invalid id "NaN": looks like a JavaScript bug`, Seq: 99},
		{At: at(90), Kind: ui.MarkOversized, Text: "oversized: event of 20 MiB skipped (cap 16 MiB)", Seq: 120},
	}
	return trs, attempts, marks
}

func TestTimeline_MarksMarkup(t *testing.T) {
	trs, attempts, marks := flappingChannel()
	for _, tc := range []struct {
		name  string
		theme fyne.Theme
		point *fyne.Position // the pointer, if any
	}{
		{"marks_dark", variantTheme{theme.VariantDark}, nil},
		{"marks_light", variantTheme{theme.VariantLight}, nil},
		{"hover_gap", variantTheme{theme.VariantDark}, &fyne.Position{X: 264, Y: 40}},
		{"hover_attempt", variantTheme{theme.VariantDark}, &fyne.Position{X: 200, Y: 5}},
		{"hover_stall", variantTheme{theme.VariantDark}, &fyne.Position{X: 240, Y: 22}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := test.NewTempApp(t)
			a.Settings().SetTheme(tc.theme)
			tl := ui.NewTimeline(0)
			tl.Location = time.UTC
			tl.Set(trs, epoch.Add(100*time.Second))
			tl.SetMarks(attempts, marks)
			w := test.NewTempWindow(t, tl)
			w.Resize(fyne.NewSize(400, tl.MinSize().Height))
			tl.Resize(fyne.NewSize(400, tl.MinSize().Height))
			if tc.point != nil {
				tl.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: *tc.point}})
			}
			test.AssertObjectRendersToMarkup(t, "timeline/"+tc.name+".xml", tl)
		})
	}
}

func TestTimeline_HoverAndTap(t *testing.T) {
	test.NewTempApp(t)
	trs, attempts, marks := flappingChannel()
	tl := ui.NewTimeline(0)
	tl.Location = time.UTC
	tl.Set(trs, epoch.Add(100*time.Second))
	tl.SetMarks(attempts, marks)
	tl.Resize(fyne.NewSize(400, tl.MinSize().Height))
	var tapped []ui.TimelineMark
	tl.OnMarkTapped = func(m ui.TimelineMark) { tapped = append(tapped, m) }
	move := func(x, y float32) string {
		tl.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, y)}})
		return tl.Hover()
	}
	// x = seconds × 4 on a 100 s window 400 px wide; lanes: attempts
	// above y 17, states to 31, marks below.
	for _, tc := range []struct {
		x, y float32
		want string
	}{
		{20, 5, "attempt 1 · 12:00:00 · 30 s · 200 OK · stream ended by server"},
		{130, 5, "attempt 2 · 12:00:31 · 29 s · Last-Event-ID 40 · 200 OK · stall"},
		{300, 5, "attempt 3 · 12:01:03 · 37 s · Last-Event-ID 75 · 200 OK"},
		{50, 22, "open since 12:00:01"},
		{241, 22, "12:01:00.000 · stall: no data for 45 s"},
		{133, 40, "12:00:33.000 · duplicate: id 40 again after reconnecting"},
		{262, 40, "12:01:06.000 · gap: 5 events missing (75 → 81)"},
		{320, 40, `12:01:20.000 · invalid id "NaN": looks like a JavaScript bug`},
		{361, 40, "12:01:30.000 · oversized: event of 20 MiB skipped (cap 16 MiB)"},
		{200, 40, ""}, // no mark near
	} {
		if got := move(tc.x, tc.y); got != tc.want {
			t.Errorf("pointer at %v,%v says %q, want %q", tc.x, tc.y, got, tc.want)
		}
	}
	// The axis moves under a still pointer: what it says follows.
	move(262, 40)
	tl.Set(trs, epoch.Add(200*time.Second)) // twice the span: the gap is now at 132 px
	if got := tl.Hover(); got != "" {
		t.Errorf("after the axis moved, the pointer at 262 px says %q, want nothing", got)
	}
	tl.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(132, 40)}})
	if got := tl.Hover(); got != "12:01:06.000 · gap: 5 events missing (75 → 81)" {
		t.Errorf("at the gap's new place: %q", got)
	}
	tl.Set(trs, epoch.Add(100*time.Second))
	tl.MouseOut()
	if tl.Hover() != "" {
		t.Errorf("after the pointer left: %q", tl.Hover())
	}
	test.TapAt(tl, fyne.NewPos(265, 40))
	test.TapAt(tl, fyne.NewPos(20, 5)) // an attempt: said, not a mark
	if len(tapped) != 1 || tapped[0].Seq != 90 {
		t.Fatalf("tapped marks = %+v, want the gap (seq 90)", tapped)
	}
	if !strings.HasPrefix(tl.Hover(), "attempt 1") {
		t.Errorf("tapping an attempt says %q", tl.Hover())
	}
}

// variantTheme is Fyne's default theme held to one variant.
type variantTheme struct{ v fyne.ThemeVariant }

func (t variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return theme.DefaultTheme().Color(n, t.v)
}
func (variantTheme) Font(s fyne.TextStyle) fyne.Resource     { return theme.DefaultTheme().Font(s) }
func (variantTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }
func (variantTheme) Size(n fyne.ThemeSizeName) float32       { return theme.DefaultTheme().Size(n) }
