package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unsafe"
)

// Frame constructors for the tables.
func ev(id, typ, data string) Frame {
	return Frame{Kind: FrameEvent, Event: Event{ID: id, Type: typ, Data: data}}
}
func msg(data string) Frame       { return ev("", "message", data) }
func cm(text string) Frame        { return Frame{Kind: FrameComment, Comment: text} }
func rt(ms int64) Frame           { return Frame{Kind: FrameRetry, Retry: time.Duration(ms) * time.Millisecond} }
func idmsg(id, data string) Frame { return ev(id, "message", data) }

// maxFrames stops a decode that would run away.
const maxFrames = 100000

// decodeAll reads frames until an error and returns them with the last
// event ID string at that point and the error.
func decodeAll(r io.Reader, cfg DecoderConfig) ([]Frame, string, error) {
	return decodeFrom(r, cfg, "")
}

// decodeFrom is decodeAll with a last event ID string set first.
func decodeFrom(r io.Reader, cfg DecoderConfig, lastID string) ([]Frame, string, error) {
	d := NewDecoder(r, cfg)
	if lastID != "" {
		d.SetLastEventID(lastID)
	}
	var frames []Frame
	for len(frames) < maxFrames {
		f, err := d.Next()
		if err != nil {
			return frames, d.LastEventID(), err
		}
		frames = append(frames, f)
	}
	return frames, d.LastEventID(), errors.New("too many frames")
}

// chunkReader returns its chunks one Read at a time (each Read returns at
// most one chunk, possibly less if p is short).
type chunkReader struct {
	chunks [][]byte
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.chunks) > 0 && len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	return n, nil
}

func splitAt(in string, cuts ...int) io.Reader {
	var chunks [][]byte
	prev := 0
	for _, c := range cuts {
		chunks = append(chunks, []byte(in[prev:c]))
		prev = c
	}
	chunks = append(chunks, []byte(in[prev:]))
	return &chunkReader{chunks: chunks}
}

// readerVariant makes a reader over in; every variant must give the same
// frames.
type readerVariant struct {
	name string
	make func(in string) io.Reader
}

var readerVariants = []readerVariant{
	{"whole", func(in string) io.Reader { return strings.NewReader(in) }},
	{"one-byte", func(in string) io.Reader { return iotest.OneByteReader(strings.NewReader(in)) }},
	{"data-err", func(in string) io.Reader { return iotest.DataErrReader(strings.NewReader(in)) }},
	{"one-byte-data-err", func(in string) io.Reader {
		return iotest.DataErrReader(iotest.OneByteReader(strings.NewReader(in)))
	}},
	{"half", func(in string) io.Reader { return iotest.HalfReader(strings.NewReader(in)) }},
}

// checkAllSplits decodes in through every reader variant, every single
// split point and, for short inputs, every pair of split points, and
// checks that all give the same frames, last event ID and error as the
// whole-input decode. It returns that decode.
func checkAllSplits(t *testing.T, in string, cfg DecoderConfig) ([]Frame, string, error) {
	t.Helper()
	return checkAllSplitsFrom(t, in, cfg, "")
}

