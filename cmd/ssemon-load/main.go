// Command ssemon-load measures the demo server under many loopback
// subscribers, side by side with a plain r3labs/sse server in the same run:
// server RSS per subscriber, server CPU, publish-to-client latency (p50,
// p99) and events lost. Each server runs in a child process (this binary
// with -serve), so its memory and CPU are its own; the subscribers run here.
//
//	ssemon-load -subs 100,1000 -rate 100 -duration 10s
//	ssemon-load -subs 10000 -rate 1 -duration 20s
//	ssemon-load -throughput -subs 100 -events 20000
//	ssemon-load -heap -subs 100 -events 1000000
//
// SSEMON_LOAD_STATS=1 has each server child print its goroutines, heap
// and stacks once the subscribers are connected; SSEMON_LOAD_PPROF=DIR
// also has it write its heap (every allocation sampled) and goroutine
// profiles there, as DIR/<server>.heap and DIR/<server>.goroutine.
//
// Every run is bounded in subscribers, events and time, and uses 127.0.0.1
// only.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ldes "github.com/launchdarkly/eventsource"
	"github.com/r3labs/sse/v2"
	gosse "github.com/tmaxmax/go-sse"

	"github.com/ssemon/ssemon/server"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ssemon-load:", err)
		os.Exit(1)
	}
}

type options struct {
	serve      string
	subs       []int
	impls      []string
	rate       int
	duration   time.Duration
	throughput bool
	heap       bool
	events     int
	ring       int
	pace       int
}

