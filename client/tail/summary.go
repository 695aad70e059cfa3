package tail

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/record"
)

// streamTally is what the output learned of one stream: the counts of the
// exit summary and what is needed to say what happened when fewer events
// arrived than expected.
type streamTally struct {
	name     string
	events   int64 // events received
	shown    int64 // events shown (after the filters)
	comments int64
	bytes    int64 // stream bytes of every frame
	attempts int64 // connection attempts
	state    client.State
	stateSet bool
	stateAt  time.Time                      // when the last state began
	lastData time.Time                      // arrival of the last frame
	text     string                         // StateText of the last state
	reason   string                         // the last reason a connection failed
	status   int                            // HTTP status of the last response
	x        *client.Exchange               // the last attempt's record
	findings [client.FindingReset + 1]int64 // events with each finding
	missed   int64                          // events missing (gaps, lost notices)
	over     int64                          // oversized events skipped
}

// tally follows every stream of a session, in the writer's goroutine.
type tally struct {
	order []*streamTally
	by    map[string]*streamTally
}

func newTally(names []string) *tally {
	t := &tally{by: make(map[string]*streamTally, len(names))}
	for _, n := range names {
		t.stream(n)
	}
	return t
}

func (t *tally) stream(name string) *streamTally {
	s := t.by[name]
	if s == nil {
		s = &streamTally{name: name}
		t.by[name] = s
		t.order = append(t.order, s)
	}
	return s
}

// add counts an entry; shown tells that the output kept it.
func (t *tally) add(e *record.Entry, shown bool) {
	if e.Channel == "" {
		return
	}
	s := t.stream(e.Channel)
	switch e.Kind {
	case record.KindEvent:
		s.events++
		if shown {
			s.shown++
		}
		if k := e.Finding.Kind; k != client.FindingNone && int(k) < len(s.findings) {
			s.findings[k]++
			s.missed += e.Finding.Missed
		}
	case record.KindComment:
		s.comments++
	case record.KindOversized:
		if !e.Oversized.Again {
			s.over++
		}
		if k := e.Finding.Kind; k != client.FindingNone && int(k) < len(s.findings) {
			s.findings[k]++
			s.missed += e.Finding.Missed
		}
	case record.KindState:
		if e.State == client.Connecting {
			s.attempts++
		}
		s.state, s.stateSet, s.stateAt, s.text = e.State, true, e.Time, stateText(e)
		if e.Status != 0 {
			s.status = e.Status
		}
		switch r := errorReason(e); {
		case e.State == client.Open:
			s.reason = "" // a connection opened: earlier failures are over
		case r != "" && e.State != client.Connecting:
			s.reason = r
		}
		return
	default:
		return
	}
	s.bytes += int64(e.Bytes)
	s.lastData = e.Time
}

// exchange notes the record of a stream's latest attempt.
func (t *tally) exchange(name string, x *client.Exchange) {
	t.stream(name).x = x
}

// totals sums the streams.
func (t *tally) totals() (events, shown, bytes, reconnects int64) {
	for _, s := range t.order {
		events += s.events
		shown += s.shown
		bytes += s.bytes
		reconnects += max(s.attempts-1, 0)
	}
	return
}

// happened says in a few words what a stream did, as of end: why no (more)
// events came.
func (s *streamTally) happened(end time.Time) string {
	if !s.stateSet {
		return "did not start"
	}
	attempts := ""
	if s.attempts > 1 {
		attempts = " (" + strconv.FormatInt(s.attempts, 10) + " attempts)"
	}
	var what string
	switch s.state {
	case client.Connecting:
		wait := client.FormatDuration(end.Sub(s.stateAt))
		switch x := s.x; {
		case s.reason != "":
			what = s.reason + attempts
		case x != nil && x.Response == nil && (!x.Ended || x.End == client.EndStopped) && x.RemoteAddr != "":
			what = "connected to " + x.RemoteAddr + ", no response headers after " + wait
		case x != nil && x.Response == nil && (!x.Ended || x.End == client.EndStopped) && x.Timings.FirstByte == 0 && x.RemoteAddr == "" && x.Request.Header.Get("Host") == "":
			what = "not connected after " + wait
		default:
			what = "no response headers after " + wait
		}
	case client.Open:
		quiet := end.Sub(s.stateAt)
		if s.lastData.After(s.stateAt) {
			quiet = end.Sub(s.lastData)
		}
		what = "open (" + strings.TrimSuffix(strings.TrimPrefix(s.text, "open ("), ")") + ") but silent for " + client.FormatDuration(quiet)
		if s.shown == 0 && s.comments > 0 {
			what += " (" + plural(s.comments, "comment") + ", no event)"
		}
	case client.Retrying, client.Stalled:
		what = s.reason + attempts
	default:
		what = s.text
	}
	if s.shown > 0 {
		return plural(s.shown, "event") + ", then " + what
	}
	return what
}

