package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssemon/ssemon/server/internal/ssetest"

	"github.com/r3labs/sse/v2"

	"github.com/ssemon/ssemon/client"
)

func TestCurlClient(t *testing.T) {
	curl := ssetest.RequireBinary(t, "curl", "curl")
	ts := newTestServer(t, Config{})
	ts.Burst("q", 5)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, "-sN", "-H", "Last-Event-ID: 2", ts.ts.URL+"/api/stream/q")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := ssetest.NewReader(out)
	if f := c.Next(t); f.Retry != "3000" {
		t.Fatalf("first frame %+v", f)
	}
	readIDs(t, c, 3, 3) // replay of what curl missed, exactly once
	ts.Burst("q", 2)
	readIDs(t, c, 6, 2) // live
	ts.Drop("q")
	if _, err := c.ExpectEnd(t); err == nil {
		t.Fatal("no end")
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 18 {
		t.Fatalf("curl after a drop: %v, want exit 18 (transfer closed with outstanding data)", err)
	}
}

func TestR3labsClientInterop(t *testing.T) {
	ts := newTestServer(t, Config{Retry: 100 * time.Millisecond})
	ts.Burst("q", 3)
	cl := sse.NewClient(ts.ts.URL + "/api/stream/q?history=3")
	cl.Connection = &http.Client{Transport: ts.tr}
	got := make(chan *sse.Event, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- cl.SubscribeRawWithContext(ctx, func(ev *sse.Event) {
			if len(ev.Data) > 0 { // r3labs dispatches retry-only blocks as empty events
				got <- ev
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		ts.tr.CloseIdleConnections()
		<-done
	})
	expect := func(from, n int) {
		t.Helper()
		for i := range n {
			select {
			case ev := <-got:
				if string(ev.ID) != strconv.Itoa(from+i) || string(ev.Event) != "burst" {
					t.Fatalf("event %d: id %s type %s", from+i, ev.ID, ev.Event)
				}
			case <-time.After(wait):
				t.Fatalf("no event %d", from+i)
			}
		}
	}
	expect(1, 3)
	// Dropped, it reconnects with Last-Event-ID and gets exactly the rest.
	waitFor(t, "r3labs client registered", func() bool { _, _, _, n := ts.byName["q"].state(); return n == 1 })
	ts.Drop("q")
	ts.Burst("q", 4)
	expect(4, 4)
}

func TestBehindNginx(t *testing.T) {
	nginx := ssetest.RequireBinary(t, "nginx-light", "nginx")
	ts := newTestServer(t, Config{})
	// nginx defaults: proxy_buffering on, HTTP/1.0 to the upstream — the
	// case where only X-Accel-Buffering: no gets events through.
	t.Run("events pass through at once", func(t *testing.T) {
		base := ssetest.StartNginx(t, nginx, []string{ts.ts.Listener.Addr().String()}, "")
		req, _ := http.NewRequest("GET", base+"/api/stream/q", nil)
		resp, err := ts.tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		c := ssetest.NewReader(resp.Body)
		c.Next(t) // retry: registered
		last, _, _, _ := ts.byName["q"].state()
		var lat []time.Duration
		for i := range 10 {
			start := time.Now()
			ts.Burst("q", 1)
			f := c.NextEvent(t)
			lat = append(lat, time.Since(start))
			if f.ID != strconv.FormatUint(last+uint64(i)+1, 10) {
				t.Fatalf("id %s", f.ID)
			}
		}
		slices.Sort(lat)
		// Each event arrived before the next one was published: nginx held
		// none of them back (a buffering nginx holds them until its buffer
		// fills: the control below). The latency is reported, not bounded.
		t.Logf("publish → client through nginx: min %v median %v max %v", lat[0], lat[5], lat[9])
	})
	t.Run("control: header ignored, nginx buffers", func(t *testing.T) {
		// nginx reaches the server through a tap that sees what the server
		// wrote, so that the check waits for the events to be in nginx's
		// hands rather than for a time.
		tap := startTap(t, ts.ts.Listener.Addr().String())
		base := ssetest.StartNginx(t, nginx, []string{tap.addr}, "proxy_ignore_headers X-Accel-Buffering;")
		ch := ts.byName["r"]
		_, _, _, before := ch.state()
		frames := make(chan *sseConn, 1)
		go func() {
			req, _ := http.NewRequest("GET", base+"/api/stream/r", nil)
			resp, err := ts.tr.RoundTrip(req)
			if err != nil {
				close(frames)
				return
			}
			frames <- ssetest.NewReader(resp.Body)
		}()
		waitFor(t, "subscriber through nginx", func() bool { _, _, _, n := ch.state(); return n == before+1 })
		for range 5 {
			ts.Burst("r", 1)
		}
		waitFor(t, "the server wrote the 5 events to nginx", func() bool { return tap.count("event: burst\n") == 5 })
		select {
		case c := <-frames:
			select {
			case f := <-c.Frames:
				t.Fatalf("frame arrived through a buffering nginx: %+v", f)
			case <-time.After(time.Second):
			}
		case <-time.After(time.Second): // not even the headers: buffered, as expected
		}
		// The events were held, not lost: they come out when the upstream
		// response ends.
		ts.Drop("r")
		var c *sseConn
		select {
		case c = <-frames:
		case <-time.After(wait):
			t.Fatal("no response after the upstream ended")
		}
		if c == nil {
			t.Fatal("request failed")
		}
		c.Next(t)
		n := 0
		for f := range c.Frames {
			if f.Event == "burst" {
				n++
			}
		}
		if n != 5 {
			t.Fatalf("%d buffered events released, want 5", n)
		}
	})
}

// tap is a TCP relay to an upstream that keeps what the upstream sent.
type tap struct {
	addr string
	mu   sync.Mutex
	got  []byte
}

// startTap relays every connection made to the returned tap's addr to
// upstream until the test ends; either side's end closes both.
func startTap(t *testing.T, upstream string) *tap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &tap{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			down, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				down.Close()
				continue
			}
			mu.Lock()
			open = append(open, down, up)
			mu.Unlock()
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(up, down)
				up.Close()
				down.Close()
			}()
			go func() {
				defer wg.Done()
				_, _ = io.Copy(tapWriter{tp, down}, up)
				up.Close()
				down.Close()
			}()
		}
	}()
	return tp
}

