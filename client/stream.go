package client

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ssemon/ssemon/client/clock"
)

// Defaults of StreamConfig.
const (
	DefaultRetry          = 3 * time.Second
	DefaultMinRetry       = 100 * time.Millisecond
	DefaultMaxBackoff     = 60 * time.Second
	DefaultHealthyAfter   = 10 * time.Second
	DefaultStallTimeout   = 45 * time.Second
	DefaultConnectTimeout = 30 * time.Second
	DefaultMaxRedirects   = 10
	// MaxRetryAfter caps a server's Retry-After.
	MaxRetryAfter = time.Hour
	// MaxResponseHeaderBytes caps the response headers read by the
	// stream's own transport (net/http's default is 10 MiB).
	MaxResponseHeaderBytes = 256 << 10
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

// StreamConfig configures a Stream. The zero value of every field selects
// its documented default. NewStream copies it: changing the caller's value
// (or its Headers map or Body slice) later has no effect.
type StreamConfig struct {
	// URL is the http or https URL of the event stream. Required.
	URL string
	// Method is the HTTP method. "" means GET. Any method may carry Body,
	// for streams opened by a POST (LLM-style APIs).
	Method string
	// Headers are sent with every request. Accept and Cache-Control are
	// set to text/event-stream and no-cache unless given here.
	Headers http.Header
	// Body is sent with every request, re-sent on every reconnect and on
	// 307/308 redirects. nil means no body.
	Body []byte
	// LastEventID is the last event ID to send on the first connection
	// ("" sends none). Later connections send the id of the last event
	// that had one. It must not contain control characters.
	LastEventID string

	// Retry is the reconnection time until the server sends a retry:
	// field, which replaces it. 0 means DefaultRetry (3 s).
	Retry time.Duration
	// MinRetry is the shortest wait between connections, whatever the
	// server's retry: says (a guard against reconnect storms).
	// 0 means DefaultMinRetry (100 ms); negative means no floor.
	MinRetry time.Duration
	// MaxBackoff caps the exponential backoff applied to consecutive
	// failed attempts (it never shortens the server's reconnection time).
	// 0 means DefaultMaxBackoff (60 s).
	MaxBackoff time.Duration
	// HealthyAfter is how long a connection must stay open, if it brings
	// no event, to count as healthy and reset the backoff. A connection
	// that delivers an event is healthy at once.
	// 0 means DefaultHealthyAfter (10 s).
	HealthyAfter time.Duration
	// StallTimeout closes an open connection that received no byte at all
	// (no event, no comment) for this long, and reconnects. With the
	// stream's own transport, bytes count as they reach the socket, even
	// in the middle of an HTTP chunk; with an injected Transport or
	// HTTPClient, as body reads return them. 0 means
	// DefaultStallTimeout (45 s); negative disables the watchdog.
	StallTimeout time.Duration
	// ConnectTimeout bounds the time from the start of an attempt to the
	// response headers. 0 means DefaultConnectTimeout (30 s); negative
	// disables it.
	ConnectTimeout time.Duration
	// MaxRedirects caps the redirects followed per attempt (301, 302, 303
	// switch to GET without body, 307 and 308 keep method and body).
	// 0 means DefaultMaxRedirects (10); negative follows none.
	MaxRedirects int

	// CAFile is a PEM file of certificate authorities trusted in addition
	// to the system roots. "" adds none.
	CAFile string
	// Insecure switches off TLS certificate verification. An explicit
	// opt-in, reported in every Status.
	Insecure bool
	// Decoder sets the line and event size caps; see DecoderConfig.
	Decoder DecoderConfig

	// Clock drives every timer (retry, stall, connect timeout).
	// nil means clock.Real().
	Clock clock.Clock
	// Logger receives transitions (Debug) and failures (Warn).
	// nil discards.
	Logger *slog.Logger
	// Rand draws the backoff jitter. It is used only by the Run goroutine,
	// so it must not be shared. nil means a generator seeded from
	// crypto/rand.
	Rand *rand.Rand
	// HTTPClient replaces the HTTP client (its Timeout must be 0 for a
	// stream). Its CheckRedirect is kept if set, else the MaxRedirects
	// policy is installed. CAFile and Insecure are then ignored.
	// nil means a client of the stream's own.
	HTTPClient *http.Client
	// Transport replaces the transport of the stream's own client (for
	// tests, or a transport shared by many streams). CAFile and Insecure
	// are then ignored. nil means a clone of http.DefaultTransport with
	// the proxy taken from the environment.
	Transport http.RoundTripper
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
	base     time.Time // origin of activity offsets (monotonic)
	wake     chan struct{}
	running  atomic.Bool
	hostDesc string
	wire     atomic.Int64 // when bytes last came in on the own transport's connection (offset from base)
	logURL   string       // the URL without user info, query or fragment, for logs
	idNote   string       // why the last attempt sent no Last-Event-ID (Run goroutine only)

	mu           sync.Mutex
	status       Status
	hist         history
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
	}
	if s.rng == nil {
		var seed [32]byte
		_, _ = crand.Read(seed[:])
		s.rng = rand.New(rand.NewChaCha8(seed))
	}
	u, _ := url.Parse(cfg.URL)
	s.hostDesc = u.Host
	s.logURL = redactURL(u)
	if err := s.buildClient(); err != nil {
		return nil, err
	}
	s.dec = NewDecoder(http.NoBody, cfg.Decoder)
	s.dec.SetLastEventID(cfg.LastEventID)
	s.base = s.clk.Now()
	s.status = Status{State: Idle, Since: s.base, Insecure: cfg.Insecure, Retry: cfg.Retry}
	s.hist.add(Transition{At: s.base, State: Idle, Detail: "created"})
	return s, nil
}

