package relay

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ssemon/ssemon/server/internal/httpjson"
	"github.com/ssemon/ssemon/server/internal/hub"
)

// handleChannels serves GET /api/channels: the demo server's index, with
// what Redis says about each stream (one pipelined XINFO STREAM per
// request; when Redis is unavailable the relay's own view is given and
// "redis" says why).
func (r *Relay) handleChannels(w http.ResponseWriter, req *http.Request) {
	type entry struct {
		ChannelInfo
		URL         string `json:"url"`
		Subscribers int64  `json:"subscribers"`
		LastID      string `json:"last_id"`
		OldestID    string `json:"oldest_id"`
		Length      *int64 `json:"length,omitempty"`
	}
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	}
	chs := r.snapshotChannels()
	infos, err := r.pipelineInfo(req.Context(), chs)
	out := struct {
		Channels []entry `json:"channels"`
		Source   string  `json:"source"`
		Pattern  string  `json:"pattern"`
		Redis    string  `json:"redis,omitempty"`
	}{Channels: make([]entry, 0, len(chs)), Source: r.source, Pattern: r.cfg.Streams}
	if err != nil {
		out.Redis = "unavailable: " + err.Error()
	}
	for i, ch := range chs {
		last, _, ready := ch.position()
		oldest, _, n := ch.cached()
		e := entry{ChannelInfo: ch.info, URL: scheme + "://" + req.Host + ch.info.Path, Subscribers: ch.k.Subscribers.Load()}
		if ready {
			e.LastID = last.String()
		}
		if n > 0 {
			e.OldestID = oldest.String()
		}
		if infos != nil {
			in := infos[i]
			if in.exists {
				e.Length = &in.length
				e.LastID = in.lastGenerated.String()
			}
			e.OldestID = ""
			if in.hasFirst {
				e.OldestID = in.first.String()
			}
		}
		out.Channels = append(out.Channels, e)
	}
	httpjson.Write(w, http.StatusOK, out)
}

