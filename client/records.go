package client

import (
	"strconv"
	"time"

	"github.com/ssemon/ssemon/client/ring"
)

// RecordKind tells what a Record holds.
type RecordKind uint8

// The kinds of record in a channel's log.
const (
	// RecordEvent is a dispatched event (ID, Type, Data).
	RecordEvent RecordKind = iota + 1
	// RecordComment is a comment line such as a heartbeat (Data).
	RecordComment
	// RecordRetry is a retry: field (Data holds the delay, e.g. "1.5s").
	RecordRetry
	// RecordState is a connection state change (Type holds the state
	// name, Data the detail).
	RecordState
	// RecordOversized is a report of an event (or a comment line) over the
	// size cap, skipped: Oversized holds its size so far and the cap, ID
	// and Type what is known, Data its first bytes. A long one is reported
	// again as it goes on (Oversized.Again), the last report with
	// Oversized.More false.
	RecordOversized
)

// String returns "event", "comment", "retry", "state" or "oversized".
func (k RecordKind) String() string {
	switch k {
	case RecordEvent:
		return "event"
	case RecordComment:
		return "comment"
	case RecordRetry:
		return "retry"
	case RecordState:
		return "state"
	case RecordOversized:
		return "oversized"
	}
	return "RecordKind(" + strconv.Itoa(int(k)) + ")"
}

// Record is one entry of a channel's log.
type Record struct {
	// Seq numbers records of a channel from 1, without holes; it keeps
	// counting across evictions and Clear.
	Seq uint64
	// At is when the record was received.
	At time.Time
	// Kind tells what the record holds.
	Kind RecordKind
	// ID is the event's last event ID (events); for the state "open", the
	// Last-Event-ID the connection sent ("" for none).
	ID string
	// Type is the event type, or the state name for RecordState.
	Type string
	// Data is the event data, comment text, retry delay or state detail.
	Data string
	// Size is the number of stream bytes the record took (0 for states).
	Size int
	// Gap is how many events were missed right before this one: a jump in
	// numeric ids, or the count announced by a "lost" event.
	Gap int64
	// Duplicate marks an event whose numeric (or Redis-style ms-seq) id is
	// not above the previous one (a replay after reconnect, or an id going
	// backwards).
	Duplicate bool
	// InvalidID marks an event whose id field set an id that cannot serve
	// to resume (IDProblem says why).
	InvalidID bool
	// Finding is what the channel's Sequencer found about the event's id
	// (events only): gap, duplicate, backwards, restart, lost, reset.
	Finding Finding
	// Oversized describes a RecordOversized (nil otherwise).
	Oversized *Oversized
}

// recordOverhead approximates the bytes a stored record costs beyond its
// strings, for the byte cap.
const recordOverhead = 128

func (r *Record) cost() int64 {
	return int64(len(r.ID) + len(r.Type) + len(r.Data) + recordOverhead)
}

// recordLog is a channel's bounded log of records, capped by count and by
// bytes, numbering records with Seq. Its ring grows its storage on demand
// up to the count cap, so idle channels stay small.
type recordLog struct {
	r        ring.Ring[Record]
	bytes    int64
	maxBytes int64
	nextSeq  uint64
	evicted  uint64
}

func newRecordLog(capacity int, maxBytes int64) recordLog {
	return recordLog{r: ring.New[Record](capacity), maxBytes: maxBytes, nextSeq: 1}
}

// push stores r (its Seq is assigned) and evicts the oldest records while a
// cap is exceeded. It returns the assigned Seq.
func (g *recordLog) push(r Record) uint64 { return g.pushRef(&r) }

// pushRef is push without copying the record on the way in: the ingest
// path builds its record once and it is copied only into its slot.
func (g *recordLog) pushRef(r *Record) uint64 {
	seq := g.nextSeq
	g.nextSeq++
	c := r.cost()
	for g.r.Len() > 0 && (g.r.Full() || g.bytes+c > g.maxBytes) {
		if g.r.Full() && g.bytes-g.r.Oldest().cost()+c <= g.maxBytes {
			// The common case of a full ring: the newest record takes
			// the oldest one's slot, one write instead of two.
			g.bytes -= g.r.Oldest().cost()
			g.evicted++
			break
		}
		g.evictOldest()
	}
	g.r.PushRef(r)
	g.r.Newest().Seq = seq
	g.bytes += c
	return seq
}

func (g *recordLog) evictOldest() {
	g.bytes -= g.r.Oldest().cost()
	g.r.Drop()
	g.evicted++
}

// len returns the number of records held.
func (g *recordLog) len() int { return g.r.Len() }

// at returns the i-th record, 0 being the oldest.
func (g *recordLog) at(i int) (Record, bool) {
	if i < 0 || i >= g.r.Len() {
		return Record{}, false
	}
	return *g.r.At(i), true
}

// firstSeq returns the Seq of the oldest record (nextSeq when empty).
func (g *recordLog) firstSeq() uint64 { return g.nextSeq - uint64(g.r.Len()) }

// last returns the newest record.
func (g *recordLog) last() (Record, bool) { return g.at(g.r.Len() - 1) }

// appendFrom appends the records with Seq >= from, oldest first.
func (g *recordLog) appendFrom(dst []Record, from uint64) []Record {
	first := g.firstSeq()
	i := 0
	if from > first {
		if from >= g.nextSeq {
			return dst
		}
		i = int(from - first)
	}
	return g.r.AppendTo(dst, i)
}

// clear drops every record; Seq keeps counting.
func (g *recordLog) clear() {
	g.r.Clear()
	g.bytes = 0
}
