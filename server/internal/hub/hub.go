// Package hub is the one serving layer of SSE Monitor's servers (the demo
// server, the Redis relay and the replay server): subscriber admission and
// limits, the HTTP streaming of each connection through
// github.com/r3labs/sse/v2 (fenced), write deadlines, heartbeats, a clean
// or cut end of every stream on shutdown, a channel's bounded history
// (Log), frame encoding, Last-Event-ID parsing and the /metrics writer.
//
// # The fence around r3labs/sse
//
// r3labs does the HTTP streaming of every connection: its Server.ServeHTTP
// sets the headers, registers the connection on a private r3labs stream,
// watches the request's context and writes and flushes every event. It is
// fenced so that the product keeps what r3labs gets wrong for us:
//
//   - ids, history and replay are ours: AutoReplay is off and Last-Event-ID
//     never reaches r3labs;
//   - one private r3labs stream per connection, fed one event at a time
//     when the connection is ready for more, so that a slow subscriber
//     holds nobody else up and the publisher never waits;
//   - frames are encoded here (seed field order id:, event:, data:) and
//     travel through r3labs as the comment of its event; the connection's
//     writer unwraps them. So an event whose data is empty is sent as an
//     event with empty data (r3labs alone would end the connection), and
//     one write carries every frame ready.
package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/r3labs/sse/v2"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/server/internal/httpjson"
	"github.com/ssemon/ssemon/server/internal/serve"
)

// Headers are sent on every stream, as the seed's route sends them.
var Headers = [...][2]string{
	{"Content-Type", "text/event-stream"},
	{"Cache-Control", "no-cache, no-transform, must-revalidate"},
	{"Connection", "keep-alive"},
	{"X-Accel-Buffering", "no"},
}

// SetHeaders sets Headers on w (for HEAD, or a stream written by hand);
// Connection only on HTTP/1.
func SetHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for _, kv := range Headers {
		if kv[0] != "Connection" || r.ProtoMajor == 1 {
			h.Set(kv[0], kv[1])
		}
	}
}

// Config configures a Hub. Every field is required but Heartbeat.
type Config struct {
	// MaxSubscribers caps concurrent stream connections; past it a stream
	// request is answered 503 with Retry-After.
	MaxSubscribers int
	// WriteTimeout bounds every write to a subscriber (real clock); one
	// that stops reading is cut.
	WriteTimeout time.Duration
	// Heartbeat is the tick of Conn.Wait's heartbeats; <= 0: none.
	Heartbeat time.Duration
	// Retry is announced in Retry-After when a stream is refused.
	Retry time.Duration
	// Clock drives the heartbeats.
	Clock clock.Clock
	// Logger receives the hub's logs.
	Logger *slog.Logger
}

// Counters are one channel's serving counters, for /metrics.
type Counters struct {
	// Subscribers is the number of connections carrying the channel.
	Subscribers atomic.Int64
	// Connections counts stream connections accepted.
	Connections atomic.Uint64
	// Heartbeats counts heartbeat comments written.
	Heartbeats atomic.Uint64
	// Lost counts lost notices sent.
	Lost atomic.Uint64
	// DroppedAdmin, DroppedWrite and DroppedShutdown count subscribers
	// cut by a fault, a write timeout and a shutdown past its grace.
	DroppedAdmin, DroppedWrite, DroppedShutdown atomic.Uint64
}

// Hub admits and streams connections. Create it with New; Close it after
// the HTTP server stopped.
type Hub struct {
	cfg Config
	log *slog.Logger
	rs  *sse.Server

	mu       sync.Mutex
	closed   bool
	draining bool
	conns    map[*Conn]struct{}
	next     uint64
	running  sync.WaitGroup

	hbMu sync.Mutex
	hb   chan struct{}
	stop chan struct{}
	bg   sync.WaitGroup

	wakerOnce sync.Once
	waker     *Waker

	// RejectedFull and RejectedClosed count stream requests refused: over
	// MaxSubscribers, and while shutting down.
	RejectedFull, RejectedClosed atomic.Uint64
}

