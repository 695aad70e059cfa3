package record

import (
	"bufio"
	"io"
	"time"
)

// Writer writes a recording: the header, then one line per entry. It
// buffers: call Flush to push what was written to the underlying writer.
// It is not safe for concurrent use.
type Writer struct {
	bw      *bufio.Writer
	buf     []byte
	entries int64
	bytes   int64
}

// NewWriter returns a Writer to w and writes (into its buffer) the header
// of a recording started at start by tool.
func NewWriter(w io.Writer, tool string, start time.Time) *Writer {
	rw := &Writer{bw: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 1024)}
	_ = rw.Write(&Entry{Kind: KindRecording, Time: start, Version: Version, Tool: tool})
	return rw
}

// Write appends e as one line. An error of the underlying writer is
// returned by this call or a later one, and by Flush.
func (w *Writer) Write(e *Entry) error {
	w.buf = AppendJSON(w.buf[:0], e)
	w.buf = append(w.buf, '\n')
	if cap(w.buf) > 1<<20 {
		defer func() { w.buf = make([]byte, 0, 1024) }() // do not keep a huge event's buffer
	}
	n, err := w.bw.Write(w.buf)
	w.bytes += int64(n)
	if err == nil {
		w.entries++
	}
	return err
}

// Flush writes the buffered lines to the underlying writer.
func (w *Writer) Flush() error { return w.bw.Flush() }

// Entries returns how many entries were written, the header included.
func (w *Writer) Entries() int64 { return w.entries }

// Bytes returns how many bytes were written, buffered ones included.
func (w *Writer) Bytes() int64 { return w.bytes }
