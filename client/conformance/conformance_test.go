package conformance

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	r3 "github.com/r3labs/sse/v2"

	"github.com/ssemon/ssemon/client"
)

var tableOut = flag.String("conformance.out", "", "write the results table (Markdown) to this file")

// event is what a client delivered, in a form both clients can produce.
type event struct {
	id, typ, data string
}

// observation is what one client run showed: on the client side (events,
// comments) and on the server side (requests and their Last-Event-ID).
type observation struct {
	mu       sync.Mutex
	events   []event
	comments []string
	conns    []connInfo
}

type connInfo struct {
	at          time.Time
	lastEventID string
	hasID       bool
}

func (o *observation) addEvent(e event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, e)
}

func (o *observation) addComment(c string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.comments = append(o.comments, c)
}

func (o *observation) addConn(r *http.Request) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := r.Header["Last-Event-Id"]
	ci := connInfo{at: time.Now(), hasID: ok}
	if ok && len(v) > 0 {
		ci.lastEventID = v[0]
	}
	o.conns = append(o.conns, ci)
	return len(o.conns)
}

// snapshot is a consistent copy of an observation.
type snapshot struct {
	events   []event
	comments []string
	conns    []connInfo
}

func (o *observation) snapshot() snapshot {
	o.mu.Lock()
	defer o.mu.Unlock()
	return snapshot{
		events:   append([]event(nil), o.events...),
		comments: append([]string(nil), o.comments...),
		conns:    append([]connInfo(nil), o.conns...),
	}
}

// serve is a case's server: it answers connection n (1-based).
type serve func(w http.ResponseWriter, r *http.Request, n int)

// stream writes the event-stream headers and body, then ends the response
// cleanly.
func stream(body string) serve {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(body))
	}
}

// thenHold writes body on the first connection, then keeps it open and
// silent until the client goes away; later connections get later.
func thenHold(body, later string) serve {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		if n == 1 {
			_, _ = w.Write([]byte(body))
		} else {
			_, _ = w.Write([]byte(later))
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
}

// thenCut writes body on the first connection and then cuts the TCP
// connection without ending the chunked response (a network failure, not
// a clean end). Later connections are held open.
func thenCut(body string) serve {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if n > 1 {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
		fmt.Fprintf(buf, "%x\r\n%s\r\n", len(body), body)
		_ = buf.Flush()
		// Let the client read what was sent before the cut.
		time.Sleep(50 * time.Millisecond)
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	}
}

func status(code int, ctype, body string) serve {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

type tcase struct {
	name  string
	rule  string // what the spec (or a monitor) requires
	serve serve
	// run bounds the client's run. A case passes as soon as check has held
	// for settle; a fixed case always runs for the whole window (it checks
	// that something does NOT happen).
	run   time.Duration
	fixed bool
	check func(s snapshot) (ok bool, got string)
	// strictType compares event types as delivered. Elsewhere a client's
	// empty type counts as "message", so that one representation choice
	// does not fail every case.
	strictType bool
}

func eventsString(evs []event) string {
	var b strings.Builder
	for i, e := range evs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "{id:%q type:%q data:%q}", e.id, e.typ, e.data)
	}
	return "[" + b.String() + "]"
}

func wantEvents(want ...event) func(s snapshot) (bool, string) {
	return func(s snapshot) (bool, string) {
		got := eventsString(s.events)
		if len(s.events) != len(want) {
			return false, got
		}
		for i := range want {
			if s.events[i] != want[i] {
				return false, got
			}
		}
		return true, got
	}
}

func wantConns(n int) func(s snapshot) (bool, string) {
	return func(s snapshot) (bool, string) {
		return len(s.conns) == n, fmt.Sprintf("%d connection(s)", len(s.conns))
	}
}

var big = strings.Repeat("x", 100<<10)

// Generous bounds, so that a loaded machine cannot fail a client that
// behaves: positive cases end as soon as they pass.
const (
	deadline = 10 * time.Second
	window   = 1500 * time.Millisecond
	settle   = 300 * time.Millisecond
)

