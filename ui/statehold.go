package ui

import (
	"time"

	"github.com/ssemon/ssemon/client"
)

// minStateShown is the least time a tile shows each state its channel
// passed through: a stall that turns into a retry within the same
// millisecond still shows "stalled" for a second.
const minStateShown = time.Second

// maxStateQueue bounds the states waiting for their moment: a channel
// that flaps faster than people read shows the newest few, not a backlog.
const maxStateQueue = 3

// stateHold gives every state of a channel a visible moment on its tile.
// It reads the channel's transition history, so states that began and
// ended between two refreshes are shown too, each for minStateShown,
// before the current one with its live wording.
type stateHold struct {
	started bool
	shown   client.State
	since   time.Time // when shown started to show
	seen    time.Time // the newest transition taken from the history
	queue   []client.State
}

// apply returns the state and badge text to show now, given the history
// (oldest first) and the current state with its live text.
func (h *stateHold) apply(hist []client.Transition, cur client.State, curText string, now time.Time) (client.State, string) {
	if !h.started {
		// A tile that appears shows the present, not the past.
		h.started, h.shown, h.since = true, cur, now
		if n := len(hist); n > 0 {
			h.seen = hist[n-1].At
		}
		return cur, curText
	}
	for _, tr := range hist {
		if !tr.At.After(h.seen) {
			continue
		}
		h.seen = tr.At
		if n := len(h.queue); (n > 0 && h.queue[n-1] == tr.State) || (n == 0 && tr.State == h.shown) {
			continue
		}
		if len(h.queue) == maxStateQueue {
			h.queue = append(h.queue[:0], h.queue[1:]...)
		}
		h.queue = append(h.queue, tr.State)
	}
	for len(h.queue) > 0 && now.Sub(h.since) >= minStateShown {
		h.shown, h.since = h.queue[0], now
		h.queue = append(h.queue[:0], h.queue[1:]...)
	}
	if len(h.queue) == 0 && h.shown != cur && now.Sub(h.since) >= minStateShown {
		h.shown, h.since = cur, now // the history missed it (a full ring)
	}
	if h.shown == cur && len(h.queue) == 0 {
		return cur, curText
	}
	return h.shown, h.shown.String()
}
