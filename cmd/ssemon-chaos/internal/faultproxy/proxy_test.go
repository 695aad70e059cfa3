package faultproxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ssemon/ssemon/client"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitLimit bounds every wait: generous, for a loaded machine.
const waitLimit = 20 * time.Second

// feeder is an event-stream server that writes what the test gives it.
type feeder struct {
	srv    *httptest.Server
	writes chan string
	wrote  chan struct{} // receives after each write is flushed
}

func newFeeder(t *testing.T) *feeder {
	t.Helper()
	f := &feeder{writes: make(chan string), wrote: make(chan struct{}, 100)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case s := <-f.writes:
				if _, err := io.WriteString(w, s); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				f.wrote <- struct{}{}
			}
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// send writes s to the open stream and waits until it was flushed.
func (f *feeder) send(t *testing.T, s string) {
	t.Helper()
	select {
	case f.writes <- s:
	case <-time.After(waitLimit):
		t.Fatal("the stream is not being served")
	}
	select {
	case <-f.wrote:
	case <-time.After(waitLimit):
		t.Fatal("write not flushed")
	}
}

func newProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := New(Config{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// stream opens a GET through the proxy and returns the response.
func stream(t *testing.T, p *Proxy) *http.Response {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.Addr()+"/", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// readAll reads body until it ends, with a deadline.
func readAll(t *testing.T, body io.Reader) ([]byte, error) {
	t.Helper()
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		b, err := io.ReadAll(body)
		ch <- res{b, err}
	}()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-time.After(waitLimit):
		t.Fatal("body did not end")
		return nil, nil
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

func event(i int) string { return fmt.Sprintf("id: %d\ndata: payload %d\n\n", i, i) }

func TestCut(t *testing.T) {
	const first = "id: 1\ndata: payload 1\n\nid: 2\ndata: pay"
	tests := []struct {
		name       string
		at         CutPoint
		mode       CloseMode
		wantEvents int    // complete events the client gets
		wantTail   string // what the body ends with
	}{
		// Armed in the middle of event 2: a mid-event cut lands at once.
		{"mid-event reset", CutMidEvent, Reset, 1, "data: pay"},
		{"mid-event fin", CutMidEvent, FIN, 1, "data: pay"},
		// A between-events cut waits for the end of the event under way,
		// even when the rest of it comes in one write with event 3.
		{"between events reset", CutBetweenEvents, Reset, 2, "payload 2\n\n"},
		{"between events fin", CutBetweenEvents, FIN, 2, "payload 2\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFeeder(t)
			p := newProxy(t, f.srv.Listener.Addr().String())
			isArmed := armed(p)
			resp := stream(t, p)
			br := bufio.NewReader(resp.Body)
			f.send(t, first)
			head := make([]byte, len(first))
			if _, err := io.ReadFull(br, head); err != nil {
				t.Fatal(err)
			}
			done := make(chan int, 1)
			go func() {
				n, err := p.Cut(ctxT(t), tt.at, tt.mode)
				if err != nil {
					t.Error(err)
				}
				done <- n
			}()
			waitArmed(t, isArmed)
			f.send(t, "load 2\n\n"+event(3))
			if n := <-done; n != 1 {
				t.Fatalf("Cut cut %d connections, want 1", n)
			}
			rest, err := readAll(t, br)
			if err == nil {
				t.Error("body ended cleanly; a cut inside a chunked body must show as an error")
			}
			got := string(head) + string(rest)
			if !strings.HasSuffix(got, tt.wantTail) {
				t.Errorf("client got %q, want it to end with %q", got, tt.wantTail)
			}
			evs := decode(t, got)
			if len(evs) != tt.wantEvents {
				t.Errorf("client decoded %d events (%v), want %d", len(evs), evs, tt.wantEvents)
			}
			if tt.mode == Reset && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("body error %v, want connection reset", err)
			}
			if s := p.Stats(); s.Cuts != 1 {
				t.Errorf("Stats.Cuts = %d, want 1", s.Cuts)
			}
		})
	}
}

func TestCutNowResetsTheClient(t *testing.T) {
	f := newFeeder(t)
	p := newProxy(t, f.srv.Listener.Addr().String())
	resp := stream(t, p)
	f.send(t, event(1))
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	n, err := p.Cut(ctxT(t), CutNow, Reset)
	if err != nil || n != 1 {
		t.Fatalf("Cut = %d, %v; want 1", n, err)
	}
	_, err = readAll(t, br)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("body error %v, want connection reset", err)
	}
}

func TestStallHoldsBytesUntilUnstall(t *testing.T) {
	f := newFeeder(t)
	p := newProxy(t, f.srv.Listener.Addr().String())
	resp := stream(t, p)
	br := bufio.NewReader(resp.Body)
	f.send(t, event(1))
	if l, _ := br.ReadString('\n'); l != "id: 1\n" {
		t.Fatalf("got %q", l)
	}
	if _, err := br.ReadString('\n'); err != nil { // data line
		t.Fatal(err)
	}
	if _, err := br.ReadString('\n'); err != nil { // blank line
		t.Fatal(err)
	}
	if n := p.Stall(); n != 1 {
		t.Fatalf("Stall stalled %d connections, want 1", n)
	}
	before := p.Stats().BytesDown
	f.send(t, event(2)) // flushed by the server, held by the proxy

	// A negative needs a window: nothing may arrive within 300 ms.
	got := make(chan string, 1)
	go func() {
		l, _ := br.ReadString('\n')
		got <- l
	}()
	select {
	case l := <-got:
		t.Fatalf("a stalled connection delivered %q", l)
	case <-time.After(300 * time.Millisecond):
	}
	if after := p.Stats().BytesDown; after != before {
		t.Errorf("BytesDown moved from %d to %d while stalled", before, after)
	}
	if p.Stats().Active != 1 {
		t.Error("the stall closed the connection")
	}
	p.Unstall()
	select {
	case l := <-got:
		if l != "id: 2\n" {
			t.Errorf("after Unstall got %q, want id: 2", l)
		}
	case <-time.After(waitLimit):
		t.Fatal("nothing arrived after Unstall")
	}
}

func TestDripForwardsOneByteAtATime(t *testing.T) {
	f := newFeeder(t)
	p := newProxy(t, f.srv.Listener.Addr().String())
	p.SetDrip(true)
	resp := stream(t, p)
	br := bufio.NewReader(resp.Body)
	writesBefore := p.Stats().WritesDown
	bytesBefore := p.Stats().BytesDown
	const n = 5
	var want strings.Builder
	for i := 1; i <= n; i++ {
		want.WriteString(event(i))
	}
	f.send(t, want.String())
	got := make([]byte, want.Len())
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("drip changed the stream: %q", got)
	}
	s := p.Stats()
	bytes, writes := s.BytesDown-bytesBefore, s.WritesDown-writesBefore
	if bytes == 0 || writes != bytes {
		t.Errorf("%d bytes forwarded in %d writes, want one write per byte", bytes, writes)
	}
	if evs := decode(t, string(got)); len(evs) != n {
		t.Errorf("decoded %d events, want %d", len(evs), n)
	}
}

