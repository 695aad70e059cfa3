package series

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
)

// Limits of a Set.
const (
	// MaxFields caps the paths a Set reads.
	MaxFields = 16
	// MaxSuggestions caps the fields a Set suggests.
	MaxSuggestions = 24
	// MaxPathLen caps a path, in bytes.
	MaxPathLen = 200
	// suggestEvery: after the first suggestAll events, one event in
	// suggestEvery is scanned for suggestions, so a busy channel does not
	// pay for walking every payload.
	suggestAll   = 64
	suggestEvery = 64
	// suggestDepth is how deep nested objects are walked for suggestions.
	suggestDepth = 2
)

// suggestSkip are fields never suggested: they identify or date an event
// rather than measure something.
var suggestSkip = [...]string{"id", "seq", "ts", "time", "timestamp", "epoch", "channel", "type", "event", "version"}

// Set reads the values of some JSON paths from events and keeps a Series
// of each. It is safe for concurrent use: one goroutine may Observe while
// another reads.
type Set struct {
	mu      sync.Mutex
	paths   []string
	series  []*Series
	seen    uint64
	suggest []string
	skipped uint64
}

// NewSet returns a set reading paths (gjson syntax, duplicates and empty
// paths dropped, at most MaxFields kept).
func NewSet(paths []string) *Set {
	s := &Set{}
	s.SetPaths(paths)
	return s
}

// SetPaths changes the paths read, keeping the series of those that stay.
func (s *Set) SetPaths(paths []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ps []string
	var ss []*Series
	for _, p := range paths {
		p = strings.TrimSpace(p)
		if p == "" || len(p) > MaxPathLen || slices.Contains(ps, p) || len(ps) == MaxFields {
			continue
		}
		ps = append(ps, p)
		if i := slices.Index(s.paths, p); i >= 0 {
			ss = append(ss, s.series[i])
		} else {
			ss = append(ss, NewSeries())
		}
	}
	s.paths, s.series = ps, ss
}

// Paths returns the paths read.
func (s *Set) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.paths)
}

// Observe reads every path from an event's data received at at and adds
// the numbers found to their series. Non-JSON data is only counted.
func (s *Set) Observe(at time.Time, data string) {
	if !isObject(data) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen++
	if s.seen <= suggestAll || s.seen%suggestEvery == 0 {
		s.collect(data)
	}
	if len(s.paths) == 0 {
		return
	}
	for i, p := range s.paths {
		if v, ok := Number(gjson.Get(data, p)); ok {
			s.series[i].Add(at, v)
		} else {
			s.skipped++
		}
	}
}

func isObject(data string) bool {
	d := strings.TrimLeft(data, " \t\r\n")
	return d != "" && d[0] == '{'
}

// Scan adds the numeric fields of an event's data to the suggestions
// without reading any value (for a channel whose fields are being chosen).
func (s *Set) Scan(data string) {
	if !isObject(data) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.collect(data)
}

// collect adds the numeric fields of data to the suggestions.
func (s *Set) collect(data string) {
	if len(s.suggest) >= MaxSuggestions {
		return
	}
	walkNumbers(gjson.Parse(data), "", 0, func(path string) bool {
		if !slices.Contains(s.suggest, path) {
			s.suggest = append(s.suggest, path)
		}
		return len(s.suggest) < MaxSuggestions
	})
}

// walkNumbers calls f with the path of every numeric field of obj, down to
// suggestDepth levels of nested objects; f returns false to stop.
func walkNumbers(obj gjson.Result, prefix string, depth int, f func(string) bool) bool {
	more := true
	obj.ForEach(func(k, v gjson.Result) bool {
		key := k.String()
		if key == "" || strings.ContainsAny(key, ".*?|#@\\") {
			return true // not a plain path segment
		}
		for _, skip := range suggestSkip {
			if strings.EqualFold(key, skip) {
				return true
			}
		}
		path := prefix + key
		switch {
		case v.Type == gjson.Number:
			more = f(path)
		case v.IsObject() && depth+1 < suggestDepth:
			more = walkNumbers(v, path+".", depth+1, f)
		}
		return more
	})
	return more
}

// Suggestions returns the numeric fields seen in the events (paths such as
// "cpu" or "mem.used"), in the order first seen, without those already
// read.
func (s *Set) Suggestions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.suggest))
	for _, p := range s.suggest {
		if !slices.Contains(s.paths, p) {
			out = append(out, p)
		}
	}
	return out
}

// Points appends the points of path's series over window w ending at now;
// nil when the set does not read path.
func (s *Set) Points(path string, w Window, now time.Time, dst []Point) []Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.Index(s.paths, path)
	if i < 0 {
		return dst
	}
	return s.series[i].Points(w, now, dst)
}

// Last returns the newest value of path and when it arrived.
func (s *Set) Last(path string) (float64, time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.Index(s.paths, path)
	if i < 0 {
		return 0, time.Time{}, false
	}
	return s.series[i].Last()
}

// Skipped counts path reads that found no number (the field was missing or
// not numeric).
func (s *Set) Skipped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skipped
}
