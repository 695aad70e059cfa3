package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssemon/ssemon/server/internal/httpjson"
)

// LostEventType is the type of the event that tells a client what it
// missed, in the shape the in-memory demo server uses.
const LostEventType = "lost"

// subscriber is one stream connection.
type subscriber struct {
	ch      *channel
	remote  string
	cancel  context.CancelFunc
	rc      *http.ResponseController
	aborted atomic.Bool // cut the connection (no clean end of stream)

	mu     sync.Mutex
	active bool // the handler is running (rc may be used)
}

// abort cuts sub's connection at once, without a clean end of stream.
func (sub *subscriber) abort() {
	sub.aborted.Store(true)
	sub.cancel()
	sub.mu.Lock()
	if sub.active {
		// Unblock a write in progress; the handler is still running, so
		// the deadline cannot leak to a later request on the connection.
		_ = sub.rc.SetWriteDeadline(time.Now())
	}
	sub.mu.Unlock()
}

// admit registers a new stream connection, or says why it is refused.
func (r *Relay) admit(ch *channel, req *http.Request, cancel context.CancelFunc, rc *http.ResponseController) (*subscriber, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.draining {
		r.rejectedClosed.Add(1)
		return nil, "server shutting down"
	}
	if len(r.subs) >= r.cfg.MaxSubscribers {
		r.rejectedFull.Add(1)
		r.log.Warn("stream refused: too many subscribers", "limit", r.cfg.MaxSubscribers, "channel", ch.name, "remote", req.RemoteAddr)
		return nil, fmt.Sprintf("too many subscribers (limit %d)", r.cfg.MaxSubscribers)
	}
	sub := &subscriber{ch: ch, remote: req.RemoteAddr, cancel: cancel, rc: rc, active: true}
	r.subs[sub] = struct{}{}
	r.conns.Add(1)
	ch.subs.Add(1)
	return sub, ""
}

func (r *Relay) release(sub *subscriber) {
	sub.mu.Lock()
	sub.active = false
	sub.mu.Unlock()
	sub.ch.subs.Add(-1)
	r.mu.Lock()
	delete(r.subs, sub)
	r.mu.Unlock()
	r.conns.Done()
}

// resume is what a client asked for when connecting.
type resume struct {
	has     bool   // Last-Event-ID given
	raw     string // as given
	id      ID     // parsed
	valid   bool   // raw parsed as a Redis id
	history int    // ?history=N, without Last-Event-ID
}

// parseResume reads Last-Event-ID (header first, then ?lastEventId=) and
// ?history=N.
func parseResume(req *http.Request, maxHistory int) (resume, error) {
	var rs resume
	raw := req.Header.Get("Last-Event-ID")
	if raw == "" {
		raw = req.URL.Query().Get("lastEventId")
	}
	if raw != "" {
		if len(raw) > 256 {
			raw = raw[:256]
		}
		rs.has, rs.raw = true, raw
		id, err := ParseID(strings.TrimSpace(raw))
		rs.id, rs.valid = id, err == nil
	}
	if h := req.URL.Query().Get("history"); h != "" {
		n, err := strconv.Atoi(h)
		if err != nil || n < 0 {
			return rs, errors.New("history must be a non-negative integer")
		}
		rs.history = min(n, maxHistory)
	}
	return rs, nil
}

