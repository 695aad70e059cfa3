package server

import (
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/r3labs/sse/v2"
)

// record is one published event. Records are immutable once published:
// their byte slices are shared by every *sse.Event handed to the streaming
// layer (which never mutates them with EncodeBase64 off and AutoReplay off).
type record struct {
	id      uint64
	idText  []byte
	typ     []byte
	data    []byte
	retry   []byte
	comment []byte
}

// event returns a fresh *sse.Event for one publish.
func (r *record) event() *sse.Event {
	return &sse.Event{ID: r.idText, Event: r.typ, Data: r.data, Retry: r.retry, Comment: r.comment}
}

// ring is a bounded, id-indexed buffer of the most recent records.
type ring struct {
	buf   []*record
	start int // index of the oldest record
	n     int
}

func newRing(size int) ring { return ring{buf: make([]*record, size)} }

func (r *ring) push(rec *record) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = rec
		r.n++
		return
	}
	r.buf[r.start] = rec
	r.start = (r.start + 1) % len(r.buf)
}

// oldest returns the id of the oldest record kept, 0 if empty.
func (r *ring) oldest() uint64 {
	if r.n == 0 {
		return 0
	}
	return r.buf[r.start].id
}

// get returns the record with the given id, or nil if it is not kept.
func (r *ring) get(id uint64) *record {
	if r.n == 0 {
		return nil
	}
	first := r.buf[r.start].id
	if id < first || id >= first+uint64(r.n) {
		return nil
	}
	return r.buf[(r.start+int(id-first))%len(r.buf)]
}

// channelStats are a channel's counters, exported on /metrics.
type channelStats struct {
	published   atomic.Uint64 // events published
	replayed    atomic.Uint64 // events sent from the ring (resume, history, catch-up)
	lost        atomic.Uint64 // "lost" notices sent
	lagged      atomic.Uint64 // times a subscriber's queue was full
	connections atomic.Uint64 // stream connections accepted
	heartbeats  atomic.Uint64 // heartbeat comments queued
	failed      atomic.Uint64 // requests answered with an injected status
	// dropped subscribers, by reason
	droppedAdmin   atomic.Uint64
	droppedWrite   atomic.Uint64
	droppedStalled atomic.Uint64 // aborted by shutdown after the grace period
}

// channel is one named stream of events with its ring and subscribers.
type channel struct {
	srv  *Server
	info ChannelInfo
	sc   Scenario

	stats channelStats

	mu       sync.Mutex
	last     uint64 // id of the last published event
	ring     ring
	retry    time.Duration
	subs     []*subscriber
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
		ring:  newRing(s.cfg.RingSize),
		retry: s.cfg.Retry,
	}
}

// message is one event to publish.
type message struct {
	typ     string
	data    []byte
	retry   time.Duration // sent as retry: when >= 0 and hasRetry
	comment string        // extra comment lines inside the frame (malformed frames only)

	hasRetry bool
}

// publish assigns ids to msgs, stores them in the ring and hands them to
// every subscriber that is caught up. It returns the last id assigned
// (with Config.Source, the messages go to Redis instead and it returns 0).
// Messages with empty data are refused (they would end every connection in
// the streaming layer): their data becomes "{}".
func (c *channel) publish(msgs ...message) uint64 {
	if c.srv.source != nil {
		c.srv.source.publish(c.info.Name, msgs)
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		c.last++
		rec := &record{id: c.last, idText: strconv.AppendUint(nil, c.last, 10), data: m.data}
		if len(rec.data) == 0 {
			rec.data = []byte("{}")
		}
		if m.typ != "" {
			rec.typ = []byte(m.typ)
		}
		if m.hasRetry {
			rec.retry = strconv.AppendInt(nil, m.retry.Milliseconds(), 10)
		}
		if m.comment != "" {
			rec.comment = []byte(m.comment)
		}
		c.ring.push(rec)
		c.stats.published.Add(1)
		for _, sub := range c.subs {
			if sub.lagging.Load() {
				continue
			}
			if sub.send(rec.event()) {
				sub.cursor = rec.id
				continue
			}
			sub.lagging.Store(true)
			c.stats.lagged.Add(1)
		}
	}
	return c.last
}