func normalizeStreamConfig(cfg *StreamConfig) error {
	if err := validateURL(cfg.URL); err != nil {
		return err
	}
	if cfg.Method == "" {
		cfg.Method = http.MethodGet
	}
	if !validToken(cfg.Method) {
		return &ConfigError{Field: "Method", Msg: fmt.Sprintf("%q is not a valid HTTP method", cfg.Method)}
	}
	h := make(http.Header, len(cfg.Headers)+3)
	for k, vs := range cfg.Headers {
		if !validToken(k) {
			return &ConfigError{Field: "Headers", Msg: fmt.Sprintf("%q is not a valid header name", k)}
		}
		for _, v := range vs {
			if !validHeaderValue(v) {
				return &ConfigError{Field: "Headers", Msg: fmt.Sprintf("value of %s contains a control character", k)}
			}
		}
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", "text/event-stream")
	}
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	cfg.Headers = h
	if cfg.Body != nil {
		cfg.Body = bytes.Clone(cfg.Body)
	}
	if !validHeaderValue(cfg.LastEventID) || strings.ContainsRune(cfg.LastEventID, 0) {
		return &ConfigError{Field: "LastEventID", Msg: "contains a control character"}
	}
	if cfg.Retry <= 0 {
		cfg.Retry = DefaultRetry
	}
	if cfg.MinRetry == 0 {
		cfg.MinRetry = DefaultMinRetry
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.HealthyAfter <= 0 {
		cfg.HealthyAfter = DefaultHealthyAfter
	}
	if cfg.StallTimeout == 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// validateURL checks that raw is an absolute http or https URL with a host.
func validateURL(raw string) error {
	if strings.TrimSpace(raw) == "" {
		return &ConfigError{Field: "URL", Msg: "is empty"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &ConfigError{Field: "URL", Msg: fmt.Sprintf("%q is not a valid URL", raw), Err: err}
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return &ConfigError{Field: "URL", Msg: fmt.Sprintf("%q has no scheme (want http:// or https://)", raw)}
	default:
		return &ConfigError{Field: "URL", Msg: fmt.Sprintf("scheme %q is not supported (want http or https)", u.Scheme)}
	}
	if u.Host == "" {
		return &ConfigError{Field: "URL", Msg: fmt.Sprintf("%q has no host", raw)}
	}
	return nil
}

// validToken reports whether s is a non-empty RFC 9110 token.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v can be sent as a header value: no
// control characters other than horizontal tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func (s *Stream) buildClient() error {
	if s.cfg.HTTPClient != nil {
		c := *s.cfg.HTTPClient
		if c.CheckRedirect == nil {
			c.CheckRedirect = s.checkRedirect
		}
		s.client = &c
		return nil
	}
	rt := s.cfg.Transport
	if rt == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		dial := tr.DialContext
		if dial == nil {
			dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &wireConn{Conn: c, s: s}, nil
		}
		tr.Proxy = http.ProxyFromEnvironment
		tr.ResponseHeaderTimeout = 0 // the stream's own connect timeout applies
		tr.MaxResponseHeaderBytes = MaxResponseHeaderBytes
		if s.cfg.CAFile != "" || s.cfg.Insecure {
			tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.cfg.Insecure} //nolint:gosec // explicit, reported opt-in
			if s.cfg.CAFile != "" {
				pool, err := loadCAFile(s.cfg.CAFile)
				if err != nil {
					return err
				}
				tc.RootCAs = pool
			}
			tr.TLSClientConfig = tc
		}
		s.own = tr
		rt = tr
	}
	s.client = &http.Client{Transport: rt, CheckRedirect: s.checkRedirect}
	return nil
}

