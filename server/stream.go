package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/r3labs/sse/v2"

	"github.com/ssemon/ssemon/server/internal/httpjson"
)

// subscriber is one stream connection. Its events travel through a private
// r3labs stream (streamID) fed with TryPublish, so that a subscriber that
// does not keep up never blocks the channel's fan-out.
type subscriber struct {
	srv      *Server
	ch       *channel
	streamID string
	remote   string
	cancel   context.CancelFunc
	ctx      context.Context
	rc       *http.ResponseController

	endOnce sync.Once
	endCh   chan struct{} // closed when the server ends this stream

	// Guarded by ch.mu.
	idx        int
	registered bool
	cursor     uint64 // id of the last event queued (or covered by a lost notice)
	from       string // the client's Last-Event-ID, until the first event after it is queued

	lagging atomic.Bool   // queue was full: catch up from the ring before sending live events
	enq     atomic.Uint64 // events queued to the streaming layer
	written atomic.Uint64 // events written by the streaming layer
	closing atomic.Bool   // end the stream once the queue is written
	aborted atomic.Bool   // cut the connection (no clean end of stream)

	mu     sync.Mutex // guards active, stall
	active bool       // the handler is running (rc may be used)
	stall  chan struct{}
}

// send queues ev without blocking; false means the queue is full.
func (sub *subscriber) send(ev *sse.Event) bool {
	if sub.srv.rs.TryPublish(sub.streamID, ev) {
		sub.enq.Add(1)
		return true
	}
	return false
}

// pending returns how many queued events are not written yet.
func (sub *subscriber) pending() int64 {
	w := int64(sub.written.Load())
	return int64(sub.enq.Load()) - w
}

// end stops the fan-out to sub and ends its stream cleanly after a final
// comment, once what is queued is written.
func (sub *subscriber) end(comment string) {
	registered := sub.ch.unregister(sub)
	sub.endOnce.Do(func() { close(sub.endCh) })
	if !registered {
		// Not streaming yet: the streaming layer may not have its
		// subscriber, so a queued comment could be lost; just end.
		sub.cancel()
		return
	}
	ok := sub.send(&sse.Event{Comment: []byte(comment)})
	sub.closing.Store(true)
	if !ok || sub.pending() <= 0 {
		sub.cancel()
	}
}

// abort cuts sub's connection at once, without a clean end of stream.
func (sub *subscriber) abort() {
	sub.aborted.Store(true)
	sub.ch.unregister(sub)
	sub.endOnce.Do(func() { close(sub.endCh) })
	sub.cancel()
	sub.mu.Lock()
	if sub.active {
		// Unblock a write in progress; the handler is still running, so
		// the deadline cannot leak to a later request on the connection.
		_ = sub.rc.SetWriteDeadline(time.Now())
	}
	sub.mu.Unlock()
}

// setStall makes sub's writer wait until ch is closed.
func (sub *subscriber) setStall(ch chan struct{}) {
	sub.mu.Lock()
	sub.stall = ch
	sub.mu.Unlock()
}

// clearStall ends the stall ch, if it is still sub's current one.
func (sub *subscriber) clearStall(ch chan struct{}) {
	sub.mu.Lock()
	if sub.stall == ch {
		sub.stall = nil
	}
	sub.mu.Unlock()
}

// waitStall blocks while sub is stalled.
func (sub *subscriber) waitStall() error {
	for {
		sub.mu.Lock()
		ch := sub.stall
		sub.mu.Unlock()
		if ch == nil {
			return nil
		}
		select {
		case <-ch:
			sub.clearStall(ch)
		case <-sub.endCh:
			return nil
		case <-sub.ctx.Done():
			return sub.ctx.Err()
		}
	}
}

// errAborted is the write error after a subscriber was cut.
var errAborted = errors.New("server: subscriber dropped")

// streamWriter is the http.ResponseWriter handed to r3labs' ServeHTTP. It
// writes the connection preamble (retry:) when r3labs writes the header,
// bounds every write with the write timeout, holds writes during a stall,
// coalesces flushes while more events are queued, and triggers catch-up
// from the ring when a lagging subscriber's queue drains.
type streamWriter struct {
	srv    *Server
	sub    *subscriber
	rw     http.ResponseWriter
	rc     *http.ResponseController
	resume resume
	h2     bool

	wroteHeader bool
	dirty       bool // bytes written since the last Flush
	failed      bool
	err         error
	lowWater    int64
	deadline    time.Time // the write deadline last set
}

func (sw *streamWriter) Header() http.Header { return sw.rw.Header() }

func (sw *streamWriter) WriteHeader(code int) {
	if sw.wroteHeader {
		return
	}
	sw.wroteHeader = true
	if code != http.StatusOK {
		sw.rw.WriteHeader(code)
		return
	}
	if sw.h2 {
		sw.rw.Header().Del("Connection") // connection-specific, not allowed in HTTP/2
	}
	sw.rw.WriteHeader(http.StatusOK)
	sub := sw.sub
	select {
	case <-sub.endCh:
		return // ended before it started
	default:
	}
	retry := sub.ch.register(sub, sw.resume)
	sw.setDeadline()
	var b [32]byte
	pre := append(append(b[:0], "retry: "...), strconv.FormatInt(retry.Milliseconds(), 10)...)
	pre = append(pre, "\n\n"...)
	if _, err := sw.rw.Write(pre); err != nil {
		sw.fail(err)
	}
}

func (sw *streamWriter) Write(p []byte) (int, error) {
	if sw.failed {
		return 0, sw.err
	}
	if sw.sub.aborted.Load() {
		sw.fail(errAborted)
		return 0, sw.err
	}
	if !sw.dirty {
		if err := sw.sub.waitStall(); err != nil {
			sw.fail(err)
			return 0, err
		}
		sw.setDeadline()
		sw.dirty = true
	}
	n, err := sw.rw.Write(p)
	if err != nil {
		sw.fail(err)
	}
	return n, err
}

