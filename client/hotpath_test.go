package client

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestUTF8Prefix(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		bad  bool
		name string
	}{
		{"", 0, false, "empty"},
		{"data: x\n", 8, false, "ASCII"},
		{"é€😀\n", 10, false, "whole characters"},
		{"ab\xE2\x82", 2, false, "character cut at the end"},
		{"ab\xF0\x9F\x98", 2, false, "four-byte character cut at the end"},
		{"ab\xC3", 2, false, "two-byte character cut after its first byte"},
		{"ab\xE2\x82\xAC", 5, false, "character completed"},
		{"a\xFFb", 1, true, "invalid byte"},
		{"a\x80", 1, true, "lone continuation byte at the end"},
		{"ab\x80\x80\x80\x80", 2, true, "continuation bytes only at the end"},
		{"a\xE2\x28\xA1", 1, true, "bad second byte"},
		{"a\xE0\x80", 1, true, "overlong start cut at the end"},
		{"abc\xED\xA0\x80", 3, true, "surrogate"},
		{"é\xF4\x90\x80\x80", 2, true, "past U+10FFFF"},
		{"x\xC0\x80y", 1, true, "overlong NUL"},
		{"\xEF\xBB\xBFdata", 7, false, "BOM"},
		{"ok\n" + strings.Repeat("é", 100) + "\xFF" + "tail", 203, true, "invalid byte after a long valid run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, bad := utf8Prefix([]byte(tt.in))
			if n != tt.n || bad != tt.bad {
				t.Errorf("utf8Prefix(%q) = %d, %v; want %d, %v", tt.in, n, bad, tt.n, tt.bad)
			}
			if !utf8.ValidString(tt.in[:n]) {
				t.Errorf("prefix %q is not valid UTF-8", tt.in[:n])
			}
		})
	}
}

// TestDecoderReadValidation decodes streams mixing valid and ill-formed
// UTF-8 through every split and read size: lines in the part of a read
// checked as a whole, lines after an ill-formed sequence in the same read,
// characters cut by a read, single data lines kept in the read buffer
// while it moves.
func TestDecoderReadValidation(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Event
	}{
		{
			name: "ill-formed byte, then valid lines in the same read",
			in:   "data: a\xFFb\n\ndata: ok\n\nid: \xC3\ndata: x\n\ndata: é\n\n",
			want: []Event{
				{Type: "message", Data: "a\uFFFDb"},
				{Type: "message", Data: "ok"},
				{ID: "\uFFFD", Type: "message", Data: "x"},
				{ID: "\uFFFD", Type: "message", Data: "é"},
			},
		},
		{
			name: "ill-formed line starts the read",
			in:   "\xFF\n\xC0\x80: c\ndata:\xE2\x82\xAC\xE2\x82\n\n",
			want: []Event{{Type: "message", Data: "€\uFFFD"}},
		},
		{
			name: "multi-byte characters across lines and events",
			in:   "data: 😀\ndata: 中文\n\nid: ü\ndata: ✓\n\n",
			want: []Event{
				{Type: "message", Data: "😀\n中文"},
				{ID: "ü", Type: "message", Data: "✓"},
			},
		},
		{
			name: "single data line, then a second one",
			in:   "data: first line\nid: 7\ndata: second\n\ndata: alone\nevent: e\n\n",
			want: []Event{
				{ID: "7", Type: "message", Data: "first line\nsecond"},
				{ID: "7", Type: "e", Data: "alone"},
			},
		},
		{
			name: "single data line with CR line ends and comments after it",
			in:   "data: kept\r\n: note\r\nretry: 5\r\n\r\ndata:\r\r",
			want: []Event{
				{Type: "message", Data: "kept"},
				{Type: "message", Data: ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, cfg := range []DecoderConfig{{}, {BufferSize: 4}, {BufferSize: 16}} {
				frames, _, err := checkAllSplits(t, tt.in, cfg)
				if err == nil || err.Error() != "EOF" {
					t.Fatalf("cfg %+v: error %v, want EOF", cfg, err)
				}
				var got []Event
				for _, f := range frames {
					if f.Kind == FrameEvent {
						got = append(got, f.Event)
					}
				}
				if len(got) != len(tt.want) {
					t.Fatalf("cfg %+v: events %+v, want %+v", cfg, got, tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Errorf("cfg %+v: event %d is %+v, want %+v", cfg, i, got[i], tt.want[i])
					}
				}
			}
		})
	}
}

func TestDecoderSingleDataLineNotCopied(t *testing.T) {
	d := NewDecoder(strings.NewReader("id: 1\ndata: "+strings.Repeat("x", 1000)+"\n\n"), DecoderConfig{})
	f, err := d.Next()
	if err != nil || len(f.Event.Data) != 1000 {
		t.Fatalf("%d bytes, %v", len(f.Event.Data), err)
	}
	if c := cap(d.data); c != 0 {
		t.Errorf("data buffer grew to %d for an event of one data line", c)
	}
}

func TestRingFullReusesOldestSlot(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		maxBytes int64
		data     []string
		wantData []string
		evicted  uint64
	}{
		{"count cap", 3, 1 << 20, []string{"a", "b", "c", "d", "e"}, []string{"c", "d", "e"}, 2},
		{"byte cap reached with the count cap", 2, 2*recordOverhead + 4, []string{"aa", "bb", "cccc"}, []string{"cccc"}, 2},
		{"byte cap alone", 10, 2*recordOverhead + 3, []string{"a", "b", "cc", "d"}, []string{"cc", "d"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRecordLog(tt.capacity, tt.maxBytes)
			for i, s := range tt.data {
				if seq := g.push(Record{Data: s}); seq != uint64(i+1) {
					t.Fatalf("push %d got seq %d", i, seq)
				}
			}
			var got []string
			var bytes int64
			for i := 0; i < g.len(); i++ {
				r, _ := g.at(i)
				got = append(got, r.Data)
				bytes += r.cost()
				if want := uint64(len(tt.data) - g.len() + i + 1); r.Seq != want {
					t.Errorf("record %d has seq %d, want %d", i, r.Seq, want)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.wantData, ",") || g.evicted != tt.evicted {
				t.Errorf("ring holds %q (%d evicted), want %q (%d)", got, g.evicted, tt.wantData, tt.evicted)
			}
			if bytes != g.bytes || g.bytes > tt.maxBytes {
				t.Errorf("ring counts %d bytes, records cost %d, cap %d", g.bytes, bytes, tt.maxBytes)
			}
		})
	}
}
