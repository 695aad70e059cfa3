package client

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
)

// NDJSONDecoder reads a stream of JSON values one per line — NDJSON, JSON
// Lines, and JSON text sequences (RFC 7464, each record led by an RS
// character) — and returns each non-blank line as an event of type
// "message" whose Data is the line, as it came (the decoder does not parse
// the JSON: a line that is not JSON is an event all the same, for the log
// to show). Lines end with LF or CRLF; a last line without a line end is
// an event too; leading and trailing blanks, a UTF-8 BOM at the start and a
// leading RS are removed; invalid UTF-8 is replaced by U+FFFD.
//
// A line longer than the cap (MaxEventBytes of its DecoderConfig) is
// skipped, counted (Skipped) and reported as a FrameOversized, as the SSE
// Decoder reports an oversized event: at its end, and every 4 × the cap
// of input while it goes on. The lines after it are read as usual: an
// oversized line never ends the stream. Memory stays below the cap plus
// the read buffer.
//
// Frame.Size counts the input bytes consumed since the previous frame,
// line ends, blank and skipped lines included. NDJSONDecoder is not safe
// for concurrent use.
type NDJSONDecoder struct {
	r       io.Reader
	maxLine int
	bufSize int
	report  int // input discarded between two reports of an oversized line

	buf        []byte
	start, end int // buf[start:end] is unread input
	scan       int // buf[start:scan] holds no LF
	rerr       error
	bom        bool // a BOM at the start of input is still to be stripped
	skipping   bool // discarding the rest of an oversized line
	skipped    uint64
	skipBytes  int64  // the oversized line's length so far
	skipSent   bool   // it was reported
	head       []byte // its first bytes
	size       int    // bytes consumed since the last frame
	empties    int
}

// NewNDJSONDecoder returns a decoder reading r with the limits of cfg (its
// zero fields take the defaults of DecoderConfig).
func NewNDJSONDecoder(r io.Reader, cfg DecoderConfig) *NDJSONDecoder {
	line := cfg.MaxEventBytes
	if line <= 0 {
		line = DefaultMaxEventBytes
	}
	size := cfg.BufferSize
	if size <= 0 {
		size = DefaultBufferSize
	}
	line = min(line, maxLimit)
	d := &NDJSONDecoder{maxLine: line, bufSize: min(size, maxLimit), report: reportEvery(line)}
	d.Reset(r)
	return d
}

// Reset makes d read a new stream from r, keeping its read buffer (unless
// it grew past the default) and its Skipped count.
func (d *NDJSONDecoder) Reset(r io.Reader) {
	d.r = r
	if cap(d.buf) > max(d.bufSize, releaseAbove) || d.buf == nil {
		d.buf = make([]byte, min(d.bufSize, d.maxLine+1))
	}
	d.buf = d.buf[:cap(d.buf)]
	d.start, d.end, d.scan = 0, 0, 0
	d.rerr = nil
	d.bom = true
	d.skipping = false
	d.size = 0
	d.empties = 0
}

// Skipped returns how many oversized lines were skipped.
func (d *NDJSONDecoder) Skipped() uint64 { return d.skipped }

// Next returns the next line's event. At the end of the input it returns
// io.EOF, or the reader's error.
func (d *NDJSONDecoder) Next() (Frame, error) {
	var f Frame
	err := d.next(&f)
	return f, err
}

