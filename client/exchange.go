package client

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/ring"
)

// DefaultExchangeHistory is how many connection attempts a stream
// remembers (StreamConfig.ExchangeHistory).
const DefaultExchangeHistory = 32

// MaxExchangeHistory caps StreamConfig.ExchangeHistory.
const MaxExchangeHistory = 1024

// RequestBodyPreviewBytes caps the start of a request body kept in an
// Exchange.
const RequestBodyPreviewBytes = 512

// Exchange is one connection attempt as it went over the wire: the request
// sent, the response received, the timings and how it ended. Header values
// are kept as sent and received — secrets included: mask them for display
// (client/record's MaskExchange) unless the user asked to see them.
type Exchange struct {
	// Seq numbers the attempts of a stream from 1 (every attempt, across
	// reconnects and runs).
	Seq int
	// Attempt is the attempt count of the status it belongs to (1, then 2,
	// 3... while the connection keeps failing).
	Attempt int
	// Start is when the attempt began.
	Start time.Time
	// Duration is how long the attempt lasted; while Ended is false, up
	// to the moment the record was taken.
	Duration time.Duration
	// Request is what was sent.
	Request ExchangeRequest
	// Response is what came back; nil when no response headers arrived.
	Response *ExchangeResponse
	// Timings are the phases of the attempt.
	Timings ExchangeTimings
	// Ended reports that the attempt is over; End and Err say how.
	Ended bool
	// End classifies how it ended.
	End EndKind
	// Err is the error that ended it, in one line ("" for none).
	Err string
	// RemoteAddr is the address of the server (or proxy) connected to;
	// "" before a connection was made.
	RemoteAddr string
	// Events counts the events the connection delivered.
	Events int64
	// Bytes counts the body bytes read from the connection.
	Bytes int64
}

// ExchangeRequest is the request of an attempt.
type ExchangeRequest struct {
	// Method is the HTTP method.
	Method string
	// URL is the URL requested (as configured: user info and query
	// included).
	URL string
	// Header holds the header fields as written on the wire (Host,
	// User-Agent and those the transport adds included) when the stream's
	// own transport sent them, else the headers the stream set.
	Header http.Header
	// LastEventID is the Last-Event-ID sent ("" for none).
	LastEventID string
	// BodySize is the size of the request body.
	BodySize int
	// BodyPreview is the start of the body (at most
	// RequestBodyPreviewBytes, valid UTF-8).
	BodyPreview string
}

// ExchangeResponse is the response of an attempt.
type ExchangeResponse struct {
	// Proto is the protocol, e.g. "HTTP/1.1" or "HTTP/2.0".
	Proto string
	// StatusCode is the status code, e.g. 200.
	StatusCode int
	// Status is the status line without the protocol, e.g. "200 OK".
	Status string
	// Header holds the response headers.
	Header http.Header
	// TLS describes the TLS connection; nil for plain HTTP.
	TLS *ExchangeTLS
	// BodyPreview is the start of the body of a response that did not
	// open the stream (at most BodyPreviewBytes, valid UTF-8; show it
	// escaped).
	BodyPreview string
}

// ExchangeTLS describes a TLS connection.
type ExchangeTLS struct {
	// Version is "TLS 1.2" or "TLS 1.3".
	Version string
	// Cipher is the cipher suite's name.
	Cipher string
	// ALPN is the negotiated protocol ("h2", "http/1.1" or "").
	ALPN string
	// Subject is the server certificate's subject.
	Subject string
	// Issuer is the server certificate's issuer.
	Issuer string
	// NotAfter is when the server certificate expires.
	NotAfter time.Time
	// DNSNames are the names the certificate is valid for.
	DNSNames []string
}

// ExchangeTimings are offsets from Exchange.Start; zero for a phase that
// did not happen (a reused connection has no DNS, connect or TLS phase).
type ExchangeTimings struct {
	// DNS is how long the name lookup took.
	DNS time.Duration
	// Connect is how long the TCP connection took.
	Connect time.Duration
	// TLS is how long the TLS handshake took.
	TLS time.Duration
	// FirstByte is when the first byte of the response arrived.
	FirstByte time.Duration
	// FirstEvent is when the first event was complete.
	FirstEvent time.Duration
	// Reused reports a kept-alive connection.
	Reused bool
}

