package relay

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ChannelInfo describes one channel of a Relay, in the shape of the demo
// server's channel index.
type ChannelInfo struct {
	// Name is the channel name: the Redis stream key.
	Name string `json:"name"`
	// Description says where the events come from.
	Description string `json:"description"`
	// Scenario is "redis".
	Scenario string `json:"scenario"`
	// Path is the stream's URL path, "/api/stream/" + Name.
	Path string `json:"path"`
}

// record is one relayed entry, encoded once and shared (read-only) by
// every subscriber's writes.
type record struct {
	id    ID
	frame []byte
}

// channelStats are a channel's counters, exported on /metrics.
type channelStats struct {
	read        atomic.Uint64 // entries read by the reader
	fromRedis   atomic.Uint64 // entries sent to subscribers from Redis reads (resume, lag)
	lost        atomic.Uint64 // "lost" notices sent
	connections atomic.Uint64 // stream connections accepted
	heartbeats  atomic.Uint64 // heartbeat comments written
	readerErrs  atomic.Uint64 // reader errors (each followed by a backoff)
	repaired    atomic.Uint64 // entries whose event type had to be cleaned
	oversize    atomic.Uint64 // entries replaced by an "oversize" notice
	droppedW    atomic.Uint64 // subscribers dropped: write timed out
	droppedS    atomic.Uint64 // subscribers cut at shutdown after the grace period
}

// channel is one Redis stream: its reader's position, a cache of the most
// recent entries and the count of its subscribers. Subscribers pull from
// the cache when wake is closed (one broadcast per batch read), so the
// reader never waits for anyone and there is no per-subscriber queue.
type channel struct {
	r    *Relay
	name string
	info ChannelInfo

	stats   channelStats
	subs    atomic.Int64
	failing atomic.Bool

	mu    sync.RWMutex
	ring  []*record
	start int // index of the oldest record
	n     int
	bytes int64
	base  ID   // every entry after base up to last is in the ring
	last  ID   // the reader's position: the last entry read
	ready bool // the reader has found its starting position
	wake  chan struct{}
}

func newChannel(r *Relay, name string) *channel {
	return &channel{
		r:    r,
		name: name,
		info: ChannelInfo{
			Name:        name,
			Description: "Redis stream " + name,
			Scenario:    "redis",
			Path:        "/api/stream/" + url.PathEscape(name),
		},
		ring: make([]*record, r.cfg.CacheSize),
		wake: make(chan struct{}),
	}
}

// at returns the i-th record kept, 0 being the oldest. Caller holds mu.
func (c *channel) at(i int) *record { return c.ring[(c.start+i)%len(c.ring)] }

// recordOverhead is the memory of a cached record besides its frame.
const recordOverhead = 64

// push appends rec to the cache, evicting the oldest records past the
// caps. Caller holds mu for writing.
func (c *channel) push(rec *record) {
	size := int64(len(rec.frame)) + recordOverhead
	for c.n > 0 && (c.n == len(c.ring) || c.bytes+size > c.r.cfg.CacheBytes) {
		old := c.ring[c.start]
		c.ring[c.start] = nil
		c.start = (c.start + 1) % len(c.ring)
		c.n--
		c.bytes -= int64(len(old.frame)) + recordOverhead
		c.base = old.id
	}
	c.ring[(c.start+c.n)%len(c.ring)] = rec
	c.n++
	c.bytes += size
	c.last = rec.id
}

// broadcast wakes every subscriber waiting on the channel. Caller holds mu
// for writing.
func (c *channel) broadcast() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// collect appends to dst the frames of the cached entries after cursor,
// at most max, and returns them with the id of the last one. behind
// reports that cursor is older than the cache (the entries after it must
// be read from Redis); ready is false until the reader has positioned
// itself. wake is closed when more entries arrive.
func (c *channel) collect(cursor ID, dst [][]byte, max int) (frames [][]byte, next ID, behind, ready bool, wake <-chan struct{}) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.ready {
		return dst, cursor, false, false, c.wake
	}
	if cursor.Less(c.base) {
		return dst, cursor, true, true, c.wake
	}
	i := sort.Search(c.n, func(i int) bool { return cursor.Less(c.at(i).id) })
	next = cursor
	for ; i < c.n && len(dst) < max; i++ {
		rec := c.at(i)
		dst = append(dst, rec.frame)
		next = rec.id
	}
	return dst, next, false, true, c.wake
}

// position returns the reader's position and the start of the cache.
func (c *channel) position() (last, base ID, ready bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.last, c.base, c.ready
}

// cached returns the ids of the cache's oldest and newest records and
// their count.
func (c *channel) cached() (oldest, newest ID, n int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.n == 0 {
		return ID{}, ID{}, 0
	}
	return c.at(0).id, c.at(c.n - 1).id, c.n
}

