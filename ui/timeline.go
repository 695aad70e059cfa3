package ui

import (
	"image/color"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// Timeline draws a channel's recent state history as a bar of coloured
// segments, one per transition, from the start of a window to now, with
// the window's span written under it ("last 5 min" … "now"). A channel
// that stayed open is one green bar; one that flaps shows the flapping.
type Timeline struct {
	widget.BaseWidget

	// Window caps the span shown, which starts at the oldest transition;
	// 0 means no cap.
	Window time.Duration

	transitions []client.Transition
	now         time.Time
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
	t.Refresh()
}

// span returns the start and end of the drawn window.
func (t *Timeline) span() (start, end time.Time) {
	end = t.now
	start = end
	if len(t.transitions) > 0 {
		start = t.transitions[0].At
	}
	if t.Window > 0 && end.Sub(start) > t.Window {
		start = end.Add(-t.Window)
	}
	return start, end
}

// segment is a coloured stretch of the bar, as fractions of its width.
type segment struct {
	from, to float32
	state    client.State
}

// segments cuts the window into one segment per transition in it; the state
// in effect at the window's start fills the part before the first one.
func (t *Timeline) segments() []segment {
	start, end := t.span()
	total := end.Sub(start)
	if total <= 0 || len(t.transitions) == 0 {
		return nil
	}
	frac := func(at time.Time) float32 {
		f := float32(at.Sub(start)) / float32(total)
		return min(max(f, 0), 1)
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
		from, to := frac(at), frac(next)
		if to <= from {
			continue
		}
		out = append(out, segment{from, to, tr.State})
	}
	return out
}

// minSegmentPx is the least width of a segment on screen, so that a
// one-second state in a ten-minute window is still seen.
const minSegmentPx = 3

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (t *Timeline) CreateRenderer() fyne.WidgetRenderer {
	t.ExtendBaseWidget(t)
	r := &timelineRenderer{t: t,
		track: canvas.NewRectangle(color.Transparent),
		left:  canvas.NewText("", color.Black),
		right: canvas.NewText("now", color.Black),
	}
	r.right.Alignment = fyne.TextAlignTrailing
	r.Refresh()
	return r
}

type timelineRenderer struct {
	t           *Timeline
	track       *canvas.Rectangle
	bars        []*canvas.Rectangle
	left, right *canvas.Text
	objects     []fyne.CanvasObject
}

func (r *timelineRenderer) barHeight() float32 {
	return r.t.Theme().Size(theme.SizeNameText)
}

func (r *timelineRenderer) MinSize() fyne.Size {
	l := r.left.MinSize()
	return fyne.NewSize(4*r.barHeight()+l.Width, r.barHeight()+l.Height)
}

func (r *timelineRenderer) Layout(size fyne.Size) {
	bh := r.barHeight()
	r.track.Resize(fyne.NewSize(size.Width, bh))
	for i, s := range r.t.segments() {
		if i >= len(r.bars) {
			break
		}
		x0, x1 := s.from*size.Width, s.to*size.Width
		r.bars[i].Move(fyne.NewPos(x0, 0))
		r.bars[i].Resize(fyne.NewSize(max(x1-x0, minSegmentPx), bh))
	}
	l := r.left.MinSize()
	r.left.Move(fyne.NewPos(0, bh))
	r.left.Resize(l)
	rs := r.right.MinSize()
	r.right.Move(fyne.NewPos(size.Width-rs.Width, bh))
	r.right.Resize(rs)
}

func (r *timelineRenderer) Refresh() {
	th := r.t.Theme()
	segs := r.t.segments()
	for len(r.bars) < len(segs) {
		r.bars = append(r.bars, canvas.NewRectangle(color.Transparent))
	}
	r.bars = r.bars[:len(segs)]
	for i, s := range segs {
		r.bars[i].FillColor = StateColor(s.state)
	}
	r.track.FillColor = theme.ColorForWidget(theme.ColorNameInputBackground, r.t)
	muted := theme.ColorForWidget(theme.ColorNamePlaceHolder, r.t)
	cs := th.Size(theme.SizeNameCaptionText)
	r.left.Color, r.right.Color = muted, muted
	r.left.TextSize, r.right.TextSize = cs, cs
	start, end := r.t.span()
	if d := end.Sub(start); d > 0 {
		r.left.Text = client.FormatCountdown(d) + " ago"
	} else {
		r.left.Text = ""
	}
	r.objects = r.objects[:0]
	r.objects = append(r.objects, r.track)
	for _, b := range r.bars {
		r.objects = append(r.objects, b)
	}
	r.objects = append(r.objects, r.left, r.right)
	r.Layout(r.t.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *timelineRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *timelineRenderer) Destroy() {}
