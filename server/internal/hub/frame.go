package hub

import (
	"encoding/json"
	"strconv"

	"github.com/ssemon/ssemon/client/wire"
)

// Event is one SSE event to encode.
type Event struct {
	// ID is sent as "id:"; "" sends no id line (the client keeps its
	// last one) unless EmptyID.
	ID string
	// EmptyID sends an empty "id:" line, which resets the client's last
	// event id.
	EmptyID bool
	// Type is sent as "event:"; "" sends none (the default "message").
	Type string
	// Data is sent as one "data:" line per line (CR, LF and CRLF all
	// break lines); empty data is one empty "data:" line.
	Data string
	// Retry, when positive or zero with HasRetry, is sent as "retry:" in
	// milliseconds.
	Retry int64
	// HasRetry sends Retry.
	HasRetry bool
	// Extra is written as it is after the data lines, as a comment
	// whose next lines are raw (malformed frames for fault injection).
	Extra string
}

// AppendEvent appends e as one frame in the seed's field order: id:,
// event:, data: (then retry: and extra lines), ended by a blank line.
func AppendEvent(b []byte, e *Event) []byte {
	if e.ID != "" || e.EmptyID {
		b = append(b, "id: "...)
		b = append(b, e.ID...)
		b = append(b, '\n')
	}
	if e.Type != "" {
		b = append(b, "event: "...)
		b = append(b, e.Type...)
		b = append(b, '\n')
	}
	b = append(b, "data: "...)
	d := e.Data
	for {
		i := indexBreak(d)
		if i < 0 {
			b = append(b, d...)
			break
		}
		b = append(b, d[:i]...)
		b = append(b, "\ndata: "...)
		if d[i] == '\r' && i+1 < len(d) && d[i+1] == '\n' {
			i++
		}
		d = d[i+1:]
	}
	b = append(b, '\n')
	if e.HasRetry {
		b = AppendRetry(b, e.Retry)
	}
	if e.Extra != "" {
		b = append(b, ": "...)
		b = append(b, e.Extra...)
		b = append(b, '\n')
	}
	return append(b, '\n')
}

func indexBreak(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			return i
		}
	}
	return -1
}

// AppendRetry appends a "retry:" line of ms milliseconds.
func AppendRetry(b []byte, ms int64) []byte {
	b = append(b, "retry: "...)
	b = strconv.AppendInt(b, ms, 10)
	return append(b, '\n')
}

// AppendCommentLine appends one comment line, ": text".
func AppendCommentLine(b []byte, text string) []byte {
	b = append(b, ": "...)
	b = append(b, text...)
	return append(b, '\n')
}

// AppendComment appends a comment as a frame of its own (": text" and a
// blank line), as heartbeats and end-of-stream words are sent.
func AppendComment(b []byte, text string) []byte {
	return append(AppendCommentLine(b, text), '\n')
}

// AppendLost appends the notice of type wire.LostType with id and data l.
func AppendLost(b []byte, id string, l *wire.Lost) []byte {
	data, _ := json.Marshal(l) // a struct of strings and numbers
	return AppendEvent(b, &Event{ID: id, Type: wire.LostType, Data: string(data)})
}

// AppendReset appends the notice for a Last-Event-ID that cannot be
// resumed (reason wire.ReasonInvalid or wire.ReasonAhead): the client
// continues from last.
func AppendReset(b []byte, from, last, reason string) []byte {
	return AppendLost(b, last, &wire.Lost{Reset: true, From: from, Last: last, Reason: reason})
}
