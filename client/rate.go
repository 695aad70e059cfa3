package client

// RateWindow is the number of one-second buckets in a channel's rate
// history (the sparkline), i.e. one minute.
const RateWindow = 60

// rateCounter counts events per wall-clock second over the last minute.
// Adding is O(1) amortised; buckets older than the window are recycled.
type rateCounter struct {
	buckets [RateWindow + 1]uint32 // +1: the current, incomplete second
	cur     int64                  // second of the newest bucket in use
	used    bool
}

func (r *rateCounter) slot(sec int64) *uint32 {
	n := int64(len(r.buckets))
	return &r.buckets[((sec%n)+n)%n]
}

// add counts one event at unix second sec.
func (r *rateCounter) add(sec int64) {
	switch {
	case !r.used:
		r.used, r.cur = true, sec
		*r.slot(sec) = 0
	case sec > r.cur:
		gap := sec - r.cur
		if gap > int64(len(r.buckets)) {
			gap = int64(len(r.buckets))
		}
		for s := sec - gap + 1; s <= sec; s++ {
			*r.slot(s) = 0
		}
		r.cur = sec
	case sec <= r.cur-int64(len(r.buckets)):
		return // older than the window (clock stepped back)
	}
	*r.slot(sec)++
}

// count returns the events counted in second sec.
func (r *rateCounter) count(sec int64) uint32 {
	if !r.used || sec > r.cur || sec <= r.cur-int64(len(r.buckets)) {
		return 0
	}
	return *r.slot(sec)
}

// history writes the counts of the RateWindow complete seconds before now
// into dst (oldest first) and returns their sum.
func (r *rateCounter) history(now int64, dst []float64) uint64 {
	var sum uint64
	for i := range RateWindow {
		c := r.count(now - RateWindow + int64(i))
		sum += uint64(c)
		if dst != nil {
			dst[i] = float64(c)
		}
	}
	return sum
}