// historyStart returns the position from which the last n entries are
// sent, when the cache holds them.
func (c *channel) historyStart(n int) (ID, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.ready || n > c.n {
		return ID{}, false
	}
	if n == 0 {
		return c.last, true
	}
	return c.at(c.n - n).id.Prev(), true
}

// run is the channel's reader: one XREAD BLOCK after another on the
// readers' pool (one connection), from the last id read, until ctx ends.
// On a Redis error it backs off and reads again from the same id: nothing
// added meanwhile is missed.
func (c *channel) run(ctx context.Context) {
	bo := c.r.newBackoff()
	var buf []*record
	for ctx.Err() == nil {
		last, _, ready := c.position()
		if !ready {
			info, err := c.r.streamInfo(ctx, c.name)
			if err != nil {
				if c.readerFailed(ctx, err, bo) {
					continue
				}
				return
			}
			c.mu.Lock()
			c.base, c.last, c.ready = info.lastGenerated, info.lastGenerated, true
			c.broadcast()
			c.mu.Unlock()
			continue
		}
		res, err := c.r.readers.XRead(ctx, &redis.XReadArgs{
			Streams: []string{c.name, last.String()},
			Count:   int64(c.r.cfg.Batch),
			Block:   c.r.cfg.Block,
		}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			if c.readerFailed(ctx, err, bo) {
				continue
			}
			return
		}
		bo.reset()
		if c.failing.Swap(false) {
			c.r.log.Info("Redis reachable again: reading", "channel", c.name, "from", last.String())
		}
		if len(res) == 0 || len(res[0].Messages) == 0 {
			continue
		}
		buf = buf[:0]
		for _, m := range res[0].Messages {
			id, err := ParseID(m.ID)
			if err != nil || !last.Less(id) {
				continue // never sent by Redis; kept out of the cache's order
			}
			buf = append(buf, c.encode(id, m.Values))
			last = id
		}
		c.stats.read.Add(uint64(len(buf)))
		c.mu.Lock()
		for _, rec := range buf {
			if c.last.Less(rec.id) {
				c.push(rec)
			}
		}
		c.broadcast()
		c.mu.Unlock()
		clear(buf)
	}
}

// readerFailed records a reader error and waits the backoff; false means
// ctx ended.
func (c *channel) readerFailed(ctx context.Context, err error, bo *backoff) bool {
	if ctx.Err() != nil {
		return false
	}
	c.stats.readerErrs.Add(1)
	c.r.noteRedisErr(err)
	if !c.failing.Swap(true) {
		c.r.log.Warn("Redis unavailable: reader backing off; subscribers stay connected", "channel", c.name, "err", err)
	}
	return bo.wait(ctx)
}

// encode maps an entry to its frame, with the caps applied.
func (c *channel) encode(id ID, fields map[string]any) *record {
	ev := EntryEvent(id, fields)
	if t, changed := cleanType(ev.Type); changed {
		ev.Type = t
		c.stats.repaired.Add(1)
	}
	if len(ev.Data) > c.r.cfg.MaxEventBytes {
		c.stats.oversize.Add(1)
		c.r.log.Warn("entry too large to relay: sent as an oversize notice", "channel", c.name, "id", id.String(),
			"bytes", len(ev.Data), "limit", c.r.cfg.MaxEventBytes)
		ev = oversizeEvent(id, ev.Type, len(ev.Data), c.r.cfg.MaxEventBytes)
	}
	return &record{id: id, frame: appendFrame(nil, &ev)}
}

// OversizeEventType is the type of the event sent in place of an entry
// whose data exceeds Config.MaxEventBytes.
const OversizeEventType = "oversize"

func oversizeEvent(id ID, typ string, size, limit int) Event {
	return Event{ID: id, Type: OversizeEventType, Data: `{"id":"` + id.String() + `","type":` + strconv.Quote(typ) +
		`,"bytes":` + strconv.Itoa(size) + `,"limit":` + strconv.Itoa(limit) +
		`,"message":"entry too large to relay; read it from Redis with XRANGE"}`}
}

// backoff is a doubling wait with jitter between MinBackoff and
// MaxBackoff, on the relay's clock.
type backoff struct {
	r    *Relay
	next time.Duration
}

func (r *Relay) newBackoff() *backoff { return &backoff{r: r, next: r.cfg.MinBackoff} }

func (b *backoff) reset() { b.next = b.r.cfg.MinBackoff }

// wait sleeps the next backoff (between half and all of it); false means
// ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	d := b.next/2 + rand.N(b.next/2+1)
	b.next = min(b.next*2, b.r.cfg.MaxBackoff)
	t := b.r.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}
