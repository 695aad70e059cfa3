package client

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Default limits of a Decoder; see DecoderConfig.
const (
	DefaultMaxEventBytes = 16 << 20
	DefaultBufferSize    = 64 << 10
)

// DecoderConfig sets the limits of a Decoder. The zero value gives the
// defaults.
type DecoderConfig struct {
	// MaxEventBytes is the one size cap, of events and of lines. An event
	// is the length of its data (data lines joined with LF) plus the
	// lengths of the values of every id and event line read for it, after
	// UTF-8 decoding; a line is its bytes of input without its line end,
	// which may hold its field name besides (MaxEventBytes + 64 bytes). An
	// event, or a comment line, over the cap is skipped and reported as a
	// FrameOversized: the stream goes on, and memory stays bounded while
	// the rest of it is discarded. 0 means DefaultMaxEventBytes (16 MiB).
	MaxEventBytes int
	// BufferSize is the size of the read buffer. The buffer grows, up to
	// MaxEventBytes + 65 bytes, only when a line does not fit in it.
	// 0 means DefaultBufferSize (64 KiB).
	BufferSize int
}

// FrameKind tells what a Frame carries.
type FrameKind uint8

// The kinds of frame a Decoder returns.
const (
	// FrameEvent is a dispatched event (Frame.Event).
	FrameEvent FrameKind = iota + 1
	// FrameComment is a comment line (Frame.Comment), such as a heartbeat.
	FrameComment
	// FrameRetry is a valid retry field (Frame.Retry).
	FrameRetry
	// FrameOversized reports an event, or a comment line, over the size
	// cap, skipped (Frame.Oversized). Event.ID is the last event ID (the
	// skipped event's id, if it had one, still becomes it), Event.Type its
	// type as far as known, Event.Data its first bytes (a preview of at
	// most OversizedPreview bytes, valid UTF-8). One is returned when the
	// skipped thing ends, and one every 4 × the cap of input while it goes
	// on (Oversized.More), so that an endless line is reported and the
	// decoder returns control while it discards.
	FrameOversized
)

// OversizedPreview is how many of an oversized event's first bytes its
// FrameOversized keeps.
const OversizedPreview = 256

// lineSlack is the room a line has beyond MaxEventBytes, for its field
// name ("data: ").
const lineSlack = 64

// Oversized describes a FrameOversized.
type Oversized struct {
	// Bytes is the input the skipped event or line took so far: all its
	// lines, line ends included. While More is set it is a size so far
	// and keeps growing in later reports.
	Bytes int64
	// Cap is the cap it went over (DecoderConfig.MaxEventBytes).
	Cap int
	// More reports that it has not ended: later reports of it follow,
	// Again set, the last one with More false.
	More bool
	// Again marks a later report of an oversized event already reported:
	// count oversized events on the reports whose Again is false.
	Again bool
	// Comment marks an over-long comment line rather than an event.
	Comment bool
}

// String returns "event", "comment", "retry" or "oversized".
func (k FrameKind) String() string {
	switch k {
	case FrameEvent:
		return "event"
	case FrameComment:
		return "comment"
	case FrameRetry:
		return "retry"
	case FrameOversized:
		return "oversized"
	}
	return "FrameKind(" + strconv.Itoa(int(k)) + ")"
}

// Frame is one thing read from an event stream.
type Frame struct {
	// Kind tells which of the fields below is set.
	Kind FrameKind
	// Event is the dispatched event (FrameEvent). Its ID is the last event
	// ID string at dispatch, its Type is "message" unless an event field
	// set another, its Data is the data lines joined with LF.
	Event Event
	// Comment is the text after the ':' of a comment line, with one leading
	// space removed (FrameComment).
	Comment string
	// Retry is the new reconnection time (FrameRetry), returned as soon as
	// the retry line is read, before the event it belongs to ends. A value
	// past the range of time.Duration gives the largest Duration.
	Retry time.Duration
	// Size is the number of input bytes consumed since the previous frame
	// was returned (or since the stream started), line ends and BOM
	// included. Lines that give no frame are counted in the next frame, and
	// so is the LF of a CRLF that ends the line that gave this frame.
	// Sizes do not depend on how the input was split into reads.
	Size int
	// Oversized describes a FrameOversized (zero otherwise).
	Oversized Oversized
}

