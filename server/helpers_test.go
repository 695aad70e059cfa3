package server

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
	ts, tr := ssetest.Serve(t, s.Handler(), s.Close)
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
	return ssetest.DialOK(t, ts.tr, ts.ts.URL+path, hdr)
}

// waitFor polls cond (it must be cheap) until it holds or the deadline
// passes; used for server-side state that has no event to wait on.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ssetest.WaitFor(t, wait, time.Millisecond, what, cond)
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
	conn, err := ssetest.DialStuck(rawURL)
	if err != nil {
		return nil, err
	}
	return &stuckClient{conn: conn}, nil
}

func (s *stuckClient) close() { s.conn.Close() }