func run() error {
	var o options
	var subs, impls string
	flag.StringVar(&o.serve, "serve", "", "internal: run a server child (one of -impls) driven over stdin")
	flag.StringVar(&subs, "subs", "100,1000", "comma-separated subscriber counts (at most 10000)")
	flag.StringVar(&impls, "impls", "ours,r3labs,launchdarkly,gosse", "servers to compare: ours (package server), r3labs (plain r3labs/sse Server), r3labs-streams (r3labs with one stream per connection: its least isolation; drops events, a floor for memory and CPU), launchdarkly (launchdarkly/eventsource Server), gosse (tmaxmax/go-sse Server)")
	flag.IntVar(&o.rate, "rate", 100, "events per second broadcast to every subscriber (latency runs)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of the publishing phase (at most 2m)")
	flag.BoolVar(&o.throughput, "throughput", false, "publish -events as fast as possible and measure delivered events/s")
	flag.BoolVar(&o.heap, "heap", false, "in-process: publish -events to -subs subscribers of package server and report the heap")
	flag.IntVar(&o.events, "events", 20000, "events for -throughput and -heap (at most 10M)")
	flag.IntVar(&o.ring, "ring", 0, "internal: ring size of the ours child")
	flag.IntVar(&o.pace, "pace", 200000, "with -heap: events published per second (at most 1M)")
	flag.Parse()
	if o.serve != "" {
		if os.Getenv("SSEMON_LOAD_PPROF") != "" {
			runtime.MemProfileRate = 1
		}
		return serveChild(o.serve, o.ring)
	}
	for s := range strings.SplitSeq(subs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 10000 {
			return fmt.Errorf("-subs: %q is not between 1 and 10000", s)
		}
		o.subs = append(o.subs, n)
	}
	o.impls = strings.Split(impls, ",")
	if o.duration <= 0 || o.duration > 2*time.Minute || o.rate < 1 || o.rate > 100000 || o.events < 1 || o.events > 10_000_000 ||
		o.pace < 100 || o.pace > 1_000_000 || o.events/o.pace > 600 {
		return errors.New("bounds: 0 < -duration <= 2m, 1 <= -rate <= 100000, 1 <= -events <= 10M, 100 <= -pace <= 1M, -events/-pace <= 600 s")
	}
	host, _ := os.Hostname()
	fmt.Printf("# ssemon-load on %s, %s, GOMAXPROCS=%d, %s\n", host, cpuModel(), runtime.GOMAXPROCS(0), runtime.Version())
	if o.heap {
		return heapRun(o)
	}
	if o.throughput {
		fmt.Println("| server | subscribers | events | delivered events/s | elapsed | lost | late | server CPU |")
		fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	} else {
		fmt.Printf("| server | subscribers | rate | events each | p50 | p99 | max | lost | late | RSS/subscriber | RSS/subscriber at end | goroutines/subscriber | server CPU | server CPU time | publish p50 | publish p99 | published on schedule |\n")
		fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	}
	for _, n := range o.subs {
		for _, impl := range o.impls {
			if err := measure(o, strings.TrimSpace(impl), n); err != nil {
				fmt.Printf("| %s | %d | error: %v |\n", impl, n, err)
			}
		}
	}
	return nil
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			_, v, _ := strings.Cut(line, ":")
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// ---- child servers ----

// payloadBytes is the size of every event's data.
const payloadBytes = 80

// serveChild runs one server on 127.0.0.1:0, prints "ADDR host:port", and
// obeys stdin: "publish RATE COUNT" (paced) or "burst COUNT" (as fast as
// it can); it prints "done" after each. It exits at EOF.
func serveChild(impl string, ring int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var handler http.Handler
	var publish func(id uint64, data []byte)
	var closeFn func()
	switch impl {
	case "ours":
		s, err := server.New(server.Config{
			Scenarios:      []server.Scenario{{Channel: "load", Kind: server.KindQuiet}},
			MaxSubscribers: 20000,
			RingSize:       max(ring, server.DefaultRingSize),
		})
		if err != nil {
			return err
		}
		handler = s.Handler()
		publish = func(_ uint64, data []byte) {
			if _, err := s.Publish("load", "", data); err != nil {
				panic(err)
			}
		}
		closeFn = func() { _ = s.Close() }
	case "r3labs":
		rs := sse.New()
		rs.AutoReplay = false
		rs.CreateStream("load")
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r2 := r.Clone(r.Context())
			r2.URL.RawQuery = "stream=load"
			rs.ServeHTTP(w, r2)
		})
		publish = func(id uint64, data []byte) {
			rs.Publish("load", &sse.Event{ID: strconv.AppendUint(nil, id, 10), Data: data})
		}
		closeFn = rs.Close
	case "r3labs-streams":
		// The least r3labs needs to keep a slow subscriber from holding
		// the others up: one stream per connection, each holding one event
		// (a stream's goroutine sends every event to every one of its
		// subscribers and waits for the slowest). Publishing offers the
		// event to every stream and drops it where one is still full:
		// a floor for memory and CPU, not a server that loses nothing.
		rs := sse.New()
		rs.AutoReplay = false
		rs.BufferSize = 1
		var mu sync.Mutex
		streams := make(map[string]struct{})
		var next atomic.Uint64
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := strconv.FormatUint(next.Add(1), 10)
			rs.CreateStream(id)
			mu.Lock()
			streams[id] = struct{}{}
			mu.Unlock()
			r2 := r.Clone(r.Context())
			r2.URL.RawQuery = "stream=" + id
			rs.ServeHTTP(w, r2)
			mu.Lock()
			delete(streams, id)
			mu.Unlock()
			rs.RemoveStream(id)
		})
		publish = func(id uint64, data []byte) {
			ev := &sse.Event{ID: strconv.AppendUint(nil, id, 10), Data: data}
			mu.Lock()
			defer mu.Unlock()
			for s := range streams {
				rs.TryPublish(s, ev)
			}
		}
		closeFn = rs.Close
	case "launchdarkly":
		// As plainly as r3labs: no replay repository, one channel.
		ls := ldes.NewServer()
		ls.Gzip = false
		handler = ls.Handler("load")
		publish = func(id uint64, data []byte) {
			ls.Publish([]string{"load"}, ldEvent{id: strconv.FormatUint(id, 10), data: string(data)})
		}
		closeFn = ls.Close
	case "gosse":
		gs := &gosse.Server{ // the default Joe provider, no replay
			OnSession: func(w http.ResponseWriter, r *http.Request) ([]string, bool) {
				// go-sse sends the headers with the first event; send them
				// now, as the other servers do, so the subscriber is counted
				// connected before anything is published.
				_ = http.NewResponseController(w).Flush()
				return []string{gosse.DefaultTopic}, true
			},
		}
		handler = gs
		publish = func(id uint64, data []byte) {
			m := &gosse.Message{ID: gosse.ID(strconv.FormatUint(id, 10))}
			m.AppendData(string(data))
			_ = gs.Publish(m)
		}
		closeFn = func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = gs.Shutdown(ctx)
		}
	default:
		return fmt.Errorf("-serve: unknown server %q", impl)
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)} // go-sse's "superfluous WriteHeader" after OnSession's flush
	go func() { _ = hs.Serve(ln) }()
	time.Sleep(50 * time.Millisecond) // let the server's goroutines start
	fmt.Printf("ADDR %s %d\n", ln.Addr(), runtime.NumGoroutine())

	var id uint64
	payload := func() []byte {
		id++
		b := make([]byte, 0, 64)
		b = append(b, `{"t":`...)
		b = strconv.AppendInt(b, time.Now().UnixNano(), 10)
		b = append(b, `,"seq":`...)
		b = strconv.AppendUint(b, id, 10)
		b = append(b, `,"pad":"`...)
		for len(b) < payloadBytes-2 {
			b = append(b, 'x')
		}
		return append(b, `"}`...)
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3 && f[0] == "publish":
			rate, _ := strconv.Atoi(f[1])
			count, _ := strconv.Atoi(f[2])
			start := time.Now()
			costs := make([]time.Duration, 0, count)
			onTime := 0
			period := time.Second / time.Duration(rate)
			for i := range count {
				// Pace against the start time, so that delays do not accumulate.
				due := start.Add(time.Duration(i) * period)
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				p := payload()
				t0 := time.Now()
				publish(id, p)
				t1 := time.Now()
				costs = append(costs, t1.Sub(t0))
				if t1.Sub(due) <= period {
					onTime++ // published before the next one was due
				}
			}
			slices.Sort(costs)
			fmt.Printf("cost %d %d %.1f %d\n", costs[len(costs)/2], costs[len(costs)*99/100], 100*float64(onTime)/float64(count), runtime.NumGoroutine())
		case len(f) == 2 && f[0] == "burst":
			count, _ := strconv.Atoi(f[1])
			for range count {
				p := payload()
				publish(id, p)
			}
		case len(f) == 1 && f[0] == "stats":
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Fprintf(os.Stderr, "child %s: goroutines %d, heap in use %d KiB, stacks %d KiB\n",
				impl, runtime.NumGoroutine(), ms.HeapInuse>>10, ms.StackInuse>>10)
			if dir := os.Getenv("SSEMON_LOAD_PPROF"); dir != "" {
				for _, name := range []string{"heap", "goroutine"} {
					if f, err := os.Create(filepath.Join(dir, impl+"."+name)); err == nil {
						_ = pprof.Lookup(name).WriteTo(f, 0)
						f.Close()
					}
				}
			}
		default:
			fmt.Fprintf(os.Stderr, "child: unknown command %q\n", sc.Text())
		}
		fmt.Println("done")
	}
	closeFn()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(ctx)
	return nil
}

