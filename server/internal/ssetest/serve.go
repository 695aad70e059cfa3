package ssetest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"syscall"
	"testing"
	"time"
)

// Serve serves h on a loopback httptest.Server and returns it with a
// transport of its own for the test's clients. When the test ends, stop
// (the server's Close, which ends its streams) runs first, then the
// transport's idle connections and the listener are closed, so that
// closing the listener does not wait for streams.
func Serve(t testing.TB, h http.Handler, stop func() error) (*httptest.Server, *http.Transport) {
	t.Helper()
	ts := httptest.NewServer(h)
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ts.Close()
	})
	t.Cleanup(func() { _ = stop() }) // runs first
	return ts, tr
}

// DialOK is Dial of a stream that must answer 200: any other answer
// fails t with its status and body.
func DialOK(t testing.TB, rt http.RoundTripper, url string, hdr map[string]string) *Conn {
	t.Helper()
	c, resp := Dial(t, rt, url, hdr)
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET %s: %s %s", url, resp.Status, body)
	}
	return c
}

// WaitFor polls cond every tick until it holds, or fails t after limit (a
// hang guard): for state that has no event to wait on. cond must be cheap.
func WaitFor(t testing.TB, limit, tick time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for !cond() {
		select {
		case <-tk.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// DialStuck sends a stream request for rawURL (http://HOST/PATH) on a TCP
// connection with a 4 KiB receive buffer and reads nothing: the server's
// writes to it block soon. The caller reads the response, if at all, and
// closes the connection.
func DialStuck(rawURL string) (*net.TCPConn, error) {
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
	return conn.(*net.TCPConn), nil
}