// handleStream serves GET /api/stream/{channel}.
func (r *Relay) handleStream(w http.ResponseWriter, req *http.Request) {
	name := req.PathValue("channel")
	ch, err := r.lookup(req.Context(), name)
	switch {
	case errors.Is(err, errUnknown):
		httpjson.Error(w, http.StatusNotFound, "unknown channel "+strconv.Quote(name),
			"no Redis stream "+strconv.Quote(name)+" matching "+strconv.Quote(r.cfg.Streams)+"; see /api/channels")
		return
	case err != nil:
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(r.cfg.Retry.Seconds()))))
		hint := "Redis unavailable: " + err.Error()
		if errors.Is(err, errTooManyChannels) {
			hint = fmt.Sprintf("this relay serves at most %d channels", r.cfg.MaxChannels)
		}
		httpjson.Error(w, http.StatusServiceUnavailable, "channel not available", hint)
		return
	}
	rs, err := parseResume(req, r.cfg.MaxHistory)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error(), "")
		return
	}
	setStreamHeaders(w, req)
	if req.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	rc := http.NewResponseController(w)
	sub, reason := r.admit(ch, req, cancel, rc)
	if sub == nil {
		h := w.Header()
		for _, k := range []string{"Content-Type", "Cache-Control", "X-Accel-Buffering", "Connection"} {
			h.Del(k)
		}
		h.Set("Retry-After", strconv.Itoa(max(1, int(r.cfg.Retry.Seconds()))))
		httpjson.Error(w, http.StatusServiceUnavailable, reason, "")
		return
	}
	defer r.release(sub)
	ch.stats.connections.Add(1)
	r.log.Debug("subscriber connected", "channel", name, "remote", req.RemoteAddr, "last_event_id", rs.raw, "history", rs.history)

	st := &streamState{r: r, ch: ch, sub: sub, ctx: ctx, w: w, rc: rc, rs: rs, bo: r.newBackoff()}
	err = st.run()
	r.log.Debug("subscriber gone", "channel", name, "remote", req.RemoteAddr, "err", err, "aborted", sub.aborted.Load())
	if sub.aborted.Load() {
		panic(http.ErrAbortHandler) // cut the connection: no clean end of stream
	}
	// Bound the final chunk's write; the next request on this connection
	// resets the deadline (see Handler).
	_ = rc.SetWriteDeadline(time.Now().Add(r.cfg.WriteTimeout))
}

func setStreamHeaders(w http.ResponseWriter, req *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	if req.ProtoMajor == 1 {
		h.Set("Connection", "keep-alive")
	}
}

// errAborted is the write error after a subscriber was cut.
var errAborted = errors.New("relay: subscriber dropped")

// streamState is one connection's position and its writer. Only the
// handler goroutine uses it.
type streamState struct {
	r   *Relay
	ch  *channel
	sub *subscriber
	ctx context.Context
	w   http.ResponseWriter
	rc  *http.ResponseController
	rs  resume
	bo  *backoff

	positioned bool
	cursor     ID     // the last id sent (or covered by a lost notice)
	from       string // the client's Last-Event-ID, until something after it is sent
	checkAhead bool   // cursor is ahead of the reader: ask Redis whether it exists

	lostChecked bool // the stream was checked for trimmed entries since falling behind the cache
	lostPending bool // a lost notice is due once the entries up to lostThrough are sent
	lostThrough ID
	oldest      string // the oldest entry Redis kept, for the notice

	frames   [][]byte
	buf      []byte
	deadline time.Time
	retry    <-chan time.Time // set after a Redis error: when to try again
	retryT   interface{ Stop() bool }
}

// run streams until the client leaves, the relay ends the stream or a
// write fails.
func (s *streamState) run() error {
	s.w.WriteHeader(http.StatusOK)
	s.buf = append(s.buf[:0], "retry: "...)
	s.buf = strconv.AppendInt(s.buf, s.r.cfg.Retry.Milliseconds(), 10)
	s.buf = append(s.buf, "\n\n"...)
	if err := s.send(); err != nil {
		return err
	}
	defer func() {
		if s.retryT != nil {
			s.retryT.Stop()
		}
	}()
	for {
		progressed, wake, err := s.step()
		if err != nil {
			var we *sendError
			if errors.As(err, &we) {
				return err
			}
			if s.ctx.Err() != nil {
				return s.ctx.Err()
			}
			// Redis failed: keep the connection (heartbeats go on) and try
			// again after a backoff.
			s.r.noteRedisErr(err)
			s.r.log.Debug("subscriber waiting for Redis", "channel", s.ch.name, "remote", s.sub.remote, "err", err)
			s.armRetry()
		} else if progressed {
			continue
		}
		select {
		case <-wake:
		case <-s.retry:
			s.retry, s.retryT = nil, nil
		case <-s.r.heartbeat():
			s.buf = append(s.buf[:0], ": heartbeat\n\n"...)
			if err := s.send(); err != nil {
				return err
			}
			s.ch.stats.heartbeats.Add(1)
		case <-s.r.endCh:
			s.buf = append(append(append(s.buf[:0], ": "...), s.r.endComment...), "\n\n"...)
			_ = s.send()
			return nil
		case <-s.ctx.Done():
			return s.ctx.Err()
		}
	}
}

func (s *streamState) armRetry() {
	if s.retry != nil {
		return
	}
	d := s.bo.next
	s.bo.next = min(s.bo.next*2, s.r.cfg.MaxBackoff)
	t := s.r.cfg.Clock.NewTimer(d)
	s.retry, s.retryT = t.C(), t
}

