package ui

import (
	"image/color"
	"slices"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// Timeline draws a channel's recent history on one time axis, from the
// start of a window to now: above, its connection attempts as numbered
// spans (filled when the attempt opened a stream, red when it failed); in
// the middle, its states as a bar of coloured segments (a channel that
// stayed open is one green bar); below, its marks: gaps, duplicates and
// invalid ids as small shapes, stalls as a bar through the states. The
// window's span is written under it ("10 min ago" … "now") with a legend of
// the marks shown; pointing at (or tapping) an attempt, a state or a mark
// says what it is in place of the legend, and tapping a mark calls
// OnMarkTapped.
type Timeline struct {
	widget.BaseWidget

	// Window caps the span shown, which starts at the oldest transition;
	// 0 means no cap.
	Window time.Duration
	// OnMarkTapped, when set, is called with a mark that was tapped.
	OnMarkTapped func(TimelineMark)
	// Location is the time zone of the times said (nil: time.Local).
	Location *time.Location

	transitions []client.Transition
	attempts    []TimelineAttempt
	marks       []TimelineMark
	now         time.Time
	// hover is what the pointer points at, said in place of the legend;
	// pointer is where the pointer is (pointing reports whether it is in).
	hover    string
	pointer  fyne.Position
	pointing bool
}

// TimelineMarkKind tells what a timeline mark stands for.
type TimelineMarkKind uint8

// The kinds of timeline mark.
const (
	// MarkGap: events are missing (a gap in the ids, a server's lost or
	// reset notice, ids starting over).
	MarkGap TimelineMarkKind = iota + 1
	// MarkDuplicate: an id came again, or went backwards.
	MarkDuplicate
	// MarkInvalidID: an id that cannot serve to resume.
	MarkInvalidID
	// MarkStall: the stall watchdog dropped the connection.
	MarkStall
	// MarkOversized: an event over the size cap was skipped.
	MarkOversized
)

// markNames is a constant table indexed by TimelineMarkKind: the legend's
// words.
var markNames = [...]string{MarkGap: "gap", MarkDuplicate: "duplicate", MarkInvalidID: "invalid id", MarkStall: "stall", MarkOversized: "oversized"}

// String returns "gap", "duplicate", "invalid id", "stall" or "oversized".
func (k TimelineMarkKind) String() string {
	if int(k) < len(markNames) && markNames[k] != "" {
		return markNames[k]
	}
	return "mark(" + strconv.Itoa(int(k)) + ")"
}

// TimelineMark is a moment of the timeline: an anomaly or a stall.
type TimelineMark struct {
	// At is when it happened.
	At time.Time
	// Kind says what it is.
	Kind TimelineMarkKind
	// Text says it in one line ("gap: 5 events missing (4 → 10)").
	Text string
	// Seq is the log record it stands for (0: none).
	Seq uint64
}

// TimelineAttempt is a connection attempt: a span of the timeline.
type TimelineAttempt struct {
	// Number numbers the attempt as the Connection tab does.
	Number int
	// Start is when it began; End when it ended (zero: it goes on).
	Start, End time.Time
	// Opened reports that it got a stream (else it failed).
	Opened bool
	// Text says how it went, in one line ("resumed from 42 · stream
	// ended by server").
	Text string
}

// NewTimeline returns a timeline from the oldest transition to now, over
// at most window (0: no cap).
func NewTimeline(window time.Duration) *Timeline {
	t := &Timeline{Window: window}
	t.ExtendBaseWidget(t)
	return t
}

// Set shows transitions (oldest first; the slice is copied) as of now.
func (t *Timeline) Set(transitions []client.Transition, now time.Time) {
	if t.now.Equal(now) && slices.Equal(t.transitions, transitions) {
		return
	}
	t.transitions = append(t.transitions[:0], transitions...)
	t.now = now
	t.repoint()
	t.Refresh()
}

// repoint says again what the pointer points at: the axis moved under it.
func (t *Timeline) repoint() {
	if t.pointing {
		t.point(t.pointer)
	}
}

// SetMarks shows connection attempts and marks (oldest first; the slices
// are copied). Stalls need no mark: the transitions show them.
func (t *Timeline) SetMarks(attempts []TimelineAttempt, marks []TimelineMark) {
	if slices.Equal(t.attempts, attempts) && slices.Equal(t.marks, marks) {
		return
	}
	t.attempts = append(t.attempts[:0], attempts...)
	t.marks = append(t.marks[:0], marks...)
	t.repoint()
	t.Refresh()
}

// span returns the start and end of the drawn window.
func (t *Timeline) span() (start, end time.Time) {
	end = t.now
	start = end
	if len(t.transitions) > 0 {
		start = t.transitions[0].At
	}
	if len(t.attempts) > 0 && t.attempts[0].Start.Before(start) {
		start = t.attempts[0].Start
	}
	if t.Window > 0 && end.Sub(start) > t.Window {
		start = end.Add(-t.Window)
	}
	return start, end
}

// frac places at on the window as a fraction of its width (clamped).
func (t *Timeline) frac(at time.Time) float32 {
	start, end := t.span()
	total := end.Sub(start)
	if total <= 0 {
		return 0
	}
	f := float32(at.Sub(start)) / float32(total)
	return min(max(f, 0), 1)
}

// inWindow reports whether at falls in the drawn window.
func (t *Timeline) inWindow(at time.Time) bool {
	start, end := t.span()
	return !at.Before(start) && !at.After(end)
}

// segment is a coloured stretch of the bar, as fractions of its width.
type segment struct {
	from, to float32
	state    client.State
	at       time.Time // when the state began
	detail   string
}

// segments cuts the window into one segment per transition in it; the state
// in effect at the window's start fills the part before the first one.
func (t *Timeline) segments() []segment {
	start, end := t.span()
	total := end.Sub(start)
	if total <= 0 || len(t.transitions) == 0 {
		return nil
	}
	var out []segment
	cursor := start // where the previous segment ended
	for i, tr := range t.transitions {
		next := end
		if i+1 < len(t.transitions) {
			next = t.transitions[i+1].At
		}
		// Every state gets its moment: at least minStateShown, after
		// the one before it (a stall followed by a retry in the same
		// millisecond is still a segment). States that began before the
		// window are clipped as they were.
		at := tr.At
		if at.Before(cursor) {
			at = cursor
		}
		if !tr.At.Before(start) && next.Before(at.Add(minStateShown)) {
			next = at.Add(minStateShown)
		}
		if !next.After(start) {
			continue
		}
		cursor = next
		from, to := t.frac(at), t.frac(next)
		if to <= from {
			continue
		}
		out = append(out, segment{from, to, tr.State, tr.At, tr.Detail})
	}
	return out
}

// allMarks returns the marks in the window: the given ones and a stall
// for every Stalled transition, oldest first.
func (t *Timeline) allMarks() []TimelineMark {
	var out []TimelineMark
	for _, tr := range t.transitions {
		if tr.State == client.Stalled && t.inWindow(tr.At) {
			text := "stall"
			if tr.Detail != "" {
				text += ": " + tr.Detail
			}
			out = append(out, TimelineMark{At: tr.At, Kind: MarkStall, Text: text})
		}
	}
	for _, m := range t.marks {
		if t.inWindow(m.At) {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b TimelineMark) int { return a.At.Compare(b.At) })
	return out
}

// visibleAttempts returns the attempts that overlap the window.
func (t *Timeline) visibleAttempts() []TimelineAttempt {
	start, end := t.span()
	var out []TimelineAttempt
	for _, a := range t.attempts {
		e := a.End
		if e.IsZero() {
			e = end
		}
		if e.Before(start) || a.Start.After(end) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// minSegmentPx is the least width of a segment on screen, so that a
// one-second state in a ten-minute window is still seen.
const minSegmentPx = 3

// markHitPx is how near the pointer must be to a mark to point at it.
const markHitPx = 5

func (t *Timeline) local() *time.Location {
	if t.Location != nil {
		return t.Location
	}
	return time.Local
}

// MouseIn is a hook that is called if the mouse pointer enters the element.
func (t *Timeline) MouseIn(ev *desktop.MouseEvent) { t.MouseMoved(ev) }

// MouseMoved is a hook that is called if the mouse pointer moved over the element.
func (t *Timeline) MouseMoved(ev *desktop.MouseEvent) {
	t.pointer, t.pointing = ev.Position, true
	t.point(ev.Position)
}

// MouseOut is a hook that is called if the mouse pointer leaves the element.
func (t *Timeline) MouseOut() {
	t.pointing = false
	t.setHover("")
}

// Tapped says what was tapped and, for a mark, calls OnMarkTapped.
func (t *Timeline) Tapped(ev *fyne.PointEvent) {
	t.point(ev.Position)
	if m, ok := t.markAt(ev.Position.X); ok && t.OnMarkTapped != nil && ev.Position.Y >= t.geometry().barY {
		t.OnMarkTapped(m)
	}
}

// Hover returns what the pointer points at, as the timeline says it ("" when
// nothing).
func (t *Timeline) Hover() string { return t.hover }

func (t *Timeline) setHover(s string) {
	if s == t.hover {
		return
	}
	t.hover = s
	t.Refresh()
}

// point says what is at p.
func (t *Timeline) point(p fyne.Position) {
	g := t.geometry()
	w := t.Size().Width
	switch {
	case p.Y < g.barY:
		for _, a := range t.visibleAttempts() {
			x0, x1 := t.attemptX(a, w)
			if p.X >= x0 && p.X <= x1 {
				t.setHover(t.attemptText(a))
				return
			}
		}
	case p.Y < g.markY:
		if m, ok := t.markAt(p.X); ok && m.Kind == MarkStall {
			t.setHover(t.markText(m))
			return
		}
		for _, s := range t.segments() {
			if p.X >= s.from*w && p.X <= max(s.to*w, s.from*w+minSegmentPx) {
				text := s.state.String() + " since " + s.at.In(t.local()).Format("15:04:05")
				if s.detail != "" {
					text += " · " + s.detail
				}
				t.setHover(text)
				return
			}
		}
	default:
		if m, ok := t.markAt(p.X); ok {
			t.setHover(t.markText(m))
			return
		}
	}
	t.setHover("")
}

// markAt returns the mark nearest to x, within markHitPx.
func (t *Timeline) markAt(x float32) (TimelineMark, bool) {
	w := t.Size().Width
	best, found := float32(markHitPx+1), TimelineMark{}
	for _, m := range t.allMarks() {
		if d := abs32(t.frac(m.At)*w - x); d <= best {
			best, found = d, m
		}
	}
	return found, best <= markHitPx
}

func abs32(f float32) float32 {
	if f < 0 {
		return -f
	}
	return f
}

func (t *Timeline) markText(m TimelineMark) string {
	return m.At.In(t.local()).Format("15:04:05.000") + " · " + m.Text
}

func (t *Timeline) attemptText(a TimelineAttempt) string {
	s := "attempt " + strconv.Itoa(a.Number) + " · " + a.Start.In(t.local()).Format("15:04:05")
	end := a.End
	if end.IsZero() {
		end = t.now
	}
	s += " · " + client.FormatDuration(end.Sub(a.Start).Truncate(time.Second))
	if a.Text != "" {
		s += " · " + a.Text
	}
	return s
}

// attemptX returns where attempt a is drawn on a timeline w wide.
func (t *Timeline) attemptX(a TimelineAttempt, w float32) (float32, float32) {
	end := a.End
	if end.IsZero() {
		end = t.now
	}
	x0, x1 := t.frac(a.Start)*w, t.frac(end)*w
	return x0, max(x1, x0+minSegmentPx)
}

// timelineGeometry is where the lanes are, top to bottom.
type timelineGeometry struct {
	laneH, barY, barH, markY, markH, captionY float32
}

func (t *Timeline) geometry() timelineGeometry {
	th := t.Theme()
	cs, ts := th.Size(theme.SizeNameCaptionText), th.Size(theme.SizeNameText)
	g := timelineGeometry{laneH: cs + 4, barH: ts, markH: cs - 1}
	g.barY = g.laneH + 2
	g.markY = g.barY + g.barH + 2
	g.captionY = g.markY + g.markH + 1
	return g
}

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (t *Timeline) CreateRenderer() fyne.WidgetRenderer {
	t.ExtendBaseWidget(t)
	r := &timelineRenderer{t: t,
		track: canvas.NewRectangle(color.Transparent),
		left:  canvas.NewText("", color.Black),
		right: canvas.NewText("now", color.Black),
		hover: canvas.NewText("", color.Black),
	}
	r.right.Alignment = fyne.TextAlignTrailing
	r.Refresh()
	return r
}

type timelineRenderer struct {
	t            *Timeline
	track        *canvas.Rectangle
	bars         []*canvas.Rectangle
	spans        []*canvas.Rectangle
	spanLabels   []*canvas.Text
	marks        []fyne.CanvasObject
	legend       []fyne.CanvasObject
	legendKinds  []TimelineMarkKind
	left, right  *canvas.Text
	hover        *canvas.Text
	objects      []fyne.CanvasObject
	shownMarks   []TimelineMark
	shownAttempt []TimelineAttempt
}

func (r *timelineRenderer) MinSize() fyne.Size {
	l := r.left.MinSize()
	g := r.t.geometry()
	return fyne.NewSize(4*g.barH+l.Width, g.captionY+l.Height)
}

func (r *timelineRenderer) Layout(size fyne.Size) {
	g := r.t.geometry()
	w := size.Width
	r.track.Move(fyne.NewPos(0, g.barY))
	r.track.Resize(fyne.NewSize(w, g.barH))
	for i, s := range r.t.segments() {
		if i >= len(r.bars) {
			break
		}
		x0, x1 := s.from*w, s.to*w
		r.bars[i].Move(fyne.NewPos(x0, g.barY))
		r.bars[i].Resize(fyne.NewSize(max(x1-x0, minSegmentPx), g.barH))
	}
	for i, a := range r.shownAttempt {
		x0, x1 := r.t.attemptX(a, w)
		if i+1 < len(r.shownAttempt) { // a pixel between neighbours
			x1 = max(min(x1, r.t.frac(r.shownAttempt[i+1].Start)*w-1), x0+1)
		}
		r.spans[i].Move(fyne.NewPos(x0, 0))
		r.spans[i].Resize(fyne.NewSize(x1-x0, g.laneH))
		lb := r.spanLabels[i]
		ls := lb.MinSize()
		lb.Hidden = ls.Width+4 > x1-x0
		lb.Move(fyne.NewPos(x0+2, (g.laneH-ls.Height)/2))
		lb.Resize(ls)
	}
	for i, m := range r.shownMarks {
		x := r.t.frac(m.At) * w
		o := r.marks[i]
		switch m.Kind {
		case MarkStall:
			o.Move(fyne.NewPos(x-1, g.barY))
			o.Resize(fyne.NewSize(3, g.barH+2+g.markH))
		default:
			o.Move(fyne.NewPos(x-g.markH/2, g.markY))
			o.Resize(fyne.NewSize(g.markH, g.markH))
		}
	}
	l := r.left.MinSize()
	r.left.Move(fyne.NewPos(0, g.captionY))
	r.left.Resize(l)
	rs := r.right.MinSize()
	r.right.Move(fyne.NewPos(w-rs.Width, g.captionY))
	r.right.Resize(rs)
	// The legend (or what the pointer points at) between them.
	x := l.Width + 2*theme.Padding()
	room := max(w-rs.Width-theme.Padding()-x, 0)
	r.hover.Text = fitText(r.t.hover, room, r.hover.TextSize, r.hover.TextStyle)
	r.hover.Move(fyne.NewPos(x, g.captionY))
	r.hover.Resize(fyne.NewSize(room, r.hover.MinSize().Height))
	for i, k := range r.legendKinds {
		shape, text := r.legend[2*i], r.legend[2*i+1]
		ts := text.MinSize()
		sz := g.markH - 2
		if k == MarkStall {
			shape.Move(fyne.NewPos(x+sz/2-1, g.captionY+(ts.Height-sz)/2))
			shape.Resize(fyne.NewSize(3, sz))
		} else {
			shape.Move(fyne.NewPos(x, g.captionY+(ts.Height-sz)/2))
			shape.Resize(fyne.NewSize(sz, sz))
		}
		text.Move(fyne.NewPos(x+sz+3, g.captionY))
		text.Resize(ts)
		x += sz + 3 + ts.Width + 2*theme.Padding()
	}
}

// kindsShown are the kinds of mark shown, in legend order.
func (r *timelineRenderer) kindsShown() []TimelineMarkKind {
	var seen [MarkOversized + 1]bool
	for _, m := range r.shownMarks {
		if int(m.Kind) < len(seen) {
			seen[m.Kind] = true
		}
	}
	var out []TimelineMarkKind
	for k := MarkGap; k <= MarkOversized; k++ {
		if seen[k] {
			out = append(out, k)
		}
	}
	return out
}

// markColor is the colour of a kind of mark.
func (r *timelineRenderer) markColor(k TimelineMarkKind) color.Color {
	switch k {
	case MarkGap:
		return theme.ColorForWidget(theme.ColorNameWarning, r.t)
	case MarkDuplicate:
		return theme.ColorForWidget(theme.ColorNamePrimary, r.t)
	case MarkInvalidID, MarkOversized:
		return theme.ColorForWidget(theme.ColorNameError, r.t)
	}
	return stateTextColor(r.t, client.Stalled)
}

// markShape is a fresh shape for a kind of mark: a square for gaps and
// invalid ids, a circle for duplicates and oversized events, a bar for
// stalls.
func (r *timelineRenderer) markShape(k TimelineMarkKind) fyne.CanvasObject {
	c := r.markColor(k)
	if k == MarkDuplicate || k == MarkOversized {
		return canvas.NewCircle(c)
	}
	return canvas.NewRectangle(c)
}

func (r *timelineRenderer) Refresh() {
	t := r.t
	th := t.Theme()
	segs := t.segments()
	for len(r.bars) < len(segs) {
		r.bars = append(r.bars, canvas.NewRectangle(color.Transparent))
	}
	r.bars = r.bars[:len(segs)]
	for i, s := range segs {
		r.bars[i].FillColor = StateColor(s.state)
	}
	r.track.FillColor = theme.ColorForWidget(theme.ColorNameInputBackground, t)
	fg := theme.ColorForWidget(theme.ColorNameForeground, t)
	muted := theme.ColorForWidget(theme.ColorNamePlaceHolder, t)
	cs := th.Size(theme.SizeNameCaptionText)

	r.shownAttempt = t.visibleAttempts()
	r.spans, r.spanLabels = r.spans[:0], r.spanLabels[:0]
	for _, a := range r.shownAttempt {
		c := StateColor(client.Open)
		if !a.Opened {
			c = StateColor(client.Failed)
		}
		fill := c
		fill.A = 0x55
		span := canvas.NewRectangle(fill)
		span.StrokeColor, span.StrokeWidth = c, 1
		lb := canvas.NewText("#"+strconv.Itoa(a.Number), fg)
		lb.TextSize = cs
		r.spans = append(r.spans, span)
		r.spanLabels = append(r.spanLabels, lb)
	}

	r.shownMarks = t.allMarks()
	r.marks = r.marks[:0]
	for _, m := range r.shownMarks {
		r.marks = append(r.marks, r.markShape(m.Kind))
	}
	r.legend, r.legendKinds = r.legend[:0], r.legendKinds[:0]
	if t.hover == "" {
		r.legendKinds = r.kindsShown()
		for _, k := range r.legendKinds {
			text := canvas.NewText(k.String(), muted)
			text.TextSize = cs
			r.legend = append(r.legend, r.markShape(k), text)
		}
	}

	r.left.Color, r.right.Color = muted, muted
	r.left.TextSize, r.right.TextSize = cs, cs
	r.hover.Color, r.hover.TextSize = fg, cs
	start, end := t.span()
	if d := end.Sub(start); d > 0 {
		r.left.Text = client.FormatCountdown(d) + " ago"
	} else {
		r.left.Text = ""
	}
	r.hover.Hidden = t.hover == ""

	r.objects = r.objects[:0]
	r.objects = append(r.objects, r.track)
	for _, b := range r.bars {
		r.objects = append(r.objects, b)
	}
	for i := range r.spans {
		r.objects = append(r.objects, r.spans[i], r.spanLabels[i])
	}
	r.objects = append(r.objects, r.marks...)
	r.objects = append(r.objects, r.left, r.right)
	r.objects = append(r.objects, r.legend...)
	r.objects = append(r.objects, r.hover)
	r.Layout(t.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *timelineRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *timelineRenderer) Destroy() {}
