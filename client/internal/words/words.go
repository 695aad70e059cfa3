// Package words renders durations for people. It is the one rendering of a
// duration that every part of the engine uses (client.FormatDuration, the
// transcript's timings), kept in a leaf so that packages the engine
// imports can use it too.
package words

import (
	"strconv"
	"time"
)

// Duration renders d for people: "250 ms", "3 s", "18.6 s",
// "2 min 5 s", "11 min", "3 h 20 min", "2 d 4 h". Below a second it counts
// milliseconds (at least 1 ms), below a minute tenths of a second (a
// whole number drops the ".0"), then whole seconds, minutes, hours and
// days, two units at most. Zero and negative durations give "0 s".
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 s"
	case d < time.Second-time.Millisecond/2:
		return strconv.FormatInt(max(int64(d.Round(time.Millisecond)/time.Millisecond), 1), 10) + " ms"
	case d < time.Minute-50*time.Millisecond:
		tenths := int64(d.Round(100*time.Millisecond) / (100 * time.Millisecond))
		if tenths%10 == 0 {
			return strconv.FormatInt(tenths/10, 10) + " s"
		}
		return strconv.FormatInt(tenths/10, 10) + "." + strconv.FormatInt(tenths%10, 10) + " s"
	}
	s := int64(d.Round(time.Second) / time.Second)
	unit := func(n int64, u string) string { return strconv.FormatInt(n, 10) + " " + u }
	switch {
	case s < 3600:
		m, r := s/60, s%60
		if r == 0 || m >= 10 {
			return unit(m, "min")
		}
		return unit(m, "min") + " " + unit(r, "s")
	case s < 86400:
		h, m := s/3600, (s%3600)/60
		if m == 0 {
			return unit(h, "h")
		}
		return unit(h, "h") + " " + unit(m, "min")
	}
	days, h := s/86400, (s%86400)/3600
	if h == 0 {
		return unit(days, "d")
	}
	return unit(days, "d") + " " + unit(h, "h")
}
