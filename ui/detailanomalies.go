package ui

import (
	"image/color"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// anomaliesFilter is the type filter's entry that shows only the
// anomalies (isAnomaly).
const anomaliesFilter = "Anomalies"

// anomalyPanel is the detail view's anomalies counter, which filters the
// log to the anomalies, and the buttons that jump to the previous and next
// anomaly of the log as shown. It also feeds the timeline its attempts and
// marks.
type anomalyPanel struct {
	counter    *guardedButton
	prev, next *guardedButton
	box        fyne.CanvasObject // the counter in a box of constant width
	shown      uint64            // the count the counter says

	// The timeline's inputs, rebuilt when what they come from changed.
	xs        []client.Exchange
	attempts  []TimelineAttempt
	histKey   attemptKey
	marks     []TimelineMark
	marksKey  [2]uint64 // marks ring length and newest Seq
	converted bool
}

// attemptKey tells whether the attempts must be read again: they change
// only with a transition.
type attemptKey struct {
	n    int
	last time.Time
}

// buildAnomalies makes the counter and its navigation buttons.
func (d *detailView) buildAnomalies() fyne.CanvasObject {
	p := &d.anom
	p.counter = newGuardedButton(d.x.windowKey, "", theme.WarningIcon(), d.toggleAnomalies)
	p.prev = newGuardedButton(d.x.windowKey, "", theme.MoveUpIcon(), func() { d.jumpAnomaly(true) })
	p.next = newGuardedButton(d.x.windowKey, "", theme.MoveDownIcon(), func() { d.jumpAnomaly(false) })
	p.prev.Importance, p.next.Importance = widget.LowImportance, widget.LowImportance
	p.shown = 1 // differ from the first count
	d.setAnomalyCount(0)
	// The counter keeps the width of its longest text, so that the search
	// field beside it does not move when the count changes.
	probe := widget.NewButtonWithIcon("9.9k anomalies", theme.WarningIcon(), nil)
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(probe.MinSize().Width, 0))
	p.box = container.NewStack(width, p.counter)
	return container.NewHBox(p.box, p.prev, p.next)
}

// setAnomalyCount shows the channel's anomaly count on the counter.
func (d *detailView) setAnomalyCount(n uint64) {
	p := &d.anom
	if n == p.shown {
		return
	}
	p.shown = n
	if n == 0 {
		p.counter.Importance = widget.LowImportance
		p.counter.SetText("no anomalies")
		return
	}
	p.counter.Importance = widget.WarningImportance
	p.counter.SetText(formatCount(n) + plural(n, " anomaly", " anomalies"))
}

// toggleAnomalies filters the log to the anomalies and shows the newest,
// or, when they are shown, goes back to every record.
func (d *detailView) toggleAnomalies() {
	if d.types.Selected == anomaliesFilter {
		d.types.SetSelected(allTypes)
		return
	}
	d.types.SetSelected(anomaliesFilter) // applies the filter
	d.jumpAnomaly(true)
}

// jumpAnomaly selects the anomaly before (back) or after the selected row
// of the log as shown; with no row selected, the newest (back) or the
// oldest.
func (d *detailView) jumpAnomaly(back bool) {
	from := -1
	if back {
		from = d.log.Len()
	}
	if d.selected != 0 {
		if i := d.log.index(d.selected); i >= 0 {
			from = i
		}
	}
	if i := d.log.nextAnomaly(from, back); i >= 0 {
		d.showRow(i)
	}
}

// jumpTo selects the record with seq in the log, dropping the filters when
// they hide it.
func (d *detailView) jumpTo(seq uint64) {
	i := d.log.index(seq)
	if i < 0 && (d.types.Selected != allTypes || d.search.Text != "") {
		d.search.SetText("")
		d.types.SetSelected(allTypes)
		i = d.log.index(seq)
	}
	if i >= 0 {
		d.showRow(i)
	}
}

// showRow selects row i and keeps it in view: auto-scroll stops.
func (d *detailView) showRow(i int) {
	if d.autoscroll {
		d.autoCheck.SetChecked(false)
	}
	d.list.Select(i)
	d.list.ScrollTo(i)
	d.noteOffset()
}

