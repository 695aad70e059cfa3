package client

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// FramingCounts counts what a stream's wire format did that clients
// tolerate but a server should not send. The decoder reads past each of
// them as the standard says; they are counted so that the stream's
// anomalies can be told.
type FramingCounts struct {
	// LoneCR counts lines ended by a CR alone (old Mac line ends, or a
	// stream that mixes them).
	LoneCR uint64
	// Unknown counts fields other than data, event, id and retry (a line
	// that starts with a byte order mark in the middle of the stream is
	// one), ignored by clients.
	Unknown uint64
	// NoColon counts lines without a colon: a field with an empty value,
	// which is rarely what the server meant.
	NoColon uint64
	// NULInID counts id fields that contain NUL, ignored by clients.
	NULInID uint64
	// BadRetry counts retry fields that are not all ASCII digits, ignored
	// by clients.
	BadRetry uint64
}

// Total returns the number of anomalies counted.
func (f FramingCounts) Total() uint64 {
	return f.LoneCR + f.Unknown + f.NoColon + f.NULInID + f.BadRetry
}

// String says the counts in words, e.g. "3 lines end in a lone CR · 1
// unknown field"; "" when there are none.
func (f FramingCounts) String() string {
	var parts []string
	add := func(n uint64, one, many string) {
		if n == 0 {
			return
		}
		w := many
		if n == 1 {
			w = one
		}
		parts = append(parts, strconv.FormatUint(n, 10)+" "+w)
	}
	add(f.LoneCR, "line ends in a lone CR", "lines end in a lone CR")
	add(f.Unknown, "unknown field", "unknown fields")
	add(f.NoColon, "line without a colon", "lines without a colon")
	add(f.NULInID, "id with NUL", "ids with NUL")
	add(f.BadRetry, "invalid retry", "invalid retries")
	return strings.Join(parts, " · ")
}

// framingCounters are a decoder's FramingCounts, written by the goroutine
// that decodes and read by any.
type framingCounters struct {
	loneCR, unknown, noColon, nulInID, badRetry atomic.Uint64
}

func (c *framingCounters) load() FramingCounts {
	return FramingCounts{
		LoneCR:   c.loneCR.Load(),
		Unknown:  c.unknown.Load(),
		NoColon:  c.noColon.Load(),
		NULInID:  c.nulInID.Load(),
		BadRetry: c.badRetry.Load(),
	}
}

// Framing returns the framing anomalies read since the Decoder was made
// (Reset keeps them: they belong to the stream, not to one connection).
// It may be called from any goroutine.
func (d *Decoder) Framing() FramingCounts { return d.framing.load() }

// Framing returns the framing anomalies of the stream's event-stream
// responses so far. It may be called from any goroutine.
func (s *Stream) Framing() FramingCounts { return s.dec.Framing() }