func cases() []tcase {
	return []tcase{
		{
			name: "reconnect-after-clean-close", rule: "reconnects after the server ends the stream",
			serve: stream("retry: 100\nid: 1\ndata: a\n\n"), run: deadline,
			check: func(s snapshot) (bool, string) {
				return len(s.conns) >= 2, fmt.Sprintf("%d connection(s)", len(s.conns))
			},
		},
		{
			name: "retry-field", rule: "waits the server's retry: time before reconnecting",
			serve: thenCut("retry: 1500\nid: 1\ndata: a\n\n"), run: deadline,
			check: func(s snapshot) (bool, string) {
				if len(s.conns) < 2 {
					return false, "no reconnect"
				}
				d := s.conns[1].at.Sub(s.conns[0].at)
				return d >= 1400*time.Millisecond, "reconnected after " + d.Round(10*time.Millisecond).String()
			},
		},
		{
			name: "last-event-id", rule: "sends Last-Event-ID of the last event on reconnect",
			serve: thenCut("retry: 100\nid: 7\ndata: a\n\ndata: b\n\n"), run: deadline,
			check: func(s snapshot) (bool, string) {
				if len(s.conns) < 2 {
					return false, "no reconnect"
				}
				return s.conns[1].lastEventID == "7", fmt.Sprintf("Last-Event-ID %q", s.conns[1].lastEventID)
			},
		},
		{
			name: "empty-data", rule: "dispatches events whose data is empty",
			serve: thenHold("data\n\ndata:\n\n", ""), run: deadline,
			check: wantEvents(event{"", "message", ""}, event{"", "message", ""}),
		},
		{
			name: "default-type", rule: `an event without event: has type "message"`,
			serve: thenHold("data: x\n\n", ""), run: deadline,
			check: wantEvents(event{"", "message", "x"}), strictType: true,
		},
		{
			name: "no-dispatch-without-data", rule: "id-only, event-only and comment blocks dispatch nothing",
			serve: thenHold("id: 1\n\nevent: e\n\n: ping\n\nretry: 900\n\ndata: x\n\n", ""), run: deadline,
			check: wantEvents(event{"1", "message", "x"}),
		},
		{
			name: "id-with-nul", rule: "ignores an id containing NUL (and can still reconnect)",
			serve: thenCut("retry: 100\nid: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"), run: deadline,
			check: func(s snapshot) (bool, string) {
				if len(s.conns) < 2 {
					return false, "no reconnect"
				}
				return s.conns[1].lastEventID == "1", fmt.Sprintf("reconnected with Last-Event-ID %q", s.conns[1].lastEventID)
			},
		},
		{
			name: "empty-id-resets", rule: "an empty id: resets the last event ID",
			serve: thenCut("retry: 100\nid: 5\ndata: a\n\nid\ndata: b\n\n"), run: deadline,
			check: func(s snapshot) (bool, string) {
				if len(s.conns) < 2 {
					return false, "no reconnect"
				}
				return !s.conns[1].hasID, fmt.Sprintf("reconnected with Last-Event-ID %q", s.conns[1].lastEventID)
			},
		},
		{
			name: "partial-event", rule: "discards an event cut off by a disconnect",
			serve: thenCut("retry: 100\ndata: complete\n\ndata: half"), run: deadline,
			check: wantEvents(event{"", "message", "complete"}),
		},
		{
			name: "bom", rule: "strips a UTF-8 BOM at stream start",
			serve: thenHold("\xEF\xBB\xBFdata: first\n\n", ""), run: deadline,
			check: wantEvents(event{"", "message", "first"}),
		},
		{
			name: "cr-line-ends", rule: "accepts CR, LF and CRLF line ends",
			serve: thenHold("data: a\r\rdata: b\r\n\r\ndata: c\n\n", ""), run: deadline,
			check: wantEvents(event{"", "message", "a"}, event{"", "message", "b"}, event{"", "message", "c"}),
		},
		{
			name: "invalid-utf8", rule: "decodes invalid UTF-8 as U+FFFD",
			serve: thenHold("data: a\xFFb\n\n", ""), run: deadline,
			check: wantEvents(event{"", "message", "a\uFFFDb"}),
		},
		{
			name: "big-event", rule: "delivers a 100 KiB event",
			serve: thenHold("data: "+big+"\n\n", ""), run: deadline,
			check: func(s snapshot) (bool, string) {
				ok := len(s.events) == 1 && s.events[0].data == big
				return ok, fmt.Sprintf("%d event(s)", len(s.events))
			},
		},
		{
			name: "comments", rule: "shows comments (heartbeats) to the caller",
			serve: thenHold(": heartbeat\n\n", ""), run: deadline,
			check: func(s snapshot) (bool, string) {
				return len(s.comments) == 1 && s.comments[0] == "heartbeat", fmt.Sprintf("comments %q", s.comments)
			},
		},
		{
			name: "204", rule: "stops for good on HTTP 204",
			serve: status(http.StatusNoContent, "", ""), run: window, fixed: true,
			check: wantConns(1),
		},
		{
			name: "404", rule: "fails on HTTP 404 without retrying",
			serve: status(http.StatusNotFound, "text/plain", "no such stream"), run: window, fixed: true,
			check: wantConns(1),
		},
		{
			name: "wrong-content-type", rule: "fails on a 200 that is not text/event-stream, delivering nothing",
			serve: status(http.StatusOK, "text/html", "<html>\ndata: not an event\n\n</html>"), run: window, fixed: true,
			check: func(s snapshot) (bool, string) {
				ok := len(s.conns) == 1 && len(s.events) == 0
				return ok, fmt.Sprintf("%d connection(s), %d event(s)", len(s.conns), len(s.events))
			},
		},
		{
			name: "stall", rule: "notices a silent connection and reconnects (monitor)",
			serve: thenHold("retry: 100\ndata: a\n\n", ""), run: deadline,
			check: func(s snapshot) (bool, string) {
				return len(s.conns) >= 2, fmt.Sprintf("%d connection(s)", len(s.conns))
			},
		},
	}
}

