package doctor

import (
	"bytes"
	"strconv"
	"time"
)

// Caps of what the doctor keeps of one connection. Past them it counts
// without keeping, so a fast or hostile stream costs bounded memory.
const (
	// MaxKeptEvents caps the events kept per connection.
	MaxKeptEvents = 10000
	// MaxKeptComments caps the comment arrival times kept per connection.
	MaxKeptComments = 10000
	// MaxKeptReads caps the body reads (arrival times) kept per connection.
	MaxKeptReads = 20000
	// MaxKeptData caps the data kept of each event (enough to find a
	// timestamp in its payload).
	MaxKeptData = 4 << 10
	// MaxKeptLine caps the bytes kept of one line; a longer line is
	// measured and counted, its tail skipped.
	MaxKeptLine = 64 << 10
	// MaxSamples caps the examples kept of each framing anomaly.
	MaxSamples = 3
)

// DefaultLongLine is the default Config.LongLine.
const DefaultLongLine = 32 << 10

var bom = []byte{0xEF, 0xBB, 0xBF}

// event is one dispatched event as the doctor saw it.
type event struct {
	// At is when the blank line that dispatched it arrived.
	At time.Time
	// ID is the event's last event ID (as the spec keeps it: an event
	// without an id field inherits the previous one).
	ID string
	// HasID tells whether the event carried an id field itself.
	HasID bool
	// Type is the event type ("" for message).
	Type string
	// Data is the start of the data (at most MaxKeptData bytes).
	Data string
	// Size is the full data length.
	Size int
}

// framing counts the anomalies of an event stream's wire format.
type framing struct {
	LF, CRLF, CR   int // line ends of each kind
	BOMStart       bool
	BOMLater       int
	NoColon        int // non-empty lines without a colon
	Unknown        int // fields other than data, event, id, retry
	LongLines      int // lines longer than the long-line threshold
	MaxLine        int // the longest line, in bytes
	NULInID        int // id fields containing NUL (ignored by clients)
	BadRetry       int // retry fields that are not all digits
	NoColonSamples []string
	UnknownSamples []string
	Unfinished     bool // the stream ended in the middle of an event
}

// scanner reads an event stream byte by byte as it arrives, keeping the
// events, the comments, the retry values and the framing anomalies. It
// is a diagnostic twin of the engine's decoder: it keeps what the decoder
// forgets (line ends, arrival times, malformed lines).
type scanner struct {
	longLine int

	started  bool // a byte was seen (BOM detection)
	bomCheck []byte
	line     []byte
	lineLen  int
	pendCR   bool

	// the event being built
	data    []byte
	dataLen int
	hasData bool
	typ     string
	hasID   bool
	lastID  string

	events        []event
	eventCount    int
	comments      []time.Time
	commentCount  int
	retries       []int64 // valid retry values, in ms
	idInvalidVals []string
	frame         framing
}

func newScanner(longLine int) *scanner {
	return &scanner{longLine: longLine}
}

// feed scans b, which arrived at at.
func (s *scanner) feed(b []byte, at time.Time) {
	if !s.started {
		s.bomCheck = append(s.bomCheck, b...)
		if len(s.bomCheck) < len(bom) && bytes.HasPrefix(bom, s.bomCheck) {
			return // wait for more bytes to tell
		}
		s.started = true
		b = s.bomCheck
		s.bomCheck = nil
		if bytes.HasPrefix(b, bom) {
			s.frame.BOMStart = true
			b = b[len(bom):]
		}
	}
	for len(b) > 0 {
		if s.pendCR {
			s.pendCR = false
			if b[0] == '\n' {
				s.frame.CRLF++
				b = b[1:]
				s.endLine(at)
				continue
			}
			s.frame.CR++
			s.endLine(at)
		}
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			s.addToLine(b)
			return
		}
		s.addToLine(b[:i])
		if b[i] == '\n' {
			s.frame.LF++
			s.endLine(at)
		} else {
			s.pendCR = true
		}
		b = b[i+1:]
	}
}