// LimitError reports that a line or an event exceeded a limit where the
// input cannot be skipped. A Decoder never returns it: it skips oversized
// events (see FrameOversized).
type LimitError struct {
	What  string // "line" or "event"
	Limit int    // the limit in bytes
}

// Error returns "line exceeds N bytes" or "event exceeds N bytes".
func (e *LimitError) Error() string {
	return e.What + " exceeds " + strconv.Itoa(e.Limit) + " bytes"
}

// Signals from readLine to next about a line over the cap: more of it was
// discarded (a report is due), or it ended.
var (
	errLongMore = errors.New("client: over-long line goes on")
	errLongEnd  = errors.New("client: over-long line ended")
)

// errNegativeRead is returned when the reader breaks the io.Reader contract.
var errNegativeRead = errors.New("client: reader returned an invalid count")

// maxEmptyReads is how many (0, nil) reads in a row end with
// io.ErrNoProgress, as in bufio.
const maxEmptyReads = 100

// maxLimit caps the configured sizes.
const maxLimit = math.MaxInt / 4

// shareIDMax is the largest data that shares one allocation with a new
// event ID. Past it the ID gets its own string, so that the last event ID
// string does not keep a large event's data alive.
const shareIDMax = 64 << 10

// releaseAbove is the capacity past which Reset releases the data and
// UTF-8 scratch buffers.
const releaseAbove = 64 << 10

// internMaxLen is the longest event type kept in the intern table.
const internMaxLen = 64

// internMaxEntries bounds the intern table; it is cleared when full.
const internMaxEntries = 256

// Decoder reads frames from a text/event-stream body, interpreting it as
// the WHATWG HTML standard says ("Interpreting an event stream"): UTF-8
// whatever the declared charset, one leading BOM stripped, CR, LF and CRLF
// line ends, events dispatched on empty lines, unfinished events discarded
// at end of input.
//
// Memory is bounded by the cap: the read buffer never grows past
// MaxEventBytes + 65 bytes and the event being built never past
// MaxEventBytes. An event or a line over the cap is discarded as it comes
// (see FrameOversized). Buffers that grew past their defaults are released
// by Reset.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	r io.Reader

	maxLine, maxEvent, bufSize int
	report                     int // input discarded between two reports of an oversized event

	// Read buffer: buf[start:end] is unread input; buf[start:scan] is known
	// to hold no line end. lf and cr cache where the next LF and CR are.
	buf              []byte
	start, scan, end int
	lineAt           int // where the line readLine returned starts in buf
	// buf[start:valid] is known to be valid UTF-8 when valid > start: the
	// lines in it need no check of their own. It is extended once per read
	// (see validate); bad stops that at an ill-formed sequence at valid
	// until the line holding it is consumed.
	valid   int
	bad     bool
	lf, cr  nextByte
	rerr    error // error from the reader, returned once buffered lines are done
	err     error // sticky error returned by Next
	bom     bool  // a BOM at the current position is still to be stripped
	skipLF  bool  // the last line ended in CR: an LF right after it belongs to it
	size    int   // bytes consumed since the last frame was returned
	utf8buf []byte

	// Event being built. While the event has a single data line, its value
	// stays in the read buffer (dataRef, buf[dataStart:dataEnd]) and is
	// copied only into the dispatched string; a second data line, or any
	// move of the buffer's contents, first copies it into data.
	dataRef            bool
	dataStart, dataEnd int
	data               []byte // data buffer: each data value followed by LF
	typ                []byte // event type buffer
	idBuf              []byte // last event ID buffer
	idSet              bool   // idBuf was written since the last dispatch
	extra              int    // id and event value bytes read for this event, for MaxEventBytes
	lastID             string // last event ID string
	lastType           string
	types              map[string]string

	// The event being built went over the cap (over): its lines are
	// skipped until it ends; preview holds its first bytes, overSent
	// whether it was reported. evBytes counts the input of the event
	// being built (its lines, and comments between them). An
	// over-long line is being discarded (long): longHead holds its first
	// bytes, longBytes its length so far, longSent whether it was
	// reported; a non-comment one made its event oversized.
	over, overSent    bool
	evBytes           int64
	preview           []byte
	long, longComment bool
	headGrows         bool // the preview is the over-long line's start
	longSent          bool
	longBytes         int64
	longHead          []byte

	// framing counts the wire format's anomalies (framing_counts.go).
	framing framingCounters
}

