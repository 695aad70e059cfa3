package server

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ssemon/ssemon/client/wire"
	"github.com/ssemon/ssemon/server/internal/httpjson"
	"github.com/ssemon/ssemon/server/internal/hub"
)

// maxBatchBytes bounds the frames a subscriber is given in one write.
const maxBatchBytes = 256 << 10

// follower is one subscriber's feed: it reads the channel's history from
// its own cursor, at its own pace.
type follower struct {
	s       *Server
	ch      *channel
	cursor  uint64 // id of the last event sent (or covered by a lost notice)
	from    string // the client's Last-Event-ID, until something after it is sent
	live    uint64 // the last id when the client connected: events up to it are replayed
	pending []byte // a notice to send first
}

// Next implements hub.Feed.
func (f *follower) Next(c *hub.Conn, b []byte) ([]byte, error) {
	if len(f.pending) > 0 {
		b = append(b, f.pending...)
		f.pending = nil
		return b, nil
	}
	ch := f.ch
	for {
		var woke hub.Woke
		var held bool
		if b, woke, held = c.Pause(b); held {
			return b, wokeErr(c, woke)
		}
		out, next, n, behind, wake := ch.log.Read(hub.Key{Lo: f.cursor}, b, f.s.cfg.QueueSize, maxBatchBytes)
		if behind {
			base, oldest, _, _, _ := ch.log.Bounds()
			from := f.from
			if from == "" {
				from = strconv.FormatUint(f.cursor, 10)
			}
			b = hub.AppendLost(b, strconv.FormatUint(base.Lo, 10),
				&wire.Lost{Missed: base.Lo - f.cursor, From: from, Oldest: strconv.FormatUint(oldest.Lo, 10)})
			ch.k.Lost.Add(1)
			f.cursor, f.from = base.Lo, ""
			continue
		}
		if n > 0 {
			if f.cursor < f.live {
				ch.stats.replayed.Add(min(next.Lo, f.live) - f.cursor)
			}
			if n == f.s.cfg.QueueSize {
				ch.stats.lagged.Add(1)
			}
			f.cursor, f.from = next.Lo, ""
			return out, nil
		}
		if b, woke = c.Wait(b, wake, nil); woke != hub.Woken {
			return b, wokeErr(c, woke)
		}
	}
}

// wokeErr maps why hub.Conn.Wait returned to Next's error: nil for a
// heartbeat (send it), io.EOF to end the stream.
func wokeErr(c *hub.Conn, w hub.Woke) error {
	switch w {
	case hub.Ended:
		return io.EOF
	case hub.Gone:
		return c.Context().Err()
	}
	return nil
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
	rs, ok := hub.Prepare(w, r, MaxRingSize)
	if !ok {
		return
	}
	c := s.hub.Admit(w, r, name, &ch.k)
	if c == nil {
		return
	}
	s.log.Debug("subscriber connected", "channel", name, "remote", r.RemoteAddr, "last_event_id", rs.Raw, "history", rs.History)
	f := &follower{s: s, ch: ch}
	ch.mu.Lock()
	retry := ch.retry
	f.position(rs)
	ch.mu.Unlock()
	s.hub.Stream(w, r, c, append(hub.AppendRetry(nil, retry.Milliseconds()), '\n'), f)
	s.log.Debug("subscriber gone", "channel", name, "remote", r.RemoteAddr)
}

// position sets the follower's cursor as the client asked. Caller holds
// ch.mu, so that nothing is published meanwhile.
func (f *follower) position(rs hub.Resume) {
	ch := f.ch
	last := ch.last
	f.live = last
	id, err := strconv.ParseUint(strings.TrimSpace(rs.Raw), 10, 64)
	switch {
	case rs.Has && err == nil && id <= last:
		f.cursor, f.from = id, rs.Raw
	case rs.Has:
		reason := wire.ReasonAhead
		if err != nil {
			reason = wire.ReasonInvalid
		}
		f.pending = hub.AppendReset(nil, rs.Raw, strconv.FormatUint(last, 10), reason)
		ch.k.Lost.Add(1)
		f.cursor = last
	case rs.History > 0:
		_, _, _, kept, _ := ch.log.Bounds()
		k, _ := ch.log.Tail(min(rs.History, kept))
		f.cursor = k.Lo
	default:
		f.cursor = last
	}
}
