package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/server/internal/ssetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// wait is the generous deadline for anything a test waits for.
const wait = 15 * time.Second

var epoch = time.Date(2025, 11, 25, 12, 0, 0, 0, time.UTC)

// testServer is a Server on a fake clock behind an httptest.Server.
type testServer struct {
	*Server
	clk *clock.Fake
	ts  *httptest.Server
	tr  *http.Transport
}

// quietScenarios is one quiet channel "q" (plus "r"), so that tests publish
// with Burst and nothing else moves.
func quietScenarios() []Scenario {
	return []Scenario{{Channel: "q", Kind: KindQuiet}, {Channel: "r", Kind: KindQuiet}}
}

func newTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	clk := clock.NewFake(epoch)
	if cfg.Clock == nil {
		cfg.Clock = clk
	}
	if cfg.Scenarios == nil {
		cfg.Scenarios = quietScenarios()
	}
	if cfg.History == 0 {
		cfg.History = -1 // the fake clock stands still: RingSize alone bounds the history
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ts.Close()
	})
	t.Cleanup(func() { _ = s.Close() }) // runs first: ends streams so ts.Close does not wait
	return &testServer{Server: s, clk: clk, ts: ts, tr: tr}
}

// sseConn is the independent wire reader of package ssetest.
type sseConn = ssetest.Conn

// tryDial connects and, for a 200, starts reading frames.
func (ts *testServer) tryDial(t *testing.T, path string, hdr map[string]string) (*sseConn, *http.Response) {
	t.Helper()
	return ssetest.Dial(t, ts.tr, ts.ts.URL+path, hdr)
}

func (ts *testServer) dial(t *testing.T, path string, hdr map[string]string) *sseConn {
	t.Helper()
	c, resp := ts.tryDial(t, path, hdr)
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET %s: %s %s", path, resp.Status, body)
	}
	return c
}

// waitFor polls cond (it must be cheap) until it holds or the deadline
// passes; used for server-side state that has no event to wait on.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// tickUntilFrame moves the fake clock by d until c receives a frame and
// returns it. A connection waits for heartbeats only once it has written
// what it had (the retry frame, events): a tick that comes before is not
// its own, so the clock moves again, one interval at a time, until the
// connection has taken one.
func (ts *testServer) tickUntilFrame(t *testing.T, c *sseConn, d time.Duration) ssetest.Frame {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		ts.clk.Advance(d)
		select {
		case f, ok := <-c.Frames:
			if !ok {
				t.Fatal("stream ended")
			}
			return f
		case <-time.After(20 * time.Millisecond): // not taken yet: tick again
		case <-deadline.C:
			t.Fatalf("no frame within %v of ticks", wait)
		}
	}
}

func isCleanEnd(err error) bool { return errors.Is(err, io.EOF) }

// stuckClient sends a stream request and never reads the response, with a
// small receive buffer so that the server's writes block soon.
type stuckClient struct{ conn *net.TCPConn }

func newStuckClient(rawURL string) (*stuckClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", u.Host)
	if err != nil {
		return nil, err
	}
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", u.RequestURI(), u.Host); err != nil {
		conn.Close()
		return nil, err
	}
	return &stuckClient{conn: conn.(*net.TCPConn)}, nil
}

func (s *stuckClient) close() { s.conn.Close() }