// NewDecoder returns a Decoder that reads the event stream from r.
func NewDecoder(r io.Reader, cfg DecoderConfig) *Decoder {
	d := &Decoder{
		maxEvent: cfg.MaxEventBytes,
		bufSize:  cfg.BufferSize,
	}
	if d.maxEvent <= 0 {
		d.maxEvent = DefaultMaxEventBytes
	}
	if d.bufSize <= 0 {
		d.bufSize = DefaultBufferSize
	}
	// Far beyond any memory, and keeps limit+1 and doubling from
	// overflowing.
	d.maxEvent = min(d.maxEvent, maxLimit)
	d.maxLine = d.maxEvent + lineSlack
	d.bufSize = min(d.bufSize, maxLimit)
	d.report = reportEvery(d.maxEvent)
	d.Reset(r)
	return d
}

// Reset makes the Decoder read a new stream from r, as after a reconnect:
// buffered input and any unfinished event are discarded, a leading BOM will
// be stripped again, errors are cleared and buffers that grew past their
// defaults are released. The last event ID string is kept: it belongs to
// the event source, not to one connection.
func (d *Decoder) Reset(r io.Reader) {
	d.r = r
	d.start, d.scan, d.end = 0, 0, 0
	d.valid, d.bad = 0, false
	d.lf = nextByte{c: '\n', at: -1}
	d.cr = nextByte{c: '\r', at: -1}
	d.rerr, d.err = nil, nil
	d.bom = true
	d.skipLF = false
	d.size = 0
	d.long = false
	d.discardEvent()
	if len(d.buf) > d.bufSize {
		d.buf = nil
	}
	if cap(d.data) > releaseAbove {
		d.data = nil
	}
	if cap(d.utf8buf) > releaseAbove {
		d.utf8buf = nil
	}
}

// LastEventID returns the last event ID string: the id of the last
// dispatched event that had one, or what SetLastEventID set. A client
// sends it as Last-Event-ID when it reconnects.
func (d *Decoder) LastEventID() string { return d.lastID }

// SetLastEventID sets the last event ID string, for example to a
// Last-Event-ID given by the user before the first connection.
func (d *Decoder) SetLastEventID(id string) {
	d.lastID = id
	d.idBuf = append(d.idBuf[:0], id...)
	d.idSet = false
}

// discardEvent drops the event being built; the id buffer goes back to the
// last event ID string.
func (d *Decoder) discardEvent() {
	d.dataRef = false
	d.data = d.data[:0]
	d.typ = d.typ[:0]
	d.extra = 0
	d.over, d.overSent, d.evBytes = false, false, 0
	d.preview = d.preview[:0]
	if d.idSet {
		d.idBuf = append(d.idBuf[:0], d.lastID...)
		d.idSet = false
	}
}

// Next returns the next frame of the stream.
//
// At the end of the input Next returns io.EOF; an unfinished event is
// discarded and its id is not applied. An error from the reader is returned
// as is. Every error is returned again by later calls until Reset. An
// event or a comment line over the cap is skipped and reported as a
// FrameOversized: the stream goes on.
func (d *Decoder) Next() (Frame, error) {
	var f Frame
	err := d.next(&f)
	return f, err
}

