package record

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// DefaultMaxLineBytes is the default cap on one line of a recording: room
// for the largest event the engine accepts (8 MiB of data) even when every
// byte needs a six-byte JSON escape.
const DefaultMaxLineBytes = 64 << 20

// ReaderConfig configures a Reader. The zero value gives the defaults.
type ReaderConfig struct {
	// MaxLineBytes caps one line, line end excluded; a longer line stops
	// the Reader with a *LineError wrapping ErrLineTooLong.
	// 0 means DefaultMaxLineBytes (64 MiB).
	MaxLineBytes int
}

// ErrLineTooLong is wrapped by the *LineError of a line over
// ReaderConfig.MaxLineBytes.
var ErrLineTooLong = errors.New("line too long")

// ErrTruncated is wrapped by the *LineError of a last line that has no
// line end and is not a complete JSON object: the writer was stopped in
// the middle of a line. Every line before it was read.
var ErrTruncated = errors.New("last line is incomplete (the recording was cut short)")

// LineError reports a line of a recording that cannot be read, with its
// 1-based line number.
type LineError struct {
	// Line is the line number.
	Line int
	// Err is what is wrong with it.
	Err error
}

func (e *LineError) Error() string {
	return "line " + strconv.Itoa(e.Line) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// VersionError reports a recording written with a newer schema version
// than this build reads.
type VersionError struct {
	// Version is the version of the file.
	Version int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("recording format version %d is newer than this build reads (%d); update SSE Monitor", e.Version, Version)
}

// Reader reads the entries of a recording, one line at a time, in order.
// It is not safe for concurrent use.
type Reader struct {
	br      *bufio.Reader
	max     int
	line    int
	buf     []byte
	err     error
	header  *Entry
	first   bool
	skipped int
}

// NewReader returns a Reader of the recording r.
func NewReader(r io.Reader, cfg ReaderConfig) *Reader {
	if cfg.MaxLineBytes <= 0 {
		cfg.MaxLineBytes = DefaultMaxLineBytes
	}
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), max: cfg.MaxLineBytes, first: true}
}

// Next returns the next entry, the header included, or io.EOF at the end.
// Blank lines are ignored; lines of an unknown kind are skipped and
// counted (Skipped). Any other bad line stops the Reader with a
// *LineError (or a *VersionError for a newer format), returned by every
// later call.
func (r *Reader) Next() (Entry, error) {
	for r.err == nil {
		line, last, err := r.readLine()
		if err != nil {
			r.err = err
			break
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var e Entry
		if err := e.UnmarshalJSON(line); err != nil {
			if errors.Is(err, ErrUnknownKind) {
				r.skipped++
				continue
			}
			if last {
				err = fmt.Errorf("%w: %v", ErrTruncated, err)
			}
			r.err = &LineError{Line: r.line, Err: err}
			break
		}
		first := r.first
		r.first = false
		if e.Kind == KindRecording {
			if !first {
				r.err = &LineError{Line: r.line, Err: errors.New("a recording header must be the first line")}
				break
			}
			if e.Version > Version {
				r.err = &VersionError{Version: e.Version}
				break
			}
			h := e
			r.header = &h
		}
		return e, nil
	}
	return Entry{}, r.err
}

// readLine returns the next line without its line end; last reports that
// it ended at the end of the input without a line end.
func (r *Reader) readLine() (line []byte, last bool, err error) {
	r.buf = r.buf[:0]
	r.line++
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.buf)+len(chunk) > r.max+1 { // +1: the LF
			return nil, false, &LineError{Line: r.line, Err: fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, r.max)}
		}
		switch err {
		case nil:
			if len(r.buf) == 0 {
				return chunk[:len(chunk)-1], false, nil
			}
			r.buf = append(r.buf, chunk[:len(chunk)-1]...)
			return r.buf, false, nil
		case bufio.ErrBufferFull:
			r.buf = append(r.buf, chunk...)
		case io.EOF:
			r.buf = append(r.buf, chunk...)
			if len(r.buf) == 0 {
				return nil, false, io.EOF
			}
			return r.buf, true, nil
		default:
			return nil, false, err
		}
	}
}

// Header returns the recording header; false when the input has none (it
// then reads as version 1) or it was not read yet.
func (r *Reader) Header() (Entry, bool) {
	if r.header == nil {
		return Entry{}, false
	}
	return *r.header, true
}

// Line returns the number of the last line read.
func (r *Reader) Line() int { return r.line }

// Skipped returns how many lines of an unknown kind were skipped.
func (r *Reader) Skipped() int { return r.skipped }