// New returns a Hub and starts its heartbeat ticker.
func New(cfg Config) *Hub {
	rs := sse.New()
	rs.AutoReplay = false // history and replay are ours
	rs.AutoStream = false
	rs.BufferSize = 1 // one event in flight per connection
	rs.Headers = make(map[string]string, len(Headers))
	for _, kv := range Headers {
		rs.Headers[kv[0]] = kv[1]
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, rs: rs, conns: make(map[*Conn]struct{}), hb: make(chan struct{}), stop: make(chan struct{})}
	if cfg.Heartbeat > 0 {
		h.bg.Add(1)
		go h.heartbeatLoop()
	}
	return h
}

func (h *Hub) heartbeatLoop() {
	defer h.bg.Done()
	t := h.cfg.Clock.NewTicker(h.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C():
			h.hbMu.Lock()
			close(h.hb)
			h.hb = make(chan struct{})
			h.hbMu.Unlock()
		}
	}
}

func (h *Hub) heartbeat() <-chan struct{} {
	if h.cfg.Heartbeat <= 0 {
		return nil
	}
	h.hbMu.Lock()
	defer h.hbMu.Unlock()
	return h.hb
}

// Waker returns the hub's Waker (started on first use, stopped by Close),
// for the LogConfig of the channels it serves.
func (h *Hub) Waker() *Waker {
	h.wakerOnce.Do(func() { h.waker = newWaker() })
	return h.waker
}

// Handler wraps next so that a connection reused after a stream starts
// without the stream's write deadline.
func Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		next.ServeHTTP(w, r)
	})
}

// Conn is one stream connection.
type Conn struct {
	h      *Hub
	id     string
	label  string // channel name(s), for logs
	remote string
	ctx    context.Context
	cancel context.CancelFunc
	rc     *http.ResponseController
	// Counters are the counters of every channel the connection carries.
	counters []*Counters

	endOnce sync.Once
	end     chan struct{} // closed to end the stream cleanly
	endWord atomic.Pointer[string]
	aborted atomic.Bool

	mu     sync.Mutex
	active bool // the handler runs: rc may be used
	hold   chan struct{}
	tag    any
}

// SetTag attaches v to the connection, for its owner (e.g. its feed).
func (c *Conn) SetTag(v any) {
	c.mu.Lock()
	c.tag = v
	c.mu.Unlock()
}

// Tag returns what SetTag attached.
func (c *Conn) Tag() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tag
}

// Context returns the connection's context: done when the client left or
// the connection is ended or cut.
func (c *Conn) Context() context.Context { return c.ctx }

// Remote returns the client's address.
func (c *Conn) Remote() string { return c.remote }

// Label returns the channel name(s) given to Admit.
func (c *Conn) Label() string { return c.label }

// Admit registers a stream connection for the channels whose counters are
// given (label names them in logs), or answers 503 and returns nil.
func (h *Hub) Admit(w http.ResponseWriter, r *http.Request, label string, counters ...*Counters) *Conn {
	h.mu.Lock()
	reason := ""
	switch {
	case h.closed || h.draining:
		h.RejectedClosed.Add(1)
		reason = "server shutting down"
	case len(h.conns) >= h.cfg.MaxSubscribers:
		h.RejectedFull.Add(1)
		reason = fmt.Sprintf("too many subscribers (limit %d)", h.cfg.MaxSubscribers)
		h.log.Warn("stream refused: too many subscribers", "limit", h.cfg.MaxSubscribers, "channel", label, "remote", r.RemoteAddr)
	}
	if reason != "" {
		h.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(h.cfg.Retry.Seconds()))))
		httpjson.Error(w, http.StatusServiceUnavailable, reason, "")
		return nil
	}
	h.next++
	ctx, cancel := context.WithCancel(r.Context())
	c := &Conn{
		h: h, id: "c" + strconv.FormatUint(h.next, 10), label: label, remote: r.RemoteAddr,
		ctx: ctx, cancel: cancel, rc: http.NewResponseController(w), counters: counters,
		end: make(chan struct{}), active: true,
	}
	h.conns[c] = struct{}{}
	h.running.Add(1)
	h.mu.Unlock()
	for _, k := range counters {
		k.Subscribers.Add(1)
		k.Connections.Add(1)
	}
	return c
}