// checkAllSplitsFrom is checkAllSplits for a decoder whose last event ID
// string starts as lastID.
func checkAllSplitsFrom(t *testing.T, in string, cfg DecoderConfig, lastID string) ([]Frame, string, error) {
	t.Helper()
	want, wantID, wantErr := decodeFrom(strings.NewReader(in), cfg, lastID)
	same := func(how string, r io.Reader) {
		t.Helper()
		got, id, err := decodeFrom(r, cfg, lastID)
		if !equalFrames(got, want) || errString(err) != errString(wantErr) || id != wantID {
			t.Fatalf("%s: got %s, %v, last id %q\nwant %s, %v, last id %q",
				how, fmtFrames(got), err, id, fmtFrames(want), wantErr, wantID)
		}
	}
	for _, v := range readerVariants[1:] {
		same(v.name, v.make(in))
	}
	for i := 0; i <= len(in); i++ {
		same(fmt.Sprintf("split at %d", i), splitAt(in, i))
	}
	if len(in) <= 48 {
		for i := 0; i <= len(in); i++ {
			for j := i; j <= len(in); j++ {
				same(fmt.Sprintf("split at %d,%d", i, j), splitAt(in, i, j))
			}
		}
	}
	return want, wantID, wantErr
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func equalFrames(a, b []Frame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func withoutSizes(frames []Frame) []Frame {
	out := make([]Frame, len(frames))
	for i, f := range frames {
		f.Size = 0
		out[i] = f
	}
	return out
}

func fmtFrames(frames []Frame) string {
	var b strings.Builder
	b.WriteString("[")
	for i, f := range frames {
		if i > 0 {
			b.WriteString(", ")
		}
		switch f.Kind {
		case FrameEvent:
			fmt.Fprintf(&b, "event{id %q type %q data %q}", f.Event.ID, f.Event.Type, f.Event.Data)
		case FrameComment:
			fmt.Fprintf(&b, "comment %q", f.Comment)
		case FrameRetry:
			fmt.Fprintf(&b, "retry %v", f.Retry)
		case FrameOversized:
			fmt.Fprintf(&b, "oversized{id %q type %q preview %q %+v}", f.Event.ID, f.Event.Type, f.Event.Data, f.Oversized)
		default:
			fmt.Fprintf(&b, "%+v", f)
		}
		if f.Size != 0 {
			fmt.Fprintf(&b, " (%d B)", f.Size)
		}
	}
	b.WriteString("]")
	return b.String()
}

type decodeCase struct {
	name   string
	in     string
	want   []Frame
	lastID string // the last event ID string at EOF
}

var decodeCases = []decodeCase{
	// Line ends.
	{name: "LF", in: "data: hello\n\n", want: []Frame{msg("hello")}},
	{name: "CRLF", in: "data: hello\r\n\r\n", want: []Frame{msg("hello")}},
	{name: "CR", in: "data: hello\r\r", want: []Frame{msg("hello")}},
	{name: "CRLF is one line end", in: "data: a\r\ndata: b\r\n\r\n", want: []Frame{msg("a\nb")}},
	{name: "CR CR is two line ends", in: "data: a\r\rdata: b\r\r", want: []Frame{msg("a"), msg("b")}},
	{name: "LF CR is two line ends", in: "data: a\n\rdata: b\n\n", want: []Frame{msg("a"), msg("b")}},
	{name: "mixed line ends", in: "data:1\rdata:2\ndata:3\r\ndata:4\n\r\n", want: []Frame{msg("1\n2\n3\n4")}},
	{name: "CRLF then CR", in: "data: a\r\n\rdata: b\r\n\n", want: []Frame{msg("a"), msg("b")}},
	{name: "CR at EOF ends a line", in: "data: a\n\r", want: []Frame{msg("a")}},
	{name: "retry ended by CR at EOF", in: "retry: 5\r", want: []Frame{rt(5)}},
	{name: "many empty lines", in: "\n\r\n\r\r\n\n", want: nil},

	// End of input.
	{name: "empty input", in: "", want: nil},
	{name: "unterminated line dropped", in: "data: a\n\ndata: b", want: []Frame{msg("a")}},
	{name: "unfinished event dropped", in: "data: a\n\ndata: b\n", want: []Frame{msg("a")}},
	{name: "unterminated comment dropped", in: ": c\n: d", want: []Frame{cm("c")}},
	{name: "unterminated retry dropped", in: "retry: 5", want: nil},
	{name: "unfinished event's id not applied", in: "id: 1\ndata: a\n\nid: 2\ndata: b\n", want: []Frame{idmsg("1", "a")}, lastID: "1"},
	{name: "id-only block at EOF not applied", in: "id: 2\n", want: nil},

	// BOM.
	{name: "BOM stripped", in: "\xEF\xBB\xBFdata: 1\n\n", want: []Frame{msg("1")}},
	{name: "second BOM kept", in: "\xEF\xBB\xBF\xEF\xBB\xBFdata: 1\n\ndata: 2\n\n", want: []Frame{msg("2")}},
	{name: "BOM on later line kept", in: "data: 1\n\n\xEF\xBB\xBFdata: 2\n\ndata: 3\n\n", want: []Frame{msg("1"), msg("3")}},
	{name: "BOM alone", in: "\xEF\xBB\xBF", want: nil},
	{name: "BOM then empty line", in: "\xEF\xBB\xBF\n\ndata: 1\n\n", want: []Frame{msg("1")}},
	{name: "partial BOM is data", in: "\xEF\xBB\n\ndata: 1\n\n", want: []Frame{msg("1")}},
	{name: "partial BOM at EOF", in: "\xEF\xBB", want: nil},
	{name: "BOM prefix then other byte", in: "\xEF\xBBXdata: 1\n\ndata: 2\n\n", want: []Frame{msg("2")}},
	{name: "BOM in data kept", in: "data: \xEF\xBB\xBFx\n\n", want: []Frame{msg("\uFEFFx")}},

	// Dispatch.
	{name: "no data no event", in: "event: x\n\ndata: y\n\n", want: []Frame{msg("y")}},
	{name: "id-only block sets last id", in: "id: 5\n\ndata: y\n\n", want: []Frame{idmsg("5", "y")}, lastID: "5"},
	{name: "id persists", in: "id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n",
		want: []Frame{idmsg("1", "a"), idmsg("1", "b"), idmsg("2", "c")}, lastID: "2"},
	{name: "same id again", in: "id: 1\ndata: a\n\nid: 1\ndata: b\n\n", want: []Frame{idmsg("1", "a"), idmsg("1", "b")}, lastID: "1"},
	{name: "empty id resets", in: "id: 1\ndata: a\n\nid:\ndata: b\n\n", want: []Frame{idmsg("1", "a"), msg("b")}},
	{name: "bare id resets", in: "id: 1\ndata: a\n\nid\ndata: b\n\n", want: []Frame{idmsg("1", "a"), msg("b")}},
	{name: "id space only resets", in: "id: 1\ndata: a\n\nid: \ndata: b\n\n", want: []Frame{idmsg("1", "a"), msg("b")}},
	{name: "id after data applies", in: "data: a\nid: 7\n\n", want: []Frame{idmsg("7", "a")}, lastID: "7"},
	{name: "last id line wins", in: "id: 1\nid: 2\ndata: a\n\n", want: []Frame{idmsg("2", "a")}, lastID: "2"},
	{name: "id with NUL ignored", in: "id: 1\ndata: a\n\nid: 2\x00\ndata: b\n\n", want: []Frame{idmsg("1", "a"), idmsg("1", "b")}, lastID: "1"},
	{name: "NUL id does not reset", in: "id: 1\nid: \x00\ndata: a\n\n", want: []Frame{idmsg("1", "a")}, lastID: "1"},
	{name: "id keeps spaces after the first", in: "id:  a b \ndata: x\n\n", want: []Frame{idmsg(" a b ", "x")}, lastID: " a b "},
	{name: "event type", in: "event: add\ndata: 1\n\ndata: 2\n\n", want: []Frame{ev("", "add", "1"), msg("2")}},
	{name: "empty event type is message", in: "event:\ndata: 1\n\n", want: []Frame{msg("1")}},
	{name: "event type reset by empty event", in: "event: a\nevent\ndata: 1\n\n", want: []Frame{msg("1")}},
	{name: "event type cleared by no-data dispatch", in: "event: a\n\ndata: 1\n\n", want: []Frame{msg("1")}},
	{name: "last event line wins", in: "event: a\nevent: b\ndata: 1\n\n", want: []Frame{ev("", "b", "1")}},
	{name: "event types alternate", in: "event: a\ndata: 1\n\nevent: b\ndata: 2\n\nevent: a\ndata: 3\n\nevent: b\ndata: 4\n\n",
		want: []Frame{ev("", "a", "1"), ev("", "b", "2"), ev("", "a", "3"), ev("", "b", "4")}},

	// Data.
	{name: "empty data", in: "data:\n\n", want: []Frame{msg("")}},
	{name: "bare data", in: "data\n\n", want: []Frame{msg("")}},
	{name: "two bare data", in: "data\ndata\n\n", want: []Frame{msg("\n")}},
	{name: "data space only", in: "data: \n\n", want: []Frame{msg("")}},
	{name: "one space stripped", in: "data:  two\n\n", want: []Frame{msg(" two")}},
	{name: "tab kept", in: "data:\tx\n\n", want: []Frame{msg("\tx")}},
	{name: "trailing space kept", in: "data: x \n\n", want: []Frame{msg("x ")}},
	{name: "colon in value", in: "data: a:b: c\n\n", want: []Frame{msg("a:b: c")}},
	{name: "NUL in data kept", in: "data: \x00a\x00\n\n", want: []Frame{msg("\x00a\x00")}},
	{name: "multi-line data", in: "data: a\ndata: b\ndata: c\n\n", want: []Frame{msg("a\nb\nc")}},
	{name: "data ending in empty line", in: "data: a\ndata:\n\n", want: []Frame{msg("a\n")}},

	// Fields.
	{name: "field names case-sensitive", in: "Data: x\nDATA: y\ndata: z\n\n", want: []Frame{msg("z")}},
	{name: "unknown fields ignored", in: "foo: x\nbar\ndata: z\n\n", want: []Frame{msg("z")}},
	{name: "leading space makes unknown field", in: " data: x\ndata: z\n\n", want: []Frame{msg("z")}},
	{name: "space before colon makes unknown field", in: "data : x\ndata: z\n\n", want: []Frame{msg("z")}},
	{name: "NUL in name makes unknown field", in: "data\x00: x\ndata: z\n\n", want: []Frame{msg("z")}},
	{name: "prefix of a field name", in: "dat: x\nd\ndata: z\n\n", want: []Frame{msg("z")}},

	// Comments.
	{name: "comment", in: ": hello\n", want: []Frame{cm("hello")}},
	{name: "comment without space", in: ":hello\n", want: []Frame{cm("hello")}},
	{name: "comment keeps second space", in: ":  two\n", want: []Frame{cm(" two")}},
	{name: "empty comment", in: ":\n", want: []Frame{cm("")}},
	{name: "comment with colons", in: ":data: x\n", want: []Frame{cm("data: x")}},
	{name: "comment inside event", in: "data: a\n: ping\ndata: b\n\n", want: []Frame{cm("ping"), msg("a\nb")}},
	{name: "comment with NUL", in: ":\x00\n", want: []Frame{cm("\x00")}},

	// Retry.
	{name: "retry", in: "retry: 1000\n", want: []Frame{rt(1000)}},
	{name: "retry leading zeros", in: "retry:03000\n", want: []Frame{rt(3000)}},
	{name: "retry zero", in: "retry: 0\n", want: []Frame{rt(0)}},
	{name: "retry bogus ignored", in: "retry: 1000x\nretry: x\nretry: -1\nretry: +1\nretry: 1.5\nretry: 1 \n", want: nil},
	{name: "retry empty ignored", in: "retry\nretry:\nretry: \n", want: nil},
	{name: "retry two spaces ignored", in: "retry:  10\n", want: nil},
	{name: "retry mid-event", in: "data: a\nretry: 7\ndata: b\n\n", want: []Frame{rt(7), msg("a\nb")}},
	{name: "retry saturates", in: "retry: 99999999999999999999999999\n", want: []Frame{{Kind: FrameRetry, Retry: time.Duration(math.MaxInt64)}}},
	{name: "retry non-ASCII digits ignored", in: "retry: \uFF11\n", want: nil},

	// UTF-8.
	{name: "valid UTF-8", in: "data: ok\u2026 \U0001F600\n\n", want: []Frame{msg("ok\u2026 \U0001F600")}},
	{name: "truncated 4-byte sequence", in: "data: \xF0\x9F\x98A\n\n", want: []Frame{msg("\uFFFDA")}},
	{name: "overlong NUL", in: "data: \xC0\x80\n\n", want: []Frame{msg("\uFFFD\uFFFD")}},
	{name: "surrogate", in: "data: \xED\xA0\x80\n\n", want: []Frame{msg("\uFFFD\uFFFD\uFFFD")}},
	{name: "above U+10FFFF", in: "data: \xF4\x90\x80\x80\n\n", want: []Frame{msg("\uFFFD\uFFFD\uFFFD\uFFFD")}},
	{name: "truncated at line end", in: "data: a\xE2\x80\ndata: b\n\n", want: []Frame{msg("a\uFFFD\nb")}},
	{name: "lone continuation bytes", in: "data: \x80\xBF\n\n", want: []Frame{msg("\uFFFD\uFFFD")}},
	{name: "FF byte", in: "data: \xFF\xFE\n\n", want: []Frame{msg("\uFFFD\uFFFD")}},
	{name: "invalid id replaced", in: "id: \xFF\ndata: a\n\n", want: []Frame{idmsg("\uFFFD", "a")}, lastID: "\uFFFD"},
	{name: "invalid event replaced", in: "event: \xFFx\ndata: a\n\n", want: []Frame{ev("", "\uFFFDx", "a")}},
	{name: "invalid comment replaced", in: ": \xC3\n", want: []Frame{cm("\uFFFD")}},
	{name: "invalid byte in field name", in: "dat\xE1: x\ndata: z\n\n", want: []Frame{msg("z")}},
	{name: "CR inside a sequence", in: "data: \xE2\x80\rdata: \x82\n\n", want: []Frame{msg("\uFFFD\n\uFFFD")}},
}

func TestDecoder(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			got, lastID, err := checkAllSplits(t, tc.in, DecoderConfig{})
			if err != io.EOF {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			if !equalFrames(withoutSizes(got), tc.want) {
				t.Errorf("got  %s\nwant %s", fmtFrames(got), fmtFrames(tc.want))
			}
			if lastID != tc.lastID {
				t.Errorf("LastEventID() = %q, want %q", lastID, tc.lastID)
			}
		})
	}
}