// count returns how many times s occurs in what the upstream sent.
func (tp *tap) count(s string) int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return bytes.Count(tp.got, []byte(s))
}

// tapWriter keeps what it passes on to w.
type tapWriter struct {
	tp *tap
	w  io.Writer
}

func (tw tapWriter) Write(p []byte) (int, error) {
	tw.tp.mu.Lock()
	tw.tp.got = append(tw.tp.got, p...)
	tw.tp.mu.Unlock()
	return tw.w.Write(p)
}

// runEngine runs the project's own engine on url until the test ends and
// returns what it reports (frames buffered up to n).
func runEngine(t *testing.T, url string, tr http.RoundTripper, n int) *monitorHandler {
	t.Helper()
	h := &monitorHandler{frames: make(chan client.Frame, n)}
	st, err := client.NewStream(client.StreamConfig{URL: url, Transport: tr}, h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return h
}

// monitorHandler collects what the project's own engine reports.
type monitorHandler struct {
	frames chan client.Frame
	opens  atomic.Int32
}

func (h *monitorHandler) HandleFrame(f client.Frame, _ time.Time) { h.frames <- f }

func (h *monitorHandler) HandleStatus(s client.Status) {
	if s.State == client.Open {
		h.opens.Add(1)
	}
}

// TestMonitorEngineInterop runs SSE Monitor's own engine (package client)
// against the server: retry honoured, events in order, and after a drop a
// reconnection with Last-Event-ID that misses nothing and repeats nothing.
func TestMonitorEngineInterop(t *testing.T) {
	ts := newTestServer(t, Config{Retry: 150 * time.Millisecond})
	ts.Burst("q", 3)
	h := runEngine(t, ts.ts.URL+"/api/stream/q?history=3", ts.tr, 1000)
	var sawRetry bool
	expect := func(from, n int) {
		t.Helper()
		for i := 0; i < n; {
			select {
			case f := <-h.frames:
				switch f.Kind {
				case client.FrameRetry:
					sawRetry = sawRetry || f.Retry == 150*time.Millisecond
				case client.FrameEvent:
					if f.Event.ID != strconv.Itoa(from+i) || f.Event.Type != "burst" {
						t.Fatalf("event %d: %+v", from+i, f.Event)
					}
					i++
				}
			case <-time.After(wait):
				t.Fatalf("no event %d", from+i)
			}
		}
	}
	expect(1, 3)
	ts.Drop("q")
	ts.Burst("q", 4)
	expect(4, 4)
	if !sawRetry || h.opens.Load() < 2 {
		t.Fatalf("retry seen %t, opens %d", sawRetry, h.opens.Load())
	}
	if got := ts.byName["q"].stats.replayed.Load(); got < 3 {
		t.Fatalf("replayed %d", got)
	}
}