// peer is a client under test.
type peer struct {
	name string
	run  func(ctx context.Context, url string, o *observation)
}

type ourHandler struct{ o *observation }

func (h ourHandler) HandleFrame(f client.Frame, _ time.Time) {
	switch f.Kind {
	case client.FrameEvent:
		h.o.addEvent(event{f.Event.ID, f.Event.Type, f.Event.Data})
	case client.FrameComment:
		h.o.addComment(f.Comment)
	}
}

func (ourHandler) HandleStatus(client.Status) {}

func ours(ctx context.Context, url string, o *observation) {
	s, err := client.NewStream(client.StreamConfig{
		URL:          url,
		StallTimeout: 500 * time.Millisecond,
	}, ourHandler{o})
	if err != nil {
		panic(err)
	}
	_ = s.Run(ctx)
}

func r3labs(ctx context.Context, url string, o *observation) {
	c := r3.NewClient(url)
	// r3labs may keep retrying after ctx ends (see the README); the run is
	// abandoned then, and its server is closed.
	go func() {
		_ = c.SubscribeRawWithContext(ctx, func(m *r3.Event) {
			if len(m.Comment) > 0 {
				o.addComment(string(m.Comment))
			}
			if len(m.Data) == 0 && len(m.ID) == 0 && len(m.Event) == 0 {
				return
			}
			o.addEvent(event{string(m.ID), string(m.Event), string(m.Data)})
		})
	}()
	<-ctx.Done()
}

type result struct {
	ok  bool
	got string
}

func runCase(tc tcase, p peer) result {
	o := &observation{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := o.addConn(r)
		tc.serve(w, r, n)
	}))
	ctx, cancel := context.WithTimeout(context.Background(), tc.run)
	done := make(chan struct{})
	go func() {
		p.run(ctx, srv.URL, o)
		close(done)
	}()
	if !tc.fixed {
		// Stop once the check has held for settle.
		var since time.Time
		tick := time.NewTicker(20 * time.Millisecond)
	poll:
		for {
			select {
			case <-ctx.Done():
				break poll
			case now := <-tick.C:
				if ok, _ := tc.check(normalise(tc, o.snapshot())); !ok {
					since = time.Time{}
				} else if since.IsZero() {
					since = now
				} else if now.Sub(since) >= settle {
					cancel()
					break poll
				}
			}
		}
		tick.Stop()
	}
	<-ctx.Done()
	<-done
	cancel()
	s := normalise(tc, o.snapshot())
	srv.CloseClientConnections()
	srv.Close()
	ok, got := tc.check(s)
	return result{ok, got}
}

// normalise counts an empty event type as "message" unless the case is
// about the type.
func normalise(tc tcase, s snapshot) snapshot {
	if !tc.strictType {
		for i := range s.events {
			if s.events[i].typ == "" {
				s.events[i].typ = "message"
			}
		}
	}
	return s
}

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every case against two clients for a few seconds")
	}
	peers := []peer{{"SSE Monitor", ours}, {"r3labs/sse v2.10.0", r3labs}}
	cs := cases()
	results := make([][]result, len(cs))
	var wg sync.WaitGroup
	for i, tc := range cs {
		results[i] = make([]result, len(peers))
		for j, p := range peers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i][j] = runCase(tc, p)
			}()
		}
	}
	wg.Wait()

	var b strings.Builder
	b.WriteString("| case | rule | SSE Monitor | r3labs/sse v2.10.0 |\n|---|---|---|---|\n")
	passed := make([]int, len(peers))
	for i, tc := range cs {
		fmt.Fprintf(&b, "| `%s` | %s |", tc.name, tc.rule)
		for j := range peers {
			r := results[i][j]
			mark := "✗"
			if r.ok {
				mark = "✓"
				passed[j]++
			}
			fmt.Fprintf(&b, " %s %s |", mark, strings.ReplaceAll(truncate(r.got, 60), "|", "\\|"))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "| | **passed** | **%d / %d** | **%d / %d** |\n", passed[0], len(cs), passed[1], len(cs))
	t.Logf("\n%s", b.String())
	if *tableOut != "" {
		if err := os.WriteFile(*tableOut, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
	for i, tc := range cs {
		if r := results[i][0]; !r.ok {
			t.Errorf("%s (%s): got %s", tc.name, tc.rule, r.got)
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