// finish ends the stream: a pending CR ends its line; an unfinished event
// is discarded, as clients do. byServer tells whether the server ended
// it: an event cut by the end of the doctor's own watch is no fault of the
// stream's. A line cut there that already passed the long-line bound
// counts as long.
func (s *scanner) finish(at time.Time, byServer bool) {
	if !s.started && len(s.bomCheck) > 0 {
		s.started = true
		b := s.bomCheck
		s.bomCheck = nil
		s.feed(b, at)
	}
	if s.pendCR {
		s.pendCR = false
		s.frame.CR++
		s.endLine(at)
	}
	if s.lineLen > s.longLine {
		s.frame.LongLines++
		s.frame.MaxLine = max(s.frame.MaxLine, s.lineLen)
	}
	if byServer && (s.lineLen > 0 || s.hasData) {
		s.frame.Unfinished = true
	}
}

func (s *scanner) addToLine(b []byte) {
	s.lineLen += len(b)
	if room := MaxKeptLine - len(s.line); room > 0 {
		s.line = append(s.line, b[:min(room, len(b))]...)
	}
}

func (s *scanner) endLine(at time.Time) {
	line, n := s.line, s.lineLen
	s.line, s.lineLen = s.line[:0], 0
	if n > s.frame.MaxLine {
		s.frame.MaxLine = n
	}
	if n > s.longLine {
		s.frame.LongLines++
	}
	if n == 0 {
		s.dispatch(at)
		return
	}
	if bytes.HasPrefix(line, bom) {
		s.frame.BOMLater++
	}
	if line[0] == ':' {
		s.commentCount++
		if len(s.comments) < MaxKeptComments {
			s.comments = append(s.comments, at)
		}
		return
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	} else {
		s.frame.NoColon++
		if len(s.frame.NoColonSamples) < MaxSamples {
			s.frame.NoColonSamples = append(s.frame.NoColonSamples, sample(line))
		}
	}
	switch string(name) {
	case "data":
		if s.hasData {
			s.dataLen++
			if len(s.data) < MaxKeptData {
				s.data = append(s.data, '\n')
			}
		}
		s.hasData = true
		s.dataLen += n - len(line) + len(value) // the value's full length
		if room := MaxKeptData - len(s.data); room > 0 {
			s.data = append(s.data, value[:min(room, len(value))]...)
		}
	case "event":
		s.typ = string(value)
	case "id":
		if bytes.IndexByte(value, 0) >= 0 {
			s.frame.NULInID++
			s.idInvalidVals = appendSample(s.idInvalidVals, strconv.Quote(string(value)))
			return
		}
		s.lastID = string(value)
		s.hasID = true
	case "retry":
		v, err := strconv.ParseInt(string(value), 10, 64)
		if err != nil || len(value) == 0 || value[0] < '0' || value[0] > '9' {
			s.frame.BadRetry++
			return
		}
		s.retries = append(s.retries[:min(len(s.retries), 99)], v)
	default:
		s.frame.Unknown++
		if len(s.frame.UnknownSamples) < MaxSamples {
			s.frame.UnknownSamples = append(s.frame.UnknownSamples, sample(line))
		}
	}
}

func (s *scanner) dispatch(at time.Time) {
	hasID := s.hasID
	s.hasID = false
	if !s.hasData {
		s.typ = ""
		return
	}
	s.eventCount++
	if len(s.events) < MaxKeptEvents {
		s.events = append(s.events, event{At: at, ID: s.lastID, HasID: hasID, Type: s.typ,
			Data: string(s.data), Size: s.dataLen})
	}
	s.data, s.dataLen, s.hasData, s.typ = s.data[:0], 0, false, ""
}

// sample returns a short, printable form of a line for evidence.
func sample(b []byte) string {
	if len(b) > 60 {
		return strconv.Quote(string(b[:60])) + "…"
	}
	return strconv.Quote(string(b))
}

func appendSample(l []string, s string) []string {
	if len(l) < MaxSamples {
		l = append(l, s)
	}
	return l
}