// EndKind tells how an attempt ended.
type EndKind string

// The ways an attempt ends.
const (
	// EndNone: the attempt is still going.
	EndNone EndKind = ""
	// EndEOF: the server ended the response.
	EndEOF EndKind = "eof"
	// EndReset: the connection broke while reading (reset, unexpected EOF).
	EndReset EndKind = "reset"
	// EndStall: the watchdog dropped a silent connection.
	EndStall EndKind = "stall"
	// EndTimeout: no response headers within the connect timeout.
	EndTimeout EndKind = "timeout"
	// EndNoContent: 204, the server told the client to stop.
	EndNoContent EndKind = "no-content"
	// EndHTTP: a status that does not open a stream (4xx, 5xx...).
	EndHTTP EndKind = "http"
	// EndContentType: a 200 that is not text/event-stream.
	EndContentType EndKind = "content-type"
	// EndLimit: a line or event over the size caps.
	EndLimit EndKind = "limit"
	// EndError: the request failed (refused, DNS, TLS, redirect...).
	EndError EndKind = "error"
	// EndStopped: stopped by the caller, Pause or Reconnect.
	EndStopped EndKind = "stopped"
)

// ExchangeHandler is implemented by a Handler that wants the exchange
// record of every attempt. HandleExchange is called like the Handler's
// methods (from the goroutine running Stream.Run, in order): once when the
// response headers arrived or the request failed (before the Open status),
// and once when the attempt ended (before the status that follows it).
// The value is the handler's own copy.
type ExchangeHandler interface {
	HandleExchange(x Exchange)
}

// RawHandler is implemented by a Handler that wants the body bytes exactly
// as they arrived. HandleRaw is called from the goroutine running
// Stream.Run, before the frames decoded from those bytes; b is valid only
// during the call.
type RawHandler interface {
	HandleRaw(b []byte, at time.Time)
}

// exchangeLog keeps a stream's last attempts, under its own lock so that
// readers never wait for the stream.
type exchangeLog struct {
	mu   sync.Mutex
	r    ring.Ring[Exchange]
	seq  int
	live *attemptExchange // the attempt in progress, nil between attempts
}

// put stores x: a new attempt, or the update of the newest.
func (l *exchangeLog) put(x *Exchange) {
	c := x.clone()
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.r.Newest(); n != nil && n.Seq == c.Seq {
		*n = c
		return
	}
	l.r.PushRef(&c)
}

// appendTo appends the kept attempts, oldest first; the one in progress
// gets its Duration up to now.
func (l *exchangeLog) appendTo(dst []Exchange, now time.Time) []Exchange {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; i < l.r.Len(); i++ {
		c := l.r.At(i).clone()
		if !c.Ended {
			c.Duration = now.Sub(c.Start)
			if a := l.live; a != nil && i == l.r.Len()-1 && a.x.Seq == c.Seq {
				a.trace.fill(&c) // connected? request written?
				c.Events, c.Bytes = a.events.Load(), a.bytes.Load()
				c.Timings.FirstEvent = time.Duration(a.firstEvent.Load())
			}
		}
		dst = append(dst, c)
	}
	return dst
}

func (l *exchangeLog) nextSeq() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	return l.seq
}

// clone returns a deep copy (headers are maps).
func (x *Exchange) clone() Exchange {
	c := *x
	c.Request.Header = x.Request.Header.Clone()
	if x.Response != nil {
		r := *x.Response
		r.Header = x.Response.Header.Clone()
		if r.TLS != nil {
			t := *r.TLS
			t.DNSNames = append([]string(nil), t.DNSNames...)
			r.TLS = &t
		}
		c.Response = &r
	}
	return c
}

// exchangeTrace follows one attempt through net/http/httptrace. Its
// callbacks run on the transport's goroutines.
type exchangeTrace struct {
	clk   clock.Clock
	start time.Time

	mu                 sync.Mutex
	dnsStart, dnsDone  time.Time
	connStart, connEnd time.Time
	tlsStart, tlsDone  time.Time
	firstByte          time.Time
	reused             bool
	remote             string
	wrote              http.Header // header fields as written
}

func newExchangeTrace(clk clock.Clock, start time.Time) *exchangeTrace {
	return &exchangeTrace{clk: clk, start: start}
}