type child struct {
	baseGoroutines int
	cmd            *exec.Cmd
	in             io.WriteCloser
	out            *bufio.Reader
	url            string
}

func startChild(impl string, ring int) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-serve", impl, "-ring", strconv.Itoa(ring))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewReader(outPipe)}
	line, err := c.out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		c.stop()
		return nil, fmt.Errorf("child did not start: %q %v", line, err)
	}
	f := strings.Fields(line)
	c.url = "http://" + f[1] + "/api/stream/load"
	if len(f) > 2 {
		c.baseGoroutines, _ = strconv.Atoi(f[2])
	}
	return c, nil
}

// command sends cmd and returns the fields of the "cost" line the child
// printed before "done", if any.
func (c *child) command(cmd string) ([]string, error) {
	if _, err := fmt.Fprintln(c.in, cmd); err != nil {
		return nil, err
	}
	var cost []string
	for {
		line, err := c.out.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("child: %q %v", line, err)
		}
		if f := strings.Fields(line); len(f) > 0 && f[0] == "cost" {
			cost = f[1:]
			continue
		}
		if strings.TrimSpace(line) != "done" {
			return nil, fmt.Errorf("child: %q", line)
		}
		return cost, nil
	}
}

// ldEvent is an event of launchdarkly/eventsource.
type ldEvent struct{ id, data string }