func TestDecoderSmallBuffers(t *testing.T) {
	// A buffer smaller than a line must grow; the frames stay the same.
	for _, tc := range decodeCases {
		for _, size := range []int{1, 2, 3, 7} {
			got, lastID, err := decodeAll(iotest.HalfReader(strings.NewReader(tc.in)), DecoderConfig{BufferSize: size})
			want, wantID, wantErr := decodeAll(strings.NewReader(tc.in), DecoderConfig{})
			if !equalFrames(got, want) || err != wantErr || lastID != wantID {
				t.Errorf("%s, buffer %d: got %s, %v, %q; want %s, %v, %q",
					tc.name, size, fmtFrames(got), err, lastID, fmtFrames(want), wantErr, wantID)
			}
		}
	}
}

func TestDecoderSize(t *testing.T) {
	tests := []struct {
		in    string
		sizes []int
	}{
		{"data: a\n\n", []int{9}},
		{"\xEF\xBB\xBFdata: a\n\n", []int{12}},
		{": c\nid: 1\n\ndata: a\n\n", []int{4, 6 + 1 + 9}},
		{"retry: 1\ndata: a\n\n", []int{9, 9}},
		// The LF of a CRLF that ends a frame's line counts in the next frame.
		{"data: a\r\n\r\ndata: b\r\n\r\n", []int{10, 11}},
		{": a\r\n: b\r\n", []int{4, 5}},
		// Lines after the last frame are not counted anywhere.
		{"data: a\n\nevent: x\n", []int{9}},
	}
	for _, tc := range tests {
		got, _, err := checkAllSplits(t, tc.in, DecoderConfig{})
		if err != io.EOF {
			t.Fatalf("%q: err = %v", tc.in, err)
		}
		var sizes []int
		for _, f := range got {
			sizes = append(sizes, f.Size)
		}
		if fmt.Sprint(sizes) != fmt.Sprint(tc.sizes) {
			t.Errorf("%q: sizes %v, want %v", tc.in, sizes, tc.sizes)
		}
	}
}

