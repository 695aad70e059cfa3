package client

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNDJSONDecoder(t *testing.T) {
	long := `{"x":"` + strings.Repeat("a", 100) + `"}`
	tests := []struct {
		name    string
		in      string
		want    []string
		skipped uint64
	}{
		{"lines", "{\"a\":1}\n{\"a\":2}\n", []string{`{"a":1}`, `{"a":2}`}, 0},
		{"crlf and blanks", "{\"a\":1}\r\n\r\n  \n{\"a\":2}\r\n", []string{`{"a":1}`, `{"a":2}`}, 0},
		{"no final newline", "{\"a\":1}\n{\"a\":2}", []string{`{"a":1}`, `{"a":2}`}, 0},
		{"bom", "\xEF\xBB\xBF{\"a\":1}\n", []string{`{"a":1}`}, 0},
		{"json-seq", "\x1e{\"a\":1}\n\x1e{\"a\":2}\n", []string{`{"a":1}`, `{"a":2}`}, 0},
		{"not json is kept", "hello\n", []string{"hello"}, 0},
		{"invalid utf-8", "{\"a\":\"\xff\"}\n", []string{"{\"a\":\"\uFFFD\"}"}, 0},
		{"oversized skipped, stream goes on", "{\"a\":1}\n" + long + "\n{\"a\":2}\n" + long + "\r\n" + long,
			[]string{`{"a":1}`, "oversized 109: " + long, `{"a":2}`, "oversized 110: " + long, "oversized 108: " + long}, 3},
		{"cap exactly hit", strings.Repeat("7", 64) + "\n" + strings.Repeat("8", 65) + "\n", []string{strings.Repeat("7", 64), "oversized 66: " + strings.Repeat("8", 65)}, 1},
	}
	for _, tt := range tests {
		for _, split := range []string{"whole", "bytes"} {
			var r io.Reader = strings.NewReader(tt.in)
			if split == "bytes" {
				r = iotest.OneByteReader(r)
			}
			d := NewNDJSONDecoder(r, DecoderConfig{MaxEventBytes: 64, BufferSize: 16})
			var got []string
			total := 0
			for {
				f, err := d.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%s/%s: %v", tt.name, split, err)
				}
				if f.Kind == FrameOversized {
					if o := f.Oversized; o.More || o.Again || o.Comment || o.Cap != 64 {
						t.Errorf("%s/%s: report %+v", tt.name, split, o)
					}
					got = append(got, fmt.Sprintf("oversized %d: %s", f.Oversized.Bytes, f.Event.Data))
					total += f.Size
					continue
				}
				if f.Kind != FrameEvent || f.Event.Type != "message" {
					t.Errorf("%s: frame %+v", tt.name, f)
				}
				got = append(got, f.Event.Data)
				total += f.Size
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || d.Skipped() != tt.skipped {
				t.Errorf("%s/%s: got %q skipped %d, want %q skipped %d", tt.name, split, got, d.Skipped(), tt.want, tt.skipped)
			}
			if total != len(strings.TrimRight(tt.in, "\n")) && total != len(tt.in) {
				t.Errorf("%s/%s: sizes sum to %d for %d bytes of input", tt.name, split, total, len(tt.in))
			}
		}
	}
}

func TestNDJSONDecoderCapIsEventCap(t *testing.T) {
	d := NewNDJSONDecoder(strings.NewReader("12345678901\n1234\n"), DecoderConfig{MaxEventBytes: 10})
	f, err := d.Next()
	if err != nil || f.Kind != FrameOversized || f.Oversized.Bytes != 12 || f.Oversized.Cap != 10 || d.Skipped() != 1 {
		t.Fatalf("got %+v %v skipped %d", f, err, d.Skipped())
	}
	f, err = d.Next()
	if err != nil || f.Event.Data != "1234" {
		t.Fatalf("got %+v %v", f, err)
	}
	if _, err := d.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("want EOF, got %v", err)
	}
}

func TestNDJSONDecoderReaderError(t *testing.T) {
	boom := errors.New("boom")
	d := NewNDJSONDecoder(io.MultiReader(strings.NewReader("{}\n{\"par"), iotest.ErrReader(boom)), DecoderConfig{})
	if f, err := d.Next(); err != nil || f.Event.Data != "{}" {
		t.Fatalf("got %+v %v", f, err)
	}
	// The unfinished line is delivered, then the error.
	if f, err := d.Next(); err != nil || f.Event.Data != `{"par` {
		t.Fatalf("got %+v %v", f, err)
	}
	if _, err := d.Next(); !errors.Is(err, boom) {
		t.Fatalf("want boom, got %v", err)
	}
}

func TestFormatOf(t *testing.T) {
	for ct, want := range map[string]Format{
		"text/event-stream":                FormatSSE,
		"Text/Event-Stream; charset=utf-8": FormatSSE,
		"application/x-ndjson":             FormatNDJSON,
		"application/jsonl; charset=utf-8": FormatNDJSON,
		"application/json-seq":             FormatNDJSON,
		"application/json":                 FormatAuto,
		"":                                 FormatAuto,
		"text/event-stream;":               FormatSSE,
	} {
		if got := FormatOf(ct); got != want {
			t.Errorf("FormatOf(%q) = %v, want %v", ct, got, want)
		}
	}
	for in, want := range map[string]Format{"": FormatAuto, "AUTO": FormatAuto, "sse": FormatSSE, "jsonl": FormatNDJSON, "ndjson": FormatNDJSON} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	var ce *ConfigError
	if _, err := ParseFormat("xml"); !errors.As(err, &ce) {
		t.Errorf("ParseFormat(xml): %v", err)
	}
}