func (h *Hub) release(c *Conn) {
	c.mu.Lock()
	c.active = false
	c.mu.Unlock()
	c.cancel()
	for _, k := range c.counters {
		k.Subscribers.Add(-1)
	}
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	h.running.Done()
}

// Feed produces what one connection sends.
type Feed interface {
	// Next appends to b the next frames to send, waiting (Conn.Wait) until
	// there are some. io.EOF ends the stream cleanly once b is written;
	// any other error ends it at once.
	Next(c *Conn, b []byte) ([]byte, error)
}

// Stream streams c through r3labs: preamble first (e.g. "retry:"), then
// what feed gives, until the client leaves, feed ends it, or the hub ends
// or cuts it. It releases c. A cut connection is aborted (no clean end of
// stream).
func (h *Hub) Stream(w http.ResponseWriter, r *http.Request, c *Conn, preamble []byte, feed Feed) {
	h.rs.CreateStream(c.id)
	r2 := r.WithContext(c.ctx)
	u := *r.URL
	u.RawQuery = "stream=" + c.id
	r2.URL = &u
	if _, ok := r.Header["Last-Event-Id"]; ok {
		r2.Header = r.Header.Clone()
		r2.Header.Del("Last-Event-ID") // resume is ours; r3labs answers 400 to non-numbers
	}
	cw := &carrier{c: c, rw: w, feed: feed, pre: preamble, h2: r.ProtoMajor >= 2}
	h.rs.ServeHTTP(cw, r2)
	// r3labs returns once its subscriber is deregistered (the context is
	// done), so removing the stream now leaks nothing.
	h.rs.RemoveStream(c.id)
	h.release(c)
	if c.aborted.Load() {
		panic(http.ErrAbortHandler) // cut: no clean end of stream
	}
	// Bound the final chunk's write; Handler clears it for the next
	// request on this connection.
	_ = c.rc.SetWriteDeadline(time.Now().Add(h.cfg.WriteTimeout))
}

// keptBuffer is the largest frames buffer a connection keeps while it
// waits for events (a few events); a larger one, grown while catching up,
// is dropped then, so that idle subscribers hold no large buffer while
// lagging ones reuse theirs.
const keptBuffer = 4 << 10

// errAborted is the write error after a connection was cut.
var errAborted = errors.New("hub: subscriber cut")

// carrier is the http.ResponseWriter r3labs writes to. Our frames travel
// as the comment of r3labs' events: r3labs writes ": <frames>\n", then
// "\n", then flushes; the carrier writes the frames alone. Its Flush asks
// the feed for the next frames once everything is written.
type carrier struct {
	c    *Conn
	rw   http.ResponseWriter
	feed Feed
	pre  []byte
	h2   bool

	wroteHeader bool
	dirty       bool // written since the last flush
	unwrapped   bool // a frame was written: r3labs' "\n" comes next
	closing     bool // end after the last frames are flushed
	failed      bool
	err         error
	buf         []byte
	deadline    time.Time
}

func (cw *carrier) Header() http.Header { return cw.rw.Header() }

func (cw *carrier) WriteHeader(code int) {
	if cw.wroteHeader {
		return
	}
	cw.wroteHeader = true
	if code == http.StatusOK && cw.h2 {
		cw.rw.Header().Del("Connection") // connection-specific, not allowed in HTTP/2
	}
	cw.rw.WriteHeader(code)
	cw.dirty = true
	if code == http.StatusOK && len(cw.pre) > 0 {
		cw.write(cw.pre)
	}
}

func (cw *carrier) Write(p []byte) (int, error) {
	if cw.failed {
		return 0, cw.err
	}
	if !cw.wroteHeader {
		cw.WriteHeader(http.StatusOK)
	}
	if cw.unwrapped && len(p) == 1 && p[0] == '\n' {
		cw.unwrapped = false
		return 1, nil
	}
	if len(p) < 3 || p[0] != ':' || p[1] != ' ' || p[len(p)-1] != '\n' {
		// Not what the pinned r3labs writes (http.Error before streaming).
		cw.write(p)
		return len(p), cw.err
	}
	cw.unwrapped = true
	cw.write(p[2 : len(p)-1])
	return len(p), cw.err
}

