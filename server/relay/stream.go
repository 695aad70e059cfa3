package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssemon/ssemon/client/wire"
	"github.com/ssemon/ssemon/server/internal/httpjson"
	"github.com/ssemon/ssemon/server/internal/hub"
)

// resume is what a client asked for when connecting.
type resume struct {
	hub.Resume
	id    ID   // parsed
	valid bool // Raw parsed as a Redis id
}

// resumeOf parses the client's Last-Event-ID as a Redis id.
func resumeOf(hr hub.Resume) resume {
	rs := resume{Resume: hr}
	if rs.Has {
		id, err := ParseID(strings.TrimSpace(rs.Raw))
		rs.id, rs.valid = id, err == nil
	}
	return rs
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
	hr, ok := hub.Prepare(w, req, r.cfg.MaxHistory)
	if !ok {
		return
	}
	rs := resumeOf(hr)
	c := r.hub.Admit(w, req, name, &ch.k)
	if c == nil {
		return
	}
	r.log.Debug("subscriber connected", "channel", name, "remote", req.RemoteAddr, "last_event_id", rs.Raw, "history", rs.History)
	st := &streamState{r: r, ch: ch, c: c, ctx: c.Context(), rs: rs, bo: r.newBackoff()}
	defer st.stopRetry()
	pre := append(hub.AppendRetry(nil, r.cfg.Retry.Milliseconds()), '\n')
	// The connection takes its position before its response headers go
	// out: a client that has its 200 gets every entry added after it (a
	// live one is not skipped past entries added while its first read was
	// still to come). When the reader is not ready in time, or Redis
	// fails, the feed takes the position later, as it can.
	if ch.waitReady(st.ctx, r.cfg.RedisTimeout) {
		if ok, err := st.position(); ok && err == nil {
			pre = append(pre, st.buf...) // a reset notice for an invalid id
		}
		st.buf = nil
	}
	r.hub.Stream(w, req, c, pre, st)
	r.log.Debug("subscriber gone", "channel", name, "remote", req.RemoteAddr)
}

// streamState is one connection's position: its feed (hub.Feed). Only
// the connection's goroutine uses it.
type streamState struct {
	r   *Relay
	ch  *channel
	c   *hub.Conn
	ctx context.Context
	rs  resume
	bo  *backoff

	positioned bool
	cursor     ID     // the last id sent (or covered by a lost notice)
	from       string // the client's Last-Event-ID, until something after it is sent
	checkAhead bool   // cursor is ahead of the reader: ask Redis whether it exists

	lostChecked bool // the stream was checked for trimmed entries since falling behind the cache
	lostPending bool // a lost notice is due once the entries up to lostThrough are sent
	lostThrough ID
	lostInfo    streamInfo // what Redis said when the check was made
	oldest      string     // the oldest entry Redis kept, for the notice

	buf    []byte           // what Next gives to send
	retry  <-chan time.Time // set after a Redis error: when to try again
	retryT interface{ Stop() bool }
}

// Next implements hub.Feed: it gives what is due, or waits until there is
// something (Redis failing keeps the connection: heartbeats go on and it
// tries again after a backoff).
func (s *streamState) Next(c *hub.Conn, b []byte) ([]byte, error) {
	s.buf = b
	for {
		progressed, wake, err := s.step()
		if err != nil {
			if s.ctx.Err() != nil {
				return s.buf, s.ctx.Err()
			}
			s.r.noteRedisErr(err)
			s.r.log.Debug("subscriber waiting for Redis", "channel", s.ch.name, "remote", c.Remote(), "err", err)
			s.armRetry()
		}
		if len(s.buf) > 0 {
			return s.buf, nil
		}
		if err == nil && progressed {
			continue
		}
		var woke hub.Woke
		switch s.buf, woke = c.Wait(s.buf, wake, s.retry); woke {
		case hub.Timer:
			s.retry, s.retryT = nil, nil
		case hub.Heartbeat:
			return s.buf, nil
		case hub.Ended:
			return s.buf, io.EOF
		case hub.Gone:
			return s.buf, s.ctx.Err()
		}
	}
}

