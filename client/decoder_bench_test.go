package client

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	r3sse "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"
)

// Decoder throughput against other Go SSE parsers, on in-memory streams:
//
//	go test -run '^$' -bench BenchmarkDecode -benchmem ./client/
//
// Each benchmark decodes a stream of benchEvents events per iteration and
// reports events/s, allocs/event and cpu-ns/event (process CPU time per
// event, GC included: unlike wall time it stays meaningful on a busy
// machine) besides the usual columns. Results and the machine they were
// measured on are in docs/BENCHMARKS.md.
//
//   - ssemon: this package's Decoder, Next until io.EOF.
//   - go-sse: github.com/tmaxmax/go-sse's sse.Read, its fastest exported
//     parser (strings for ID, Type and Data, like ours).
//   - r3labs: github.com/r3labs/sse/v2's EventStreamReader.ReadEvent, the
//     exported part of its client's parsing. It only splits the stream into
//     raw event blocks (its client then parses fields in an unexported
//     method), so its numbers are a lower bound on r3labs' real cost.
//   - bufio: a bufio.Scanner counting lines, the ceiling for a line-based
//     parser that looks at every byte.

const benchEvents = 1000

// benchStreams are the event shapes measured.
var benchStreams = []struct {
	name string
	make func(i int) string
}{
	// About 100 bytes: an id, a type and one line of JSON.
	{"100B", func(i int) string {
		return fmt.Sprintf("id: %06d\nevent: update\ndata: {\"seq\":%06d,\"price\":101.25,\"qty\":300,\"side\":\"buy\",\"sym\":\"ACME\"}\n\n", i, i)
	}},
	// 4 KiB of data on one line.
	{"4KiB", func(i int) string {
		return fmt.Sprintf("id: %06d\nevent: blob\ndata: {\"seq\":%06d,\"pad\":\"%s\"}\n\n", i, i, strings.Repeat("x", 4096-27))
	}},
	// Ten data lines of about 40 bytes.
	{"10lines", func(i int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "id: %06d\n", i)
		for j := range 10 {
			fmt.Fprintf(&b, "data: line %02d of event %06d, some more text\n", j, i)
		}
		b.WriteString("\n")
		return b.String()
	}},
}

// benchDecoders decode a stream and return how many events they saw.
var benchDecoders = []struct {
	name   string
	decode func(r io.Reader) int
}{
	{"ssemon", func(r io.Reader) int {
		n := 0
		d := NewDecoder(r, DecoderConfig{})
		for {
			f, err := d.Next()
			if err != nil {
				return n
			}
			if f.Kind == FrameEvent {
				n++
			}
		}
	}},
	{"go-sse", func(r io.Reader) int {
		n := 0
		for _, err := range gosse.Read(r, nil) {
			if err != nil {
				return n
			}
			n++
		}
		return n
	}},
	{"r3labs", func(r io.Reader) int {
		n := 0
		er := r3sse.NewEventStreamReader(r, 1<<16)
		for {
			if _, err := er.ReadEvent(); err != nil {
				return n
			}
			n++
		}
	}},
	{"bufio", func(r io.Reader) int {
		n := 0
		s := bufio.NewScanner(r)
		for s.Scan() {
			if len(s.Bytes()) == 0 {
				n++
			}
		}
		return n
	}},
}

func BenchmarkDecode(b *testing.B) {
	for _, st := range benchStreams {
		var buf bytes.Buffer
		for i := range benchEvents {
			buf.WriteString(st.make(i))
		}
		stream := buf.Bytes()
		for _, dec := range benchDecoders {
			b.Run(st.name+"/"+dec.name, func(b *testing.B) {
				b.SetBytes(int64(len(stream)))
				b.ReportAllocs()
				r := bytes.NewReader(stream)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				cpu := processCPU(b)
				b.ResetTimer()
				for b.Loop() {
					r.Reset(stream)
					if n := dec.decode(r); n != benchEvents {
						b.Fatalf("decoded %d events, want %d", n, benchEvents)
					}
				}
				b.StopTimer()
				cpu = processCPU(b) - cpu
				runtime.ReadMemStats(&after)
				events := float64(b.N) * benchEvents
				b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
				if cpu > 0 {
					b.ReportMetric(float64(cpu)/events, "cpu-ns/event")
				}
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/events, "allocs/event")
			})
		}
	}
}

// BenchmarkDecodeOversized skips one-line events of 50 MiB and 200 MiB
// under the default 16 MiB cap, each followed by a normal event: B/op
// is what the decoder allocates for one, the same whatever the size
// (the read buffer growing to the cap), and MB/s the skipping speed.
func BenchmarkDecodeOversized(b *testing.B) {
	for _, size := range []int64{50 << 20, 200 << 20} {
		b.Run(strconv.FormatInt(size>>20, 10)+"MiB", func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				d := NewDecoder(io.MultiReader(strings.NewReader("id: 1\ndata: "),
					io.LimitReader(endlessReader{'x', 0}, size), strings.NewReader("\n\ndata: next\n\n")), DecoderConfig{})
				var last Frame
				for {
					f, err := d.Next()
					if err != nil {
						b.Fatal(err)
					}
					if f.Kind == FrameEvent {
						break
					}
					last = f
				}
				if last.Kind != FrameOversized || last.Oversized.More || last.Oversized.Bytes < size {
					b.Fatalf("last report %+v", last.Oversized)
				}
			}
		})
	}
}
