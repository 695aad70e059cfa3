package ui

import (
	"slices"
	"time"

	"github.com/ssemon/ssemon/client"
)

// Unusual gaps in a channel's event log: a pause between two events that
// is long for the channel's own rhythm is drawn in the warning colour
// (its "+12.0 s" delta), so that a stall, a buffering proxy or a slow
// producer stands out in a log that otherwise ticks evenly.
const (
	// rhythmWindow is how many earlier gaps between events set the rhythm.
	rhythmWindow = 32
	// rhythmMin is how many earlier gaps are needed before any is unusual.
	rhythmMin = 8
	// rhythmScan bounds how far back the log is read to find them.
	rhythmScan = 4 * rhythmWindow
	// unusualFactor: a gap this many times the median gap is unusual...
	unusualFactor = 4
	// unusualMin: ...and so is none shorter than this.
	unusualMin = time.Second
)

// SetPause marks the time before the row's record as unusually long.
func (r *LogRow) SetPause(pause bool) {
	if r.pause == pause {
		return
	}
	r.pause = pause
	r.Refresh()
}

// unusualGap reports whether the time before event i of a log (read with
// at) is unusually long for the log's rhythm: at least unusualMin and more
// than unusualFactor times the median of the gaps between the up to
// rhythmWindow events before it.
func unusualGap(at func(int) client.Record, i int) bool {
	if i <= 0 || at(i).Kind != client.RecordEvent {
		return false
	}
	cur := at(i).At
	var prev time.Time // the event before i
	gaps := make([]time.Duration, 0, rhythmWindow)
	last := time.Time{}
	for j := i - 1; j >= 0 && j >= i-rhythmScan && len(gaps) < rhythmWindow; j-- {
		r := at(j)
		if r.Kind != client.RecordEvent {
			continue
		}
		if prev.IsZero() {
			prev = r.At
		}
		if !last.IsZero() {
			gaps = append(gaps, last.Sub(r.At))
		}
		last = r.At
	}
	if prev.IsZero() || len(gaps) < rhythmMin {
		return false
	}
	slices.Sort(gaps)
	d := cur.Sub(prev)
	return d >= unusualMin && d > unusualFactor*gaps[len(gaps)/2]
}
