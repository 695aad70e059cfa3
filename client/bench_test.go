package client

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	r3sse "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"

	"github.com/ssemon/ssemon/client/clock"
)

// engineBenchEvents is how many events one stream of the benchmark holds.
const engineBenchEvents = 200_000

// engineBlockEvents is the size of the block the server fills and repeats,
// with new ids each time.
const engineBlockEvents = 1000

// engineFirstID is the first event id: every id of the stream has seven
// digits (so every event has the same size) and they never wrap, so the
// channel counts neither a gap nor a duplicate.
const engineFirstID = 1_000_001

// engineServerEnv, set to an event size in bytes, makes the test binary
// run TestEngineBenchServerProcess as the benchmark's stream server.
const engineServerEnv = "SSEMON_ENGINE_BENCH_SERVER"

// engineEventOverhead is the size of one event without its padding: an id,
// an event type and data in two lines (a JSON object split across them).
var engineEventOverhead = len(fmt.Sprintf("id: %07d\nevent: tick\ndata: {\"n\":%07d,\ndata: \"pad\":\"\"}\n\n", engineFirstID, engineFirstID))

// engineBlock is one block of engineBlockEvents events of exactly size
// bytes each, and where their ids are written: renumber writes the ids of
// any block into it without rebuilding it.
type engineBlock struct {
	buf   []byte
	idAt  []int // offsets of the 7-digit id fields, two per event
	first int   // the first id of the block as it is now
}

func newEngineBlock(size int) (*engineBlock, error) {
	if size < engineEventOverhead {
		return nil, fmt.Errorf("event size %d is too small (at least %d)", size, engineEventOverhead)
	}
	pad := strings.Repeat("x", size-engineEventOverhead)
	b := &engineBlock{first: engineFirstID}
	var buf bytes.Buffer
	for i := range engineBlockEvents {
		id := engineFirstID + i
		b.idAt = append(b.idAt, buf.Len()+len("id: "))
		fmt.Fprintf(&buf, "id: %07d\nevent: tick\n", id)
		b.idAt = append(b.idAt, buf.Len()+len(`data: {"n":`))
		fmt.Fprintf(&buf, "data: {\"n\":%07d,\ndata: \"pad\":\"%s\"}\n\n", id, pad)
	}
	if buf.Len() != size*engineBlockEvents {
		return nil, fmt.Errorf("block is %d bytes, want %d", buf.Len(), size*engineBlockEvents)
	}
	b.buf = buf.Bytes()
	return b, nil
}

// renumber makes the block hold the events from id first on.
func (b *engineBlock) renumber(first int) {
	for i, at := range b.idAt {
		id := first + i/2
		for j := at + 6; j >= at; j-- {
			b.buf[j] = byte('0' + id%10)
			id /= 10
		}
	}
	b.first = first
}

// engineBenchHandler serves events (a multiple of engineBlockEvents), the
// block renumbered for each repetition, and then ends the response. The
// server costs almost nothing per event (two 7-byte writes).
func engineBenchHandler(size, events int) (http.Handler, error) {
	if _, err := newEngineBlock(size); err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		block, _ := newEngineBlock(size)
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range events / engineBlockEvents {
			block.renumber(engineFirstID + i*engineBlockEvents)
			if _, err := w.Write(block.buf); err != nil {
				return
			}
		}
	}), nil
}

// TestEngineBenchServerProcess is the stream server of BenchmarkEngine when
// the test binary is started with engineServerEnv set: it prints its URL,
// serves until its standard input ends, and fails on any error. Without
// the variable it checks that the server's stream is what the benchmark
// counts on.
func TestEngineBenchServerProcess(t *testing.T) {
	size, err := strconv.Atoi(os.Getenv(engineServerEnv))
	if err != nil {
		const events = 3 * engineBlockEvents // ids renumbered twice
		for _, size := range []int{100, 4096} {
			h, err := engineBenchHandler(size, events)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			d := NewDecoder(rec.Body, DecoderConfig{})
			pad := strings.Repeat("x", size-engineEventOverhead)
			n := 0
			for {
				f, err := d.Next()
				if err != nil {
					break
				}
				want := strconv.Itoa(engineFirstID + n)
				if f.Kind != FrameEvent || f.Size != size || f.Event.ID != want || f.Event.Type != "tick" ||
					f.Event.Data != `{"n":`+want+",\n"+`"pad":"`+pad+`"}` {
					t.Fatalf("size %d: frame %d is %v of %d bytes, id %q type %q data %.40q", size, n, f.Kind, f.Size, f.Event.ID, f.Event.Type, f.Event.Data)
				}
				n++
			}
			if n != events {
				t.Fatalf("size %d: %d events in the stream, want %d", size, n, events)
			}
		}
		return
	}
	h, err := engineBenchHandler(size, engineBenchEvents)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	if _, err := fmt.Println(srv.URL); err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startEngineBenchServer runs the stream server for events of size bytes
// in a child process (this test binary), so that the benchmark's CPU and
// allocation figures are the clients' alone. It returns the server's URL;
// the child ends with the benchmark.
func startEngineBenchServer(b *testing.B, size int) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestEngineBenchServerProcess$")
	cmd.Env = append(os.Environ(), engineServerEnv+"="+strconv.Itoa(size))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("benchmark server: %v", err)
	}
	return strings.TrimSpace(url)
}

