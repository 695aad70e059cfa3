// Package series keeps numeric values read from a channel's events over
// time, downsampled so that memory does not grow with the event rate or the
// time watched.
//
// A Series holds one value (say "cpu") in three rings of Buckets min/max
// buckets, one per Window: 1 minute in 0.5 s buckets, 10 minutes in 5 s
// buckets, 1 hour in 30 s buckets. Adding a value updates one bucket of each
// ring in O(1) without allocating; a Series is a fixed-size value of
// SeriesBytes bytes whatever the rate, so an hour at 1 000 events/s costs
// the same as an hour at one event a minute.
//
// A Set reads the values of several JSON paths (gjson syntax, as the
// channel's progress field) from each event's data, and suggests the
// numeric fields it has seen, for a chart picker.
package series

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Window is a span of time a chart shows.
type Window uint8

// The windows a Series keeps.
const (
	// Minute is the last minute, in 0.5 s buckets.
	Minute Window = iota
	// TenMinutes is the last 10 minutes, in 5 s buckets.
	TenMinutes
	// Hour is the last hour, in 30 s buckets.
	Hour
	numWindows
)

// Windows lists every Window, shortest first.
var Windows = [...]Window{Minute, TenMinutes, Hour}

// Buckets is how many buckets each window keeps.
const Buckets = 120

// SeriesBytes is the memory one Series takes, whatever the rate and time
// fed into it.
const SeriesBytes = int(unsafe.Sizeof(Series{}))

var windowSpans = [numWindows]time.Duration{Minute: time.Minute, TenMinutes: 10 * time.Minute, Hour: time.Hour}

// Span returns the time the window covers.
func (w Window) Span() time.Duration {
	if w < numWindows {
		return windowSpans[w]
	}
	return windowSpans[Minute]
}

// Bucket returns the time one bucket of the window covers.
func (w Window) Bucket() time.Duration { return w.Span() / Buckets }

// String returns "1 min", "10 min" or "1 h".
func (w Window) String() string {
	switch w {
	case TenMinutes:
		return "10 min"
	case Hour:
		return "1 h"
	}
	return "1 min"
}

// ParseWindow reads a window written as by String or as a Go duration
// ("1m", "10m", "1h").
func ParseWindow(s string) (Window, bool) {
	s = strings.TrimSpace(s)
	for _, w := range Windows {
		if s == w.String() {
			return w, true
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		for _, w := range Windows {
			if d == w.Span() {
				return w, true
			}
		}
	}
	return Minute, false
}

// Point is one bucket of a window: the values added during [At, At+width).
type Point struct {
	// At is the start of the bucket.
	At time.Time
	// Min, Max, Mean and Last summarise the values added in the bucket.
	Min, Max, Mean, Last float64
	// N counts the values added.
	N int
}

// bucket is one slot of a ring; idx is the bucket number since the epoch
// (unix nanoseconds / width), 0 for an empty slot.
type bucket struct {
	idx           int64
	min, max, sum float64
	last          float64
	n             uint32
	_             uint32
}

type ring struct {
	width int64 // nanoseconds
	b     [Buckets]bucket
}

func (r *ring) add(ns int64, v float64) {
	idx := ns/r.width + 1 // +1: 0 marks an empty slot
	b := &r.b[idx%Buckets]
	if b.idx != idx {
		if b.idx > idx {
			return // older than the window: the slot holds newer values
		}
		*b = bucket{idx: idx, min: v, max: v}
	}
	b.min = min(b.min, v)
	b.max = max(b.max, v)
	b.sum += v
	b.last = v
	b.n++
}

// points appends the buckets within the window ending at now, oldest first.
func (r *ring) points(now int64, dst []Point) []Point {
	end := now/r.width + 1
	start := end - Buckets + 1
	for idx := start; idx <= end; idx++ {
		b := &r.b[((idx%Buckets)+Buckets)%Buckets]
		if b.idx != idx || b.n == 0 {
			continue
		}
		dst = append(dst, Point{
			At:   time.Unix(0, (idx-1)*r.width),
			Min:  b.min,
			Max:  b.max,
			Mean: b.sum / float64(b.n),
			Last: b.last,
			N:    int(b.n),
		})
	}
	return dst
}

// Series is the downsampled history of one value. The zero value is not
// ready: use NewSeries. It is not safe for concurrent use (a Set is).
type Series struct {
	rings  [numWindows]ring
	last   float64
	lastAt int64
	n      uint64
}

// NewSeries returns an empty series.
func NewSeries() *Series {
	s := &Series{}
	for w := range s.rings {
		s.rings[w].width = int64(Window(w).Bucket())
	}
	return s
}

// Add records v at time at. NaN and infinities are ignored. Values older
// than a window's oldest bucket are left out of that window.
func (s *Series) Add(at time.Time, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	ns := at.UnixNano()
	for w := range s.rings {
		s.rings[w].add(ns, v)
	}
	if ns >= s.lastAt || s.n == 0 {
		s.last, s.lastAt = v, ns
	}
	s.n++
}

// Points appends to dst the non-empty buckets of window w that end at or
// before now (the last bucket is the one holding now), oldest first.
func (s *Series) Points(w Window, now time.Time, dst []Point) []Point {
	if w >= numWindows {
		w = Minute
	}
	return s.rings[w].points(now.UnixNano(), dst)
}

// Last returns the newest value and when it was added; ok is false before
// the first value.
func (s *Series) Last() (v float64, at time.Time, ok bool) {
	if s.n == 0 {
		return 0, time.Time{}, false
	}
	return s.last, time.Unix(0, s.lastAt), true
}

// Count returns how many values were added.
func (s *Series) Count() uint64 { return s.n }

// Number reads a gjson result as a number: a JSON number, a string holding
// one (with an optional trailing "%"), or true/false as 1/0.
func Number(r gjson.Result) (float64, bool) {
	var v float64
	switch r.Type {
	case gjson.Number:
		v = r.Num
	case gjson.String:
		s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r.Str), "%"))
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		v = f
	case gjson.True:
		v = 1
	case gjson.False:
		v = 0
	default:
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}
