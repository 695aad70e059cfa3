package relay

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	policy "github.com/ssemon/ssemon/client/backoff"
	"github.com/ssemon/ssemon/server/internal/hub"
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

// channelStats are a channel's counters besides the serving layer's,
// exported on /metrics.
type channelStats struct {
	read       atomic.Uint64 // entries read by the reader
	fromRedis  atomic.Uint64 // entries sent to subscribers from Redis reads (resume, lag)
	readerErrs atomic.Uint64 // reader errors (each followed by a backoff)
	repaired   atomic.Uint64 // entries whose event type had to be cleaned
	oversize   atomic.Uint64 // entries replaced by an "oversize" notice
}

// channel is one Redis stream: its reader's position and a cache of the
// most recent entries (a hub.Log, whose keys are the entry ids).
// Subscribers read the cache from their own cursor and are woken at each
// batch the reader appends, so the reader never waits for anyone.
type channel struct {
	r    *Relay
	name string
	info ChannelInfo

	stats   channelStats
	k       hub.Counters
	failing atomic.Bool
	cache   *hub.Log
	seen    *idIndex      // the ids read, for exact lost counts
	ready   chan struct{} // closed once the reader has found its starting position
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
		seen:  newIDIndex(r.cfg.IndexSize),
		ready: make(chan struct{}),
		cache: hub.NewLog(hub.LogConfig{Keep: r.cfg.CacheSize, MaxEvents: r.cfg.CacheSize, MaxBytes: r.cfg.CacheBytes, Clock: r.cfg.Clock, Waker: r.hub.Waker()}, hub.Key{}),
	}
}

func key(id ID) hub.Key    { return hub.Key{Hi: id.Ms, Lo: id.Seq} }
func fromKey(k hub.Key) ID { return ID{Ms: k.Hi, Seq: k.Lo} }

// position returns the reader's position (the last entry read) and the
// start of the cache (every entry after it up to the position is cached).
func (c *channel) position() (last, base ID, ready bool) {
	b, _, l, _, _ := c.cache.Bounds()
	return fromKey(l), fromKey(b), c.isReady()
}

// isReady reports whether the reader has found its starting position.
func (c *channel) isReady() bool {
	select {
	case <-c.ready:
		return true
	default:
		return false
	}
}

// waitReady waits until the reader has found its starting position, at
// most d; it reports whether it has.
func (c *channel) waitReady(ctx context.Context, d time.Duration) bool {
	if c.isReady() {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	select {
	case <-c.ready:
		return true
	case <-ctx.Done():
		return false
	}
}

// cached returns the ids of the cache's oldest and newest entries and
// their count.
func (c *channel) cached() (oldest, newest ID, n int) {
	_, o, l, n, _ := c.cache.Bounds()
	if n == 0 {
		return ID{}, ID{}, 0
	}
	return fromKey(o), fromKey(l), n
}

// run is the channel's reader: one XREAD BLOCK after another on the
// readers' pool (one connection), from the last id read, until ctx ends.
// On a Redis error it backs off and reads again from the same id: nothing
// added meanwhile is missed.
func (c *channel) run(ctx context.Context) {
	bo := c.r.newBackoff()
	var keys []hub.Key
	var ids []ID
	var frames [][]byte
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
			c.seen.reset(info.lastGenerated)
			c.cache.Reset(key(info.lastGenerated))
			if !c.isReady() { // only this goroutine closes it
				close(c.ready)
			}
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
		keys, ids, frames = keys[:0], ids[:0], frames[:0]
		for _, m := range res[0].Messages {
			id, err := ParseID(m.ID)
			if err != nil || !last.Less(id) {
				continue // never sent by Redis; kept out of the cache's order
			}
			keys = append(keys, key(id))
			ids = append(ids, id)
			frames = append(frames, c.encode(id, m.Values))
			last = id
		}
		c.stats.read.Add(uint64(len(keys)))
		c.seen.add(ids) // before the cache: a subscriber behind it finds them counted
		c.cache.Append(keys, frames)
		clear(frames)
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
func (c *channel) encode(id ID, fields map[string]any) []byte {
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
	return appendFrame(nil, &ev)
}

// OversizeEventType is the type of the event sent in place of an entry
// whose data exceeds Config.MaxEventBytes.
const OversizeEventType = "oversize"

func oversizeEvent(id ID, typ string, size, limit int) Event {
	return Event{ID: id, Type: OversizeEventType, Data: `{"id":"` + id.String() + `","type":` + strconv.Quote(typ) +
		`,"bytes":` + strconv.Itoa(size) + `,"limit":` + strconv.Itoa(limit) +
		`,"message":"entry too large to relay; read it from Redis with XRANGE"}`}
}

// backoff is the relay's wait between attempts to reach Redis: the
// engine's policy (client/backoff) between MinBackoff and MaxBackoff,
// doubling with jitter, on the relay's clock.
type backoff struct {
	r *Relay
	n int // consecutive failures
}

func (r *Relay) newBackoff() *backoff { return &backoff{r: r} }

func (b *backoff) reset() { b.n = 0 }

// next returns the wait after one more failure.
func (b *backoff) next() time.Duration {
	b.n++
	return policy.Policy{Base: b.r.cfg.MinBackoff, Max: b.r.cfg.MaxBackoff}.Delay(b.n, rand.Int64N)
}

// wait sleeps the next backoff; false means ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	t := b.r.cfg.Clock.NewTimer(b.next())
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	}
}
