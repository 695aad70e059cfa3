package relay

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// ID is a Redis stream entry id, "<milliseconds>-<sequence>". It is the
// SSE event id of every event the relay sends, so a client's Last-Event-ID
// means the same thing on every relay instance and across restarts.
type ID struct {
	// Ms is the milliseconds part.
	Ms uint64
	// Seq is the sequence number within the millisecond.
	Seq uint64
}

// errBadID is wrapped by ParseID's errors.
var errBadID = errors.New("not a Redis stream id (want <ms>-<seq>, decimal)")

// ParseID parses "<ms>-<seq>". Both parts are required: a bare number is
// an id of the in-memory demo server, not of a Redis stream.
func ParseID(s string) (ID, error) {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok || ms == "" || seq == "" || ms[0] == '+' || seq[0] == '+' {
		return ID{}, errBadID
	}
	a, err := strconv.ParseUint(ms, 10, 64)
	if err != nil {
		return ID{}, errBadID
	}
	b, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		return ID{}, errBadID
	}
	return ID{a, b}, nil
}

// String returns the id as Redis writes it.
func (id ID) String() string { return string(id.Append(nil)) }

// Append appends the id as Redis writes it to b.
func (id ID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, id.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, id.Seq, 10)
}

// Compare returns -1, 0 or +1 as id is before, equal to or after o.
func (id ID) Compare(o ID) int {
	switch {
	case id.Ms < o.Ms:
		return -1
	case id.Ms > o.Ms:
		return 1
	case id.Seq < o.Seq:
		return -1
	case id.Seq > o.Seq:
		return 1
	}
	return 0
}

// Less reports whether id comes before o.
func (id ID) Less(o ID) bool { return id.Compare(o) < 0 }

// IsZero reports whether id is 0-0, the position before any entry.
func (id ID) IsZero() bool { return id == ID{} }

// Prev returns the id right before id (0-0 stays 0-0).
func (id ID) Prev() ID {
	switch {
	case id.Seq > 0:
		return ID{id.Ms, id.Seq - 1}
	case id.Ms > 0:
		return ID{id.Ms - 1, math.MaxUint64}
	}
	return id
}
