package client

import (
	"context"
	crand "crypto/rand"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssemon/ssemon/client/backoff"
	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/ring"
)

// Handler receives what a Stream reads and how its connection fares.
//
// Both methods are called from the goroutine running Stream.Run, one call
// at a time and in order: the Open status comes before the first frame of
// that connection. They must return quickly; they hold up the stream.
type Handler interface {
	// HandleFrame receives every frame (event, comment, retry) in stream
	// order, with the time it was decoded.
	HandleFrame(f Frame, at time.Time)
	// HandleStatus receives every state transition.
	HandleStatus(s Status)
}

// Stream supervises one event-stream connection: it connects, decodes,
// reconnects with Last-Event-ID after the reconnection time, backs off on
// consecutive failures, drops stalled connections, and stops for good on a
// response that retrying cannot fix.
//
// Responses: 200 with Content-Type text/event-stream (parameters allowed)
// opens the stream; 204 closes it (Closed, no reconnect); other 2xx, 3xx
// not followed, 4xx except 429, another or no Content-Type, an
// unverifiable certificate, too many redirects and an event or line over
// the decoder's caps fail it (Failed, no reconnect). 429, 5xx, network
// errors, a clean end of the response, a connect timeout and a stall are
// retried. Unlike a browser's EventSource, which gives up on 5xx, a
// monitor keeps retrying them (honouring Retry-After on 429 and 503) and
// shows the status meanwhile.
//
// A Stream's methods are safe for concurrent use. Run may be called again
// after it returned, to start over (with the last event ID kept).
type Stream struct {
	cfg      StreamConfig
	headers  http.Header
	clk      clock.Clock
	log      *slog.Logger
	h        Handler
	client   *http.Client
	own      *http.Transport // closed when Run ends; nil with an injected transport
	rng      *rand.Rand
	dec      *Decoder
	nd       *NDJSONDecoder // made on the first NDJSON response (request.go)
	base     time.Time      // origin of activity offsets (monotonic)
	wake     chan struct{}
	running  atomic.Bool
	hostDesc string
	insecure bool         // certificate checks are off on a TLS URL
	wire     atomic.Int64 // when bytes last came in on the own transport's connection (offset from base)
	logURL   string       // the URL without user info, query or fragment, for logs
	idNote   string       // why the last attempt sent no Last-Event-ID (Run goroutine only)
	xlog     *exchangeLog // the last attempts (Exchanges)

	mu           sync.Mutex
	status       Status
	hist         ring.Ring[Transition] // the last HistorySize transitions
	retry        time.Duration
	paused       bool
	reconnectReq bool
	accepting    bool
}

// NewStream validates cfg and returns a stream that reports to h. It does
// not connect: call Run.
func NewStream(cfg StreamConfig, h Handler) (*Stream, error) {
	if h == nil {
		return nil, &ConfigError{Field: "Handler", Msg: "is nil"}
	}
	if err := normalizeStreamConfig(&cfg); err != nil {
		return nil, err
	}
	s := &Stream{
		cfg:       cfg,
		headers:   cfg.Headers,
		clk:       cfg.Clock,
		log:       cfg.Logger,
		h:         h,
		rng:       cfg.Rand,
		wake:      make(chan struct{}, 1),
		retry:     cfg.Retry,
		accepting: true,
		hist:      ring.New[Transition](HistorySize),
		xlog:      &exchangeLog{r: ring.New[Exchange](cfg.ExchangeHistory)},
	}
	if s.rng == nil {
		var seed [32]byte
		_, _ = crand.Read(seed[:])
		s.rng = rand.New(rand.NewChaCha8(seed))
	}
	u, _ := url.Parse(cfg.URL)
	s.hostDesc = u.Host
	// Certificates are checked only on TLS: plain HTTP is not "unverified".
	s.insecure = cfg.Insecure && strings.EqualFold(u.Scheme, "https")
	s.logURL = redactURL(u)
	if err := s.buildClient(); err != nil {
		return nil, err
	}
	s.dec = NewDecoder(http.NoBody, cfg.Decoder)
	s.dec.SetLastEventID(cfg.LastEventID)
	s.base = s.clk.Now()
	s.status = Status{State: Idle, Since: s.base, Insecure: s.insecure, Retry: cfg.Retry}
	s.hist.Push(Transition{At: s.base, State: Idle, Detail: "created"})
	return s, nil
}