// with returns ctx carrying the trace.
func (t *exchangeTrace) with(ctx context.Context) context.Context {
	now := func(p *time.Time) {
		v := t.clk.Now()
		t.mu.Lock()
		if p.IsZero() {
			*p = v
		}
		t.mu.Unlock()
	}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { now(&t.dnsStart) },
		DNSDone:           func(httptrace.DNSDoneInfo) { now(&t.dnsDone) },
		ConnectStart:      func(string, string) { now(&t.connStart) },
		ConnectDone:       func(string, string, error) { now(&t.connEnd) },
		TLSHandshakeStart: func() { now(&t.tlsStart) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { now(&t.tlsDone) },
		GotFirstResponseByte: func() {
			now(&t.firstByte)
		},
		GotConn: func(info httptrace.GotConnInfo) {
			t.mu.Lock()
			t.reused = info.Reused
			if info.Conn != nil {
				t.remote = info.Conn.RemoteAddr().String()
			}
			t.mu.Unlock()
		},
		WroteHeaderField: func(key string, values []string) {
			t.mu.Lock()
			if t.wrote == nil {
				t.wrote = make(http.Header)
			}
			// A redirect writes a new request: keep the last one's fields.
			if strings.EqualFold(key, "host") || strings.EqualFold(key, ":authority") {
				t.wrote = make(http.Header)
			}
			t.wrote[http.CanonicalHeaderKey(key)] = append(t.wrote[http.CanonicalHeaderKey(key)], values...)
			t.mu.Unlock()
		},
	})
}

// fill copies what the trace saw into x.
func (t *exchangeTrace) fill(x *Exchange) {
	t.mu.Lock()
	defer t.mu.Unlock()
	span := func(a, b time.Time) time.Duration {
		if a.IsZero() || b.IsZero() {
			return 0
		}
		return b.Sub(a)
	}
	x.Timings.DNS = span(t.dnsStart, t.dnsDone)
	x.Timings.Connect = span(t.connStart, t.connEnd)
	x.Timings.TLS = span(t.tlsStart, t.tlsDone)
	x.Timings.FirstByte = span(t.start, t.firstByte)
	x.Timings.Reused = t.reused
	if len(t.wrote) > 0 {
		x.Request.Header = t.wrote.Clone()
	}
	if t.remote != "" {
		x.RemoteAddr = t.remote
	}
}

// requestRecord describes req, whose body is body.
func requestRecord(req *http.Request, body []byte) ExchangeRequest {
	r := ExchangeRequest{Method: req.Method, URL: req.URL.String(), Header: req.Header.Clone(),
		LastEventID: req.Header.Get("Last-Event-ID"), BodySize: len(body)}
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	if len(body) > 0 {
		r.BodyPreview = truncateUTF8(strings.ToValidUTF8(string(body[:min(len(body), RequestBodyPreviewBytes+utf8.UTFMax)]), "\uFFFD"), RequestBodyPreviewBytes)
	}
	return r
}

// responseRecord describes resp.
func responseRecord(resp *http.Response) *ExchangeResponse {
	r := &ExchangeResponse{Proto: resp.Proto, StatusCode: resp.StatusCode,
		Status: strings.TrimSpace(strings.TrimPrefix(resp.Status, resp.Proto)), Header: resp.Header.Clone()}
	if r.Status == "" {
		r.Status = http.StatusText(resp.StatusCode)
	}
	if cs := resp.TLS; cs != nil {
		t := &ExchangeTLS{Version: tls.VersionName(cs.Version), Cipher: tls.CipherSuiteName(cs.CipherSuite), ALPN: cs.NegotiatedProtocol}
		if len(cs.PeerCertificates) > 0 {
			c := cs.PeerCertificates[0]
			t.Subject, t.Issuer, t.NotAfter = c.Subject.String(), c.Issuer.String(), c.NotAfter
			t.DNSNames = append([]string(nil), c.DNSNames...)
		}
		r.TLS = t
	}
	return r
}

