package ui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// logInterval is the least time between two redraws of the detail view's
// log while it follows its stream, and of the values in its header
// (message, progress): twice a second, as fast as people read a stream
// that moves, whatever the window's refresh (--refresh); a new state still
// shows at the next tick. The records that come in between are drawn
// together, in one frame with the header.
const logInterval = 500 * time.Millisecond

// The detail view's log has two ways of moving:
//
//   - It follows the stream (Auto-scroll ticked, log not paused): new
//     records are pulled and the list redrawn at most every logInterval,
//     only while the Events tab is shown, with the newest record in view.
//   - It holds still (the user scrolled back, selected a row, unticked
//     Auto-scroll or paused the log): nothing is pulled or redrawn; a pill
//     counts what waits. Only the user's scrolling moves the rows then, and
//     Fyne draws it at the frame rate, updating the rows that come into
//     view. Scrolling back to the end follows the stream again.
//
// A user's scrolling (wheel, scroll bar, arrow keys) is told from the
// view's own by the list's offset: the view notes it after each of its own
// moves, and any other move between two ticks is the user's.

// followLog runs at every tick that reaches the window: it notices the user's scrolling, then
// pulls and redraws the log if it follows the stream and is due. dirty
// tells that the channel logged something since the last tick. A new
// second is always due: the view's once-a-second parts draw then, and
// pulling in the same frame keeps the log in step with them (logInterval
// divides a second).
func (d *detailView) followLog(now time.Time, dirty, second bool) {
	if dirty {
		d.logStale = true
	}
	d.noticeScroll()
	if !d.logStale {
		return
	}
	if d.held() {
		d.showWaiting()
		// Scrolled to the end, the log shows what waits at the next
		// tick, events or not.
		d.x.poll.again.Store(true)
		return
	}
	if !d.logShown() {
		return // pulled when the Events tab shows again
	}
	if !second && !d.due(now, d.lastPull) {
		d.x.poll.again.Store(true) // due at a later tick, events or not
		return
	}
	d.pull()
}

// due reports whether logInterval has passed since last, give or take
// half a tick.
func (d *detailView) due(now, last time.Time) bool {
	return now.Sub(last) >= logInterval-d.x.bridge.Interval()/2
}

// held reports whether the log holds still.
func (d *detailView) held() bool { return d.paused || !d.autoscroll }

// logShown reports whether the log can be seen: the Transcript tab hides
// it.
func (d *detailView) logShown() bool {
	return d.tt == nil || d.tt.tabs.SelectedIndex() <= 0
}

// showWaiting says how many records the held log has not taken yet.
func (d *detailView) showWaiting() {
	if last := d.v.snap.LastSeq + 1; last > d.log.next {
		d.setWaiting(formatCount(last-d.log.next) + " waiting")
	}
}

// setWaiting shows the waiting count (text) in place of the rows-shown
// count, or the rows-shown count when text is "".
func (d *detailView) setWaiting(text string) {
	d.waiting.SetText(text)
	if text == "" {
		d.count.Show()
	} else {
		d.count.Hide()
	}
}

// countSlot is the place of the rows-shown count and of the waiting count
// that takes its place while the log holds still: as wide as the widest of
// both, so that nothing in the window moves when the log starts or stops
// holding.
func (d *detailView) countSlot() fyne.CanvasObject {
	w := max(NewPill("888k waiting", PillInfo).MinSize().Width, widget.NewLabel("888k shown").MinSize().Width)
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(w, 0))
	return container.NewStack(width, container.NewCenter(d.count), container.NewCenter(d.waiting))
}

// setFollow makes the log follow the stream (the newest in view, what
// waited pulled at once) or hold still. The Auto-scroll check calls it.
func (d *detailView) setFollow(on bool) {
	d.autoscroll = on
	if on && !d.paused {
		d.pull()
		d.list.ScrollToBottom()
	}
	d.noteOffset()
}

// noteOffset records where the view itself left the list.
func (d *detailView) noteOffset() {
	d.ownOffset, d.ownHeight = d.list.GetScrollOffset(), d.list.Size().Height
}

// noticeScroll compares the list's offset with where the view left it:
// scrolled by the user to the end, the log follows the stream; scrolled
// anywhere else, it holds still. A list made taller keeps its offset or
// clamps it at the end (which follows); one made shorter keeps its offset,
// and a following log scrolls to keep its newest record in view. The
// first tick after the view opens lays it out.
func (d *detailView) noticeScroll() {
	off, h := d.list.GetScrollOffset(), d.list.Size().Height
	if off != d.ownOffset && d.ownHeight > 0 {
		d.ownOffset, d.ownHeight = off, h
		if end := d.atEnd(off, h); end != d.autoscroll {
			d.autoCheck.SetChecked(end) // calls setFollow
		}
		return
	}
	if h != d.ownHeight {
		if !d.held() {
			d.list.ScrollToBottom()
		}
		d.noteOffset()
	}
}

// atEnd reports whether a list of height h scrolled to off shows its last
// row.
func (d *detailView) atEnd(off, h float32) bool {
	n := float32(d.log.Len())
	if n == 0 {
		return true
	}
	row := NewLogRow(nil).MinSize().Height
	sep := d.list.Theme().Size(theme.SizeNamePadding)
	content := n*(row+sep) - sep
	return off >= content-h-1
}
