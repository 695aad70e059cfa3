package ui

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ssemon/ssemon/client"
)

// formatAge renders how long ago t was, relative to now: "just now" under a
// second, "4 s ago" under a minute, then whole minutes, hours and days
// ("2 min ago", "3 h 20 min ago"), so that an old age does not change
// (and redraw) every second. A zero t gives "never".
func formatAge(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		// Ages count whole elapsed seconds (a countdown rounds up instead).
		return client.FormatDuration(d.Truncate(time.Second)) + " ago"
	default:
		return client.FormatDuration(d.Truncate(time.Minute)) + " ago"
	}
}

// formatRate renders an events-per-second rate: "0/s", "4.5/s", "87/s",
// "1.2k/s", "15k/s".
func formatRate(r float64) string {
	switch {
	case r <= 0:
		return "0/s"
	case r < 10:
		return strconv.FormatFloat(r, 'f', 1, 64) + "/s"
	case r < 1000:
		return strconv.FormatFloat(r, 'f', 0, 64) + "/s"
	case r < 10000:
		return strconv.FormatFloat(r/1000, 'f', 1, 64) + "k/s"
	default:
		return strconv.FormatFloat(r/1000, 'f', 0, 64) + "k/s"
	}
}

// formatCount renders a counter compactly: "999", "1.2k", "34k", "5.6M".
func formatCount(n uint64) string {
	switch {
	case n < 1000:
		return strconv.FormatUint(n, 10)
	case n < 10_000:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + "k"
	case n < 1_000_000:
		return strconv.FormatUint(n/1000, 10) + "k"
	case n < 10_000_000:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + "M"
	default:
		return strconv.FormatUint(n/1_000_000, 10) + "M"
	}
}

// formatBytes renders a byte count: "512 B", "4.2 KiB", "17 MiB".
func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	f, suffix := float64(n), ""
	for _, s := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= unit
		suffix = s
		if f < unit {
			break
		}
	}
	if f < 10 {
		return strconv.FormatFloat(f, 'f', 1, 64) + " " + suffix
	}
	return strconv.FormatFloat(f, 'f', 0, 64) + " " + suffix
}

// formatDelta renders the gap between two consecutive events: "+0 ms",
// "+12 ms", "+1.5 s", "+2 min". A negative or unknown gap gives "".
func formatDelta(d time.Duration) string {
	switch {
	case d < 0:
		return ""
	case d < time.Second:
		return "+" + strconv.FormatInt(int64(d/time.Millisecond), 10) + " ms"
	case d < 10*time.Second:
		return "+" + strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	case d < time.Minute:
		return "+" + strconv.FormatInt(int64(d/time.Second), 10) + " s"
	case d < time.Hour:
		// Whole units keep the log's delta column narrow; the time
		// column has the rest.
		return "+" + strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	default:
		return "+" + strconv.FormatInt(int64(d/time.Hour), 10) + " h"
	}
}

// oneLine flattens s to a single line of at most max runes for list rows and
// tiles: line breaks and tabs become spaces, runs of spaces collapse, and a
// cut is marked with "…". max ≤ 0 means no limit.
func oneLine(s string, max int) string {
	var b strings.Builder
	limit := len(s)
	if max > 0 && limit > 4*max {
		limit = 4 * max // enough bytes for max runes of any width
	}
	b.Grow(min(limit, 256))
	n, space, cut := 0, false, false
	for i, r := range s {
		if i >= limit {
			cut = true
			break
		}
		if r == '\n' || r == '\r' || r == '\t' || r == ' ' {
			space = n > 0
			continue
		}
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			r = '\uFFFD'
		}
		if max > 0 && n+btoi(space) >= max {
			cut = true
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	if cut {
		return b.String() + "…"
	}
	return b.String()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