// next is Next writing the frame into *f, which it overwrites: the
// supervisor's read loop reuses one Frame rather than copying it out.
func (d *Decoder) next(f *Frame) error {
	if d.err != nil {
		*f = Frame{}
		return d.err
	}
	for {
		if d.over && d.size >= d.report {
			d.reportOver(f, true)
			return nil
		}
		line, err := d.readLine()
		if err != nil {
			switch {
			case err == errLongMore && d.longComment:
				d.reportLong(f, true)
				return nil
			case err == errLongMore:
				d.reportOver(f, true)
				return nil
			case err == errLongEnd && d.longComment:
				d.reportLong(f, false)
				return nil
			case err == errLongEnd:
				continue // the event goes on, skipped, to its end
			case d.long && d.longComment:
				// The input ended inside an oversized line or event: its
				// last report first, the error on the next call.
				d.long = false
				d.reportLong(f, false)
				return nil
			case d.over:
				d.long = false
				d.reportOver(f, false)
				d.discardEvent()
				return nil
			}
			*f = Frame{}
			return d.failErr(err)
		}
		repaired := false
		if d.lineAt+len(line) > d.valid && !utf8.Valid(line) {
			// Each input byte gives at most 3 bytes (a U+FFFD).
			if cap(d.utf8buf) < 3*len(line) {
				d.utf8buf = make([]byte, 0, 3*len(line))
			}
			d.utf8buf = appendUTF8Decode(d.utf8buf[:0], line)
			line = d.utf8buf
			repaired = true
		}
		if len(line) == 0 {
			if d.dispatch(f) {
				return nil
			}
			continue
		}
		if line[0] == ':' {
			c := line[1:]
			if len(c) > 0 && c[0] == ' ' {
				c = c[1:]
			}
			*f = Frame{Kind: FrameComment, Comment: string(c), Size: d.takeSize()}
			d.endOfNoEvent()
			return nil
		}
		var name, value []byte
		hasColon := true
		if i := colon(line); i >= 0 {
			name, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		} else {
			name = line
			hasColon = false
			d.framing.noColon.Add(1)
		}
		switch string(name) {
		case "data":
			n := len(value)
			if d.hasData() {
				n++ // the LF that joins it to the previous line
			}
			if d.over {
				break
			}
			if !d.fits(n) {
				d.markOver(value)
				break
			}
			if !d.hasData() && !repaired {
				// The first data line stays where it is.
				d.dataRef = true
				d.dataEnd = d.lineAt + len(line)
				d.dataStart = d.dataEnd - len(value)
				break
			}
			d.ownData()
			d.appendData(value)
		case "event":
			if d.over {
				break
			}
			if !d.fits(len(value)) {
				d.markOver(value)
				break
			}
			d.extra += len(value)
			d.typ = append(d.typ[:0], value...)
		case "id":
			if bytes.IndexByte(value, 0) >= 0 {
				d.framing.nulInID.Add(1)
				break
			}
			if !d.over && !d.fits(len(value)) {
				d.markOver(value)
			}
			if len(value) > d.maxEvent {
				break // an id that large is not kept
			}
			d.extra += len(value)
			d.idBuf = append(d.idBuf[:0], value...)
			d.idSet = true
		case "retry":
			if ms, ok := parseRetry(value); ok {
				*f = Frame{Kind: FrameRetry, Retry: ms, Size: d.takeSize()}
				return nil
			}
			d.framing.badRetry.Add(1)
		default:
			if hasColon { // a line without one is counted above
				d.framing.unknown.Add(1)
			}
		}
	}
}

// hasData reports whether the event being built has a data line.
func (d *Decoder) hasData() bool { return d.dataRef || len(d.data) > 0 }

// dataLen returns the length of the event's data with one LF after each
// line, as the data buffer holds it.
func (d *Decoder) dataLen() int {
	if d.dataRef {
		return d.dataEnd - d.dataStart + 1
	}
	return len(d.data)
}

// ownData copies a data value still in the read buffer into the data
// buffer, before the read buffer's contents move or another data line is
// added.
func (d *Decoder) ownData() {
	if !d.dataRef {
		return
	}
	d.dataRef = false
	d.appendData(d.buf[d.dataStart:d.dataEnd])
}