// applyTimelineMarks gives the timeline the channel's attempts and the
// log's anomalies.
func (d *detailView) applyTimelineMarks(hist []client.Transition) {
	p := &d.anom
	key := attemptKey{n: len(hist)}
	if len(hist) > 0 {
		key.last = hist[len(hist)-1].At
	}
	if key != p.histKey || !p.converted {
		p.histKey, p.converted = key, true
		p.xs = d.v.ch.Exchanges(p.xs[:0])
		if len(p.xs) > 0 {
			p.attempts = attemptsOf(p.attempts[:0], p.xs)
		} else {
			p.attempts = attemptsFromTransitions(p.attempts[:0], hist)
		}
		clear(p.xs) // headers are not kept
	}
	m := &d.log.marks
	mk := [2]uint64{uint64(m.Len()), 0}
	if m.Len() > 0 {
		mk[1] = m.At(m.Len() - 1).Seq
	}
	if mk != p.marksKey {
		p.marksKey = mk
		p.marks = p.marks[:0]
		for i := 0; i < m.Len(); i++ {
			if tm, ok := markOf(m.At(i)); ok {
				p.marks = append(p.marks, tm)
			}
		}
	}
	d.timeline.SetMarks(p.attempts, p.marks)
}

// markOf is the timeline mark of a log record, if it is an anomaly.
func markOf(r *client.Record) (TimelineMark, bool) {
	if !isAnomaly(r) {
		return TimelineMark{}, false
	}
	m := TimelineMark{At: r.At, Seq: r.Seq, Text: recordAnomalyText(r)}
	if r.Kind == client.RecordOversized {
		m.Kind = MarkOversized
		return m, true
	}
	switch r.Finding.Kind {
	case client.FindingGap, client.FindingLost, client.FindingReset, client.FindingRestart:
		m.Kind = MarkGap
	case client.FindingDuplicate, client.FindingBackwards:
		m.Kind = MarkDuplicate
	default:
		switch {
		case r.Gap > 0:
			m.Kind = MarkGap
		case r.Duplicate:
			m.Kind = MarkDuplicate
		default:
			m.Kind = MarkInvalidID
		}
	}
	return m, true
}

// attemptsOf appends the attempts of a live channel's exchanges to dst.
func attemptsOf(dst []TimelineAttempt, xs []client.Exchange) []TimelineAttempt {
	for i := range xs {
		x := &xs[i]
		a := TimelineAttempt{Number: x.Seq, Start: x.Start,
			Opened: x.Response != nil && x.Response.StatusCode == http.StatusOK && x.End != client.EndContentType}
		if x.Ended {
			a.End = x.Start.Add(x.Duration)
		}
		var parts []string
		if x.Request.LastEventID != "" {
			parts = append(parts, "Last-Event-ID "+x.Request.LastEventID)
		}
		if x.Response != nil {
			parts = append(parts, x.Response.Status)
		}
		if x.Events > 0 {
			parts = append(parts, strconv.FormatInt(x.Events, 10)+plural(uint64(x.Events), " event", " events"))
		}
		if e := x.EndText(); e != "" {
			parts = append(parts, e)
		}
		a.Text = strings.Join(parts, " · ")
		dst = append(dst, a)
	}
	return dst
}

// attemptsFromTransitions appends the attempts a state history tells
// (a recording keeps no exchanges): each starts connecting (or open) and
// ends at the next state that is neither; they are numbered from 1.
func attemptsFromTransitions(dst []TimelineAttempt, hist []client.Transition) []TimelineAttempt {
	open := -1 // index in dst of the attempt going on
	n := 0
	for _, tr := range hist {
		switch tr.State {
		case client.Connecting, client.Open:
			if open >= 0 && tr.State == client.Open {
				dst[open].Opened = true
				dst[open].Text = tr.Detail
				continue
			}
			if open >= 0 {
				dst[open].End = tr.At
			}
			n++
			dst = append(dst, TimelineAttempt{Number: n, Start: tr.At, Opened: tr.State == client.Open})
			open = len(dst) - 1
			if tr.State == client.Open {
				dst[open].Text = tr.Detail
			}
		default:
			if open >= 0 {
				dst[open].End = tr.At
				if t := dst[open].Text; t != "" {
					dst[open].Text = t + " · " + tr.State.String()
				} else {
					dst[open].Text = tr.State.String()
				}
				if tr.Detail != "" {
					dst[open].Text += ": " + tr.Detail
				}
				open = -1
			}
		}
	}
	return dst
}
