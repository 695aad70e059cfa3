package client

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// action is what Run does after an attempt.
type action uint8

const (
	actRetry     action = iota // wait, then reconnect
	actFail                    // terminal: Failed
	actClose                   // terminal: Closed by the server (204)
	actStop                    // the caller's context is done
	actPause                   // Pause was called
	actReconnect               // Reconnect was called
)

// outcome is how one connection attempt ended.
type outcome struct {
	act        action
	err        error
	httpStatus int
	body       string
	retryAfter time.Duration
	healthy    bool // the connection counts as healthy: backoff resets
	stalled    bool
}

// attempt runs one connection: request, response checks, then frames until
// the connection ends.
func (s *Stream) attempt(ctx context.Context, n int) (out outcome) {
	s.transition(Status{State: Connecting, Attempt: n, Detail: fmt.Sprintf("connecting to %s (attempt %d)", s.hostDesc, n)})
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := s.newRequest(actx)
	if err != nil {
		return outcome{act: actFail, err: err}
	}
	x, req := s.beginExchange(n, req)
	defer func() { x.ended(out) }()

	var last atomic.Int64
	headers := make(chan struct{})
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.watch(actx, cancel, headers, done, &last)
	}()
	defer func() {
		close(done)
		<-watched
	}()

	resp, err := s.client.Do(req)
	if err != nil {
		if o, ok := s.interrupted(ctx, actx); ok {
			return o
		}
		return s.transportFailure(err)
	}
	defer resp.Body.Close()
	last.Store(int64(s.clk.Now().Sub(s.base)))
	close(headers)
	x.responded(resp)

	if o, ok := s.checkResponse(resp); !ok {
		if o2, ok := s.interrupted(ctx, actx); ok {
			return o2
		}
		return o
	}

	opened := s.clk.Now()
	detail := resp.Proto + " " + resp.Status
	if s.idNote != "" {
		detail += " · " + s.idNote
	}
	s.transition(Status{State: Open, Attempt: n, HTTPStatus: resp.StatusCode, Detail: detail, LastEventID: req.Header.Get("Last-Event-ID")})
	body := &activityReader{r: x.body(resp.Body), s: s, last: &last, at: opened}
	next := s.frames(resp.Header.Get("Content-Type"), body)
	gotEvent := false
	var f Frame
	for {
		if err := next(&f); err != nil {
			healthy := gotEvent || s.clk.Now().Sub(opened) >= s.cfg.HealthyAfter
			if o, ok := s.interrupted(ctx, actx); ok {
				o.healthy = healthy
				return o
			}
			switch {
			case err == io.EOF:
				return outcome{act: actRetry, err: ErrStreamEnded, healthy: healthy}
			default:
				return outcome{act: actRetry, err: &ConnectError{Op: "read", Err: err}, healthy: healthy}
			}
		}
		switch f.Kind {
		case FrameEvent:
			gotEvent = true
			x.event(body.at)
		case FrameOversized:
			gotEvent = true // the server delivers: the connection is healthy
			if !f.Oversized.Again {
				s.log.Warn("oversized event skipped", "url", s.logURL, "bytes", f.Oversized.Bytes,
					"going_on", f.Oversized.More, "comment", f.Oversized.Comment, "limit", f.Oversized.Cap)
			}
		case FrameRetry:
			s.mu.Lock()
			s.retry = f.Retry
			s.status.Retry = f.Retry
			s.mu.Unlock()
		}
		s.h.HandleFrame(f, body.at)
	}
}

// interrupted reports the outcome of an attempt whose context was
// cancelled: by the caller, by Pause or Reconnect, or by the watchdog.
func (s *Stream) interrupted(ctx, actx context.Context) (outcome, bool) {
	if ctx.Err() != nil {
		return outcome{act: actStop}, true
	}
	if actx.Err() == nil {
		return outcome{}, false
	}
	switch c := context.Cause(actx).(type) {
	case cmdCause:
		if c == causePause {
			return outcome{act: actPause}, true
		}
		return outcome{act: actReconnect}, true
	case *StallError:
		return outcome{act: actRetry, err: c, stalled: true}, true
	case *TimeoutError:
		return outcome{act: actRetry, err: c}, true
	}
	return outcome{}, false
}
