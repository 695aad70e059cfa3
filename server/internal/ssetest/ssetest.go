// Package ssetest is a deliberately plain event-stream reader for the
// server packages' tests: it parses what a server writes, line by line,
// without SSE Monitor's own decoder, so that the server is checked against
// an independent reading of the wire. Only test code imports it.
package ssetest

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Wait bounds every wait of a Conn: generous, for a loaded machine.
const Wait = 20 * time.Second

// Frame is one parsed block of the event stream (up to a blank line).
type Frame struct {
	ID       string
	HasID    bool
	Event    string
	Data     string
	HasData  bool
	Retry    string
	Comments []string
	Unknown  []string
}

// Conn reads frames from one stream response.
type Conn struct {
	// Resp is the response read, nil for NewReader.
	Resp *http.Response
	// Frames delivers the frames in order; closed at the end of the stream.
	Frames chan Frame
	// End holds the read error once Frames is closed: io.EOF for a clean
	// end of stream.
	End chan error
	// Cancel ends the request.
	Cancel context.CancelFunc
}

// NewReader reads frames from r until it ends.
func NewReader(r io.Reader) *Conn {
	c := &Conn{Frames: make(chan Frame, 100000), End: make(chan error, 1), Cancel: func() {}}
	go c.read(r)
	return c
}

// Dial sends GET url (Accept: text/event-stream, plus hdr) through rt and,
// for a 200, starts reading frames; the connection is closed when the test
// ends. For any other status it returns a nil Conn and the response, whose
// body the caller closes.
func Dial(t testing.TB, rt http.RoundTripper, url string, hdr map[string]string) (*Conn, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		return nil, resp
	}
	c := NewReader(resp.Body)
	c.Resp, c.Cancel = resp, cancel
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-c.End
	})
	return c, resp
}

func (c *Conn) read(r io.Reader) {
	br := bufio.NewReader(r)
	var f Frame
	empty := true
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			c.End <- err
			close(c.Frames)
			return
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if !empty {
				c.Frames <- f
			}
			f, empty = Frame{}, true
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

// Next returns the next frame, failing the test after Wait or at the end of
// the stream.
func (c *Conn) Next(t testing.TB) Frame {
	t.Helper()
	select {
	case f, ok := <-c.Frames:
		if !ok {
			err := <-c.End
			c.End <- err // for the cleanup
			t.Fatalf("stream ended: %v", err)
		}
		return f
	case <-time.After(Wait):
		t.Fatalf("no frame within %v", Wait)
	}
	return Frame{}
}

// NextEvent returns the next frame that carries data, skipping comments
// and retry-only frames.
func (c *Conn) NextEvent(t testing.TB) Frame {
	t.Helper()
	for {
		if f := c.Next(t); f.HasData {
			return f
		}
	}
}

// ExpectEnd waits for the end of the stream and returns its error (io.EOF
// for a clean end), with the frames that came before it.
func (c *Conn) ExpectEnd(t testing.TB) ([]Frame, error) {
	t.Helper()
	var rest []Frame
	deadline := time.After(Wait)
	for {
		select {
		case f, ok := <-c.Frames:
			if !ok {
				err := <-c.End
				c.End <- err // for the cleanup
				return rest, err
			}
			rest = append(rest, f)
		case <-deadline:
			t.Fatalf("stream did not end within %v", Wait)
		}
	}
}

// NoEvent checks that no event arrives for d (comments are allowed).
func (c *Conn) NoEvent(t testing.TB, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case f, ok := <-c.Frames:
			if !ok {
				return
			}
			if f.HasData {
				t.Fatalf("unexpected event: %+v", f)
			}
		case <-timer.C:
			return
		}
	}
}