func TestInjectKeepsEventsAndFraming(t *testing.T) {
	f := newFeeder(t)
	p := newProxy(t, f.srv.Listener.Addr().String())
	isArmed := armed(p)
	resp := stream(t, p)
	f.send(t, event(1))
	br := bufio.NewReader(resp.Body)
	var seen bytes.Buffer
	for seen.Len() < len(event(1)) {
		b, err := br.ReadByte()
		if err != nil {
			t.Fatal(err)
		}
		seen.WriteByte(b)
	}
	done := make(chan int, 1)
	go func() {
		n, err := p.Inject(ctxT(t), nil)
		if err != nil {
			t.Error(err)
		}
		done <- n
	}()
	waitArmed(t, isArmed)
	f.send(t, event(2))
	if n := <-done; n != 1 {
		t.Fatalf("Inject wrote into %d connections, want 1", n)
	}
	f.send(t, event(3))
	want := len(event(2)) + len(event(3)) + len(DefaultGarbage)
	rest := make([]byte, want)
	if _, err := io.ReadFull(br, rest); err != nil {
		t.Fatalf("reading after the injection (chunked framing broken?): %v", err)
	}
	seen.Write(rest)
	body := seen.String()
	if !strings.Contains(body, DefaultGarbage) {
		t.Errorf("garbage not in the body: %q", body)
	}
	if i, j := strings.Index(body, DefaultGarbage), strings.Index(body, "id: 2"); i != len(event(1)) || j < i {
		t.Errorf("garbage at %d, want it at the boundary after event 1 (%d), before event 2 (at %d)", i, len(event(1)), j)
	}
	evs := decode(t, body)
	if len(evs) != 3 {
		t.Fatalf("decoded %v, want 3 events", evs)
	}
	for i, e := range evs {
		if e.ID != fmt.Sprint(i+1) || e.Data != fmt.Sprintf("payload %d", i+1) {
			t.Errorf("event %d = %+v", i, e)
		}
	}
	if p.Stats().Injections != 1 {
		t.Errorf("Injections = %d", p.Stats().Injections)
	}
}

func TestRefuse(t *testing.T) {
	f := newFeeder(t)
	p := newProxy(t, f.srv.Listener.Addr().String())
	if err := p.SetRefuse(true); err != nil {
		t.Fatal(err)
	}
	if !p.Stats().Refusing {
		t.Error("Stats.Refusing = false")
	}
	_, err := net.DialTimeout("tcp", p.Addr(), waitLimit)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while refusing: %v, want connection refused", err)
	}
	if err := p.SetRefuse(false); err != nil {
		t.Fatal(err)
	}
	resp := stream(t, p)
	f.send(t, event(1))
	l, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || l != "id: 1\n" {
		t.Fatalf("after refusing: %q, %v", l, err)
	}
}

