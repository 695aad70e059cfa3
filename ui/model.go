package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ssemon/ssemon/client"
)

// statusText is how a status reads on a badge: "open", "connecting
// (attempt 2)", "retrying 3 — next in 4 s", "stalled", "failed 404".
func statusText(st client.Status, now time.Time) string {
	switch st.State {
	case client.Connecting:
		if st.Attempt > 1 {
			return "connecting (attempt " + strconv.Itoa(st.Attempt) + ")"
		}
		return "connecting"
	case client.Open:
		if st.Insecure {
			return "open · TLS unverified"
		}
		return "open"
	case client.Retrying:
		var b strings.Builder
		b.WriteString("retrying")
		if st.Attempt > 0 {
			b.WriteString(" " + strconv.Itoa(st.Attempt))
		}
		if st.HTTPStatus >= 400 {
			b.WriteString(" (" + strconv.Itoa(st.HTTPStatus) + ")")
		}
		if !st.NextAttempt.IsZero() {
			b.WriteString(" — next in " + formatDuration(st.NextAttempt.Sub(now)))
		}
		return b.String()
	case client.Failed:
		if st.HTTPStatus >= 400 {
			return "failed " + strconv.Itoa(st.HTTPStatus)
		}
		return "failed"
	}
	return st.State.String()
}

// statusReason is the one-line explanation of a status: the error if any,
// else the transition's detail.
func statusReason(st client.Status) string {
	if st.Err != nil {
		return oneLine(st.Err.Error(), 200)
	}
	return oneLine(st.Detail, 200)
}

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
	if v.snap.Progress.Message != "" {
		v.message = v.snap.Progress.Message
		return
	}
	if v.snap.Len > 0 && v.snap.LastSeq != v.lastSeq {
		// Look back a few records for the newest event (skipping
		// heartbeats and state lines).
		from := v.snap.LastSeq - min(v.snap.LastSeq-v.snap.FirstSeq, 7)
		v.recBuf = v.ch.Records(v.recBuf[:0], from)
		for i := len(v.recBuf) - 1; i >= 0; i-- {
			if r := &v.recBuf[i]; r.Kind == client.RecordComment && r.At.After(v.lastBeat) {
				v.lastBeat = r.At
			}
		}
		for i := len(v.recBuf) - 1; i >= 0; i-- {
			if v.recBuf[i].Kind == client.RecordEvent {
				v.message = summarize(v.recBuf[i].Data)
				break
			}
		}
		v.lastSeq = v.snap.LastSeq
		clear(v.recBuf) // do not pin the strings
	}
}

// tileData turns the view into what a Tile shows, as of now.
func (v *chanView) tileData(now time.Time) TileData {
	s := &v.snap
	d := TileData{
		Name:        s.Name,
		Group:       s.Config.Group,
		State:       s.Status.State,
		StateText:   statusText(s.Status, now),
		HasProgress: s.Progress.Known,
		Percent:     s.Progress.Percent,
		Message:     v.message,
		Rate:        s.Stats.PerSecond,
		History:     s.Stats.Sparkline,
		LastEvent:   liveness(s.Stats.LastEventAt, v.lastBeat, now),
		Reconnects:  s.Stats.Reconnects,
		Gaps:        s.Stats.Gaps,
		Duplicates:  s.Stats.Duplicates,
	}
	if s.Progress.HasETA {
		d.ETA = s.Progress.ETA
	}
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
// JSON event if it has one, else its summary (see summarize), else the text.
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
	return summarize(data)
}

// summaryFields caps the fields a summary lists.
const summaryFields = 6

// summaryNoise are top-level fields a summary leaves out: they identify an
// event rather than say what it reports, or the progress bar shows them.
var summaryNoise = [...]string{"channel", "timestamp", "ts", "time", "seq", "id", "type", "event",
	"progress", "percent", "pct", "percentage"}

// summarize turns an event's data into a readable one-line message: a JSON
// object becomes its top-level scalar fields ("cpu 43 · memory 61 · rps
// 1200"), leaving out identifiers and timestamps; anything else is the
// text itself.
func summarize(data string) string {
	trim := strings.TrimSpace(data)
	if len(trim) == 0 || trim[0] != '{' || !gjson.Valid(trim) {
		return data
	}
	if s := summarizeObject(trim, true); s != "" {
		return s
	}
	// Nothing but identifiers: show those rather than raw JSON.
	if s := summarizeObject(trim, false); s != "" {
		return s
	}
	return data
}

// summarizeObject lists the scalar fields of a valid JSON object, without
// the summaryNoise fields if skipNoise.
func summarizeObject(trim string, skipNoise bool) string {
	var b strings.Builder
	n := 0
	gjson.Parse(trim).ForEach(func(k, v gjson.Result) bool {
		key := k.String()
		for _, noise := range summaryNoise {
			if skipNoise && strings.EqualFold(key, noise) {
				return true
			}
		}
		var val string
		switch v.Type {
		case gjson.String:
			if val = v.String(); val == "" {
				return true
			}
		case gjson.Number:
			val = strconv.FormatFloat(v.Float(), 'f', -1, 64)
			if len(val) > 8 {
				val = strconv.FormatFloat(v.Float(), 'g', 4, 64)
			}
		case gjson.True, gjson.False:
			val = v.Raw
		default:
			return true // objects, arrays and nulls do not fit a line
		}
		if n > 0 {
			b.WriteString(" · ")
		}
		b.WriteString(key)
		b.WriteByte(' ')
		b.WriteString(val)
		n++
		return n < summaryFields
	})
	return b.String()
}