// step sends what is due and reports whether it sent anything; when not,
// wake is closed once there may be something. A *sendError ends the
// stream; any other error is Redis failing.
func (s *streamState) step() (progressed bool, wake <-chan struct{}, err error) {
	if s.retry != nil {
		// Waiting after a Redis error; cached entries are still sent.
		_, _, behind, _, w := s.ch.collect(s.cursor, nil, 0)
		if !s.positioned || behind || s.checkAhead {
			return false, w, nil
		}
	}
	if !s.positioned {
		ok, err := s.position()
		if !ok || err != nil {
			_, _, _, _, w := s.ch.collect(s.cursor, nil, 0)
			return false, w, err
		}
	}
	if s.checkAhead {
		if err := s.verifyAhead(); err != nil {
			return false, nil, err
		}
	}
	frames, next, behind, _, wake := s.ch.collect(s.cursor, s.frames[:0], s.r.cfg.Batch)
	s.frames = frames
	if behind {
		err := s.fromRedis()
		return err == nil, wake, err
	}
	if len(frames) == 0 {
		return false, wake, nil
	}
	s.buf = s.buf[:0]
	for _, f := range frames {
		s.buf = append(s.buf, f...)
	}
	clear(frames)
	s.cursor = next
	s.from = ""
	s.bo.reset()
	return true, wake, s.send()
}

// position sets the cursor as the client asked, once the reader has its
// position; false means not yet.
func (s *streamState) position() (bool, error) {
	last, _, ready := s.ch.position()
	if !ready {
		return false, nil
	}
	rs := s.rs
	switch {
	case rs.has && !rs.valid:
		s.cursor = last
		s.buf = appendReset(s.buf[:0], rs.raw, last, "invalid")
		s.ch.stats.lost.Add(1)
		if err := s.send(); err != nil {
			return false, err
		}
	case rs.has:
		s.cursor, s.from = rs.id, rs.raw
		s.checkAhead = last.Less(rs.id)
	case rs.history > 0:
		start, ok := s.ch.historyStart(rs.history)
		if !ok {
			ctx, cancel := context.WithTimeout(s.ctx, s.r.cfg.RedisTimeout)
			msgs, err := s.r.rdb.XRevRangeN(ctx, s.ch.name, last.String(), "-", int64(rs.history)).Result()
			cancel()
			if err != nil {
				return false, err
			}
			start = last
			if len(msgs) > 0 {
				if id, err := ParseID(msgs[len(msgs)-1].ID); err == nil {
					start = id.Prev()
				}
			}
			s.lostChecked = true // history starts where Redis has entries
		}
		s.cursor = start
	default:
		s.cursor = last
	}
	s.positioned = true
	return true, nil
}

// verifyAhead handles a Last-Event-ID after the reader's position: either
// another relay (or this one before a restart) already sent it and the
// reader will get there, or Redis never had it (the stream was recreated)
// and the client is told to start over from here.
func (s *streamState) verifyAhead() error {
	last, _, _ := s.ch.position()
	if !last.Less(s.cursor) {
		s.checkAhead = false
		return nil
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.r.cfg.RedisTimeout)
	info, err := s.r.streamInfo(ctx, s.ch.name)
	cancel()
	if err != nil {
		return err
	}
	s.checkAhead = false
	if !info.lastGenerated.Less(s.cursor) {
		return nil // the reader will get there
	}
	last, _, _ = s.ch.position()
	s.buf = appendReset(s.buf[:0], s.rs.raw, last, "ahead")
	s.ch.stats.lost.Add(1)
	s.cursor, s.from = last, ""
	return s.send()
}

