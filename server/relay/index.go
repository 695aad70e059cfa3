package relay

import (
	"sort"
	"sync"
)

// idIndex remembers, in order, the ids of the entries a channel's reader
// read (beyond its cache, which keeps their events), so that a lost notice
// can count the entries a trimmed range held: Redis keeps no count of what
// it removed between two ids. Bounded: the oldest ids are forgotten first.
// Safe for concurrent use.
type idIndex struct {
	max int

	mu       sync.Mutex
	ring     []ID
	start, n int
	base     ID // every id read after base is kept
}

func newIDIndex(max int) *idIndex { return &idIndex{max: max} }

func (x *idIndex) at(i int) ID { return x.ring[(x.start+i)%len(x.ring)] }

// reset forgets every id: the reader starts reading after base.
func (x *idIndex) reset(base ID) {
	x.mu.Lock()
	x.ring, x.start, x.n, x.base = nil, 0, 0, base
	x.mu.Unlock()
}

// add appends ids read after the last one, in increasing order.
func (x *idIndex) add(ids []ID) {
	if x.max <= 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		if x.n == x.max {
			x.base = x.at(0)
			x.start = (x.start + 1) % len(x.ring)
			x.n--
		}
		if x.n == len(x.ring) {
			grown := make([]ID, min(max(2*len(x.ring), 64), x.max))
			for i := range x.n {
				grown[i] = x.at(i)
			}
			x.ring, x.start = grown, 0
		}
		x.ring[(x.start+x.n)%len(x.ring)] = id
		x.n++
	}
}

// count returns how many ids the reader read after from and up to through.
// covered reports that the index holds every id read after from (from is
// not older than what it forgot, nor than where the reader started): the
// count is then of every entry the reader saw in the range; otherwise it
// is a lower bound.
func (x *idIndex) count(from, through ID) (n uint64, covered bool) {
	if x.max <= 0 {
		return 0, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	lo := sort.Search(x.n, func(i int) bool { return from.Less(x.at(i)) })
	hi := sort.Search(x.n, func(i int) bool { return through.Less(x.at(i)) })
	if hi > lo {
		n = uint64(hi - lo)
	}
	return n, !from.Less(x.base)
}
