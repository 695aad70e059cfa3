package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ssemon/ssemon/server/internal/hub"
)

// Field names of the entry convention (see the package documentation).
const (
	// FieldEvent is the entry field that gives the SSE event type.
	FieldEvent = "event"
	// FieldData is the entry field that gives the SSE data, when it is the
	// only field besides FieldEvent.
	FieldData = "data"
)

// MaxTypeBytes caps an event type, in Publish and in what is relayed.
const MaxTypeBytes = 256

// Event is one stream entry as the relay sends it: the entry id, the SSE
// event type ("" for the default type) and the data.
type Event struct {
	// ID is the entry id, sent as the SSE id.
	ID ID
	// Type is the value of the entry's FieldEvent ("" when absent).
	Type string
	// Data is what the SSE data lines carry.
	Data string
}

// EntryEvent maps a stream entry's fields to an event, following the
// convention: the "event" field gives the type; if the only other field is
// "data", its value is the data as it is; otherwise the data is a JSON
// object of every field but "event" (keys sorted), where a value that is
// valid JSON (number, true, false, null, object, array, quoted string) is
// embedded as JSON and any other value becomes a JSON string. An entry
// with no field but "event" has data "{}". Values that are not strings
// (never the case for Redis replies) are formatted with fmt.
func EntryEvent(id ID, fields map[string]any) Event {
	ev := Event{ID: id}
	others := 0
	var data string
	hasData := false
	for k, v := range fields {
		switch k {
		case FieldEvent:
			ev.Type = toString(v)
		case FieldData:
			data, hasData = toString(v), true
			others++
		default:
			others++
		}
	}
	if hasData && others == 1 {
		ev.Data = data
		return ev
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if k != FieldEvent {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, k)
		b.WriteByte(':')
		writeJSONValue(&b, toString(fields[k]))
	}
	b.WriteByte('}')
	ev.Data = b.String()
	return ev
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// writeJSONValue writes v as embedded JSON if it is a valid JSON value,
// else as a JSON string.
func writeJSONValue(b *bytes.Buffer, v string) {
	if v != "" && json.Valid([]byte(v)) {
		n := b.Len()
		if json.Compact(b, []byte(v)) == nil {
			return
		}
		b.Truncate(n)
	}
	writeJSONString(b, v)
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always marshals
	b.Write(enc)
}

// appendFrame appends ev as an SSE frame: id, event (when set) and one
// data line per line of data (CRLF, CR and LF all end a line), then the
// blank line. The type must be a single line (see cleanType).
func appendFrame(b []byte, ev *Event) []byte {
	return hub.AppendEvent(b, &hub.Event{ID: ev.ID.String(), Type: ev.Type, Data: ev.Data})
}

// cleanType makes an event type from an entry safe to send: line breaks
// and NUL become spaces and it is cut to MaxTypeBytes (on a character
// boundary). It reports whether it had to change anything.
func cleanType(t string) (string, bool) {
	changed := false
	if strings.ContainsAny(t, "\r\n\x00") {
		t = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == 0 {
				return ' '
			}
			return r
		}, t)
		changed = true
	}
	if len(t) > MaxTypeBytes {
		n := MaxTypeBytes
		for n > 0 && !utf8.RuneStart(t[n]) {
			n--
		}
		t = t[:n]
		changed = true
	}
	return t, changed
}

// ErrInvalidEvent is wrapped by the errors of Publish about its arguments.
var ErrInvalidEvent = errors.New("relay: invalid event")

// CheckEvent validates an event before it is published: the channel name, the event type (one line, at most MaxTypeBytes) and the data (1 to maxData bytes). Errors wrap ErrInvalidEvent.
func CheckEvent(channel, eventType string, data []byte, maxData int) error {
	switch {
	case !ValidName(channel):
		return fmt.Errorf("%w: channel %q (1–128 of A-Z a-z 0-9 . _ - :)", ErrInvalidEvent, channel)
	case len(data) == 0:
		return fmt.Errorf("%w: empty data", ErrInvalidEvent)
	case len(data) > maxData:
		return fmt.Errorf("%w: %d bytes of data, more than %d", ErrInvalidEvent, len(data), maxData)
	case strings.ContainsAny(eventType, "\r\n\x00") || len(eventType) > MaxTypeBytes:
		return fmt.Errorf("%w: event type %q (one line, at most %d bytes)", ErrInvalidEvent, eventType, MaxTypeBytes)
	}
	return nil
}

// globMatch reports whether s matches pattern in Redis glob syntax (as
// KEYS and SCAN MATCH): * any run, ? one byte, [abc] [^abc] [a-z] a set,
// \x the byte x.
func globMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 1 && pattern[1] == '*' {
				pattern = pattern[1:]
			}
			if len(pattern) == 1 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if globMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			s = s[1:]
			pattern = pattern[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			p := pattern[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			match := false
			for len(p) > 0 && p[0] != ']' {
				switch {
				case p[0] == '\\' && len(p) >= 2:
					match = match || p[1] == s[0]
					p = p[2:]
				case len(p) >= 3 && p[1] == '-' && p[2] != ']':
					lo, hi := p[0], p[2]
					if lo > hi {
						lo, hi = hi, lo
					}
					match = match || (s[0] >= lo && s[0] <= hi)
					p = p[3:]
				default:
					match = match || p[0] == s[0]
					p = p[1:]
				}
			}
			if len(p) > 0 {
				p = p[1:] // the closing ]
			}
			if match == not {
				return false
			}
			s = s[1:]
			pattern = p
		case '\\':
			if len(pattern) >= 2 {
				pattern = pattern[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || s[0] != pattern[0] {
				return false
			}
			s = s[1:]
			pattern = pattern[1:]
		}
	}
	return len(s) == 0
}
