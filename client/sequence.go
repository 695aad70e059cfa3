package client

import (
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/ssemon/ssemon/client/wire"
)

// FindingKind is what a Sequencer found about an event's id.
type FindingKind uint8

// The findings. Numeric ids ("42") are contiguous: a jump is a gap of
// known size. Redis-style ids ("1700000000000-3") are ordered but not
// contiguous: only a server's lost notice tells a gap. Other ids are
// opaque: only notices are found.
const (
	// FindingNone: nothing to report.
	FindingNone FindingKind = iota
	// FindingGap: numeric ids jumped; Missed events are gone.
	FindingGap
	// FindingDuplicate: an id already seen came again after a reconnect
	// (the server replayed what the client had).
	FindingDuplicate
	// FindingBackwards: the id went back on the same connection.
	FindingBackwards
	// FindingRestart: after a reconnect the ids start over (at 0 or 1):
	// the server ignored Last-Event-ID or lost its history.
	FindingRestart
	// FindingLost: the server's lost notice says Missed events are gone.
	FindingLost
	// FindingReset: the server's lost notice says the client's id cannot
	// be resumed (it restarted, or the id is not one of its ids).
	FindingReset
)

// findingNames is a constant table indexed by FindingKind.
var findingNames = [...]string{
	FindingNone:      "",
	FindingGap:       "gap",
	FindingDuplicate: "duplicate",
	FindingBackwards: "backwards",
	FindingRestart:   "restart",
	FindingLost:      "lost",
	FindingReset:     "reset",
}

// String returns the finding's name: "gap", "duplicate", "backwards",
// "restart", "lost", "reset" ("" for none), as JSON "kind" values.
func (k FindingKind) String() string {
	if int(k) < len(findingNames) {
		return findingNames[k]
	}
	return "finding(" + strconv.Itoa(int(k)) + ")"
}

// Finding is what a Sequencer found about one event.
type Finding struct {
	// Kind says what was found.
	Kind FindingKind
	// Missed is how many events are gone (gap, lost); 0 when unknown.
	Missed int64
	// Prev is the id before this event: the last id seen, or for a lost
	// notice the id the client resumed from.
	Prev string
	// ID is the event's id (for a lost notice, the oldest id the server
	// still has, when it says).
	ID string
}

// String words the finding for people, in one line: "gap: 5 events
// missing (4 → 10)", "duplicate: id 3 again after reconnecting",
// "backwards: id 3 after 9", "restart: ids start over at 1 after 9",
// "lost: the server lost 12 events (after 30)", "reset: the server
// cannot resume from abc". None gives "".
func (f Finding) String() string {
	switch f.Kind {
	case FindingGap:
		return "gap: " + events(f.Missed) + " missing (" + f.Prev + " → " + f.ID + ")"
	case FindingDuplicate:
		return "duplicate: id " + f.ID + " again after reconnecting"
	case FindingBackwards:
		return "backwards: id " + f.ID + " after " + f.Prev
	case FindingRestart:
		return "restart: ids start over at " + f.ID + " after " + f.Prev
	case FindingLost:
		s := "lost: the server lost " + events(f.Missed)
		if f.Prev != "" {
			s += " (after " + f.Prev + ")"
		}
		return s
	case FindingReset:
		if f.Prev == "" {
			return "reset: the server cannot resume the stream"
		}
		return "reset: the server cannot resume from " + f.Prev
	}
	return ""
}

// events is "1 event", "5 events", or "events" when n is unknown (0).
func events(n int64) string {
	switch n {
	case 0:
		return "events"
	case 1:
		return "1 event"
	}
	return strconv.FormatInt(n, 10) + " events"
}

// Sequencer follows a stream's event ids and finds gaps, duplicates, ids
// going backwards, restarts and the servers' lost notices. Call Reconnected
// when a connection opens, then Next for every event in order. Its zero
// value is ready; it is not safe for concurrent use. It does not allocate.
type Sequencer struct {
	lastNum  int64
	haveNum  bool
	lastSID  streamID
	haveSID  bool
	lastID   string
	newConn  bool
	notFirst bool
}

// Reconnected tells that a new connection opened: the ids that follow may
// replay or restart.
func (s *Sequencer) Reconnected() { s.newConn = s.notFirst }

// Reset forgets every id seen (the stream starts afresh).
func (s *Sequencer) Reset() { *s = Sequencer{} }

// Next returns the finding about the event with id, type typ and data (a
// lost notice's data says what was lost).
func (s *Sequencer) Next(id, typ, data string) Finding {
	var f Finding
	lost := typ == wire.LostType
	if n, ok := parseNumericID(id); ok {
		switch {
		case !s.haveNum || lost:
			// A server's lost notice repositions the ids: its own data
			// says what was missed, and it is never a duplicate.
		case n == s.lastNum && !s.newConn:
			// An event without an id field inherits the last one.
		case n < s.lastNum && s.newConn && n <= 1:
			f = Finding{Kind: FindingRestart, Prev: s.lastID, ID: id}
		case n <= s.lastNum && s.newConn:
			f = Finding{Kind: FindingDuplicate, Prev: s.lastID, ID: id}
		case n <= s.lastNum:
			f = Finding{Kind: FindingBackwards, Prev: s.lastID, ID: id}
		case n > s.lastNum+1:
			f = Finding{Kind: FindingGap, Missed: n - s.lastNum - 1, Prev: s.lastID, ID: id}
		}
		s.lastNum, s.haveNum = n, true
	} else if sid, ok := parseStreamID(id); ok {
		switch {
		case !s.haveSID || lost:
		case sid == s.lastSID && !s.newConn:
		case !s.lastSID.less(sid) && s.newConn:
			f = Finding{Kind: FindingDuplicate, Prev: s.lastID, ID: id}
		case !s.lastSID.less(sid):
			f = Finding{Kind: FindingBackwards, Prev: s.lastID, ID: id}
		}
		s.lastSID, s.haveSID = sid, true
	}
	if lost {
		if m := gjson.Get(data, "missed").Int(); m > 0 {
			f = Finding{Kind: FindingLost, Missed: m, Prev: gjson.Get(data, "from").String(), ID: gjson.Get(data, "oldest").String()}
		} else if gjson.Get(data, "reset").Bool() {
			f = Finding{Kind: FindingReset, Prev: gjson.Get(data, "from").String(), ID: gjson.Get(data, "last").String()}
		}
	}
	if id != "" {
		s.lastID = id
	}
	s.newConn, s.notFirst = false, true
	return f
}
