package client

import (
	"hash/fnv"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func FuzzDecoder(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.in))
	}
	for _, s := range []string{
		"\xEF\xBB\xBF\xEF\xBB\xBFdata:1\r\n\r\n",
		"data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n",
		"id: 1\ndata: a\n\nid: \x00\nevent: e\ndata: \xF0\x9F\x98A\r\rretry: 0009\n:c\r\n",
		"data: " + strings.Repeat("x", 40) + "\n\n" + ":" + strings.Repeat("y", 40) + "\r",
		"event: " + strings.Repeat("e", 20) + "\nid: " + strings.Repeat("i", 20) + "\ndata\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, cfg := range []DecoderConfig{
			{},
			{MaxEventBytes: 16, BufferSize: 4},
		} {
			whole, lastID, err := decodeAll(strings.NewReader(string(in)), cfg)
			checkFrames(t, in, cfg, whole, err)

			if cfg.MaxEventBytes != 0 {
				checkBuffers(t, in, cfg)
			}

			// Differential: the same frames whatever the read sizes.
			for _, r := range []io.Reader{
				iotest.OneByteReader(strings.NewReader(string(in))),
				&chunkReader{chunks: fuzzChunks(in)},
			} {
				got, lastID2, err2 := decodeAll(r, cfg)
				if !equalFrames(got, whole) || errString(err2) != errString(err) || lastID2 != lastID {
					t.Fatalf("cfg %+v: split reads give %s, %v, %q\nwhole input gives %s, %v, %q",
						cfg, fmtFrames(got), err2, lastID2, fmtFrames(whole), err, lastID)
				}
			}
		}
	})
}

// fuzzChunks cuts in into chunks of sizes derived from its hash, so that a
// failing input reproduces the same cuts.
func fuzzChunks(in []byte) [][]byte {
	h := fnv.New64a()
	h.Write(in)
	seed := h.Sum64()
	var chunks [][]byte
	for len(in) > 0 {
		seed = seed*6364136223846793005 + 1442695040888963407
		n := min(int(seed>>59)+1, len(in)) // 1..32
		chunks = append(chunks, in[:n])
		in = in[n:]
	}
	return chunks
}

// checkFrames checks the invariants of a decode of in.
func checkFrames(t *testing.T, in []byte, cfg DecoderConfig, frames []Frame, err error) {
	t.Helper()
	if err != io.EOF {
		t.Fatalf("unexpected error %v: an oversized event never ends the stream", err)
	}
	maxEvent := cfg.MaxEventBytes
	if maxEvent == 0 {
		maxEvent = DefaultMaxEventBytes
	}
	maxLine := maxEvent + lineSlack
	out, size, prevID := 0, 0, ""
	var overs [2]Oversized // the last report of an oversized event, of a comment line
	for _, f := range frames {
		// An oversized event's last report at the end of the input can
		// come right after a comment frame that took the bytes.
		if f.Size <= 0 && (f.Kind != FrameOversized || f.Size < 0) {
			t.Fatalf("frame %s has size %d", fmtFrames([]Frame{f}), f.Size)
		}
		size += f.Size
		switch f.Kind {
		case FrameEvent:
			e := f.Event
			if e.Type == "" {
				t.Fatalf("event with empty type")
			}
			if strings.IndexByte(e.ID, 0) >= 0 {
				t.Fatalf("id %q contains NUL", e.ID)
			}
			if !utf8.ValidString(e.ID) || !utf8.ValidString(e.Type) || !utf8.ValidString(e.Data) {
				t.Fatalf("invalid UTF-8 in %+v", e)
			}
			if n := len(e.Data); n > maxEvent {
				t.Fatalf("data of %d bytes over the %d limit", n, maxEvent)
			}
			out += len(e.Data)
			if e.Type != "message" {
				out += len(e.Type)
			}
			if e.ID != prevID {
				out += len(e.ID)
				prevID = e.ID
			}
		case FrameComment:
			if !utf8.ValidString(f.Comment) {
				t.Fatalf("invalid UTF-8 in comment %q", f.Comment)
			}
			if len(f.Comment) > 3*maxLine {
				t.Fatalf("comment of %d bytes over 3× the %d line limit", len(f.Comment), maxLine)
			}
			out += len(f.Comment)
		case FrameRetry:
			if f.Retry < 0 {
				t.Fatalf("negative retry %v", f.Retry)
			}
		case FrameOversized:
			o := f.Oversized
			k := 0
			if o.Comment {
				k = 1
			}
			over := &overs[k]
			if o.Again != over.More || o.Cap != maxEvent {
				t.Fatalf("report %+v after %+v", o, *over)
			}
			if o.Again && o.Bytes < over.Bytes || o.Bytes <= 0 || o.Bytes > int64(len(in)) {
				t.Fatalf("oversized size %d after %d, input %d bytes", o.Bytes, over.Bytes, len(in))
			}
			if !utf8.ValidString(f.Event.Data) || len(f.Event.Data) > OversizedPreview {
				t.Fatalf("preview %q", f.Event.Data)
			}
			*over = o
			out += len(f.Event.Data)
		default:
			t.Fatalf("frame of kind %v", f.Kind)
		}
	}
	if out > 3*len(in) {
		t.Fatalf("%d bytes of output from %d bytes of input", out, len(in))
	}
	if size > len(in) {
		t.Fatalf("frame sizes add up to %d, input is %d bytes", size, len(in))
	}
}

// checkBuffers decodes in one byte at a time and checks after every frame
// that the decoder's buffers stay within the limits.
func checkBuffers(t *testing.T, in []byte, cfg DecoderConfig) {
	t.Helper()
	d := NewDecoder(iotest.OneByteReader(strings.NewReader(string(in))), cfg)
	for {
		_, err := d.Next()
		maxLine := cfg.MaxEventBytes + lineSlack
		if len(d.buf) > max(maxLine+1, 4) || cap(d.data) > cfg.MaxEventBytes+1 ||
			cap(d.utf8buf) > 3*maxLine || cap(d.preview) > OversizedPreview+utf8.UTFMax ||
			cap(d.longHead) > OversizedPreview+utf8.UTFMax {
			t.Fatalf("buffers grew to %d (read), %d (data), %d (UTF-8) with limits %+v",
				len(d.buf), cap(d.data), cap(d.utf8buf), cfg)
		}
		if err != nil {
			return
		}
	}
}