func TestDecoderErrorsAreSticky(t *testing.T) {
	d := NewDecoder(strings.NewReader("data: a\n\n"), DecoderConfig{})
	d.Next()
	for range 3 {
		if _, err := d.Next(); err != io.EOF {
			t.Fatalf("err = %v after EOF", err)
		}
	}
}

// errAfterReader returns its data, then err.
type errAfterReader struct {
	data []byte
	err  error
}

func (r *errAfterReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestDecoderReadError(t *testing.T) {
	boom := errors.New("boom")
	d := NewDecoder(&errAfterReader{data: []byte("id: 1\ndata: a\n\nid: 2\ndata: b\n"), err: boom}, DecoderConfig{})
	f, err := d.Next()
	if err != nil || f.Event.Data != "a" {
		t.Fatalf("first frame %s, %v", fmtFrames([]Frame{f}), err)
	}
	if _, err := d.Next(); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if _, err := d.Next(); !errors.Is(err, boom) {
		t.Fatalf("second call: err = %v, want boom again", err)
	}
	if id := d.LastEventID(); id != "1" {
		t.Errorf("LastEventID() = %q: the unfinished event's id must not apply", id)
	}
	// The same with the error returned alongside the last bytes.
	d = NewDecoder(iotest.DataErrReader(&errAfterReader{data: []byte("data: a\n\n"), err: boom}), DecoderConfig{})
	if f, err := d.Next(); err != nil || f.Event.Data != "a" {
		t.Fatalf("frame %s, %v", fmtFrames([]Frame{f}), err)
	}
	if _, err := d.Next(); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}

type noProgressReader struct{}

func (noProgressReader) Read([]byte) (int, error) { return 0, nil }

func TestDecoderNoProgress(t *testing.T) {
	d := NewDecoder(noProgressReader{}, DecoderConfig{})
	if _, err := d.Next(); err != io.ErrNoProgress {
		t.Fatalf("err = %v, want io.ErrNoProgress", err)
	}
}

type overCountReader struct{}

func (overCountReader) Read(p []byte) (int, error) { return len(p) + 1, nil }

func TestDecoderBadReader(t *testing.T) {
	d := NewDecoder(overCountReader{}, DecoderConfig{})
	if _, err := d.Next(); err == nil || err == io.EOF {
		t.Fatalf("err = %v, want an error", err)
	}
}

func TestDecoderReset(t *testing.T) {
	d := NewDecoder(strings.NewReader("\xEF\xBB\xBFid: 1\ndata: a\n\nid: 2\nevent: x\ndata: lost\n"), DecoderConfig{})
	f, _ := d.Next()
	if f.Event != (Event{ID: "1", Type: "message", Data: "a"}) {
		t.Fatalf("first event %+v", f.Event)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("err = %v, want EOF", err)
	}
	// New stream: BOM stripped again, the pending event and its id and type
	// gone, the last event ID kept and carried by events without an id.
	d.Reset(strings.NewReader("\xEF\xBB\xBFdata: b\n\n"))
	f, err := d.Next()
	if err != nil || f.Event != (Event{ID: "1", Type: "message", Data: "b"}) || f.Size != 12 {
		t.Fatalf("after Reset: %s, %v", fmtFrames([]Frame{f}), err)
	}
	if d.LastEventID() != "1" {
		t.Errorf("LastEventID() = %q", d.LastEventID())
	}

	// Reset in the middle of a buffered stream drops what is buffered.
	d = NewDecoder(strings.NewReader("data: a\n\ndata: b\n\ndata: c\n\n"), DecoderConfig{})
	d.Next()
	d.Reset(strings.NewReader("data: z\n\n"))
	if f, _ := d.Next(); f.Event.Data != "z" {
		t.Fatalf("after Reset mid-stream: %s", fmtFrames([]Frame{f}))
	}

	// Reset forgets an oversized event being skipped; a CR at the end of
	// the old stream does not eat an LF at the start of the new one.
	d = NewDecoder(strings.NewReader("data: "+strings.Repeat("x", 100)+"\n"), DecoderConfig{MaxEventBytes: 8})
	d.report = 16
	if f, err := d.Next(); err != nil || f.Kind != FrameOversized || !f.Oversized.More {
		t.Fatalf("no report of the oversized event: %s, %v", fmtFrames([]Frame{f}), err)
	}
	d.Reset(strings.NewReader("data: ok\n\n"))
	if f, err := d.Next(); err != nil || f.Event.Data != "ok" {
		t.Fatalf("after Reset while skipping: %s, %v", fmtFrames([]Frame{f}), err)
	}
	d = NewDecoder(strings.NewReader("data: a\r"), DecoderConfig{})
	d.Next()
	d.Reset(strings.NewReader("\ndata: b\n\n"))
	if f, err := d.Next(); err != nil || f.Event.Data != "b" {
		t.Fatalf("LF after CR across Reset: %s, %v", fmtFrames([]Frame{f}), err)
	}

	// An id-only block at the end of a stream is not applied.
	d = NewDecoder(strings.NewReader("id: 9\n"), DecoderConfig{})
	d.Next()
	d.Reset(strings.NewReader("data: x\n\n"))
	if f, _ := d.Next(); f.Event.ID != "" || d.LastEventID() != "" {
		t.Fatalf("id of an unfinished block applied: %s, %q", fmtFrames([]Frame{f}), d.LastEventID())
	}
}

func TestDecoderSetLastEventID(t *testing.T) {
	d := NewDecoder(strings.NewReader("data: a\n\nid\ndata: b\n\n"), DecoderConfig{})
	d.SetLastEventID("42")
	if d.LastEventID() != "42" {
		t.Fatalf("LastEventID() = %q", d.LastEventID())
	}
	f, _ := d.Next()
	if f.Event.ID != "42" {
		t.Errorf("first event id %q, want 42", f.Event.ID)
	}
	f, _ = d.Next()
	if f.Event.ID != "" || d.LastEventID() != "" {
		t.Errorf("after bare id: event id %q, last %q", f.Event.ID, d.LastEventID())
	}
	// Set while an id line is pending: the pending id is replaced.
	d = NewDecoder(strings.NewReader("id: 1\n"), DecoderConfig{})
	d.Next()
	d.SetLastEventID("7")
	d.Reset(strings.NewReader("data: x\n\n"))
	if f, _ := d.Next(); f.Event.ID != "7" {
		t.Errorf("event id %q, want 7", f.Event.ID)
	}
}

func TestFrameKindString(t *testing.T) {
	for k, want := range map[FrameKind]string{FrameEvent: "event", FrameComment: "comment", FrameRetry: "retry", 0: "FrameKind(0)", 9: "FrameKind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q, want %q", k, got, want)
		}
	}
}