func TestNewRejectsNonLoopback(t *testing.T) {
	tests := []struct{ target, listen, field string }{
		{"192.0.2.1:80", "", "Target"},
		{"example.com:80", "", "Target"},
		{"127.0.0.1:80", "0.0.0.0:0", "Listen"},
		{"127.0.0.1", "", "Target"},
	}
	for _, tt := range tests {
		t.Run(tt.target+" "+tt.listen, func(t *testing.T) {
			_, err := New(Config{Target: tt.target, Listen: tt.listen})
			var ae *AddrError
			if !errors.As(err, &ae) || ae.Field != tt.field {
				t.Fatalf("New = %v, want an AddrError on %s", err, tt.field)
			}
		})
	}
}

func TestDialErrorResetsClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	p := newProxy(t, addr)
	c, err := net.DialTimeout("tcp", p.Addr(), waitLimit)
	if err == nil { // else the reset came before the handshake ended
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(waitLimit))
		_, err = c.Read(make([]byte, 1))
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("through a proxy whose target is down: %v, want connection reset", err)
	}
	if p.Stats().DialErrors != 1 {
		t.Errorf("DialErrors = %d, want 1", p.Stats().DialErrors)
	}
}

// TestScannerPoints feeds whole responses byte by byte and lists the
// offsets where a mid-event cut, a between-events cut and an injection
// would land.
func TestScannerPoints(t *testing.T) {
	chunk := func(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }
	hdrChunked := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
	tests := []struct {
		name    string
		in      string
		mid     string // the input up to the first mid-event point
		between string // the input up to the first between-events point
		inject  string // the input up to the first injection point
	}{
		{
			name:    "identity body",
			in:      "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: hi\nid: 1\ndata: x\n\n",
			mid:     "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: hi\ni",
			between: "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: hi\n",
			inject:  "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: hi\n",
		},
		{
			name:    "chunked: size lines are not event lines",
			in:      hdrChunked + chunk("id: 1\ndata: x\n\n") + chunk("id: 2\n"),
			mid:     hdrChunked + "f\r\ni",
			between: hdrChunked + "f\r\nid: 1\ndata: x\n\n",
			inject:  hdrChunked + chunk("id: 1\ndata: x\n\n"),
		},
		{
			name:    "CRLF line ends",
			in:      "HTTP/1.0 200 OK\r\n\r\ndata: a\r\n\r\ndata: b\r\n\r\n",
			mid:     "HTTP/1.0 200 OK\r\n\r\nd",
			between: "HTTP/1.0 200 OK\r\n\r\ndata: a\r\n\r\n",
			inject:  "HTTP/1.0 200 OK\r\n\r\ndata: a\r\n\r\n",
		},
		{
			name: "a fixed-length error answer, then the stream on the same connection",
			in: "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 12\r\n\r\ndata: x\n\nzz" +
				hdrChunked + chunk("data: y\n\n"),
			mid: "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 12\r\n\r\ndata: x\n\nzz" +
				hdrChunked + "9\r\nd",
			between: "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 12\r\n\r\ndata: x\n\nzz" +
				hdrChunked + "9\r\ndata: y\n\n",
			inject: "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 12\r\n\r\ndata: x\n\nzz" +
				hdrChunked + chunk("data: y\n\n"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			find := func(o op) string {
				var s scanner
				for i := 0; i < len(tt.in); i++ {
					if s.due(&o) {
						return tt.in[:i]
					}
					s.feedByte(tt.in[i])
				}
				if s.due(&o) {
					return tt.in
				}
				return "<never>"
			}
			if got := find(op{kind: opCut, at: CutMidEvent}); got != tt.mid {
				t.Errorf("mid-event point after %q, want after %q", got, tt.mid)
			}
			if got := find(op{kind: opCut, at: CutBetweenEvents}); got != tt.between {
				t.Errorf("between-events point after %q, want after %q", got, tt.between)
			}
			if got := find(op{kind: opInject}); got != tt.inject {
				t.Errorf("injection point after %q, want after %q", got, tt.inject)
			}
		})
	}
}

func TestCutPointAndModeNames(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{CutNow.String(), "now"}, {CutMidEvent.String(), "mid-event"},
		{CutBetweenEvents.String(), "between-events"}, {CutPoint(9).String(), "CutPoint(9)"},
		{Reset.String(), "reset"}, {FIN.String(), "fin"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// armed makes p signal the returned channel each time a Cut or Inject
// has armed its op on every connection.
func armed(p *Proxy) <-chan struct{} {
	ch := make(chan struct{}, 10)
	p.onArmed = func() { ch <- struct{}{} }
	return ch
}

func waitArmed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatal("no op armed")
	}
}

// decode runs the client's decoder over an event-stream body.
func decode(t *testing.T, body string) []client.Event {
	t.Helper()
	d := client.NewDecoder(strings.NewReader(body), client.DecoderConfig{})
	var evs []client.Event
	for {
		f, err := d.Next()
		if err != nil {
			if err != io.EOF {
				t.Fatalf("decode: %v", err)
			}
			return evs
		}
		if f.Kind == client.FrameEvent {
			evs = append(evs, f.Event)
		}
	}
}
