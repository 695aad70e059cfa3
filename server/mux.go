package server

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/ssemon/ssemon/client/wire"
	"github.com/ssemon/ssemon/server/internal/httpjson"
	"github.com/ssemon/ssemon/server/internal/hub"
)

// A multiplexed stream (GET /api/stream?channels=a,b,c; every channel when
// the list is empty) carries several channels on one connection, so that
// a browser page follows any number of them over HTTP/1.1 (browsers open
// at most 6 connections per host). Events keep their type and data; the
// id says whose event it is and where every channel stands:
//
//	id: deploy=42,exports=17,metrics=9
//
// — the event's channel first, then the others in the order asked. A
// client resuming with that id (Last-Event-ID, or ?lastEventId= after a
// page reload) resumes every channel exactly after its own id; a channel
// missing from it starts live; a channel id older than its history, ahead
// of it or not a number gets the usual lost notice, with such an id.

// maxMuxChannels caps the channels of one multiplexed stream.
const maxMuxChannels = 256

// muxFollower is the feed of a multiplexed connection: one cursor per
// channel over the channels' histories.
type muxFollower struct {
	s       *Server
	chs     []*channel
	cursors []uint64
	froms   []string // the client's id per channel, until something after it is sent
	live    []uint64
	pending []byte
	next    int // the channel read first, in turn, so that a busy one starves none

	mu    sync.Mutex
	holds map[int]chan struct{} // channels stalled on this connection
}

// id appends the composite id after an event of channel i.
func (f *muxFollower) id(b []byte, i int) []byte {
	b = append(b, f.chs[i].info.Name...)
	b = append(b, '=')
	b = strconv.AppendUint(b, f.cursors[i], 10)
	for j, ch := range f.chs {
		if j != i {
			b = append(b, ',')
			b = append(b, ch.info.Name...)
			b = append(b, '=')
			b = strconv.AppendUint(b, f.cursors[j], 10)
		}
	}
	return b
}

// hold stalls channel ch on this connection until release is closed.
func (f *muxFollower) hold(ch *channel, release chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range f.chs {
		if c == ch {
			f.holds[i] = release
		}
	}
}

func (f *muxFollower) held(i int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.holds[i]
	if h == nil {
		return false
	}
	select {
	case <-h:
		delete(f.holds, i)
		return false
	default:
		return true
	}
}

// Next implements hub.Feed.
func (f *muxFollower) Next(c *hub.Conn, b []byte) ([]byte, error) {
	if len(f.pending) > 0 {
		b, f.pending = append(b, f.pending...), nil
		return b, nil
	}
	budget := f.s.cfg.QueueSize
	for {
		var woke hub.Woke
		var held bool
		if b, woke, held = c.Pause(b); held {
			return b, wokeErr(c, woke)
		}
		wake := f.s.anyWake() // before reading: nothing published after it is missed
		sent := 0
		for k := range f.chs {
			i := (f.next + k) % len(f.chs)
			if f.held(i) {
				continue
			}
			b, sent = f.read(b, i, budget-sent, sent)
			if sent >= budget {
				break
			}
		}
		f.next = (f.next + 1) % len(f.chs)
		if len(b) > 0 {
			return b, nil
		}
		if b, woke = c.Wait(b, wake, nil); woke != hub.Woken {
			return b, wokeErr(c, woke)
		}
	}
}