// endlessReader returns an endless run of one byte, n bytes per Read at most.
type endlessReader struct {
	b byte
	n int
}

func (e endlessReader) Read(p []byte) (int, error) {
	if e.n > 0 && len(p) > e.n {
		p = p[:e.n]
	}
	for i := range p {
		p[i] = e.b
	}
	return len(p), nil
}

// repeatReader repeats line forever.
type repeatReader struct {
	line []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

// smallReads returns at most n bytes per Read.
type smallReads struct {
	r io.Reader
	n int
}

func (s smallReads) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.n)]) }

func TestDecoderLongLineSmallReads(t *testing.T) {
	// A 4 MiB line arriving 8 bytes per Read is scanned once, not once per
	// Read (that would be ~2e12 byte comparisons: minutes, not the ~1 s
	// this takes under -race on a busy machine).
	const n = 4 << 20
	in := "data: " + strings.Repeat("x", n) + "\r\n\r\n"
	start := time.Now()
	d := NewDecoder(smallReads{strings.NewReader(in), 8}, DecoderConfig{MaxEventBytes: 2 * n})
	f, err := d.Next()
	if err != nil || len(f.Event.Data) != n {
		t.Fatalf("got %d bytes, %v", len(f.Event.Data), err)
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Errorf("took %v", el)
	}
	// Many CR-only lines in one buffer followed by a far LF: each line is
	// found without rescanning up to the LF.
	in = strings.Repeat("data: x\r", 200000) + "\r\n"
	start = time.Now()
	d = NewDecoder(strings.NewReader(in), DecoderConfig{BufferSize: 4 << 20, MaxEventBytes: 4 << 20})
	f, err = d.Next()
	if err != nil || len(f.Event.Data) != 2*200000-1 {
		t.Fatalf("got %d bytes, %v", len(f.Event.Data), err)
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Errorf("took %v", el)
	}
}

