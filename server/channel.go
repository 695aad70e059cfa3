package server

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssemon/ssemon/server/internal/hub"
)

// channelStats are a channel's counters besides the serving layer's, for
// /metrics.
type channelStats struct {
	published atomic.Uint64 // events published
	replayed  atomic.Uint64 // events sent that were published before the client connected (resume, history)
	lagged    atomic.Uint64 // reads that found a full batch waiting: the subscriber was behind
	failed    atomic.Uint64 // requests answered with an injected status
}

// channel is one named stream of events: its history (a hub.Log that
// every subscriber reads from its own cursor) and its counters.
type channel struct {
	srv  *Server
	info ChannelInfo
	sc   Scenario

	stats channelStats
	k     hub.Counters
	log   *hub.Log

	mu       sync.Mutex // orders publishes; guards last, retry, failNext
	last     uint64     // id of the last published event
	retry    time.Duration
	failNext []int
}

func newChannel(s *Server, sc Scenario) *channel {
	return &channel{
		srv: s,
		sc:  sc,
		info: ChannelInfo{
			Name:        sc.Channel,
			Description: sc.Description,
			Scenario:    sc.Kind,
			Path:        "/api/stream/" + sc.Channel,
		},
		log: hub.NewLog(hub.LogConfig{
			Keep:     s.cfg.RingSize,
			KeepFor:  max(s.cfg.History, 0),
			MaxBytes: s.cfg.HistoryBytes,
			Clock:    s.cfg.Clock,
			Waker:    s.hub.Waker(),
		}, hub.Key{}),
		retry: s.cfg.Retry,
	}
}

// message is one event to publish.
type message struct {
	typ     string
	data    []byte
	retry   time.Duration // sent as retry: when hasRetry
	comment string        // extra comment lines inside the frame (malformed frames only)

	hasRetry bool
}

// publish assigns ids to msgs, encodes them once and appends them to the
// history, which wakes the subscribers; it never waits for them. It
// returns the last id assigned (with Config.Upstream, the messages go
// there instead and it returns 0).
func (c *channel) publish(msgs ...message) uint64 {
	if up := c.srv.cfg.Upstream; up != nil {
		c.srv.publishUpstream(up, c.info.Name, msgs)
		return 0
	}
	keys := make([]hub.Key, len(msgs))
	frames := make([][]byte, len(msgs))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, m := range msgs {
		c.last++
		ev := hub.Event{ID: strconv.FormatUint(c.last, 10), Type: m.typ, Data: string(m.data), Extra: m.comment,
			Retry: m.retry.Milliseconds(), HasRetry: m.hasRetry}
		frames[i] = hub.AppendEvent(nil, &ev)
		keys[i] = hub.Key{Lo: c.last}
	}
	c.log.Append(keys, frames)
	c.srv.poke()
	c.stats.published.Add(uint64(len(msgs)))
	return c.last
}

// takeFailNext pops an injected failure status, or returns 0.
func (c *channel) takeFailNext() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.failNext) == 0 {
		return 0
	}
	st := c.failNext[0]
	c.failNext = c.failNext[1:]
	return st
}

// state returns the last id, the oldest id kept (0 if none), the number
// of events kept and the number of subscribers.
func (c *channel) state() (last, oldest uint64, kept, subs int) {
	_, o, l, n, _ := c.log.Bounds()
	if n > 0 {
		oldest = o.Lo
	}
	return l.Lo, oldest, n, int(c.k.Subscribers.Load())
}