func (e ldEvent) Id() string    { return e.id }
func (e ldEvent) Event() string { return "" }
func (e ldEvent) Data() string  { return e.data }

func (c *child) stop() {
	_ = c.in.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// rssKB returns the child's resident set size.
func (c *child) rssKB() int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// goroutines returns the child's goroutines before any subscriber
// connected (it prints them with its address).
func (c *child) goroutines() int { return c.baseGoroutines }

// cpuTicks returns the child's user+system CPU time in clock ticks (1/100 s).
func (c *child) cpuTicks() int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

// ---- subscribers ----

// histogram counts latencies: 10 µs buckets below 100 ms, 1 ms buckets
// up to 60 s.
type histogram struct {
	fine   [10000]atomic.Uint64
	coarse [60000]atomic.Uint64
	max    atomic.Int64
}

func (h *histogram) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if d < 100*time.Millisecond {
		h.fine[d/(10*time.Microsecond)].Add(1)
	} else {
		h.coarse[min(int(d/time.Millisecond), len(h.coarse)-1)].Add(1)
	}
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

func (h *histogram) quantile(q float64) time.Duration {
	var total uint64
	for i := range h.fine {
		total += h.fine[i].Load()
	}
	for i := range h.coarse {
		total += h.coarse[i].Load()
	}
	if total == 0 {
		return 0
	}
	want := uint64(q * float64(total))
	var seen uint64
	for i := range h.fine {
		if seen += h.fine[i].Load(); seen > want {
			return time.Duration(i+1) * 10 * time.Microsecond
		}
	}
	for i := range h.coarse {
		if seen += h.coarse[i].Load(); seen > want {
			return time.Duration(i+1) * time.Millisecond
		}
	}
	return time.Duration(h.max.Load())
}

// subscriber is one raw loopback connection reading the stream.
type subscriber struct {
	conn     net.Conn
	received atomic.Int64
	lost     atomic.Int64 // ids skipped, plus "missed" of lost notices
	dups     atomic.Int64
}

func dial(ctx context.Context, rawURL string) (*subscriber, *bufio.Reader, error) {
	hostPath := strings.TrimPrefix(rawURL, "http://")
	host, path, _ := strings.Cut(hostPath, "/")
	var d net.Dialer
	var conn net.Conn
	var err error
	for attempt := range 8 {
		conn, err = d.DialContext(ctx, "tcp", host)
		if err == nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond) // backlog full: back off
	}
	if err != nil {
		return nil, nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET /%s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, host); err != nil {
		conn.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, 4096)
	status, err := br.ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		conn.Close()
		return nil, nil, fmt.Errorf("status %q %v", status, err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			conn.Close()
			return nil, nil, err
		}
		if line == "\r\n" {
			break
		}
	}
	_ = conn.SetDeadline(time.Time{})
	return &subscriber{conn: conn}, br, nil
}