// Status returns the current status.
func (s *Stream) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// History appends the last HistorySize transitions, oldest first, to dst.
func (s *Stream) History(dst []Transition) []Transition {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hist.AppendTo(dst, 0)
}

// Pause closes the connection (or cancels the wait for the next one) and
// holds the stream in the Paused state until Resume or Reconnect. A
// request's pending Run again (see Reconnect) is dropped: Pause stops.
func (s *Stream) Pause() {
	s.mu.Lock()
	s.paused = true
	s.reconnectReq = false
	s.mu.Unlock()
	s.signal()
}

// Resume ends a pause: the stream reconnects at once, sending the last
// event ID. It reports false when no Run is active or about to start (the
// stream ended in a terminal state): the caller may call Run again.
func (s *Stream) Resume() bool {
	s.mu.Lock()
	s.paused = false
	ok := s.accepting
	s.mu.Unlock()
	s.signal()
	return ok
}

// Reconnect reconnects at once: it skips the wait for the next attempt,
// or drops the current connection and opens a new one; it also ends a
// pause and resets the backoff. It reports false when no Run is active or
// about to start: the caller may call Run again.
//
// A request (StreamConfig.Once) is "Run again" instead: the run on its way
// is never cut; it ends as it would have, then exactly one more run
// follows. That holds whenever Reconnect is called — before the first
// attempt, while connecting or streaming, between runs; several calls
// before the further run starts ask for that one run (they coalesce).
// Ending a pause, Reconnect starts the one run itself.
func (s *Stream) Reconnect() bool {
	s.mu.Lock()
	ok := s.accepting
	if ok {
		if s.paused {
			s.paused = false // the run that resumes is the one asked for
		} else {
			s.reconnectReq = true
		}
	}
	s.mu.Unlock()
	s.signal()
	return ok
}

// RunAgainPending reports whether a request's Run again (a Reconnect
// made while its run was on its way) waits for that run to end.
func (s *Stream) RunAgainPending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Once && s.reconnectReq
}

func (s *Stream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// commands returns the pending pause and reconnect requests.
func (s *Stream) commands() (paused, reconnect bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused, s.reconnectReq
}

// Run connects and keeps the stream going until ctx is done (it then
// returns ctx.Err() with the stream Closed) or the stream reaches a
// terminal state: Failed (returns the reason, e.g. *HTTPError) or Closed by
// the server with 204 (returns nil). Every goroutine it starts has ended
// and every response body is closed when it returns. Only one Run may be
// active at a time (ErrRunning).
func (s *Stream) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer s.running.Store(false)
	if s.own != nil {
		defer s.own.CloseIdleConnections()
	}
	s.mu.Lock()
	s.accepting = true
	s.mu.Unlock()

	failures := 0 // consecutive unhealthy attempts
	for {
		if ctx.Err() != nil {
			return s.stopped(ctx)
		}
		s.mu.Lock()
		paused := s.paused
		if !s.cfg.Once { // a new connection is what Reconnect asked for
			s.reconnectReq = false
		} // a request's Run again waits for the run about to start to end
		s.mu.Unlock()
		if paused {
			s.transition(Status{State: Paused, Detail: "paused"})
			if !s.waitResume(ctx) {
				return s.stopped(ctx)
			}
			failures = 0
			continue
		}

		out := s.attempt(ctx, failures+1)
		switch out.act {
		case actStop:
			return s.stopped(ctx)
		case actPause:
			continue
		case actReconnect:
			failures = 0
			continue
		case actClose, actFail:
			if st, ok := s.terminate(out); ok {
				return st
			}
			failures = 0
			continue
		}

		// actRetry
		if s.cfg.Once { // a request: it ends here (request.go)
			if st, ok := s.finishRequest(out); ok {
				return st
			}
			failures = 0
			continue
		}
		if out.healthy {
			failures = 0
		} else {
			failures++
		}
		if out.stalled {
			s.transition(Status{State: Stalled, Attempt: max(failures, 1), Err: out.err, Detail: out.err.Error()})
		}
		delay := s.delay(failures, out.retryAfter)
		now := s.clk.Now()
		s.transition(Status{
			State:       Retrying,
			Attempt:     failures,
			NextAttempt: now.Add(delay),
			Err:         out.err,
			HTTPStatus:  out.httpStatus,
			BodyPreview: out.body,
			Detail:      "retry in " + FormatDuration(delay) + ": " + out.err.Error(),
		})
		if !s.sleep(ctx, delay) {
			return s.stopped(ctx)
		}
		if _, r := s.commands(); r {
			failures = 0
		}
	}
}