func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Field: "CAFile", Msg: "cannot be read", Err: err}
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &ConfigError{Field: "CAFile", Msg: fmt.Sprintf("%s holds no PEM certificate", path)}
	}
	return pool, nil
}

func (s *Stream) checkRedirect(req *http.Request, via []*http.Request) error {
	if n := max(s.cfg.MaxRedirects, 0); len(via) > n {
		return &RedirectError{Max: n, URL: req.URL.Redacted()}
	}
	return nil
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
	return s.hist.appendTo(dst)
}

// Pause closes the connection (or cancels the wait for the next one) and
// holds the stream in the Paused state until Resume or Reconnect.
func (s *Stream) Pause() {
	s.mu.Lock()
	s.paused = true
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
func (s *Stream) Reconnect() bool {
	s.mu.Lock()
	ok := s.accepting
	if ok {
		s.paused = false
		s.reconnectReq = true
	}
	s.mu.Unlock()
	s.signal()
	return ok
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
		s.reconnectReq = false
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
			Detail:      "retry in " + delay.String() + ": " + out.err.Error(),
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
	s.mu.Unlock()
	s.transition(Status{State: Closed, Detail: "stopped"})
	return ctx.Err()
}

// terminate enters a terminal state unless a Reconnect arrived meanwhile
// (then it reports false and Run goes on).
func (s *Stream) terminate(out outcome) (error, bool) {
	s.mu.Lock()
	if s.reconnectReq {
		s.mu.Unlock()
		return nil, false
	}
	s.accepting = false
	s.mu.Unlock()
	if out.act == actClose {
		s.transition(Status{State: Closed, HTTPStatus: out.httpStatus, Detail: "closed by server (HTTP 204 No Content)"})
		return nil, true
	}
	s.log.Warn("stream failed", "url", s.logURL, "err", out.err)
	s.transition(Status{State: Failed, Err: out.err, HTTPStatus: out.httpStatus, BodyPreview: out.body, Detail: out.err.Error()})
	return out.err, true
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
	d := base
	if failures >= 2 {
		ceiling := max(s.cfg.MaxBackoff, base)
		d = base
		for i := 1; i < failures && d < ceiling; i++ {
			d *= 2
		}
		d = min(d, ceiling)
		half := d / 2
		d = half + time.Duration(s.rng.Int64N(int64(d-half)+1))
		d = max(d, base)
	}
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
	st.Insecure = s.cfg.Insecure
	st.Retry = s.retry
	s.status = st
	s.hist.add(Transition{At: now, State: st.State, Detail: st.Detail})
	s.mu.Unlock()
	s.log.Debug("stream state", "url", s.logURL, "state", st.State.String(), "detail", st.Detail)
	s.h.HandleStatus(st)
}

// newRequest builds the request of one attempt.
func (s *Stream) newRequest(ctx context.Context) (*http.Request, error) {
	var body io.Reader = http.NoBody
	if len(s.cfg.Body) > 0 {
		body = bytes.NewReader(s.cfg.Body)
	}
	req, err := http.NewRequestWithContext(ctx, s.cfg.Method, s.cfg.URL, body)
	if err != nil {
		return nil, &ConfigError{Field: "URL", Msg: "cannot build request", Err: err}
	}
	req.Header = s.headers.Clone()
	s.idNote = ""
	if id := s.dec.LastEventID(); id != "" {
		if validHeaderValue(id) {
			req.Header.Set("Last-Event-ID", id)
		} else {
			s.idNote = "resumed without Last-Event-ID: the last id contains a control character"
			s.log.Warn("last event id not sent: it contains a control character", "url", s.logURL)
		}
	}
	return req, nil
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
	s.transition(Status{State: Open, Attempt: n, HTTPStatus: resp.StatusCode, Detail: detail})
	body := &activityReader{r: resp.Body, s: s, last: &last, at: opened}
	s.dec.Reset(body)
	gotEvent := false
	var f Frame
	for {
		if err := s.dec.next(&f); err != nil {
			healthy := gotEvent || s.clk.Now().Sub(opened) >= s.cfg.HealthyAfter
			if o, ok := s.interrupted(ctx, actx); ok {
				o.healthy = healthy
				return o
			}
			var le *LimitError
			switch {
			case errors.As(err, &le):
				return outcome{act: actFail, err: err, httpStatus: resp.StatusCode}
			case err == io.EOF:
				return outcome{act: actRetry, err: ErrStreamEnded, healthy: healthy}
			default:
				return outcome{act: actRetry, err: &ConnectError{Op: "read", Err: err}, healthy: healthy}
			}
		}
		switch f.Kind {
		case FrameEvent:
			gotEvent = true
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
			if r {
				cancel(causeReconnect)
				return
			}
		}
	}
}

// transportFailure classifies an error from http.Client.Do.
func (s *Stream) transportFailure(err error) outcome {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var re *RedirectError
	if errors.As(err, &re) {
		return outcome{act: actFail, err: re}
	}
	ce := &ConnectError{Op: "connect", Err: err}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) {
		// Retrying cannot fix a certificate; the user must (CAFile, Insecure).
		return outcome{act: actFail, err: ce}
	}
	return outcome{act: actRetry, err: ce}
}