// endOf classifies the outcome of an attempt.
func endOf(out outcome) (EndKind, string) {
	msg := ""
	if out.err != nil {
		msg = out.err.Error()
	}
	switch out.act {
	case actStop, actPause, actReconnect:
		return EndStopped, msg
	case actClose:
		return EndNoContent, msg
	}
	var (
		he *HTTPError
		ct *ContentTypeError
		se *StallError
		te *TimeoutError
		le *LimitError
		ce *ConnectError
	)
	switch {
	case out.err == nil:
		return EndNone, ""
	case errors.Is(out.err, ErrStreamEnded):
		return EndEOF, msg
	case errors.As(out.err, &he):
		return EndHTTP, msg
	case errors.As(out.err, &ct):
		return EndContentType, msg
	case errors.As(out.err, &se):
		return EndStall, msg
	case errors.As(out.err, &te):
		return EndTimeout, msg
	case errors.As(out.err, &le):
		return EndLimit, msg
	case errors.As(out.err, &ce) && ce.Op == "read":
		return EndReset, msg
	}
	return EndError, msg
}

// attemptExchange records the attempt in progress. It belongs to the Run
// goroutine; the trace's callbacks run on the transport's.
type attemptExchange struct {
	s     *Stream
	x     Exchange
	trace *exchangeTrace
	xh    ExchangeHandler // nil: the handler takes no exchanges
	// The counters of x, for readers of Stream.Exchanges while the
	// attempt goes on.
	events, bytes, firstEvent atomic.Int64
}

// beginExchange starts the record of attempt n and returns the request to
// send, carrying the trace.
func (s *Stream) beginExchange(n int, req *http.Request) (*attemptExchange, *http.Request) {
	start := s.clk.Now()
	a := &attemptExchange{s: s, trace: newExchangeTrace(s.clk, start)}
	a.xh, _ = s.h.(ExchangeHandler)
	a.x = Exchange{Seq: s.xlog.nextSeq(), Attempt: n, Start: start, Request: requestRecord(req, s.cfg.Body)}
	s.xlog.put(&a.x)
	s.xlog.mu.Lock()
	s.xlog.live = a
	s.xlog.mu.Unlock()
	return a, req.WithContext(a.trace.with(req.Context()))
}

// responded records the response headers and hands the record over.
func (a *attemptExchange) responded(resp *http.Response) {
	a.x.Response = responseRecord(resp)
	a.trace.fill(&a.x)
	a.x.Duration = a.s.clk.Now().Sub(a.x.Start)
	a.s.xlog.put(&a.x)
	if a.xh != nil {
		a.xh.HandleExchange(a.x.clone())
	}
}

// event counts an event, noting when the first was complete.
func (a *attemptExchange) event(at time.Time) {
	if a.x.Events == 0 {
		a.x.Timings.FirstEvent = at.Sub(a.x.Start)
		a.firstEvent.Store(int64(a.x.Timings.FirstEvent))
	}
	a.x.Events++
	a.events.Store(a.x.Events)
}

// ended records how the attempt ended and hands the record over.
func (a *attemptExchange) ended(out outcome) {
	a.x.Ended = true
	a.x.End, a.x.Err = endOf(out)
	a.x.Duration = a.s.clk.Now().Sub(a.x.Start)
	a.trace.fill(&a.x)
	if a.x.Response != nil && out.body != "" {
		a.x.Response.BodyPreview = out.body
	}
	a.s.xlog.put(&a.x)
	a.s.xlog.mu.Lock()
	a.s.xlog.live = nil
	a.s.xlog.mu.Unlock()
	if a.xh != nil {
		a.xh.HandleExchange(a.x.clone())
	}
}

// body returns the response body that counts bytes and, when the handler
// wants them, hands the raw bytes over as they arrive.
func (a *attemptExchange) body(r io.Reader) io.Reader {
	rh, _ := a.s.h.(RawHandler)
	return &tapReader{r: r, a: a, rh: rh}
}

// tapReader is the body as the decoder reads it (Run goroutine).
type tapReader struct {
	r  io.Reader
	a  *attemptExchange
	rh RawHandler
}

func (t *tapReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.a.x.Bytes += int64(n)
		t.a.bytes.Store(t.a.x.Bytes)
		if t.rh != nil {
			t.rh.HandleRaw(p[:n], t.a.s.clk.Now())
		}
	}
	return n, err
}

// Exchanges appends the last attempts (at most StreamConfig.ExchangeHistory),
// oldest first, to dst: request, response, timings and how each ended. The
// attempt in progress is the last, with Ended false.
func (s *Stream) Exchanges(dst []Exchange) []Exchange {
	return s.xlog.appendTo(dst, s.clk.Now())
}
