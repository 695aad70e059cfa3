package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ssemon/ssemon/client/clock"
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

// frame is one parsed block of the event stream.
type frame struct {
	ID       string
	HasID    bool
	Event    string
	Data     string
	HasData  bool
	Retry    string
	Comments []string
	Unknown  []string
}

// sseConn reads frames from one stream response.
type sseConn struct {
	resp   *http.Response
	frames chan frame
	end    chan error // the read error: io.EOF for a clean end of stream
	cancel context.CancelFunc
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

// tryDial connects and, for a 200, starts reading frames.
func (ts *testServer) tryDial(t *testing.T, path string, hdr map[string]string) (*sseConn, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.ts.URL+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := ts.tr.RoundTrip(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		return nil, resp
	}
	c := newFrameReader(resp.Body)
	c.resp, c.cancel = resp, cancel
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-c.end
	})
	return c, resp
}

// newFrameReader reads frames from r until it ends.
func newFrameReader(r io.Reader) *sseConn {
	c := &sseConn{frames: make(chan frame, 100000), end: make(chan error, 1), cancel: func() {}}
	go c.read(r)
	return c
}

func (c *sseConn) read(r io.Reader) {
	br := bufio.NewReader(r)
	var f frame
	empty := true
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			c.end <- err
			close(c.frames)
			return
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if !empty {
				c.frames <- f
			}
			f, empty = frame{}, true
			continue
		}
		empty = false
		if strings.HasPrefix(line, ":") {
			f.Comments = append(f.Comments, strings.TrimPrefix(strings.TrimPrefix(line, ":"), " "))
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "id":
			f.ID, f.HasID = value, true
		case "event":
			f.Event = value
		case "data":
			if f.HasData {
				f.Data += "\n"
			}
			f.Data += value
			f.HasData = true
		case "retry":
			f.Retry = value
		default:
			f.Unknown = append(f.Unknown, line)
		}
	}
}

// next returns the next frame, failing the test after the deadline or at
// the end of the stream.
func (c *sseConn) next(t *testing.T) frame {
	t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			t.Fatalf("stream ended: %v", <-c.end)
		}
		return f
	case <-time.After(wait):
		t.Fatalf("no frame within %v", wait)
	}
	return frame{}
}

// nextEvent returns the next frame that carries data, skipping comments
// and retry-only frames.
func (c *sseConn) nextEvent(t *testing.T) frame {
	t.Helper()
	for {
		if f := c.next(t); f.HasData {
			return f
		}
	}
}

// expectEnd waits for the end of the stream and returns its error (io.EOF
// for a clean end), with the frames that came before it.
func (c *sseConn) expectEnd(t *testing.T) ([]frame, error) {
	t.Helper()
	var rest []frame
	deadline := time.After(wait)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				err := <-c.end
				c.end <- err // for the cleanup
				return rest, err
			}
			rest = append(rest, f)
		case <-deadline:
			t.Fatalf("stream did not end within %v", wait)
		}
	}
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
