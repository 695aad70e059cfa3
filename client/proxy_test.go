package client

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// proxyPlan says what the proxy does to one connection's response bytes.
type proxyPlan struct {
	cutAfter   int64 // forward this many bytes, then drop both sides
	stallAfter int64 // forward this many bytes, then forward nothing more
}

// cutProxy is a TCP proxy in front of a test server that can cut a
// connection in the middle of an event, or stall it (socket open, no
// bytes), following one plan per accepted connection; later connections
// pass through.
type cutProxy struct {
	ln      net.Listener
	backend string
	plans   []proxyPlan
	done    chan struct{}
	wg      sync.WaitGroup

	mu    sync.Mutex
	conns int
	open  map[net.Conn]struct{}
}

func newCutProxy(t testing.TB, backend string, plans ...proxyPlan) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, backend: backend, plans: plans, done: make(chan struct{}), open: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *cutProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

func (p *cutProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return false
	default:
	}
	p.open[c] = struct{}{}
	return true
}

func (p *cutProxy) close() {
	close(p.done)
	_ = p.ln.Close()
	p.mu.Lock()
	for c := range p.open {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		var plan proxyPlan
		if p.conns < len(p.plans) {
			plan = p.plans[p.conns]
		}
		p.conns++
		p.mu.Unlock()
		p.wg.Add(1)
		go p.handle(c, plan)
	}
}

func (p *cutProxy) handle(client net.Conn, plan proxyPlan) {
	defer p.wg.Done()
	backend, err := net.Dial("tcp", p.backend)
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(client) || !p.track(backend) {
		_ = client.Close()
		_ = backend.Close()
		return
	}
	closeBoth := func() {
		_ = client.Close()
		_ = backend.Close()
	}
	upDone := make(chan struct{})
	go func() { // requests: client → backend, until the client goes away
		defer close(upDone)
		_, _ = io.Copy(backend, client)
		closeBoth()
	}()
	switch {
	case plan.cutAfter > 0:
		_, _ = io.CopyN(client, backend, plan.cutAfter)
	case plan.stallAfter > 0:
		_, _ = io.CopyN(client, backend, plan.stallAfter)
		select { // hold the socket open and silent
		case <-upDone:
		case <-p.done:
		}
	default:
		_, _ = io.Copy(client, backend)
	}
	closeBoth()
	<-upDone
}

// replayServer serves events 1..n with ids, resuming after the request's
// Last-Event-ID from its buffer, the way a well-behaved server does.
func replayServer(t testing.TB, n int, payload int) *httptest.Server {
	t.Helper()
	events := make([]string, n+1)
	for i := 1; i <= n; i++ {
		events[i] = fmt.Sprintf("id: %d\nevent: tick\ndata: {\"seq\":%d,\"pad\":%q}\n\n", i, i, strings.Repeat("x", payload))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from := 1
		if id := r.Header.Get("Last-Event-ID"); id != "" {
			last, err := strconv.Atoi(id)
			if err != nil {
				http.Error(w, "bad Last-Event-ID", http.StatusBadRequest)
				return
			}
			from = last + 1
		}
		sseHeaders(w)
		for i := from; i <= n; i++ {
			if _, err := io.WriteString(w, events[i]); err != nil {
				return
			}
			if i%8 == 0 {
				w.(http.Flusher).Flush()
			}
		}
		w.(http.Flusher).Flush()
		hold(r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Connections cut mid-event and stalled: the channel resumes with
// Last-Event-ID and ends up with every event exactly once, in order.
func TestResumeThroughCutsAndStallsLosesNothing(t *testing.T) {
	const n = 400
	srv := replayServer(t, n, 200)
	plans := []proxyPlan{
		{cutAfter: 1000},   // inside the headers or the first events
		{cutAfter: 7777},   // mid-event
		{stallAfter: 9000}, // silent socket: the watchdog must act
		{cutAfter: 150},    // inside the response headers
		{cutAfter: 30001},
	}
	proxy := newCutProxy(t, strings.TrimPrefix(srv.URL, "http://"), plans...)
	m := NewManager(ManagerConfig{})
	t.Cleanup(func() { _ = m.Close() })
	c, err := m.Add(ChannelConfig{
		Name:         "resume",
		URL:          proxy.URL() + "/stream",
		Retry:        time.Millisecond, // floored to DefaultMinRetry
		StallTimeout: 300 * time.Millisecond,
		RingSize:     2 * n,
	})
	if err != nil {
		t.Fatal(err)
	}
	waitChannel(t, c, "every event", func() bool { return c.Snapshot().Stats.Events >= n })

	var recs []Record
	for _, r := range c.Records(nil, 0) {
		if r.Kind == RecordEvent {
			recs = append(recs, r)
		}
	}
	if len(recs) != n {
		t.Fatalf("%d events logged, want %d", len(recs), n)
	}
	for i, r := range recs {
		if want := strconv.Itoa(i + 1); r.ID != want || !strings.HasPrefix(r.Data, `{"seq":`+want+",") {
			t.Fatalf("event %d has id %q data %.20q: lost, duplicated or truncated", i+1, r.ID, r.Data)
		}
		if r.Gap != 0 || r.Duplicate {
			t.Errorf("event %s marked gap %d duplicate %v", r.ID, r.Gap, r.Duplicate)
		}
	}
	s := c.Snapshot()
	if s.Stats.Stalls < 1 {
		t.Errorf("stalls = %d, want the stalled connection detected", s.Stats.Stalls)
	}
	if s.Stats.Gaps != 0 || s.Stats.Duplicates != 0 || s.Stats.Events != n {
		t.Errorf("stats: %+v", s.Stats)
	}
	if got := proxy.connections(); got < len(plans)+1 {
		t.Errorf("%d connections, want at least %d", got, len(plans)+1)
	}
}

// Without resume support on the server side, a cut shows up as a gap.
func TestGapVisibleWhenServerSkipsEvents(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		if n == 1 {
			writeFlush(w, "id: 1\ndata: a\n\nid: 2\ndata: b\n\n")
			return
		}
		writeFlush(w, "id: 6\ndata: f\n\n") // 3, 4, 5 never arrive
		hold(r)
	})
	clk := newFakeClock()
	m := NewManager(ManagerConfig{Clock: clk})
	t.Cleanup(func() { _ = m.Close() })
	c, err := m.Add(ChannelConfig{Name: "gap", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	waitChannel(t, c, "retrying", func() bool { return c.Status().State == Retrying })
	blockUntil(t, clk, 1)
	clk.Advance(DefaultRetry)
	waitChannel(t, c, "third event", func() bool { return c.Snapshot().Stats.Events == 3 })
	s := c.Snapshot()
	if s.Stats.Gaps != 1 || s.Stats.Missed != 3 || s.Stats.Reconnects != 1 {
		t.Errorf("gaps %d missed %d reconnects %d", s.Stats.Gaps, s.Stats.Missed, s.Stats.Reconnects)
	}
}
