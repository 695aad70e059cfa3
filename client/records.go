package client

import (
	"strconv"
	"time"
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
)

// String returns "event", "comment", "retry" or "state".
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
	// ID is the event's last event ID (events only).
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
	// not above the previous one (a replay after reconnect, or a server
	// restart).
	Duplicate bool
}

// recordOverhead approximates the bytes a stored record costs beyond its
// strings, for the byte cap.
const recordOverhead = 128

func (r *Record) cost() int64 {
	return int64(len(r.ID) + len(r.Type) + len(r.Data) + recordOverhead)
}

// ring is a bounded log of records, by count and by bytes. It grows its
// storage on demand up to the count cap, so idle channels stay small.
type ring struct {
	buf      []Record
	start, n int
	capacity int
	bytes    int64
	maxBytes int64
	nextSeq  uint64
	evicted  uint64
}

func newRing(capacity int, maxBytes int64) ring {
	return ring{capacity: capacity, maxBytes: maxBytes, nextSeq: 1}
}

// push stores r (its Seq is assigned) and evicts the oldest records while a
// cap is exceeded. It returns the assigned Seq.
func (g *ring) push(r Record) uint64 { return g.pushRef(&r) }

// pushRef is push without copying the record on the way in: the ingest
// path builds its record once and it is copied only into its slot.
func (g *ring) pushRef(r *Record) uint64 {
	seq := g.nextSeq
	g.nextSeq++
	c := r.cost()
	for g.n > 0 && (g.n >= g.capacity || g.bytes+c > g.maxBytes) {
		if g.n >= g.capacity && g.bytes-g.buf[g.start].cost()+c <= g.maxBytes {
			// The common case of a full ring: the newest record takes
			// the oldest one's slot, one write instead of two.
			old := &g.buf[g.start]
			g.bytes += c - old.cost()
			*old = *r
			old.Seq = seq
			g.start = g.wrap(g.start + 1)
			g.evicted++
			return seq
		}
		g.evictOldest()
	}
	if g.n == len(g.buf) {
		g.grow()
	}
	slot := &g.buf[g.wrap(g.start+g.n)]
	*slot = *r
	slot.Seq = seq
	g.n++
	g.bytes += c
	return seq
}

// wrap maps i, in [0, 2*len(buf)), to an index of buf: a compare instead
// of a division on the ingest path.
func (g *ring) wrap(i int) int {
	if i >= len(g.buf) {
		i -= len(g.buf)
	}
	return i
}

func (g *ring) evictOldest() {
	old := &g.buf[g.start]
	g.bytes -= old.cost()
	*old = Record{} // release the strings
	g.start = g.wrap(g.start + 1)
	g.n--
	g.evicted++
}

// grow doubles the storage (at least 64, at most capacity), in order.
func (g *ring) grow() {
	size := min(max(2*len(g.buf), 64), g.capacity)
	nb := make([]Record, size)
	k := copy(nb, g.buf[g.start:min(g.start+g.n, len(g.buf))])
	copy(nb[k:g.n], g.buf)
	g.buf, g.start = nb, 0
}

// at returns the i-th record, 0 being the oldest.
func (g *ring) at(i int) (Record, bool) {
	if i < 0 || i >= g.n {
		return Record{}, false
	}
	return g.buf[(g.start+i)%len(g.buf)], true
}

// firstSeq returns the Seq of the oldest record (nextSeq when empty).
func (g *ring) firstSeq() uint64 { return g.nextSeq - uint64(g.n) }

// last returns the newest record.
func (g *ring) last() (Record, bool) { return g.at(g.n - 1) }

// appendFrom appends the records with Seq >= from, oldest first.
func (g *ring) appendFrom(dst []Record, from uint64) []Record {
	first := g.firstSeq()
	i := 0
	if from > first {
		if from >= g.nextSeq {
			return dst
		}
		i = int(from - first)
	}
	for ; i < g.n; i++ {
		dst = append(dst, g.buf[(g.start+i)%len(g.buf)])
	}
	return dst
}

// clear drops every record; Seq keeps counting.
func (g *ring) clear() {
	g.buf, g.start, g.n, g.bytes = nil, 0, 0, 0
}
