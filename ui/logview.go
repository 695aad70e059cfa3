package ui

import (
	"sort"
	"strings"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/ring"
)

// MaxLogTypes caps the event types offered by the detail view's type filter.
const MaxLogTypes = 100

// maxLogMarks caps the anomalies and opened connections a log view keeps
// for the timeline (the newest are kept).
const maxLogMarks = 256

// logView is the detail view's window on a channel's log: the records that
// match the type filter and the search text, in a ring of fixed capacity,
// copied from the engine's ring on each tick (the strings are shared, not
// copied). It lives on the UI goroutine.
type logView struct {
	recs ring.Ring[client.Record]
	// next is the Seq to fetch from.
	next uint64
	// typ and query are the filters; query is lower-case. anomalies
	// keeps only anomalous events (isAnomaly).
	typ, query string
	anomalies  bool
	// marks are the newest anomalies and opened connections of the
	// channel's log, filtered or not, oldest first.
	marks ring.Ring[client.Record]
	// types lists the event types seen, sorted, at most MaxLogTypes.
	types []string
	fetch []client.Record
}

func newLogView(capacity int) *logView {
	return &logView{recs: ring.New[client.Record](capacity), marks: ring.New[client.Record](maxLogMarks), next: 1}
}

// Len returns the number of records shown.
func (l *logView) Len() int { return l.recs.Len() }

// At returns the i-th record shown, 0 being the oldest.
func (l *logView) At(i int) client.Record {
	return *l.recs.At(i)
}

// index returns the position of the record with seq, or -1.
func (l *logView) index(seq uint64) int {
	n := l.recs.Len()
	i := sort.Search(n, func(i int) bool { return l.recs.At(i).Seq >= seq })
	if i < n && l.recs.At(i).Seq == seq {
		return i
	}
	return -1
}

// matches reports whether r passes the filters.
func (l *logView) matches(r *client.Record) bool {
	if l.typ != "" && (r.Kind != client.RecordEvent || r.Type != l.typ) {
		return false
	}
	if l.anomalies && !isAnomaly(r) {
		return false
	}
	if l.query == "" {
		return true
	}
	return containsFold(r.Data, l.query) || containsFold(r.ID, l.query) || containsFold(r.Type, l.query)
}

// containsFold reports whether s contains the lower-case needle, ignoring
// case, without allocating for ASCII text.
func containsFold(s, lowerNeedle string) bool {
	if len(lowerNeedle) == 0 {
		return true
	}
	for i := 0; i+len(lowerNeedle) <= len(s); i++ {
		match := true
		for j := 0; j < len(lowerNeedle); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lowerNeedle[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	// Non-ASCII: fall back to a full case fold.
	for _, r := range s {
		if r >= 0x80 {
			return strings.Contains(strings.ToLower(s), lowerNeedle)
		}
	}
	return false
}

func (l *logView) push(r client.Record) {
	if r.Kind == client.RecordEvent {
		l.noteType(r.Type)
	}
	if isAnomaly(&r) || isOpen(&r) {
		l.marks.PushRef(&r)
	}
	if !l.matches(&r) {
		return
	}
	l.recs.PushRef(&r)
}

func (l *logView) noteType(t string) {
	i, found := sort.SearchStrings(l.types, t), false
	if i < len(l.types) && l.types[i] == t {
		found = true
	}
	if found || len(l.types) >= MaxLogTypes {
		return
	}
	l.types = append(l.types, "")
	copy(l.types[i+1:], l.types[i:])
	l.types[i] = t
}

// pull copies the records the channel logged since the last pull. It
// returns how many were read (matching or not).
func (l *logView) pull(ch *client.Channel) int {
	l.fetch = ch.Records(l.fetch[:0], l.next)
	for _, r := range l.fetch {
		l.push(r)
		l.next = r.Seq + 1
	}
	n := len(l.fetch)
	clear(l.fetch)
	return n
}

// reset empties the view and re-reads the whole engine ring with the
// current filters.
func (l *logView) reset(ch *client.Channel) {
	l.recs.Clear()
	l.marks.Clear()
	l.next = 1
	l.pull(ch)
}

// setFilter changes the filters and re-reads the log.
func (l *logView) setFilter(ch *client.Channel, typ, query string, anomalies bool) {
	l.typ, l.query, l.anomalies = typ, strings.ToLower(query), anomalies
	l.reset(ch)
}

// isOpen reports whether rec is a connection that opened.
func isOpen(rec *client.Record) bool {
	return rec.Kind == client.RecordState && rec.Type == client.Open.String()
}

// nextAnomaly returns the position of the first anomalous record shown
// after position from (before it when back), or -1. from may be -1 or
// Len() to start at either end.
func (l *logView) nextAnomaly(from int, back bool) int {
	step := 1
	if back {
		step = -1
	}
	for i := from + step; i >= 0 && i < l.recs.Len(); i += step {
		if isAnomaly(l.recs.At(i)) {
			return i
		}
	}
	return -1
}
