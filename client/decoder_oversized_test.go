package client

import (
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
)

// over is the report of a skipped oversized event that ended.
func over(id, typ, preview string, bytes int64) Frame {
	return Frame{Kind: FrameOversized, Event: Event{ID: id, Type: typ, Data: preview},
		Oversized: Oversized{Bytes: bytes, Cap: 10}}
}

// overComment is the report of a skipped comment line that ended.
func overComment(preview string, bytes int64) Frame {
	f := over("", "", preview, bytes)
	f.Oversized.Comment = true
	return f
}

func TestDecoderOversized(t *testing.T) {
	// The cap is 10 bytes: lines of up to 74 bytes (cap + field name room)
	// are read whole, longer ones are discarded as they come.
	cfg := DecoderConfig{MaxEventBytes: 10}
	long := strings.Repeat("x", 100)
	tests := []struct {
		name string
		in   string
		want []Frame
	}{
		{name: "cap exactly hit", in: "data: 0123456789\n\n", want: []Frame{msg("0123456789")}},
		{name: "cap exactly hit CRLF", in: "data: 0123456789\r\n\r\n", want: []Frame{msg("0123456789")}},
		{name: "cap exactly hit by joined lines", in: "data: 01234\ndata: 0123\n\n", want: []Frame{msg("01234\n0123")}},
		{name: "cap exactly hit with id and type", in: "id: 123\nevent: 456\ndata: 7890\n\n", want: []Frame{ev("123", "456", "7890")}},
		{name: "one byte over", in: "data: 0123456789a\n\ndata: ok\n\n",
			want: []Frame{over("", "message", "0123456789a", 19), msg("ok")}},
		{name: "one byte over CRLF", in: "data: 0123456789a\r\n\r\ndata: ok\r\n\r\n",
			want: []Frame{over("", "message", "0123456789a", 20), msg("ok")}},
		{name: "multi-line event", in: "data: 01234\ndata: 01234\ndata: more\n\ndata: ok\n\n",
			want: []Frame{over("", "message", "01234", 36), msg("ok")}},
		{name: "id and type count", in: "id: 123\nevent: 456\ndata: 78901\n\n",
			want: []Frame{over("123", "456", "78901", 32)}},
		{name: "replacement characters count", in: "data: \xFF\xFF\xFF\xFF\n\n",
			want: []Frame{over("", "message", "\uFFFD\uFFFD\uFFFD\uFFFD", 12)}},
		{name: "oversized line", in: "id: 7\nevent: big\ndata: " + long + "\n\ndata: next\n\n",
			want: []Frame{over("7", "big", long, 125), idmsg("7", "next")}},
		{name: "oversized line CRLF", in: "data: " + long + "\r\n\r\nid: 8\r\ndata: ok\r\n\r\n",
			want: []Frame{over("", "message", long, 109), idmsg("8", "ok")}},
		{name: "oversized line CR", in: "data: " + long + "\r\rdata: ok\r\r", want: []Frame{over("", "message", long, 108), msg("ok")}},
		{name: "line at the line cap, CRLF", in: "data: " + strings.Repeat("y", 68) + "\r\n\r\ndata: ok\n\n",
			want: []Frame{over("", "message", strings.Repeat("y", 68), 77), msg("ok")}},
		{name: "line one over the line cap, CRLF", in: "data: " + strings.Repeat("y", 69) + "\r\n\r\ndata: ok\n\n",
			want: []Frame{over("", "message", strings.Repeat("y", 69), 78), msg("ok")}},
		{name: "oversized line after data", in: "data: a\ndata: " + long + "\n\ndata: ok\n\n",
			want: []Frame{over("", "message", "a", 116), msg("ok")}},
		{name: "unterminated at the end", in: "data: ok\n\ndata: " + long,
			want: []Frame{msg("ok"), over("", "message", long, 106)}},
		{name: "unfinished at the end", in: "data: 0123456789a\n",
			want: []Frame{over("", "message", "0123456789a", 18)}},
		{name: "preview capped", in: "data: " + strings.Repeat("y", 400) + "\n\n",
			want: []Frame{over("", "message", strings.Repeat("y", OversizedPreview), 408)}},
		{name: "preview cut on a character", in: "data: x" + strings.Repeat("é", 200) + "\n\n",
			want: []Frame{over("", "message", "x"+strings.Repeat("é", 127), 409)}},
		{name: "comment line", in: ":" + long + "\ndata: ok\n\n",
			want: []Frame{overComment(long, 102), msg("ok")}},
		{name: "comment line inside an event", in: "id: 3\ndata: a\n: " + long + "\r\ndata: b\n\n",
			want: []Frame{overComment(long, 103), idmsg("3", "a\nb")}},
		{name: "comment at the line cap", in: ":" + strings.Repeat("c", 73) + "\n", want: []Frame{cm(strings.Repeat("c", 73))}},
		{name: "the cap is per event", in: "data: 0123456789\n\ndata: 0123456789\n\n", want: []Frame{msg("0123456789"), msg("0123456789")}},
		{name: "no data, no event", in: "event: 0123456789\n\nevent: 0123456789\n\n", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := checkAllSplits(t, tc.in, cfg)
			if !equalFrames(withoutSizes(got), tc.want) {
				t.Errorf("got  %s\nwant %s", fmtFrames(withoutSizes(got)), fmtFrames(tc.want))
			}
			if err != io.EOF {
				t.Fatalf("err = %v, want io.EOF: an oversized event never ends the stream", err)
			}
			total := 0
			for _, f := range got {
				total += f.Size
			}
			// Every byte is in some frame, oversized ones included (but
			// the LF of a last CRLF, which counts in the next frame).
			if len(got) > 0 && total != len(tc.in) && (total != len(tc.in)-1 || !strings.HasSuffix(tc.in, "\r\n")) {
				t.Errorf("frame sizes sum to %d of %d", total, len(tc.in))
			}
		})
	}
}

