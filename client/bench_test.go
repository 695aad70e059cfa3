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
	"strconv"
	"strings"
	"testing"
	"time"

	r3sse "github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"

	"github.com/ssemon/ssemon/client/clock"
)

// engineBenchEvents is how many events one benchmark operation streams.
const engineBenchEvents = 200_000

// engineBlockEvents is the size of the pre-built block the server repeats.
const engineBlockEvents = 1000

// engineServerEnv, set to an event size in bytes, makes the test binary
// run TestEngineBenchServerProcess as the benchmark's stream server.
const engineServerEnv = "SSEMON_ENGINE_BENCH_SERVER"

// engineBenchBlock returns engineBlockEvents events of exactly size bytes
// each (id and data lines).
func engineBenchBlock(size int) ([]byte, error) {
	if size < len("id: 000000\ndata: \n\n") {
		return nil, fmt.Errorf("event size %d is too small", size)
	}
	var block bytes.Buffer
	pad := strings.Repeat("x", size-len("id: 000000\ndata: \n\n"))
	for i := 1; i <= engineBlockEvents; i++ {
		fmt.Fprintf(&block, "id: %06d\ndata: %s\n\n", i, pad)
	}
	if block.Len() != size*engineBlockEvents {
		return nil, fmt.Errorf("block is %d bytes, want %d", block.Len(), size*engineBlockEvents)
	}
	return block.Bytes(), nil
}

// engineBenchHandler serves engineBenchEvents events of the block and then
// ends the response. The bytes are pre-built: the server costs almost
// nothing per event.
func engineBenchHandler(block []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < engineBenchEvents/engineBlockEvents; i++ {
			if _, err := w.Write(block); err != nil {
				return
			}
		}
	})
}

// TestEngineBenchServerProcess is the stream server of BenchmarkEngine when
// the test binary is started with engineServerEnv set: it prints its URL,
// serves until its standard input ends, and fails on any error. Without
// the variable it checks that the server's stream is what the benchmark
// counts on.
func TestEngineBenchServerProcess(t *testing.T) {
	size, err := strconv.Atoi(os.Getenv(engineServerEnv))
	if err != nil {
		for _, size := range []int{100, 4096} {
			block, err := engineBenchBlock(size)
			if err != nil {
				t.Fatal(err)
			}
			d := NewDecoder(bytes.NewReader(block), DecoderConfig{})
			n := 0
			for {
				f, err := d.Next()
				if err != nil {
					break
				}
				if f.Kind != FrameEvent || f.Size != size {
					t.Fatalf("size %d: frame %d is %v of %d bytes", size, n, f.Kind, f.Size)
				}
				n++
			}
			if n != engineBlockEvents {
				t.Fatalf("size %d: %d events in the block, want %d", size, n, engineBlockEvents)
			}
		}
		return
	}
	block, err := engineBenchBlock(size)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(engineBenchHandler(block))
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
	if got := ch.Snapshot().Stats.Events; got != engineBenchEvents {
		b.Fatalf("received %d events", got)
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

// BenchmarkEngine streams 200k events over loopback through each client,
// side by side on the identical byte stream served by a child process.
// Metrics: events/s (wall clock), cpu-ns/event and allocs/event of this
// process, i.e. of the client alone.
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
		for _, c := range clients {
			b.Run(size.name+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(engineBenchEvents * size.bytes))
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				cpu0 := processCPU(b)
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					if n := c.run(b, url); n != engineBenchEvents {
						b.Fatalf("%s received %d events, want %d", c.name, n, engineBenchEvents)
					}
				}
				elapsed := time.Since(start)
				b.StopTimer()
				cpu := processCPU(b) - cpu0
				runtime.ReadMemStats(&after)
				events := float64(engineBenchEvents * b.N)
				b.ReportMetric(events/elapsed.Seconds(), "events/s")
				if cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/events, "cpu-ns/event")
				}
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/events, "allocs/event")
			})
		}
	}
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