// benchSink feeds a Channel and stops the stream after the last event.
type benchSink struct {
	*Channel
	n      int
	cancel context.CancelFunc
}

func (s *benchSink) HandleFrame(f Frame, at time.Time) {
	s.Channel.HandleFrame(f, at)
	if f.Kind == FrameEvent {
		if s.n++; s.n == engineBenchEvents {
			s.cancel()
		}
	}
}

// runSSEMon streams through the whole supervisor (Stream) into a
// Channel's log ring, with the default configuration.
func runSSEMon(b *testing.B, url string) int {
	cfg := ChannelConfig{Name: "bench", URL: url}
	ch := newChannel(cfg, cfg, clock.Real())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := &benchSink{Channel: ch, cancel: cancel}
	st, err := NewStream(StreamConfig{URL: url}, sink)
	if err != nil {
		b.Fatal(err)
	}
	_ = st.Run(ctx)
	stats := ch.Snapshot().Stats
	if stats.Events != engineBenchEvents || stats.Gaps != 0 || stats.Duplicates != 0 {
		b.Fatalf("received %d events, %d gaps, %d duplicates", stats.Events, stats.Gaps, stats.Duplicates)
	}
	return sink.n
}

// runGoSSE streams with github.com/tmaxmax/go-sse's client.
func runGoSSE(b *testing.B, url string) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		b.Fatal(err)
	}
	client := &gosse.Client{HTTPClient: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	conn := client.NewConnection(req)
	n := 0
	conn.SubscribeToAll(func(e gosse.Event) {
		if n++; n == engineBenchEvents {
			cancel()
		}
	})
	_ = conn.Connect()
	client.HTTPClient.CloseIdleConnections()
	return n
}

// runR3labs streams with github.com/r3labs/sse/v2's client.
func runR3labs(b *testing.B, url string) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := r3sse.NewClient(url)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	c.Connection = &http.Client{Transport: tr}
	n := 0
	_ = c.SubscribeRawWithContext(ctx, func(*r3sse.Event) {
		if n++; n == engineBenchEvents {
			cancel()
		}
	})
	tr.CloseIdleConnections()
	return n
}

// runBufio counts events with a bare bufio.Scanner: the floor of any
// line-based reader (no decoding, no event values).
func runBufio(b *testing.B, url string) int {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			n++
		}
	}
	return n
}

// engineSample is one client's figures for one stream.
type engineSample struct {
	perSec, cpuNs, allocs float64
}