// appendData appends a data value and LF to the data buffer, which grows by
// doubling up to the event limit.
func (d *Decoder) appendData(v []byte) {
	need := len(d.data) + len(v) + 1
	if need > cap(d.data) {
		n := max(2*cap(d.data), need, 256)
		if limit := d.maxEvent + 1; 2*n > limit {
			n = max(limit, need)
		}
		nd := make([]byte, len(d.data), n)
		copy(nd, d.data)
		d.data = nd
	}
	d.data = append(d.data, v...)
	d.data = append(d.data, '\n')
}

// colon returns the index of the first ':' in line, or -1. Field names are
// short, so the first bytes are looked at before calling IndexByte.
func colon(line []byte) int {
	for i := 0; i < len(line) && i < 8; i++ {
		if line[i] == ':' {
			return i
		}
	}
	if len(line) <= 8 {
		return -1
	}
	if i := bytes.IndexByte(line[8:], ':'); i >= 0 {
		return i + 8
	}
	return -1
}

// fits reports whether the event being built stays within MaxEventBytes
// with n more bytes: its data as it would be dispatched (without the
// trailing LF) plus the id and event values read so far.
func (d *Decoder) fits(n int) bool {
	size := d.dataLen() + d.extra
	if d.hasData() {
		size-- // the trailing LF is removed at dispatch
	}
	return size+n <= d.maxEvent
}

// reportEvery returns the input discarded between two reports of an
// oversized event that goes on: 4 × the cap, at least 1 MiB.
func reportEvery(limit int) int {
	return max(min(limit, maxLimit/4)*4, 1<<20)
}

// markOver marks the event being built as oversized: its data is
// dropped, its first bytes (those it had, else head) kept for the report,
// and its lines are skipped until it ends.
func (d *Decoder) markOver(head []byte) {
	if d.over {
		return
	}
	d.over = true
	switch {
	case d.dataRef:
		head = d.buf[d.dataStart:d.dataEnd]
	case len(d.data) > 0:
		head = d.data[:len(d.data)-1] // without the LF that ends it
	}
	if d.preview == nil {
		d.preview = make([]byte, 0, OversizedPreview+utf8.UTFMax)
	}
	d.preview = append(d.preview[:0], head[:min(len(head), OversizedPreview+utf8.UTFMax)]...)
	d.dataRef = false
	d.data = d.data[:0]
	if cap(d.data) > releaseAbove {
		d.data = nil
	}
}

// reportOver writes the report of the oversized event being built into
// *f: more tells whether it goes on (else it ended and is dropped).
func (d *Decoder) reportOver(f *Frame, more bool) {
	*f = Frame{Kind: FrameOversized, Size: d.takeSize(),
		Event:     Event{ID: d.lastID, Type: d.eventType(), Data: previewString(d.preview)},
		Oversized: Oversized{Bytes: d.evBytes, Cap: d.maxEvent, More: more, Again: d.overSent}}
	if d.idSet {
		f.Event.ID = string(d.idBuf) // the event's own id, applied at its end
	}
	d.overSent = true
}

// reportLong writes the report of an over-long comment line into *f.
func (d *Decoder) reportLong(f *Frame, more bool) {
	*f = Frame{Kind: FrameOversized, Size: d.takeSize(),
		Event:     Event{Data: previewString(d.longHead)},
		Oversized: Oversized{Bytes: d.longBytes, Cap: d.maxEvent, More: more, Again: d.longSent, Comment: true}}
	d.longSent = more
	if !more {
		d.endOfNoEvent()
	}
}

// endOfNoEvent is called after a comment line: when no event is being
// built, the next one starts after it.
func (d *Decoder) endOfNoEvent() {
	if !d.hasData() && !d.over && !d.idSet && len(d.typ) == 0 {
		d.evBytes = 0
	}
}

