package client

// streamID is a Redis-style stream id, "<ms>-<seq>" (two decimal numbers),
// as sent by servers that relay Redis Streams. Such ids are ordered (by
// ms, then seq) but not contiguous: a jump tells nothing about missed
// events, only a server's lost notice does.
type streamID struct{ ms, seq uint64 }

func (a streamID) less(b streamID) bool { return a.ms < b.ms || a.ms == b.ms && a.seq < b.seq }

// parseStreamID parses "<ms>-<seq>" of up to 19 digits each, without
// allocating.
func parseStreamID(id string) (streamID, bool) {
	var out streamID
	part, digits := &out.ms, 0
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 19 {
				return streamID{}, false
			}
			*part = *part*10 + uint64(c-'0')
			digits++
		case c == '-' && part == &out.ms && digits > 0:
			part, digits = &out.seq, 0
		default:
			return streamID{}, false
		}
	}
	return out, part == &out.seq && digits > 0
}