// resume is what a client asked for when connecting.
type resume struct {
	has     bool   // Last-Event-ID given
	raw     string // as given
	id      uint64 // parsed
	valid   bool   // raw parsed as a decimal id
	history int    // ?history=N, without Last-Event-ID
}

// register adds sub to the fan-out positioned as asked by rs, queues the
// replay (or a lost notice), and returns the retry to announce.
func (c *channel) register(sub *subscriber, rs resume) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case rs.has && rs.valid && rs.id <= c.last:
		sub.cursor = rs.id
		sub.from = rs.raw
	case rs.has:
		reason := "ahead"
		if !rs.valid {
			reason = "invalid"
		}
		data, _ := json.Marshal(struct {
			Missed int    `json:"missed"`
			Reset  bool   `json:"reset"`
			From   string `json:"from"`
			Last   string `json:"last"`
			Reason string `json:"reason"`
		}{0, true, rs.raw, strconv.FormatUint(c.last, 10), reason})
		if sub.send(&sse.Event{ID: strconv.AppendUint(nil, c.last, 10), Event: []byte("lost"), Data: data}) {
			c.stats.lost.Add(1)
		}
		sub.cursor = c.last
	case rs.history > 0:
		n := min(uint64(rs.history), uint64(c.ring.n))
		sub.cursor = c.last - n
	default:
		sub.cursor = c.last
	}
	sub.idx = len(c.subs)
	c.subs = append(c.subs, sub)
	sub.registered = true
	c.catchUpLocked(sub)
	return c.retry
}

// unregister removes sub from the fan-out and reports whether it was in
// it; it is safe to call twice.
func (c *channel) unregister(sub *subscriber) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !sub.registered {
		return false
	}
	sub.registered = false
	last := len(c.subs) - 1
	moved := c.subs[last]
	c.subs[sub.idx] = moved
	moved.idx = sub.idx
	c.subs[last] = nil
	c.subs = c.subs[:last]
	return true
}

// catchUp queues, from the ring, what a lagging subscriber has not been
// given yet, as far as its queue allows.
func (c *channel) catchUp(sub *subscriber) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.catchUpLocked(sub)
}

func (c *channel) catchUpLocked(sub *subscriber) {
	if !sub.registered {
		return
	}
	for sub.cursor < c.last {
		oldest := c.ring.oldest()
		if sub.cursor+1 < oldest {
			from := sub.from
			if from == "" {
				from = strconv.FormatUint(sub.cursor, 10)
			}
			data, _ := json.Marshal(struct {
				Missed uint64 `json:"missed"`
				From   string `json:"from"`
				Oldest string `json:"oldest"`
			}{oldest - 1 - sub.cursor, from, strconv.FormatUint(oldest, 10)})
			if !sub.send(&sse.Event{ID: strconv.AppendUint(nil, oldest-1, 10), Event: []byte("lost"), Data: data}) {
				sub.lagging.Store(true)
				return
			}
			c.stats.lost.Add(1)
			sub.cursor = oldest - 1
			sub.from = ""
			continue
		}
		rec := c.ring.get(sub.cursor + 1)
		if !sub.send(rec.event()) {
			sub.lagging.Store(true)
			return
		}
		sub.cursor = rec.id
		sub.from = ""
		c.stats.replayed.Add(1)
	}
	sub.from = ""
	sub.lagging.Store(false)
}

// heartbeat queues a heartbeat comment to every caught-up subscriber.
func (c *channel) heartbeat() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, sub := range c.subs {
		if sub.lagging.Load() {
			continue // its queue is full of events already
		}
		if sub.send(&sse.Event{Comment: []byte("heartbeat")}) {
			c.stats.heartbeats.Add(1)
		}
	}
}

// snapshotSubs returns the registered subscribers.
func (c *channel) snapshotSubs() []*subscriber {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*subscriber(nil), c.subs...)
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

// state returns the last id, the oldest id kept, the ring length and the
// number of subscribers.
func (c *channel) state() (last, oldest uint64, kept, subs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.ring.oldest(), c.ring.n, len(c.subs)
}