// expectation returns the one line saying that fewer events than expected
// were shown, and what happened instead.
func (t *tally) expectation(expect, shown int64, elapsed time.Duration, end time.Time) string {
	head := strconv.FormatInt(shown, 10) + " of " + plural(expect, "event") + " in " + client.FormatDuration(elapsed)
	if len(t.order) == 1 {
		s := t.order[0]
		return sanitize(s.name) + ": " + head + ": " + s.happened(end)
	}
	parts := make([]string, 0, len(t.order))
	for _, s := range t.order {
		parts = append(parts, sanitize(s.name)+": "+s.happened(end))
	}
	return head + ": " + strings.Join(parts, "; ")
}

// summaryLine is the exit summary on stderr:
// "12 events · 3.4 KiB · 1 reconnect · 1m3s".
func (t *tally) summaryLine(elapsed time.Duration) string {
	events, shown, bytes, reconnects := t.totals()
	parts := []string{plural(events, "event")}
	if shown != events {
		parts[0] = strconv.FormatInt(shown, 10) + " of " + parts[0] + " shown"
	}
	parts = append(parts, client.FormatBytes(bytes), plural(reconnects, "reconnect"))
	var f [client.FindingReset + 1]int64
	var missed, over int64
	for _, s := range t.order {
		for k, n := range s.findings {
			f[k] += n
		}
		missed += s.missed
		over += s.over
	}
	gaps := plural(f[client.FindingGap], "gap")
	if missed > 0 {
		gaps += " (" + strconv.FormatInt(missed, 10) + " missed)"
	}
	parts = append(parts, gaps, plural(f[client.FindingDuplicate], "duplicate"))
	for _, k := range []client.FindingKind{client.FindingBackwards, client.FindingRestart, client.FindingLost, client.FindingReset} {
		if f[k] > 0 {
			parts = append(parts, strconv.FormatInt(f[k], 10)+" "+k.String())
		}
	}
	if over > 0 {
		parts = append(parts, strconv.FormatInt(over, 10)+" oversized skipped")
	}
	parts = append(parts, client.FormatDuration(elapsed))
	if len(t.order) > 1 {
		parts = append(parts, plural(int64(len(t.order)), "stream"))
	}
	return strings.Join(parts, " · ")
}

// summaryJSON is the final line of --json.
type summaryJSON struct {
	Kind       string           `json:"kind"`
	Time       time.Time        `json:"time"`
	Reason     string           `json:"reason"`
	Exit       int              `json:"exit"`
	DurationMS float64          `json:"duration_ms"`
	Events     int64            `json:"events"`
	Shown      int64            `json:"shown"`
	Bytes      int64            `json:"bytes"`
	Reconnects int64            `json:"reconnects"`
	Findings   map[string]int64 `json:"findings"`
	Missed     int64            `json:"missed"`
	Oversized  int64            `json:"oversized"`
	Expected   int64            `json:"expected,omitempty"`
	Channels   []channelSummary `json:"channels"`
}

type channelSummary struct {
	Channel    string           `json:"channel"`
	Events     int64            `json:"events"`
	Shown      int64            `json:"shown"`
	Comments   int64            `json:"comments"`
	Bytes      int64            `json:"bytes"`
	Attempts   int64            `json:"attempts"`
	Reconnects int64            `json:"reconnects"`
	Findings   map[string]int64 `json:"findings,omitempty"`
	Missed     int64            `json:"missed,omitempty"`
	Oversized  int64            `json:"oversized,omitempty"`
	State      string           `json:"state,omitempty"`
	Status     int              `json:"status,omitempty"`
	Error      string           `json:"error,omitempty"`
}

// appendSummaryJSON appends the summary object of --json, with its line end.
func (t *tally) appendSummaryJSON(dst []byte, at time.Time, reason string, exit int, elapsed time.Duration, expect int64, mask bool) []byte {
	events, shown, bytes, reconnects := t.totals()
	s := summaryJSON{Kind: "summary", Time: at.UTC(), Reason: reason, Exit: exit,
		DurationMS: float64(elapsed.Microseconds()) / 1000, Events: events, Shown: shown, Bytes: bytes,
		Reconnects: reconnects, Findings: map[string]int64{"gap": 0, "duplicate": 0}, Expected: expect,
		Channels: make([]channelSummary, 0, len(t.order))}
	for _, c := range t.order {
		cs := channelSummary{Channel: c.name, Events: c.events, Shown: c.shown, Comments: c.comments, Bytes: c.bytes,
			Attempts: c.attempts, Reconnects: max(c.attempts-1, 0), Status: c.status, Error: maskIf(c.reason, mask)}
		if c.stateSet {
			cs.State = c.state.String()
		}
		for k, n := range c.findings {
			if n > 0 {
				if cs.Findings == nil {
					cs.Findings = make(map[string]int64)
				}
				cs.Findings[client.FindingKind(k).String()] = n
				s.Findings[client.FindingKind(k).String()] += n
			}
		}
		cs.Missed = c.missed
		s.Missed += c.missed
		cs.Oversized = c.over
		s.Oversized += c.over
		s.Channels = append(s.Channels, cs)
	}
	b, err := json.Marshal(s)
	if err != nil { // cannot happen: plain values
		return dst
	}
	return append(append(dst, b...), '\n')
}

// plural writes "1 event", "2 events".
func plural(n int64, word string) string {
	s := strconv.FormatInt(n, 10) + " " + word
	if n != 1 {
		s += "s"
	}
	return s
}