// read parses the chunked event stream, counting events, gaps and
// latencies until the connection closes.
func (s *subscriber) read(br *bufio.Reader, h *histogram) {
	lines := bufio.NewReaderSize(httputil.NewChunkedReader(br), 4096)
	var last, id uint64
	var lost bool
	var t int64
	for {
		line, err := lines.ReadSlice('\n')
		if err != nil {
			return
		}
		switch {
		case len(line) == 1: // end of event
			if t == 0 && !lost {
				continue
			}
			now := time.Now().UnixNano()
			switch {
			case lost:
				s.lost.Add(int64(id - last))
			case last != 0 && id <= last:
				s.dups.Add(1)
			case last != 0 && id > last+1:
				s.lost.Add(int64(id - last - 1))
			}
			if !lost {
				h.add(time.Duration(now - t))
				s.received.Add(1)
			}
			last, t, lost = id, 0, false
		case len(line) > 4 && string(line[:4]) == "id: ":
			id, _ = strconv.ParseUint(string(line[4:len(line)-1]), 10, 64)
		case string(line) == "event: lost\n":
			lost = true
		case len(line) > 11 && string(line[:11]) == `data: {"t":`:
			rest := line[11:]
			end := 0
			for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
				end++
			}
			t, _ = strconv.ParseInt(string(rest[:end]), 10, 64)
		}
	}
}

// connect opens n subscribers, 128 at a time.
func connect(ctx context.Context, url string, n int, h *histogram, wg *sync.WaitGroup) ([]*subscriber, error) {
	subs := make([]*subscriber, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 128)
	var cwg sync.WaitGroup
	for i := range n {
		cwg.Add(1)
		sem <- struct{}{}
		go func() {
			defer cwg.Done()
			defer func() { <-sem }()
			s, br, err := dial(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			subs[i] = s
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.read(br, h)
			}()
		}()
	}
	cwg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		for _, s := range subs {
			if s != nil {
				s.conn.Close()
			}
		}
		return nil, err
	}
	return subs, nil
}