// previewString returns the first OversizedPreview bytes of b as valid
// UTF-8, cut on a character boundary.
func previewString(b []byte) string {
	return truncateUTF8(strings.ToValidUTF8(string(b[:min(len(b), OversizedPreview+utf8.UTFMax)]), "\uFFFD"), OversizedPreview)
}

// failErr makes err sticky and drops the event being built.
func (d *Decoder) failErr(err error) error {
	d.err = err
	d.discardEvent()
	return err
}

// takeSize returns the bytes consumed since the previous frame, for the
// frame being returned.
func (d *Decoder) takeSize() int {
	n := d.size
	d.size = 0
	return n
}

// dispatch handles an empty line: it writes the event into *f and reports
// true, or reports false when there is no event (no data line).
func (d *Decoder) dispatch(f *Frame) bool {
	// The spec sets the last event ID string first, event or not.
	newID := d.idSet && string(d.idBuf) != d.lastID
	if d.over {
		if newID {
			d.lastID = string(d.idBuf)
		}
		d.idSet = false
		d.reportOver(f, false)
		d.discardEvent()
		return true
	}
	d.idSet = false
	d.extra = 0
	d.evBytes = 0
	if !d.hasData() {
		d.typ = d.typ[:0]
		if newID {
			d.lastID = string(d.idBuf)
		}
		return false
	}
	var data []byte
	if d.dataRef {
		data = d.buf[d.dataStart:d.dataEnd]
		d.dataRef = false
	} else {
		data = d.data[:len(d.data)-1]
	}
	// The frame is written field by field: a composite assignment copies
	// the whole Frame through the runtime's pointer-aware copy.
	ev := &f.Event
	if newID && len(data) > shareIDMax {
		d.lastID = string(d.idBuf)
		ev.Data = string(data)
	} else if newID {
		// One allocation for both strings.
		var b strings.Builder
		b.Grow(len(d.idBuf) + len(data))
		b.Write(d.idBuf)
		b.Write(data)
		s := b.String()
		d.lastID = s[:len(d.idBuf)]
		ev.Data = s[len(d.idBuf):]
	} else {
		ev.Data = string(data)
	}
	ev.ID = d.lastID
	ev.Type = d.eventType()
	d.data = d.data[:0]
	d.typ = d.typ[:0]
	f.Kind = FrameEvent
	f.Comment = ""
	f.Retry = 0
	f.Size = d.takeSize()
	return true
}

// eventType returns the type buffer as a string, reusing earlier strings.
func (d *Decoder) eventType() string {
	if len(d.typ) == 0 {
		return "message"
	}
	if string(d.typ) == d.lastType {
		return d.lastType
	}
	if len(d.typ) > internMaxLen {
		d.lastType = string(d.typ)
		return d.lastType
	}
	if s, ok := d.types[string(d.typ)]; ok {
		d.lastType = s
		return s
	}
	if d.types == nil || len(d.types) >= internMaxEntries {
		d.types = make(map[string]string)
	}
	s := string(d.typ)
	d.types[s] = s
	d.lastType = s
	return s
}