// BenchmarkEngine streams 200k events over loopback through each client,
// side by side on the identical byte stream served by a child process
// (events with an id, an event type and two data lines; ids never wrap).
// Each operation is one round: every client streams once, in an order
// that rotates from round to round, so that a change in the machine's
// load falls on every client alike. After the rounds it reports, per
// client, the median events/s (wall clock), cpu-ns/event and allocs/event
// of this process, i.e. of the client alone, and logs a table with the
// spread (min–max) and the median of the per-round ratios to ssemon. Run
// it with -benchtime Nx for N rounds (7x: see docs/BENCHMARKS.md).
func BenchmarkEngine(b *testing.B) {
	clients := []struct {
		name string
		run  func(*testing.B, string) int
	}{
		{"ssemon", runSSEMon},
		{"go-sse", runGoSSE},
		{"r3labs", runR3labs},
		{"bufio", runBufio},
	}
	for _, size := range []struct {
		name  string
		bytes int
	}{{"100B", 100}, {"4KiB", 4096}} {
		url := startEngineBenchServer(b, size.bytes)
		b.Run(size.name, func(b *testing.B) {
			samples := make([][]engineSample, len(clients))
			for round := range b.N {
				for k := range clients {
					i := (round + k) % len(clients)
					var before, after runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&before)
					cpu0 := processCPU(b)
					start := time.Now()
					if n := clients[i].run(b, url); n != engineBenchEvents {
						b.Fatalf("%s received %d events, want %d", clients[i].name, n, engineBenchEvents)
					}
					elapsed := time.Since(start)
					cpu := processCPU(b) - cpu0
					runtime.ReadMemStats(&after)
					samples[i] = append(samples[i], engineSample{
						perSec: engineBenchEvents / elapsed.Seconds(),
						cpuNs:  float64(cpu.Nanoseconds()) / engineBenchEvents,
						allocs: float64(after.Mallocs-before.Mallocs) / engineBenchEvents,
					})
				}
			}
			b.StopTimer()
			field := func(ss []engineSample, f func(engineSample) float64) []float64 {
				out := make([]float64, len(ss))
				for i, s := range ss {
					out[i] = f(s)
				}
				return out
			}
			perSec := func(s engineSample) float64 { return s.perSec }
			cpuNs := func(s engineSample) float64 { return s.cpuNs }
			var table strings.Builder
			fmt.Fprintf(&table, "%d rounds of %d events of %s; median (min–max); ratio = median of the per-round ratios to ssemon (CPU, wall)\n", b.N, engineBenchEvents, size.name)
			for i, c := range clients {
				ss := samples[i]
				ws, cs, as := field(ss, perSec), field(ss, cpuNs), field(ss, func(s engineSample) float64 { return s.allocs })
				b.ReportMetric(median(ws), c.name+"-events/s")
				b.ReportMetric(median(cs), c.name+"-cpu-ns/event")
				b.ReportMetric(median(as), c.name+"-allocs/event")
				cpuRatio, wallRatio := make([]float64, len(ss)), make([]float64, len(ss))
				for r := range ss {
					cpuRatio[r] = ss[r].cpuNs / samples[0][r].cpuNs
					wallRatio[r] = samples[0][r].perSec / ss[r].perSec
				}
				fmt.Fprintf(&table, "%-7s %10.0f events/s (%.0f–%.0f)  %7.0f cpu-ns/event (%.0f–%.0f)  %.4f allocs/event  ratio %.2f× / %.2f×\n",
					c.name, median(ws), slices.Min(ws), slices.Max(ws), median(cs), slices.Min(cs), slices.Max(cs), median(as),
					median(cpuRatio), median(wallRatio))
			}
			// On standard output: a benchmark's log is cut to ten lines.
			fmt.Print(table.String())
		})
	}
}

// median returns the median of v (the mean of the middle two when even).
func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkChannelHandleFrame measures the ingest path alone: one event
// into the ring, with gap detection and rate counting.
func BenchmarkChannelHandleFrame(b *testing.B) {
	cfg := ChannelConfig{Name: "bench"}
	ch := newChannel(cfg, cfg, clock.Real())
	f := Frame{Kind: FrameEvent, Event: Event{ID: "1", Type: "message", Data: `{"progress":50}`}, Size: 40}
	at := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.Event.ID = "1" // constant: no formatting cost in the loop
		ch.HandleFrame(f, at.Add(time.Duration(i)*time.Microsecond))
	}
}

// BenchmarkChannelSnapshot measures a snapshot with progress extraction of
// a new newest event each time.
func BenchmarkChannelSnapshot(b *testing.B) {
	cfg := ChannelConfig{Name: "bench"}
	ch := newChannel(cfg, cfg, clock.Real())
	f := Frame{Kind: FrameEvent, Event: Event{ID: "1", Type: "job", Data: `{"progress":50,"message":"copying files","total":10,"done":5}`}, Size: 80}
	var s Snapshot
	at := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ch.HandleFrame(f, at.Add(time.Duration(i)*time.Millisecond))
		ch.SnapshotInto(&s)
	}
}

// BenchmarkChannelMemory measures the heap a channel holds with a full log
// (DefaultRingSize records of 100-byte events, strings included), and an
// empty one. Run with -benchtime Nx: each operation builds one channel.
func BenchmarkChannelMemory(b *testing.B) {
	for _, tc := range []struct {
		name   string
		events int
	}{{"empty", 0}, {"full-ring-100B", DefaultRingSize}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := ChannelConfig{Name: "mem"}
			payload := []byte(strings.Repeat("x", 100))
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			chans := make([]*Channel, b.N)
			at := time.Now()
			for i := range b.N {
				c := newChannel(cfg, cfg, clock.Real())
				for j := 0; j < tc.events; j++ {
					f := Frame{Kind: FrameEvent, Event: Event{ID: "1", Type: "message", Data: string(payload)}, Size: 110}
					c.HandleFrame(f, at)
				}
				chans[i] = c
			}
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "heap-bytes/channel")
			runtime.KeepAlive(chans)
		})
	}
}