// measure runs one server with n subscribers and prints one table row.
func measure(o options, impl string, n int) error {
	ring := 0
	if o.throughput {
		ring = o.events
	}
	c, err := startChild(impl, ring)
	if err != nil {
		return err
	}
	defer c.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	runtime.GC()
	time.Sleep(200 * time.Millisecond) // let the child settle before the baseline
	rss0 := c.rssKB()
	h := &histogram{}
	var wg sync.WaitGroup
	subs, err := connect(ctx, c.url, n, h, &wg)
	if err != nil {
		return err
	}
	defer func() {
		for _, s := range subs {
			s.conn.Close()
		}
		wg.Wait()
	}()
	time.Sleep(500 * time.Millisecond) // let the child settle after the connections
	rss1 := c.rssKB()
	if os.Getenv("SSEMON_LOAD_STATS") != "" {
		if _, err := c.command("stats"); err != nil {
			return err
		}
	}

	count := o.events
	cmd := fmt.Sprintf("burst %d", count)
	if !o.throughput {
		count = max(1, int(int64(o.rate)*int64(o.duration)/int64(time.Second)))
		cmd = fmt.Sprintf("publish %d %d", o.rate, count)
	}
	goroutines0 := c.goroutines()
	cpu0, start := c.cpuTicks(), time.Now()
	cost, err := c.command(cmd)
	if err != nil {
		return err
	}
	// Wait (bounded) until every subscriber has everything.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		all := true
		for _, s := range subs {
			if s.received.Load()+s.lost.Load() < int64(count) {
				all = false
				break
			}
		}
		if all {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	cpuSec := float64(c.cpuTicks()-cpu0) / 100
	cpu := cpuSec / elapsed.Seconds() * 100
	time.Sleep(500 * time.Millisecond) // as before rss1
	rss2 := c.rssKB()
	var received, lost, dups int64
	for _, s := range subs {
		received += s.received.Load()
		lost += s.lost.Load()
		dups += s.dups.Load()
	}
	// lost: ids skipped or reported lost; late: not delivered when the
	// (bounded) wait ended, neither received nor reported lost.
	late := int64(n)*int64(count) - received - lost
	if o.throughput {
		fmt.Printf("| %s | %d | %d | %.0f | %v | %d | %d | %.0f%% |\n", impl, n, count,
			float64(received)/elapsed.Seconds(), elapsed.Round(time.Millisecond), lost, late, cpu)
		return nil
	}
	pubP50, pubP99, onTime, perSub := "?", "?", "?", "?"
	if len(cost) == 4 {
		p50, _ := strconv.ParseInt(cost[0], 10, 64)
		p99, _ := strconv.ParseInt(cost[1], 10, 64)
		g, _ := strconv.Atoi(cost[3])
		pubP50, pubP99 = time.Duration(p50).Round(100*time.Nanosecond).String(), time.Duration(p99).Round(100*time.Nanosecond).String()
		onTime = cost[2] + " %"
		perSub = fmt.Sprintf("%.1f", float64(g-goroutines0)/float64(n))
	}
	fmt.Printf("| %s | %d | %d/s | %d | %v | %v | %v | %d | %d | %.1f KB | %.1f KB | %s | %.0f%% | %.1f s | %s | %s | %s |\n", impl, n, o.rate, count,
		h.quantile(0.50), h.quantile(0.99), time.Duration(h.max.Load()).Round(time.Microsecond),
		lost, late, float64(rss1-rss0)/float64(n), float64(rss2-rss0)/float64(n), perSub, cpu, cpuSec, pubP50, pubP99, onTime)
	if dups > 0 {
		fmt.Printf("|  | duplicates: %d |\n", dups)
	}
	return nil
}

// ---- heap ----

// heapRun publishes o.events events of ~100 bytes through package server
// to o.subs[0] loopback subscribers, at o.pace events/s, and reports the
// heap in use as it goes.
func heapRun(o options) error {
	n := o.subs[0]
	s, err := server.New(server.Config{Scenarios: []server.Scenario{{Channel: "load", Kind: server.KindQuiet}}, MaxSubscribers: 20000})
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()
	h := &histogram{}
	var wg sync.WaitGroup
	subs, err := connect(ctx, "http://"+ln.Addr().String()+"/api/stream/load", n, h, &wg)
	if err != nil {
		return err
	}
	pad := strings.Repeat("x", 60)
	var ms runtime.MemStats
	var peak uint64
	fmt.Printf("heap with %d subscribers, %d events/s, RingSize %d, QueueSize %d:\n\n| published | heap in use | delivered | lost (ring overflow) |\n|---:|---:|---:|---:|\n",
		n, o.pace, server.DefaultRingSize, server.DefaultQueueSize)
	start := time.Now()
	batch := max(1, o.pace/100) // one batch per 10 ms
	for i := 0; i < o.events; i += batch {
		if d := time.Until(start.Add(time.Duration(i/batch) * 10 * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
		for j := i; j < min(i+batch, o.events); j++ {
			data := fmt.Appendf(nil, `{"t":%d,"pad":"%s"}`, time.Now().UnixNano(), pad)
			if _, err := s.Publish("load", "", data); err != nil {
				return err
			}
		}
		if (i/batch)%max(1, o.events/batch/10) == 0 || i+batch >= o.events {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			var got, lost int64
			for _, sub := range subs {
				got += sub.received.Load()
				lost += sub.lost.Load()
			}
			fmt.Printf("| %d | %.1f MiB | %d | %d |\n", min(i+batch, o.events), float64(ms.HeapInuse)/(1<<20), got, lost)
		}
	}
	fmt.Printf("\npeak heap in use %.1f MiB after %v\n", float64(peak)/(1<<20), time.Since(start).Round(time.Millisecond))
	for _, sub := range subs {
		sub.conn.Close()
	}
	wg.Wait()
	return nil
}