// next fills f with the next event.
func (d *NDJSONDecoder) next(f *Frame) error {
	for {
		if i := bytes.IndexByte(d.buf[d.scan:d.end], '\n'); i >= 0 {
			lineEnd := d.scan + i
			line, start := d.buf[d.start:lineEnd], d.start
			d.size += lineEnd + 1 - d.start
			d.start = lineEnd + 1
			d.scan = d.start
			if d.skipping || len(line) > d.maxLine {
				line = bytes.TrimSuffix(line, []byte("\r"))
				if !d.skipping {
					d.startSkip(line)
				} else {
					d.extendHead(line)
				}
				d.skipBytes += int64(lineEnd + 1 - start)
				d.skipping = false
				d.reportSkip(f, false)
				return nil
			}
			if d.emit(f, line) {
				return nil
			}
			continue
		}
		d.scan = d.end
		if d.skipping || d.end-d.start > d.maxLine {
			// Oversized: drop what is buffered and the rest of the line,
			// reporting it every d.report bytes.
			if !d.skipping {
				d.startSkip(d.buf[d.start:d.end])
			} else {
				d.extendHead(d.buf[d.start:d.end])
			}
			d.size += d.end - d.start
			d.skipBytes += int64(d.end - d.start)
			d.start, d.end, d.scan = 0, 0, 0
			if d.size >= d.report {
				d.reportSkip(f, true)
				return nil
			}
		}
		if d.rerr != nil {
			if d.skipping {
				// The input ended inside the oversized line.
				d.skipping = false
				d.reportSkip(f, false)
				return nil
			}
			if d.start < d.end && !d.skipping { // at most maxLine bytes here
				line := d.buf[d.start:d.end]
				d.size += d.end - d.start
				d.start, d.scan = d.end, d.end
				if d.emit(f, line) {
					return nil
				}
			}
			return d.rerr
		}
		d.fill()
	}
}

// startSkip starts skipping an oversized line whose buffered start is b.
func (d *NDJSONDecoder) startSkip(b []byte) {
	if d.bom {
		d.bom = false
		b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	}
	d.skipping, d.skipBytes, d.skipSent = true, 0, false
	d.skipped++
	d.head = d.head[:0]
	d.extendHead(b)
}

// extendHead adds b, more of the oversized line, to its preview, up to
// what the preview needs.
func (d *NDJSONDecoder) extendHead(b []byte) {
	if room := OversizedPreview + utf8.UTFMax - len(d.head); room > 0 {
		d.head = append(d.head, b[:min(len(b), room)]...)
	}
}

// reportSkip writes the report of the oversized line into *f: more tells
// whether it goes on.
func (d *NDJSONDecoder) reportSkip(f *Frame, more bool) {
	*f = Frame{Kind: FrameOversized, Size: d.size,
		Event:     Event{Type: "message", Data: previewString(bytes.TrimSuffix(d.head, []byte("\r")))},
		Oversized: Oversized{Bytes: d.skipBytes, Cap: d.maxLine, More: more, Again: d.skipSent}}
	d.size = 0
	d.skipSent = true
}

// emit turns a line into an event; false for a blank line.
func (d *NDJSONDecoder) emit(f *Frame, line []byte) bool {
	if d.bom {
		d.bom = false
		line = bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
	}
	for len(line) > 0 && (line[0] == ' ' || line[0] == '\t' || line[0] == '\r' || line[0] == 0x1e) {
		line = line[1:]
	}
	for n := len(line); n > 0 && (line[n-1] == ' ' || line[n-1] == '\t' || line[n-1] == '\r'); n = len(line) {
		line = line[:n-1]
	}
	if len(line) == 0 {
		return false
	}
	data := string(line)
	if !utf8.ValidString(data) {
		data = strings.ToValidUTF8(data, "\uFFFD")
	}
	*f = Frame{Kind: FrameEvent, Event: Event{Type: "message", Data: data}, Size: d.size}
	d.size = 0
	return true
}

// fill reads more input, moving or growing the buffer as needed.
func (d *NDJSONDecoder) fill() {
	if d.start > 0 {
		n := copy(d.buf, d.buf[d.start:d.end])
		d.scan -= d.start
		d.start, d.end = 0, n
	}
	if d.end == len(d.buf) {
		grown := make([]byte, min(max(2*len(d.buf), 4096), d.maxLine+1+4096))
		copy(grown, d.buf[:d.end])
		d.buf = grown
	}
	for {
		n, err := d.r.Read(d.buf[d.end:])
		if n < 0 || n > len(d.buf)-d.end {
			d.rerr = errNegativeRead
			return
		}
		d.end += n
		if err != nil {
			d.rerr = err
			return
		}
		if n > 0 {
			d.empties = 0
			return
		}
		if d.empties++; d.empties >= maxEmptyReads {
			d.rerr = io.ErrNoProgress
			return
		}
	}
}