// pipelineInfo runs XINFO STREAM for every channel in one round trip.
func (r *Relay) pipelineInfo(ctx context.Context, chs []*channel) ([]streamInfo, error) {
	if len(chs) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, min(r.cfg.RedisTimeout, 2*time.Second))
	defer cancel()
	pipe := r.rdb.Pipeline()
	for _, ch := range chs {
		pipe.Do(ctx, "XINFO", "STREAM", ch.name)
	}
	cmds, _ := pipe.Exec(ctx)
	out := make([]streamInfo, len(chs))
	for i, c := range cmds {
		v, err := c.(interface{ Slice() ([]any, error) }).Slice()
		switch {
		case err != nil && isNoSuchKey(err):
		case err != nil:
			r.noteRedisErr(err)
			return nil, err
		default:
			if out[i], err = parseStreamInfo(v); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// health reports whether Redis is reachable (a PING, and no reader or
// discovery failing) and the latest error.
func (r *Relay) health(ctx context.Context) (bool, string) {
	failing := r.discoverFailing.Load()
	for _, ch := range r.snapshotChannels() {
		failing = failing || ch.failing.Load()
	}
	ctx, cancel := context.WithTimeout(ctx, min(r.cfg.RedisTimeout, time.Second))
	defer cancel()
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		r.noteRedisErr(err)
		return false, err.Error()
	}
	if failing {
		if p := r.lastErr.Load(); p != nil {
			return false, *p
		}
		return false, "recovering"
	}
	return true, ""
}

// handleHealth serves GET /healthz: 200 "ok", 200 "degraded" while Redis
// is unavailable (subscribers stay connected and are resumed once it is
// back, so a load balancer should keep sending them), 503 "shutting down".
func (r *Relay) handleHealth(w http.ResponseWriter, req *http.Request) {
	down, n := r.hub.Down(), r.hub.Subscribers()
	r.mu.Lock()
	channels := len(r.channels)
	r.mu.Unlock()
	ok, why := r.health(req.Context())
	status, word := http.StatusOK, "ok"
	switch {
	case down:
		status, word = http.StatusServiceUnavailable, "shutting down"
	case !ok:
		word = "degraded"
	}
	httpjson.Write(w, status, struct {
		Status      string `json:"status"`
		Channels    int    `json:"channels"`
		Subscribers int    `json:"subscribers"`
		Source      string `json:"source"`
		Redis       string `json:"redis"`
		Error       string `json:"error,omitempty"`
	}{word, channels, n, r.source, map[bool]string{true: "ok", false: "unavailable"}[ok], why})
}

// handleMetrics serves GET /metrics in the Prometheus text format (0.0.4).
// Series shared with the demo server keep its names.
func (r *Relay) handleMetrics(w http.ResponseWriter, req *http.Request) {
	m := hub.NewMetrics(w)
	defer m.Flush()
	chs := r.snapshotChannels()
	names := make([]string, len(chs))
	ks := make([]*hub.Counters, len(chs))
	for i, ch := range chs {
		names[i], ks[i] = ch.name, &ch.k
	}
	m.Counters(names, ks, false)
	counter := func(f func(ch *channel) *atomic.Uint64) func(int) uint64 {
		return func(i int) uint64 { return f(chs[i]).Load() }
	}
	m.PerChannel("ssemon_demo_events_replayed_total", "counter", "Entries sent from Redis reads after the fact (resume older than the cache, lagging subscriber).", names,
		counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.fromRedis }))
	m.PerChannel("ssemon_relay_entries_read_total", "counter", "Entries read by the channel's reader (one XREAD BLOCK connection per channel).", names,
		counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.read }))
	m.PerChannel("ssemon_relay_cache_entries", "gauge", "Entries kept in the channel's cache.", names,
		func(i int) uint64 { _, _, n := chs[i].cached(); return uint64(n) })
	m.PerChannel("ssemon_relay_reader_errors_total", "counter", "Redis errors of the channel's reader (each followed by a backoff).", names,
		counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.readerErrs }))
	m.PerChannel("ssemon_relay_reader_up", "gauge", "1 while the channel's reader reads, 0 while it waits for Redis.", names,
		func(i int) uint64 {
			if chs[i].failing.Load() {
				return 0
			}
			return 1
		})
	m.PerChannel("ssemon_relay_entries_repaired_total", "counter", "Entries whose event type had a line break or exceeded 256 bytes (cleaned).", names,
		counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.repaired }))
	m.PerChannel("ssemon_relay_entries_oversize_total", "counter", "Entries over MaxEventBytes, sent as an oversize notice.", names,
		counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.oversize }))
	m.Rejected(r.hub, -1)
	r.mu.Lock()
	skipName, skipCap := r.skipName, r.skipCap
	r.mu.Unlock()
	up := uint64(1)
	if r.discoverFailing.Load() {
		up = 0
	}
	m.One("ssemon_relay_channels", "gauge", "Channels served (Redis streams found).", uint64(len(chs)))
	m.One("ssemon_relay_max_channels", "gauge", "Channels allowed (MaxChannels).", uint64(r.cfg.MaxChannels))
	m.One("ssemon_relay_streams_skipped_name", "gauge", "Matching stream keys not served in the last discovery: not a valid channel name.", uint64(skipName))
	m.One("ssemon_relay_streams_skipped_max_channels", "gauge", "Matching stream keys not served in the last discovery: MaxChannels reached.", uint64(skipCap))
	m.One("ssemon_relay_discovery_up", "gauge", "1 when the last discovery (SCAN) succeeded.", up)
	m.One("ssemon_relay_cache_capacity", "gauge", "Entries each channel caches (CacheSize).", uint64(r.cfg.CacheSize))
	m.One("ssemon_demo_max_subscribers", "gauge", "Concurrent stream connections allowed (MaxSubscribers).", uint64(r.cfg.MaxSubscribers))
	m.One("ssemon_relay_redis_errors_total", "counter", "Redis command errors (readers, discovery, resume reads, lookups).", r.redisErrs.Load())
	m.One("ssemon_relay_lookups_total", "counter", "Requests for a stream not discovered yet, looked up in Redis.", r.lookups.Load())
}