// read appends up to max events of channel i (and a lost notice if it fell
// behind), with composite ids, and returns b and the events sent so far.
func (f *muxFollower) read(b []byte, i, max, sent int) ([]byte, int) {
	ch := f.chs[i]
	_, n, behind, _ := ch.log.Each(hub.Key{Lo: f.cursors[i]}, max, func(k hub.Key, frame []byte) bool {
		if f.cursors[i] < f.live[i] {
			ch.stats.replayed.Add(1)
		}
		f.cursors[i], f.froms[i] = k.Lo, ""
		b = append(b, "id: "...)
		b = f.id(b, i)
		// The stored frame starts with its own "id: N" line.
		b = append(b, frame[bytes.IndexByte(frame, '\n'):]...)
		return true
	})
	if behind {
		base, oldest, _, _, _ := ch.log.Bounds()
		from := f.froms[i]
		if from == "" {
			from = strconv.FormatUint(f.cursors[i], 10)
		}
		missed := base.Lo - f.cursors[i]
		f.cursors[i], f.froms[i] = base.Lo, ""
		b = hub.AppendLost(b, string(f.id(nil, i)), &wire.Lost{Missed: missed, From: from, Oldest: strconv.FormatUint(oldest.Lo, 10)})
		ch.k.Lost.Add(1)
		return f.read(b, i, max, sent)
	}
	if n == f.s.cfg.QueueSize {
		ch.stats.lagged.Add(1)
	}
	return b, sent + n
}

// handleMux serves GET /api/stream?channels=a,b,c.
func (s *Server) handleMux(w http.ResponseWriter, r *http.Request) {
	var chs []*channel
	if list := strings.TrimSpace(r.URL.Query().Get("channels")); list == "" {
		chs = s.channels
	} else {
		seen := map[*channel]bool{}
		for name := range strings.SplitSeq(list, ",") {
			ch := s.byName[strings.TrimSpace(name)]
			if ch == nil {
				httpjson.Error(w, http.StatusNotFound, "unknown channel "+strconv.Quote(name), "see /api/channels")
				return
			}
			if !seen[ch] {
				seen[ch] = true
				chs = append(chs, ch)
			}
		}
	}
	if len(chs) > maxMuxChannels {
		httpjson.Error(w, http.StatusBadRequest, "too many channels", "at most "+strconv.Itoa(maxMuxChannels)+" on one stream")
		return
	}
	rs, ok := hub.Prepare(w, r, MaxRingSize)
	if !ok {
		return
	}
	names := make([]string, len(chs))
	ks := make([]*hub.Counters, len(chs))
	for i, ch := range chs {
		names[i], ks[i] = ch.info.Name, &ch.k
	}
	c := s.hub.Admit(w, r, strings.Join(names, ","), ks...)
	if c == nil {
		return
	}
	f := &muxFollower{s: s, chs: chs, cursors: make([]uint64, len(chs)), froms: make([]string, len(chs)),
		live: make([]uint64, len(chs)), holds: map[int]chan struct{}{}}
	c.SetTag(f)
	f.position(rs)
	s.hub.Stream(w, r, c, append(hub.AppendRetry(nil, s.cfg.Retry.Milliseconds()), '\n'), f)
}

// position sets every channel's cursor from the composite id (or
// ?history=N per channel).
func (f *muxFollower) position(rs hub.Resume) {
	ids := map[string]string{}
	if rs.Has {
		for part := range strings.SplitSeq(rs.Raw, ",") {
			if name, id, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
				ids[name] = id
			}
		}
	}
	for i, ch := range f.chs {
		ch.mu.Lock()
		last := ch.last
		raw, has := ids[ch.info.Name]
		id, err := strconv.ParseUint(raw, 10, 64)
		switch {
		case has && err == nil && id <= last:
			f.cursors[i], f.froms[i] = id, raw
		case has:
			f.cursors[i] = last
			reason := wire.ReasonAhead
			if err != nil {
				reason = wire.ReasonInvalid
			}
			f.pending = hub.AppendLost(f.pending, string(f.id(nil, i)),
				&wire.Lost{Reset: true, From: raw, Last: strconv.FormatUint(last, 10), Reason: reason})
			ch.k.Lost.Add(1)
		case !rs.Has && rs.History > 0:
			_, _, _, kept, _ := ch.log.Bounds()
			k, _ := ch.log.Tail(min(rs.History, kept))
			f.cursors[i] = k.Lo
		default:
			f.cursors[i] = last
		}
		f.live[i] = last
		ch.mu.Unlock()
	}
}
