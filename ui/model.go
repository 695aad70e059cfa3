package ui

import (
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ssemon/ssemon/client"
)

// lastEventText is a tile's "last event 2 s ago".
func lastEventText(at, now time.Time) string {
	if at.IsZero() {
		return "no events yet"
	}
	return "last event " + formatAge(at, now)
}

// recentBeat is the heartbeat age below which a tile just says the stream
// is beating ("heartbeat < 30 s ago"): servers send one every 15–30 s, and
// a text that does not change with every second costs no redraw.
const recentBeat = 30 * time.Second

// liveness is a tile's "last event 2 s ago", with the last heartbeat
// (comment) when it is newer: a quiet stream that only sends heartbeats is
// alive, and says so ("no events yet · heartbeat < 30 s ago"); one whose
// heartbeats stopped says for how long ("heartbeat 3 min ago").
func liveness(event, beat, now time.Time) string {
	s := lastEventText(event, now)
	if !beat.IsZero() && beat.Sub(event) >= time.Second {
		if now.Sub(beat) < recentBeat {
			s += " · heartbeat < 30 s ago"
		} else {
			s += " · heartbeat " + formatAge(beat, now)
		}
	}
	return s
}

// chanView is the UI goroutine's copy of one channel's state.
type chanView struct {
	ch   *client.Channel
	snap client.Snapshot
	// hold gives every state a visible moment on the tile.
	hold stateHold
	// message is the latest message shown on the tile: the progress
	// message if the events carry one, else the newest event's data.
	message string
	// stale marks that the channel changed since snap was taken.
	stale bool
	// taken tells that snap holds a snapshot at all.
	taken bool
	// lastSeq is the newest record message was taken from.
	lastSeq uint64
	// lastBeat is when the newest comment (heartbeat) seen arrived.
	lastBeat time.Time
	// alert is the notification state.
	alert chanAlert
	// recBuf is reused to read the newest record.
	recBuf []client.Record
	// watch is the channel's charts and alert rules (see watch.go).
	watch *chanWatch
	// answer is the tile's line for a model stream, worked out from the
	// transcripts at version answerVer (tileanswer.go).
	answer    string
	answerVer uint64
}

// refresh takes a new snapshot when the channel changed (or force) and
// updates the message. It runs on the UI goroutine and does not allocate
// in the steady state.
func (v *chanView) refresh(force bool) {
	if !force && !v.stale && v.taken {
		return
	}
	v.ch.SnapshotInto(&v.snap)
	v.stale, v.taken = false, true
	if v.answerMessage() { // a model stream: its answer (tileanswer.go)
		return
	}
	if v.snap.Progress.Message != "" {
		v.message = v.snap.Progress.Message
		return
	}
	if v.snap.Progress.Summary != "" {
		v.message = v.snap.Progress.Summary
	}
	if v.snap.Len > 0 && v.snap.LastSeq != v.lastSeq {
		// Look back a few records for the newest heartbeat.
		from := v.snap.LastSeq - min(v.snap.LastSeq-v.snap.FirstSeq, 7)
		v.recBuf = v.ch.Records(v.recBuf[:0], from)
		for i := len(v.recBuf) - 1; i >= 0; i-- {
			if r := &v.recBuf[i]; r.Kind == client.RecordComment && r.At.After(v.lastBeat) {
				v.lastBeat = r.At
			}
		}
		v.lastSeq = v.snap.LastSeq
		clear(v.recBuf) // do not pin the strings
	}
}

// clock is the time the view is shown as of: now, or for a recording
// (an offline channel) the time of its newest record, so that its ages,
// sparkline and chart are those of the recording, not of the wall clock.
func (v *chanView) clock(now time.Time) time.Time {
	if v.snap.Offline && !v.snap.At.IsZero() {
		return v.snap.At
	}
	return now
}

// tileData turns the view into what a Tile shows, as of now (a
// recording's tile as of its own time, see clock).
func (v *chanView) tileData(now time.Time) TileData {
	s := &v.snap
	now = v.clock(now)
	d := TileData{
		Name:        s.Name,
		Group:       s.Config.Group,
		State:       s.Status.State,
		StateText:   client.StatusLabel(s.Status, now),
		HasProgress: s.Progress.Known,
		Percent:     s.Progress.Percent,
		Message:     v.message,
		Rate:        s.Stats.PerSecond,
		History:     s.Stats.Sparkline,
		LastEvent:   liveness(s.Stats.LastEventAt, v.lastBeat, now),
		Reconnects:  s.Stats.Reconnects,
		Gaps:        s.Stats.Gaps,
		Duplicates:  s.Stats.Duplicates,
		Oversized:   s.Stats.Oversized,
	}
	if s.Progress.HasETA && s.Status.State != client.Paused { // a paused stream has no ETA
		d.ETA = s.Progress.ETA
	}
	if why := client.FailureText(s.Status); why != "" {
		d.Message = why // a retrying or failed tile says why in one line
	}
	d.State, d.StateText = v.hold.apply(s.History, d.State, d.StateText, now)
	if d.Name == "" {
		d.Name = v.ch.Name()
	}
	if v.watch != nil {
		v.watch.tileChart(&d, now)
	}
	return d
}

// messageFields are the JSON fields that carry a human message, in order of
// preference (as the engine's default message paths).
var messageFields = [...]string{"message", "msg", "status", "stage"}

// previewOf is a log row's preview of an event's data: the message of a
// JSON event if it has one, else its summary (see client.Summarize), else
// the text.
func previewOf(data string) string {
	trim := strings.TrimSpace(data)
	if len(trim) == 0 || trim[0] != '{' {
		return data
	}
	for _, f := range messageFields {
		if v := gjson.Get(trim, f); v.Type == gjson.String && v.Str != "" {
			return v.Str
		}
	}
	return client.Summarize(data)
}