// Flush is called by r3labs after the header and after every event.
func (sw *streamWriter) Flush() {
	if sw.failed {
		return
	}
	sub := sw.sub
	if sw.dirty {
		sw.dirty = false
		sub.written.Add(1)
	}
	pending := sub.pending()
	if pending <= sw.lowWater && sub.lagging.Load() {
		sub.ch.catchUp(sub)
		pending = sub.pending()
	}
	if pending > 0 {
		return // the next event is already queued: one write for both
	}
	if err := sub.waitStall(); err != nil {
		sw.fail(err)
		return
	}
	sw.setDeadline()
	if err := sw.rc.Flush(); err != nil {
		sw.fail(err)
		return
	}
	if sub.closing.Load() {
		sub.cancel()
	}
}

// setDeadline bounds the next writes by the write timeout. Moving a
// connection's deadline costs a runtime timer update, so it is moved only
// once it is more than a tenth of the timeout old: every write then has
// between 90 % and 100 % of WriteTimeout to complete.
func (sw *streamWriter) setDeadline() {
	wt := sw.srv.cfg.WriteTimeout
	now := time.Now()
	if d := now.Add(wt); d.Sub(sw.deadline) > wt/10 {
		sw.deadline = d
		_ = sw.rc.SetWriteDeadline(d)
	}
	if sw.sub.aborted.Load() {
		_ = sw.rc.SetWriteDeadline(now)
	}
}

// fail records a write error and drops the subscriber.
func (sw *streamWriter) fail(err error) {
	if sw.failed {
		return
	}
	sw.failed = true
	sw.err = err
	sub := sw.sub
	if sub.aborted.Load() {
		return
	}
	if isTimeout(err) {
		sub.ch.stats.droppedWrite.Add(1)
		sw.srv.log.Info("subscriber dropped: write timed out", "channel", sub.ch.info.Name,
			"remote", sub.remote, "timeout", sw.srv.cfg.WriteTimeout, "queued", sub.pending())
	}
	sub.abort()
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// parseResume reads Last-Event-ID (header first, then ?lastEventId=) and
// ?history=N.
func parseResume(r *http.Request, ringSize int) (resume, error) {
	var rs resume
	raw := r.Header.Get("Last-Event-ID")
	has := raw != ""
	if !has {
		raw = r.URL.Query().Get("lastEventId")
		has = raw != ""
	}
	if has {
		if len(raw) > 256 {
			raw = raw[:256]
		}
		rs.has, rs.raw = true, raw
		id, err := strconv.ParseUint(strings.TrimSpace(raw), 10, 64)
		rs.id, rs.valid = id, err == nil
	}
	if h := r.URL.Query().Get("history"); h != "" {
		n, err := strconv.Atoi(h)
		if err != nil || n < 0 {
			return rs, errors.New("history must be a non-negative integer")
		}
		rs.history = min(n, ringSize)
	}
	return rs, nil
}

// handleStream serves GET /api/stream/{channel}.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("channel")
	ch := s.byName[name]
	if ch == nil {
		httpjson.Error(w, http.StatusNotFound, "unknown channel "+strconv.Quote(name), "see /api/channels")
		return
	}
	if st := ch.takeFailNext(); st != 0 {
		ch.stats.failed.Add(1)
		s.log.Info("answered with injected status", "channel", name, "status", st, "remote", r.RemoteAddr)
		if st == http.StatusNoContent {
			w.WriteHeader(st)
			return
		}
		httpjson.Error(w, st, "injected failure", "fault injected with fail")
		return
	}
	rs, err := parseResume(r, s.cfg.RingSize)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	if r.Method == http.MethodHead {
		for k, v := range s.rs.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sub, reason := s.admit(ctx, ch, r, cancel, http.NewResponseController(w))
	if sub == nil {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(s.cfg.Retry.Seconds()))))
		httpjson.Error(w, http.StatusServiceUnavailable, reason, "")
		return
	}
	defer s.release(sub)
	ch.stats.connections.Add(1)
	s.log.Debug("subscriber connected", "channel", name, "remote", r.RemoteAddr,
		"last_event_id", rs.raw, "history", rs.history)

	s.rs.CreateStream(sub.streamID)
	r2 := r.WithContext(ctx)
	u := *r.URL
	u.RawQuery = "stream=" + sub.streamID
	r2.URL = &u
	if _, ok := r.Header["Last-Event-Id"]; ok {
		r2.Header = r.Header.Clone()
		r2.Header.Del("Last-Event-ID") // resume is ours; r3labs would answer 400 to non-numbers
	}
	sw := &streamWriter{
		srv: s, sub: sub, rw: w, rc: sub.rc, resume: rs,
		h2:       r.ProtoMajor >= 2,
		lowWater: int64(s.cfg.QueueSize / 2),
	}
	s.rs.ServeHTTP(sw, r2)

	// r3labs returns once its subscriber is deregistered (ctx done), so
	// removing the stream now leaks nothing.
	ch.unregister(sub)
	s.rs.RemoveStream(sub.streamID)
	sub.mu.Lock()
	sub.active = false
	sub.mu.Unlock()
	s.log.Debug("subscriber gone", "channel", name, "remote", r.RemoteAddr,
		"written", sub.written.Load(), "aborted", sub.aborted.Load())
	if sub.aborted.Load() {
		panic(http.ErrAbortHandler) // cut the connection: no clean end of stream
	}
	// Bound the final chunk's write; the next request on this connection
	// resets the deadline (see ServeHTTP).
	_ = sub.rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
}