// skipOf returns a reader of prefix, n bytes of 'x' (a line that long),
// then suffix.
func skipOf(prefix string, n int64, suffix string) io.Reader {
	return io.MultiReader(strings.NewReader(prefix), io.LimitReader(endlessReader{'x', 0}, n), strings.NewReader(suffix))
}

func TestDecoderOversizedLineGoesOn(t *testing.T) {
	// A 50 MiB line under a 1 MiB cap: reported every 4 MiB while it goes
	// on, then at its end; the next event decodes normally, with the
	// skipped event's id as the last event ID.
	const n = 50 << 20
	d := NewDecoder(skipOf("id: 1\ndata: ", n, "\n\ndata: after\n\n"), DecoderConfig{MaxEventBytes: 1 << 20})
	var reports []Oversized
	for {
		f, err := d.Next()
		if err != nil {
			t.Fatalf("err %v after %d reports", err, len(reports))
		}
		if f.Kind == FrameEvent {
			if f.Event.Data != "after" || f.Event.ID != "1" {
				t.Fatalf("next event %s", fmtFrames([]Frame{f}))
			}
			break
		}
		if f.Kind != FrameOversized || f.Event.ID != "1" || f.Event.Data != strings.Repeat("x", OversizedPreview) {
			t.Fatalf("frame %s", fmtFrames([]Frame{f}))
		}
		reports = append(reports, f.Oversized)
	}
	last := reports[len(reports)-1]
	if last.More || last.Bytes != int64(len("id: 1\ndata: \n\n")+n) || last.Cap != 1<<20 {
		t.Errorf("last report %+v", last)
	}
	if len(reports) < 12 || len(reports) > 14 {
		t.Errorf("%d reports for 50 MiB at one per 4 MiB", len(reports))
	}
	for i, o := range reports[:len(reports)-1] {
		if !o.More || o.Again != (i > 0) || (i > 0 && o.Bytes <= reports[i-1].Bytes) {
			t.Errorf("report %d: %+v", i, o)
		}
	}
}

func TestDecoderOversizedMemoryBounded(t *testing.T) {
	// Skipping a 50 MiB line under a 1 MiB cap allocates about what the
	// cap needs (the read buffer doubling up to it), not what is skipped:
	// whole-process counts, least of three runs.
	const limit = 1 << 20
	for _, reads := range []int{0, 4096} {
		alloc := leastAllocated(t, func() {
			d := NewDecoder(io.MultiReader(strings.NewReader("data: "),
				io.LimitReader(endlessReader{'x', reads}, 50<<20), strings.NewReader("\n\ndata: ok\n\n")),
				DecoderConfig{MaxEventBytes: limit})
			for {
				f, err := d.Next()
				if err != nil || f.Kind == FrameEvent {
					if f.Event.Data != "ok" {
						t.Fatalf("after the skipped line: %s, %v", fmtFrames([]Frame{f}), err)
					}
					return
				}
			}
		})
		if alloc > 2*limit+256<<10 {
			t.Errorf("reads of %d: allocated %d bytes skipping 50 MiB under a %d cap", reads, alloc, limit)
		}
	}
	// An endless line: each Next returns a report; the buffers stay at
	// the cap.
	d := NewDecoder(endlessReader{'x', 0}, DecoderConfig{MaxEventBytes: limit})
	for i := range 5 {
		f, err := d.Next()
		if err != nil || f.Kind != FrameOversized || !f.Oversized.More || f.Oversized.Again != (i > 0) || !f.Oversized.Comment && f.Event.Type != "message" {
			t.Fatalf("report %d: %s, %v", i, fmtFrames([]Frame{f}), err)
		}
	}
	if len(d.buf) > limit+lineSlack+1 || cap(d.data) > limit+1 {
		t.Errorf("buffers %d (read), %d (data) under a %d cap", len(d.buf), cap(d.data), limit)
	}
	// An event of endless data lines: the same.
	d = NewDecoder(&repeatReader{line: []byte("data: " + strings.Repeat("x", 1000) + "\n")}, DecoderConfig{MaxEventBytes: limit})
	for i := range 3 {
		if f, err := d.Next(); err != nil || f.Kind != FrameOversized || !f.Oversized.More || f.Oversized.Again != (i > 0) {
			t.Fatalf("report %d: %s, %v", i, fmtFrames([]Frame{f}), err)
		}
	}
	if cap(d.data) > limit+1 {
		t.Errorf("data buffer grew to %d", cap(d.data))
	}
}

// leastAllocated runs f three times and returns the fewest bytes allocated
// in a run (the count is process-wide, so another goroutine can add to
// one run).
func leastAllocated(t *testing.T, f func()) uint64 {
	t.Helper()
	least := uint64(math.MaxUint64)
	for range 3 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}