func TestDecoderAllocs(t *testing.T) {
	var b bytes.Buffer
	for i := range 100 {
		fmt.Fprintf(&b, "id: %d\nevent: update\ndata: {\"n\":%d}\n\n", i, i)
	}
	in := b.Bytes()
	r := bytes.NewReader(in)
	d := NewDecoder(r, DecoderConfig{})
	// The count is process-wide: take the least of three measurements.
	allocs := math.Inf(1)
	for range 3 {
		allocs = min(allocs, testing.AllocsPerRun(20, func() {
			r.Reset(in)
			d.Reset(r)
			for {
				if _, err := d.Next(); err != nil {
					break
				}
			}
		}))
	}
	if perEvent := allocs / 100; perEvent > 1 {
		t.Errorf("%.2f allocations per event, want ≤ 1", perEvent)
	}
}

func TestDecoderResetReleasesGrownBuffers(t *testing.T) {
	big := strings.Repeat("x", 300<<10)
	// Two data lines: a single one is not copied into the data buffer.
	d := NewDecoder(strings.NewReader("data: "+big+"\ndata: y\n\n"), DecoderConfig{BufferSize: 4096})
	if f, err := d.Next(); err != nil || len(f.Event.Data) != len(big)+2 {
		t.Fatalf("%d bytes, %v", len(f.Event.Data), err)
	}
	if len(d.buf) <= 4096 || cap(d.data) <= releaseAbove {
		t.Fatalf("buffers did not grow: %d, %d", len(d.buf), cap(d.data))
	}
	d.Reset(strings.NewReader("data: small\n\n"))
	if f, err := d.Next(); err != nil || f.Event.Data != "small" {
		t.Fatalf("after Reset: %s, %v", fmtFrames([]Frame{f}), err)
	}
	if len(d.buf) != 4096 || cap(d.data) > releaseAbove {
		t.Errorf("after Reset: read buffer %d, data buffer %d", len(d.buf), cap(d.data))
	}
}