// checkResponse decides whether resp opens the stream; ok is false with the
// outcome when it does not.
func (s *Stream) checkResponse(resp *http.Response) (outcome, bool) {
	code := resp.StatusCode
	switch {
	case code == http.StatusOK:
		ct := resp.Header.Get("Content-Type")
		if isEventStream(ct) {
			return outcome{}, true
		}
		body := readPreview(resp.Body)
		return outcome{act: actFail, err: &ContentTypeError{ContentType: ct, Body: body}, httpStatus: code, body: body}, false
	case code == http.StatusNoContent:
		return outcome{act: actClose, httpStatus: code}, false
	}
	body := readPreview(resp.Body)
	he := &HTTPError{Status: code, Body: body}
	if retryableStatus(code) {
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			he.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), s.clk.Now())
		}
		return outcome{act: actRetry, err: he, httpStatus: code, body: body, retryAfter: he.RetryAfter}, false
	}
	return outcome{act: actFail, err: he, httpStatus: code, body: body}, false
}

// isEventStream reports whether a Content-Type is text/event-stream, with
// or without parameters (a trailing ";" included), case-insensitively.
func isEventStream(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d <= 0 {
			return 0
		}
		return min(d, MaxRetryAfter)
	}
	return 0
}

// readPreview reads the start of an error body for display: at most
// BodyPreviewBytes bytes, cut on a character boundary, as valid UTF-8.
func readPreview(r io.Reader) string {
	buf := make([]byte, BodyPreviewBytes+utf8.UTFMax)
	n := 0
	for reads := 0; n < len(buf) && reads < 16; reads++ {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			break
		}
	}
	return truncateUTF8(strings.ToValidUTF8(string(buf[:n]), "\uFFFD"), BodyPreviewBytes)
}

// redactURL returns u without user info, query or fragment, which may hold
// credentials; "?…" marks a removed query.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	query := c.RawQuery != "" || c.ForceQuery
	c.RawQuery, c.ForceQuery = "", false
	if query {
		return c.String() + "?…"
	}
	return c.String()
}

// truncateUTF8 cuts valid UTF-8 s to at most n bytes on a rune boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
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