func (s *streamState) stopRetry() {
	if s.retryT != nil {
		s.retryT.Stop()
	}
}

func (s *streamState) armRetry() {
	if s.retry != nil {
		return
	}
	t := s.r.cfg.Clock.NewTimer(s.bo.next())
	s.retry, s.retryT = t.C(), t
}

// step sends what is due and reports whether it sent anything; when not,
// wake is closed once there may be something. A *sendError ends the
// stream; any other error is Redis failing.
func (s *streamState) step() (progressed bool, wake <-chan struct{}, err error) {
	if s.retry != nil {
		// Waiting after a Redis error; cached entries are still sent.
		_, _, behind, w := s.ch.cache.Each(key(s.cursor), 0, nil)
		if !s.positioned || behind || s.checkAhead {
			return false, w, nil
		}
	}
	if !s.positioned {
		ok, err := s.position()
		if !ok || err != nil {
			_, _, _, w := s.ch.cache.Each(key(s.cursor), 0, nil)
			return false, w, err
		}
	}
	if s.checkAhead {
		if err := s.verifyAhead(); err != nil {
			return false, nil, err
		}
	}
	buf, next, n, behind, wake := s.ch.cache.Read(key(s.cursor), s.buf, s.r.cfg.Batch, 1<<20)
	if behind {
		err := s.fromRedis()
		return err == nil, wake, err
	}
	if n == 0 {
		return false, wake, nil
	}
	s.buf = buf
	s.cursor = fromKey(next)
	s.from = ""
	s.bo.reset()
	return true, wake, nil
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
	case rs.Has && !rs.valid:
		s.cursor = last
		s.buf = hub.AppendReset(s.buf, rs.Raw, last.String(), wire.ReasonInvalid)
		s.ch.k.Lost.Add(1)
	case rs.Has:
		s.cursor, s.from = rs.id, rs.Raw
		s.checkAhead = last.Less(rs.id)
	case rs.History > 0:
		k, ok := s.ch.cache.Tail(rs.History)
		start := fromKey(k)
		if !ok {
			ctx, cancel := context.WithTimeout(s.ctx, s.r.cfg.RedisTimeout)
			msgs, err := s.r.rdb.XRevRangeN(ctx, s.ch.name, last.String(), "-", int64(rs.History)).Result()
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
	s.buf = hub.AppendReset(s.buf, s.rs.Raw, last.String(), wire.ReasonAhead)
	s.ch.k.Lost.Add(1)
	s.cursor, s.from = last, ""
	return nil
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
		s.lostChecked, s.lostInfo = true, info
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
	sent := 0
	for _, m := range msgs {
		id, err := ParseID(m.ID)
		if err != nil || !s.cursor.Less(id) {
			continue
		}
		if s.lostPending && s.lostThrough.Less(id) {
			s.appendLost(s.lostThrough)
		}
		s.buf = append(s.buf, s.ch.encode(id, m.Values)...)
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
	if sent > 0 {
		s.bo.reset()
	}
	return nil
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
	missed, exact := lostCount(s.cursor, through, s.lostInfo, s.ch.seen)
	s.buf = hub.AppendLost(s.buf, through.String(),
		&wire.Lost{Missed: missed, From: from, Oldest: s.oldest, Through: through.String(), Exact: &exact})
	s.ch.k.Lost.Add(1)
	s.cursor, s.from, s.lostPending = through, "", false
}

// next returns the smallest id after id, for an XRANGE start that
// excludes id (the "(" prefix needs Redis 6.2).
func next(id ID) ID {
	if id.Seq == ^uint64(0) {
		return ID{id.Ms + 1, 0}
	}
	return ID{id.Ms, id.Seq + 1}
}