// stopped records that the caller stopped the stream.
func (s *Stream) stopped(ctx context.Context) error {
	s.mu.Lock()
	s.accepting = false
	s.reconnectReq = false
	s.mu.Unlock()
	s.transition(Status{State: Closed, Detail: "stopped"})
	return ctx.Err()
}

// stopAccepting is called when a run has ended in a terminal state,
// before that state is announced (so that whoever sees it and calls
// Reconnect is not lost: Reconnect then reports false and the caller runs
// the stream again). When a Reconnect is pending it takes it and reports
// false: Run goes on with one more run. Otherwise it marks the stream as
// ending (Resume and Reconnect report false) and reports true.
func (s *Stream) stopAccepting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reconnectReq {
		s.reconnectReq = false
		return false
	}
	s.accepting = false
	return true
}

// terminate enters a terminal state; it reports false when a Reconnect
// was pending (the state is announced, then Run goes on).
func (s *Stream) terminate(out outcome) (error, bool) {
	end := s.stopAccepting()
	if out.act == actClose {
		s.transition(Status{State: Closed, HTTPStatus: out.httpStatus, Detail: "closed by server (HTTP 204 No Content)"})
		return nil, end
	}
	s.log.Warn("stream failed", "url", s.logURL, "err", out.err)
	s.transition(Status{State: Failed, Err: out.err, HTTPStatus: out.httpStatus, BodyPreview: out.body, Detail: out.err.Error()})
	return out.err, end
}

// delay returns the wait before the next attempt after failures
// consecutive unhealthy attempts. The base is the reconnection time (the
// server's retry:, else Config.Retry); the first retry waits exactly the
// base; later ones double it, capped by MaxBackoff (never below the base),
// with equal jitter (a random point in the upper half) never below the
// base. A Retry-After longer than that wins. The result is at least
// MinRetry and at most MaxRetryAfter (or MaxBackoff, if larger).
func (s *Stream) delay(failures int, retryAfter time.Duration) time.Duration {
	s.mu.Lock()
	base := s.retry
	s.mu.Unlock()
	d := backoff.Policy{Base: base, Max: s.cfg.MaxBackoff, KeepBase: true}.Delay(failures, s.rng.Int64N)
	if retryAfter > d {
		d = retryAfter
	}
	// A server's retry: or Retry-After cannot park the stream for days;
	// the countdown stays visible and Reconnect skips it.
	d = min(d, max(MaxRetryAfter, s.cfg.MaxBackoff))
	return max(d, s.cfg.MinRetry, 0)
}

// sleep waits d. It reports false when ctx is done; it returns early,
// true, on Pause or Reconnect.
func (s *Stream) sleep(ctx context.Context, d time.Duration) bool {
	if p, r := s.commands(); p || r {
		return true
	}
	t := s.clk.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C():
			return true
		case <-s.wake:
			if p, r := s.commands(); p || r {
				return true
			}
		}
	}
}

// waitResume waits for Resume or Reconnect; it reports false when ctx is done.
func (s *Stream) waitResume(ctx context.Context) bool {
	for {
		if p, _ := s.commands(); !p {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-s.wake:
		}
	}
}

// transition records and announces a new state. st carries the fields of
// the new status other than Since, Insecure and Retry.
func (s *Stream) transition(st Status) {
	now := s.clk.Now()
	s.mu.Lock()
	st.Since = now
	st.Insecure = s.insecure
	st.Retry = s.retry
	s.status = st
	s.hist.Push(Transition{At: now, State: st.State, Detail: st.Detail})
	s.mu.Unlock()
	s.log.Debug("stream state", "url", s.logURL, "state", st.State.String(), "detail", st.Detail)
	s.h.HandleStatus(st)
}

// stoppedLastEventID returns the last event ID string. Call it only when
// no Run is active (the decoder belongs to Run).
func (s *Stream) stoppedLastEventID() string { return s.dec.LastEventID() }

// setStoppedLastEventID sets the last event ID of a stream that has not
// started.
func (s *Stream) setStoppedLastEventID(id string) {
	if validHeaderValue(id) {
		s.dec.SetLastEventID(id)
	}
}