func TestDecoderLargeEventIDNotShared(t *testing.T) {
	// The last event ID string of a large event must not keep its data
	// alive; a small event's ID and data share one allocation.
	for _, n := range []int{100, shareIDMax + 1} {
		d := NewDecoder(strings.NewReader("id: 1\ndata: "+strings.Repeat("x", n)+"\n\n"), DecoderConfig{})
		f, err := d.Next()
		if err != nil || f.Event.ID != "1" || len(f.Event.Data) != n {
			t.Fatalf("%d: %v", n, err)
		}
		id, data := unsafe.StringData(d.LastEventID()), unsafe.StringData(f.Event.Data)
		shared := uintptr(unsafe.Pointer(id))+1 == uintptr(unsafe.Pointer(data))
		if shared != (n <= shareIDMax) {
			t.Errorf("data of %d bytes: ID shares the data's allocation: %v", n, shared)
		}
	}
}

func TestDecoderHugeLimits(t *testing.T) {
	cfg := DecoderConfig{MaxEventBytes: math.MaxInt, BufferSize: math.MaxInt}
	d := NewDecoder(iotest.HalfReader(strings.NewReader("data: a\n\ndata: "+strings.Repeat("y", 5000)+"\n\n")), cfg)
	d.buf = make([]byte, 16) // do not allocate MaxInt/4 bytes up front
	d.bufSize = 16
	for _, want := range []int{1, 5000} {
		if f, err := d.Next(); err != nil || len(f.Event.Data) != want {
			t.Fatalf("%d bytes, %v; want %d", len(f.Event.Data), err, want)
		}
	}
}