func (cw *carrier) write(p []byte) {
	if cw.failed {
		return
	}
	if cw.c.aborted.Load() {
		cw.fail(errAborted)
		return
	}
	cw.setDeadline()
	if _, err := cw.rw.Write(p); err != nil {
		cw.fail(err)
		return
	}
	cw.dirty = true
}

// Flush is called by r3labs after the header and after every event.
func (cw *carrier) Flush() {
	if cw.failed {
		return
	}
	c := cw.c
	if cw.dirty {
		cw.setDeadline()
		if err := c.rc.Flush(); err != nil {
			cw.fail(err)
			return
		}
		cw.dirty = false
	}
	if cw.closing {
		c.cancel()
		return
	}
	b := cw.buf[:0]
	cw.buf = nil // held by Next alone: Wait may drop it
	b, err := cw.feed.Next(c, b)
	cw.buf = b
	if err != nil {
		if !errors.Is(err, io.EOF) {
			c.cancel()
			return
		}
		cw.closing = true
		if len(b) == 0 {
			c.cancel()
			return
		}
	}
	if len(b) > 0 {
		// The previous event left r3labs' stream already (it was written),
		// so the stream's one-event buffer is free.
		c.h.rs.Publish(c.id, &sse.Event{Comment: b})
	}
}

// setDeadline bounds the next writes by the write timeout, moving the
// deadline only once it is a tenth of the timeout old (a runtime timer
// update per write would cost at thousands of subscribers): every write
// has between 90 % and 100 % of WriteTimeout.
func (cw *carrier) setDeadline() {
	wt := cw.c.h.cfg.WriteTimeout
	now := time.Now()
	if d := now.Add(wt); d.Sub(cw.deadline) > wt/10 {
		cw.deadline = d
		_ = cw.c.rc.SetWriteDeadline(d)
	}
	if cw.c.aborted.Load() {
		_ = cw.c.rc.SetWriteDeadline(now)
	}
}

func (cw *carrier) fail(err error) {
	if cw.failed {
		return
	}
	cw.failed, cw.err = true, err
	c := cw.c
	if c.aborted.Load() {
		return
	}
	if isTimeout(err) {
		for _, k := range c.counters {
			k.DroppedWrite.Add(1)
		}
		c.h.log.Info("subscriber dropped: write timed out", "channel", c.label, "remote", c.remote, "timeout", c.h.cfg.WriteTimeout)
	}
	c.Abort()
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Abort cuts the connection at once, without a clean end of stream.
func (c *Conn) Abort() {
	c.aborted.Store(true)
	c.End("")
	c.cancel()
	c.mu.Lock()
	if c.active {
		// Unblock a write in progress; the handler still runs, so the
		// deadline cannot leak to a later request on the connection.
		_ = c.rc.SetWriteDeadline(time.Now())
	}
	c.mu.Unlock()
}

// End asks the feed to end the stream cleanly after the comment word
// (Wait returns Ended).
func (c *Conn) End(word string) {
	c.endOnce.Do(func() {
		c.endWord.Store(&word)
		close(c.end)
	})
}

// Ending reports whether the stream must end (End or Abort was called):
// a feed stops sending what it has and waits (Wait then returns Ended).
func (c *Conn) Ending() bool {
	select {
	case <-c.end:
		return true
	default:
		return false
	}
}

// Hold makes Wait hold the connection (no events, no heartbeats) until
// release is closed.
func (c *Conn) Hold(release chan struct{}) {
	c.mu.Lock()
	c.hold = release
	c.mu.Unlock()
}

// Woke is why Wait returned.
type Woke int

// Reasons Wait returns.
const (
	// Woken: wake was closed.
	Woken Woke = iota
	// Timer: the timer fired.
	Timer
	// Heartbeat: a heartbeat is due (appended and counted by Wait).
	Heartbeat
	// Ended: the stream must end (the final comment is appended).
	Ended
	// Gone: the client left or the connection was cut.
	Gone
)

// Wait waits until wake is closed, timer fires (nil: never), a heartbeat
// is due, the stream must end or the client is gone, and appends to b what
// the hub sends then (the heartbeat comment, or the final one). It holds
// while the connection is held.
func (c *Conn) Wait(b []byte, wake <-chan struct{}, timer <-chan time.Time) ([]byte, Woke) {
	if len(b) == 0 && cap(b) > keptBuffer {
		b = nil // caught up: the catch-up's buffer is not held while waiting
	}
	for {
		if b, w, held := c.waitHold(b); held {
			return b, w
		}
		if c.Ending() {
			return c.ended(b), Ended // before anything else that is ready
		}
		select {
		case <-wake:
			return b, Woken
		case <-timer:
			return b, Timer
		case <-c.h.heartbeat():
			if c.held() {
				continue // held while waiting: no heartbeat either
			}
			return c.beat(b), Heartbeat
		case <-c.end:
			return c.ended(b), Ended
		case <-c.ctx.Done():
			return b, Gone
		}
	}
}

func (c *Conn) held() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hold != nil
}