// fromRedis sends, from Redis, the entries after the cursor up to the
// cache's start, with a lost notice where Redis no longer has them.
func (s *streamState) fromRedis() error {
	name := s.ch.name
	_, base, _ := s.ch.position()
	if !s.lostChecked {
		ctx, cancel := context.WithTimeout(s.ctx, s.r.cfg.RedisTimeout)
		info, err := s.r.streamInfo(ctx, name)
		cancel()
		if err != nil {
			return err
		}
		s.lostChecked = true
		s.lostThrough, s.lostPending = lostThrough(s.cursor, info, base)
		s.oldest = ""
		if info.hasFirst {
			s.oldest = info.first.String()
		}
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.r.cfg.RedisTimeout)
	msgs, err := s.r.rdb.XRangeN(ctx, name, next(s.cursor).String(), "+", int64(s.r.cfg.Batch)).Result()
	cancel()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	s.buf = s.buf[:0]
	sent := 0
	for _, m := range msgs {
		id, err := ParseID(m.ID)
		if err != nil || !s.cursor.Less(id) {
			continue
		}
		if s.lostPending && s.lostThrough.Less(id) {
			s.appendLost(s.lostThrough)
		}
		rec := s.ch.encode(id, m.Values)
		s.buf = append(s.buf, rec.frame...)
		s.cursor, s.from = id, ""
		sent++
		if !s.cursor.Less(base) {
			break // the cache has the rest
		}
	}
	s.ch.stats.fromRedis.Add(uint64(sent))
	if len(msgs) < s.r.cfg.Batch && s.cursor.Less(base) {
		// Redis has nothing more before the cache starts: what the reader
		// had read up to base was deleted since (or the pending notice is
		// due).
		s.appendLost(base)
	}
	if !s.cursor.Less(base) {
		s.lostChecked, s.lostPending = false, false
	}
	if len(s.buf) == 0 {
		return nil
	}
	s.bo.reset()
	return s.send()
}

// appendLost appends a lost notice for the entries after the cursor
// through id, and moves the cursor there.
func (s *streamState) appendLost(through ID) {
	if !s.cursor.Less(through) {
		s.lostPending = false
		return
	}
	from := s.from
	if from == "" {
		from = s.cursor.String()
	}
	data, _ := json.Marshal(struct {
		Missed  int    `json:"missed"`
		From    string `json:"from"`
		Oldest  string `json:"oldest"`
		Through string `json:"through"`
		Exact   bool   `json:"exact"`
	}{1, from, s.oldest, through.String(), false})
	s.buf = appendFrame(s.buf, &Event{ID: through, Type: LostEventType, Data: string(data)})
	s.ch.stats.lost.Add(1)
	s.cursor, s.from, s.lostPending = through, "", false
}

// appendReset appends the notice for a Last-Event-ID that cannot be
// resumed (ahead of the stream, or not a Redis id): the client starts
// over from last.
func appendReset(b []byte, from string, last ID, reason string) []byte {
	data, _ := json.Marshal(struct {
		Missed int    `json:"missed"`
		Reset  bool   `json:"reset"`
		From   string `json:"from"`
		Last   string `json:"last"`
		Reason string `json:"reason"`
	}{0, true, from, last.String(), reason})
	return appendFrame(b, &Event{ID: last, Type: LostEventType, Data: string(data)})
}

// next returns the smallest id after id, for an XRANGE start that
// excludes id (the "(" prefix needs Redis 6.2).
func next(id ID) ID {
	if id.Seq == ^uint64(0) {
		return ID{id.Ms + 1, 0}
	}
	return ID{id.Ms, id.Seq + 1}
}

// sendError is a failed write to the client: the stream ends.
type sendError struct{ err error }

func (e *sendError) Error() string { return "relay: write to subscriber: " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// send writes buf and flushes it, within the write timeout.
func (s *streamState) send() error {
	if s.sub.aborted.Load() {
		return &sendError{errAborted}
	}
	s.setDeadline()
	if _, err := s.w.Write(s.buf); err != nil {
		return s.fail(err)
	}
	if err := s.rc.Flush(); err != nil {
		return s.fail(err)
	}
	return nil
}

// setDeadline bounds the next writes by the write timeout, moving the
// connection's deadline only once it is more than a tenth of the timeout
// old (a runtime timer update per write would cost at 1000 subscribers).
func (s *streamState) setDeadline() {
	wt := s.r.cfg.WriteTimeout
	now := time.Now()
	if d := now.Add(wt); d.Sub(s.deadline) > wt/10 {
		s.deadline = d
		_ = s.rc.SetWriteDeadline(d)
	}
}

func (s *streamState) fail(err error) error {
	if isTimeout(err) && !s.sub.aborted.Load() {
		s.ch.stats.droppedW.Add(1)
		s.r.log.Info("subscriber dropped: write timed out", "channel", s.ch.name, "remote", s.sub.remote, "timeout", s.r.cfg.WriteTimeout)
	}
	return &sendError{err}
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
