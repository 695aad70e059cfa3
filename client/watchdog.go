package client

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/ssemon/ssemon/client/clock"
)

// cmdCause is the cancellation cause the watcher sets on Pause or Reconnect.
type cmdCause uint8

const (
	causePause cmdCause = iota + 1
	causeReconnect
)

// Error names the command.
func (c cmdCause) Error() string {
	if c == causePause {
		return "paused"
	}
	return "reconnect requested"
}

// wireConn records when bytes arrive on a connection of the stream's own
// transport. The watchdog needs it: net/http's chunked body reader returns
// only once a chunk ends or the caller's buffer is full, so a server (or a
// proxy) that drips a chunk slowly brings bytes that no body read has
// returned yet — that connection is slow, not stalled.
type wireConn struct {
	net.Conn
	s *Stream
}

func (c *wireConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.s.wire.Store(int64(c.s.clk.Now().Sub(c.s.base)))
	}
	return n, err
}

// activityReader records when bytes last arrived: for the watchdog, as an
// offset from Stream.base; for the frames, as a time. A frame is complete
// when the read that brought its last byte returns, so that read's time is
// the frame's arrival time (and the clock is read once per read, not once
// per event).
type activityReader struct {
	r    io.Reader
	s    *Stream
	last *atomic.Int64
	at   time.Time
}

// Read reads from the body and records the arrival time of any bytes.
func (a *activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.at = a.s.clk.Now()
		a.last.Store(int64(a.at.Sub(a.s.base)))
	}
	return n, err
}

// watch cancels the attempt on connect timeout, stall, Pause or Reconnect.
// It returns when done is closed or after cancelling.
func (s *Stream) watch(actx context.Context, cancel context.CancelCauseFunc, headers <-chan struct{}, done <-chan struct{}, last *atomic.Int64) {
	var t clock.Timer
	var tc <-chan time.Time
	if s.cfg.ConnectTimeout > 0 {
		t = s.clk.NewTimer(s.cfg.ConnectTimeout)
		tc = t.C()
	}
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	hdr := headers
	stall := s.cfg.StallTimeout
	for {
		select {
		case <-done:
			return
		case <-actx.Done():
			return
		case <-hdr:
			hdr = nil
			if t != nil {
				t.Stop()
			}
			tc = nil
			if stall > 0 {
				if t == nil {
					t = s.clk.NewTimer(stall)
				} else {
					t.Reset(stall)
				}
				tc = t.C()
			}
		case <-tc:
			if hdr != nil {
				cancel(&TimeoutError{Limit: s.cfg.ConnectTimeout})
				return
			}
			idle := s.clk.Now().Sub(s.base) - time.Duration(max(last.Load(), s.wire.Load()))
			if idle >= stall {
				cancel(&StallError{Timeout: stall})
				return
			}
			t.Reset(stall - idle)
		case <-s.wake:
			p, r := s.commands()
			if p {
				cancel(causePause)
				return
			}
			if r && !s.cfg.Once { // a request's Run again waits for this run to end
				cancel(causeReconnect)
				return
			}
		}
	}
}