// parseRetry parses a retry value: ASCII digits only, at least one, in
// milliseconds. Values past the range of time.Duration saturate.
func parseRetry(v []byte) (time.Duration, bool) {
	if len(v) == 0 {
		return 0, false
	}
	const limit = math.MaxInt64 / int64(time.Millisecond)
	var ms int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		if ms <= limit {
			ms = ms*10 + int64(c-'0')
		}
	}
	if ms > limit {
		return time.Duration(math.MaxInt64), true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// readLine returns the next line without its line end. The line is valid
// until the next call. At the end of the input it returns the reader's
// error; an unterminated last line is dropped.
func (d *Decoder) readLine() ([]byte, error) {
	for {
		if d.start < d.end && (d.skipLF || d.bom) {
			if d.skipLF {
				d.skipLF = false
				if d.buf[d.start] == '\n' {
					d.advance(d.start + 1)
				} else {
					d.framing.loneCR.Add(1)
				}
			}
			if d.bom && !d.stripBOM() {
				if err := d.fill(); err != nil {
					return nil, err
				}
				continue
			}
		}
		var i int
		if d.cr.at < 0 && d.cr.none >= d.end {
			// Fast path: no CR is buffered, so the next LF ends the line.
			if d.scan < d.end && d.buf[d.scan] == '\n' {
				i = d.scan // an empty line (or an LF left to scan): no call
			} else if i = bytes.IndexByte(d.buf[d.scan:d.end], '\n'); i >= 0 {
				i += d.scan
			} else {
				d.scan = d.end
			}
		} else {
			i = d.lineEnd()
		}
		if i >= 0 && (d.long || i-d.start > d.maxLine) {
			// The end of a line over the cap.
			if !d.long {
				d.startLong(i)
			} else {
				d.extendHead(d.buf[d.start:i])
			}
			d.longBytes += int64(i + 1 - d.start)
			d.long = false
			d.skipLF = d.buf[i] == '\r'
			d.advance(i + 1)
			return nil, errLongEnd
		}
		if i >= 0 {
			line := d.buf[d.start:i]
			d.lineAt = d.start
			// The LF of a CRLF is consumed with the next line, even when
			// it is already buffered, so that Size does not depend on
			// where the input was split into reads.
			d.skipLF = d.buf[i] == '\r'
			d.advance(i + 1)
			return line, nil
		}
		if d.long || d.end-d.start > d.maxLine {
			// A line over the cap: what is buffered holds no line end;
			// it is discarded, and reported every d.report bytes.
			if !d.long {
				d.startLong(d.end)
			} else {
				d.extendHead(d.buf[d.start:d.end])
			}
			d.longBytes += int64(d.end - d.start)
			d.advance(d.end)
			if d.size >= d.report {
				return nil, errLongMore
			}
		}
		if err := d.fill(); err != nil {
			return nil, err
		}
	}
}

// startLong starts discarding a line over the cap, buffered in
// buf[start:end]: a comment line is reported on its own; another line
// makes its event oversized.
func (d *Decoder) startLong(end int) {
	d.ownData() // the event's first data line may be in the buffer
	head := d.buf[d.start:min(end, d.start+lineSlack+OversizedPreview+utf8.UTFMax)]
	d.long, d.longBytes, d.longSent = true, 0, false
	d.longComment = head[0] == ':'
	d.headGrows = !d.over && !d.hasData()
	if d.longComment {
		head = head[1:]
		if len(head) > 0 && head[0] == ' ' {
			head = head[1:]
		}
		if d.longHead == nil {
			d.longHead = make([]byte, 0, OversizedPreview+utf8.UTFMax)
		}
		d.longHead = append(d.longHead[:0], head[:min(len(head), OversizedPreview+utf8.UTFMax)]...)
		return
	}
	if v, ok := bytes.CutPrefix(head, []byte("data:")); ok {
		head, _ = bytes.CutPrefix(v, []byte(" "))
	}
	d.markOver(head)
}

// extendHead adds b, more of the over-long line being discarded, to its
// preview while the preview comes from that line, up to what it needs.
func (d *Decoder) extendHead(b []byte) {
	p := &d.longHead
	if !d.longComment {
		if !d.headGrows {
			return
		}
		p = &d.preview
	}
	if room := OversizedPreview + utf8.UTFMax - len(*p); room > 0 {
		*p = append(*p, b[:min(len(b), room)]...)
	}
}

// advance consumes input up to buf[i].
func (d *Decoder) advance(i int) {
	d.size += i - d.start
	d.evBytes += int64(i - d.start)
	d.start = i
	if d.scan < i {
		d.scan = i
	}
}

// stripBOM strips a leading UTF-8 BOM. It reports false when it needs more
// input to decide.
func (d *Decoder) stripBOM() bool {
	const bom = "\xEF\xBB\xBF"
	b := d.buf[d.start:d.end]
	if len(b) >= len(bom) {
		if string(b[:len(bom)]) == bom {
			d.advance(d.start + len(bom))
		}
		d.bom = false
		return true
	}
	if string(b) != bom[:len(b)] || d.rerr != nil {
		d.bom = false
		return true
	}
	return false
}

// nextByte caches the position of the next occurrence of a byte in the read
// buffer, so that each buffered byte is searched at most once for it.
type nextByte struct {
	c    byte
	at   int // index of the next c when at >= scan
	none int // otherwise, buf[:none] (from scan) holds no c
}

// find returns the index of the first c in buf[scan:end], or -1.
func (n *nextByte) find(buf []byte, scan, end int) int {
	if n.at < scan {
		from := max(scan, n.none)
		if i := bytes.IndexByte(buf[from:end], n.c); i >= 0 {
			n.at = from + i
		} else {
			n.at = -1
			n.none = end
		}
	}
	return n.at
}

// shift follows a move of the buffer's contents s bytes to the left.
func (n *nextByte) shift(s int) {
	if n.at >= s {
		n.at -= s
	} else {
		n.at = -1
	}
	n.none = max(n.none-s, 0)
}

// lineEnd returns the index of the first CR or LF in buf[scan:end], or -1
// after marking all of it scanned. Each buffered byte is searched at most
// once for LF and once for CR, whatever the line ends and read sizes: an
// LF-only stream searches for CR about once per read, not once per line.
func (d *Decoder) lineEnd() int {
	lf := d.lf.find(d.buf, d.scan, d.end)
	cr := d.cr.find(d.buf, d.scan, d.end)
	switch {
	case lf >= 0 && (cr < 0 || lf < cr):
		return lf
	case cr >= 0:
		return cr
	}
	d.scan = d.end
	return -1
}

// fill reads more input into the buffer, making room first. It returns the
// reader's error only once no input is left to process.
func (d *Decoder) fill() error {
	if d.rerr != nil {
		return d.rerr
	}
	if d.start == d.end || d.end == len(d.buf) {
		d.ownData() // the buffer's contents move
		if d.start > 0 {
			d.shift()
		} else if d.end == len(d.buf) {
			// A line needs maxLine+1 bytes with its line end; a BOM
			// needs 3. Double, but go straight to the cap rather than
			// within a factor of two of it.
			limit := max(d.maxLine+1, 4)
			n := max(2*len(d.buf), d.bufSize)
			if 2*n > limit {
				n = limit
			}
			if n <= len(d.buf) {
				// Unreachable: readLine checks the line length first.
				return &LimitError{What: "line", Limit: d.maxLine}
			}
			nb := make([]byte, n)
			copy(nb, d.buf[:d.end])
			d.buf = nb
		}
	}
	for range maxEmptyReads {
		n, err := d.r.Read(d.buf[d.end:])
		if n < 0 || n > len(d.buf)-d.end {
			d.rerr = errNegativeRead
			return nil
		}
		d.end += n
		if n > 0 && !d.long {
			d.validate() // not what is being discarded
		}
		if err != nil {
			d.rerr = err
			return nil
		}
		if n > 0 {
			return nil
		}
	}
	d.rerr = io.ErrNoProgress
	return nil
}

// shift moves the unread input to the start of the buffer.
func (d *Decoder) shift() {
	s := d.start
	copy(d.buf, d.buf[s:d.end])
	d.end -= s
	d.scan -= s
	d.start = 0
	d.lf.shift(s)
	d.cr.shift(s)
	if d.valid < s {
		// What was checked, and an ill-formed sequence, was consumed.
		d.valid, d.bad = 0, false
	} else {
		d.valid -= s
	}
}

// validate extends the known-valid UTF-8 region over the bytes just read,
// so that lines in it skip their own check: one pass per read instead of
// one call per line. Each byte is looked at here at most once (plus up to
// three bytes of a character cut by the end of a read).
func (d *Decoder) validate() {
	if d.bad {
		if d.start <= d.valid {
			return // the line with the ill-formed sequence is still unread
		}
		d.bad = false
	}
	from := max(d.valid, d.start)
	n, bad := utf8Prefix(d.buf[from:d.end])
	d.valid = from + n
	d.bad = bad
}