func (c *Conn) beat(b []byte) []byte {
	for _, k := range c.counters {
		k.Heartbeats.Add(1)
	}
	return AppendComment(b, "heartbeat")
}

// Pause waits while the connection is held; it returns Ended or Gone
// (with the final comment appended) if the stream must stop.
func (c *Conn) Pause(b []byte) ([]byte, Woke, bool) { return c.waitHold(b) }

func (c *Conn) waitHold(b []byte) ([]byte, Woke, bool) {
	for {
		c.mu.Lock()
		hold := c.hold
		c.mu.Unlock()
		if hold == nil {
			return b, Woken, false
		}
		select {
		case <-hold:
			c.mu.Lock()
			if c.hold == hold {
				c.hold = nil
			}
			c.mu.Unlock()
		case <-c.end:
			return c.ended(b), Ended, true
		case <-c.ctx.Done():
			return b, Gone, true
		}
	}
}

func (c *Conn) ended(b []byte) []byte {
	if w := c.endWord.Load(); w != nil && *w != "" && !c.aborted.Load() {
		return AppendComment(b, *w)
	}
	return b
}

// Conns returns the connections streaming now.
func (h *Hub) Conns() []*Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		out = append(out, c)
	}
	return out
}

// Carries reports whether c carries the channel whose counters are k.
func (c *Conn) Carries(k *Counters) bool {
	for _, x := range c.counters {
		if x == k {
			return true
		}
	}
	return false
}

// Subscribers returns the number of connections streaming now.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Down reports whether the hub refuses new streams (draining or closed).
func (h *Hub) Down() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed || h.draining
}

// EndAll refuses new streams, ends every stream cleanly after the comment
// word and waits until their handlers returned or ctx is done; then the
// streams left are cut, and waited for up to grace. It returns ctx's error
// if it had to cut.
func (h *Hub) EndAll(ctx context.Context, word string, grace time.Duration) error {
	h.mu.Lock()
	h.draining = true
	h.mu.Unlock()
	for _, c := range h.Conns() {
		c.End(word)
	}
	done := make(chan struct{})
	go func() {
		h.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	left := h.Conns()
	h.log.Warn("cutting streams that did not end in time", "count", len(left))
	for _, c := range left {
		for _, k := range c.counters {
			k.DroppedShutdown.Add(1)
		}
		c.Abort()
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		h.log.Error("stream handlers still running after being cut", "count", len(h.Conns()))
	}
	return ctx.Err()
}

// Close ends every stream (as EndAll, within grace), stops the heartbeats
// and refuses new streams for good. Safe to call more than once.
func (h *Hub) Close(word string, grace time.Duration) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	_ = h.EndAll(ctx, word, grace)
	cancel()
	close(h.stop)
	h.bg.Wait()
	h.rs.Close()
	h.wakerOnce.Do(func() {}) // none after Close
	if h.waker != nil {
		h.waker.close()
	}
}

// ServeOptions are Serve's http.Server settings.
type ServeOptions = serve.Options

// Serve serves o.Handler on ln until ctx is done, then ends every stream
// cleanly (o.Drain runs first, if set) and shuts down within
// o.ShutdownTimeout.
func (h *Hub) Serve(ctx context.Context, ln net.Listener, o ServeOptions) error {
	drain := o.Drain
	o.Drain = func(sctx context.Context) {
		if drain != nil {
			drain(sctx)
		}
		_ = h.EndAll(sctx, "server shutting down", o.ShutdownTimeout)
	}
	return serve.Run(ctx, ln, o)
}
