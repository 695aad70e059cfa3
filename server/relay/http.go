package relay

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ssemon/ssemon/server/internal/httpjson"
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
		e := entry{ChannelInfo: ch.info, URL: scheme + "://" + req.Host + ch.info.Path, Subscribers: ch.subs.Load()}
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
	r.mu.Lock()
	down := r.closed || r.draining
	n := len(r.subs)
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
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	chs := r.snapshotChannels()
	counter := func(f func(ch *channel) *atomic.Uint64) func(ch *channel) uint64 {
		return func(ch *channel) uint64 { return f(ch).Load() }
	}
	series := []struct {
		name, help, typ string
		value           func(ch *channel) uint64
	}{
		{"ssemon_demo_subscribers", "Connected stream subscribers.", "gauge",
			func(ch *channel) uint64 { return uint64(max(ch.subs.Load(), 0)) }},
		{"ssemon_demo_connections_total", "Stream connections accepted.", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.connections })},
		{"ssemon_demo_heartbeats_total", "Heartbeat comments written.", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.heartbeats })},
		{"ssemon_demo_lost_notices_total", `"lost" events sent (entries trimmed from Redis, or a Last-Event-ID ahead of the stream or invalid).`, "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.lost })},
		{"ssemon_demo_events_replayed_total", "Entries sent from Redis reads after the fact (resume older than the cache, lagging subscriber).", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.fromRedis })},
		{"ssemon_relay_entries_read_total", "Entries read by the channel's reader (one XREAD BLOCK connection per channel).", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.read })},
		{"ssemon_relay_cache_entries", "Entries kept in the channel's cache.", "gauge",
			func(ch *channel) uint64 { _, _, n := ch.cached(); return uint64(n) }},
		{"ssemon_relay_reader_errors_total", "Redis errors of the channel's reader (each followed by a backoff).", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.readerErrs })},
		{"ssemon_relay_reader_up", "1 while the channel's reader reads, 0 while it waits for Redis.", "gauge",
			func(ch *channel) uint64 {
				if ch.failing.Load() {
					return 0
				}
				return 1
			}},
		{"ssemon_relay_entries_repaired_total", "Entries whose event type had a line break or exceeded 256 bytes (cleaned).", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.repaired })},
		{"ssemon_relay_entries_oversize_total", "Entries over MaxEventBytes, sent as an oversize notice.", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.oversize })},
	}
	for _, m := range series {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.typ)
		for _, ch := range chs {
			fmt.Fprintf(bw, "%s{channel=%s} %d\n", m.name, quoteLabel(ch.name), m.value(ch))
		}
	}
	fmt.Fprintf(bw, "# HELP ssemon_demo_subscribers_dropped_total Subscribers dropped by the server.\n# TYPE ssemon_demo_subscribers_dropped_total counter\n")
	for _, ch := range chs {
		fmt.Fprintf(bw, "ssemon_demo_subscribers_dropped_total{channel=%s,reason=\"write_timeout\"} %d\n", quoteLabel(ch.name), ch.stats.droppedW.Load())
		fmt.Fprintf(bw, "ssemon_demo_subscribers_dropped_total{channel=%s,reason=\"shutdown\"} %d\n", quoteLabel(ch.name), ch.stats.droppedS.Load())
	}
	fmt.Fprintf(bw, "# HELP ssemon_demo_requests_rejected_total Requests refused before streaming.\n# TYPE ssemon_demo_requests_rejected_total counter\n")
	fmt.Fprintf(bw, "ssemon_demo_requests_rejected_total{reason=\"max_subscribers\"} %d\n", r.rejectedFull.Load())
	fmt.Fprintf(bw, "ssemon_demo_requests_rejected_total{reason=\"shutting_down\"} %d\n", r.rejectedClosed.Load())
	r.mu.Lock()
	skipName, skipCap := r.skipName, r.skipCap
	r.mu.Unlock()
	up := 1
	if r.discoverFailing.Load() {
		up = 0
	}
	gauges := []struct {
		name, help string
		v          uint64
	}{
		{"ssemon_relay_channels", "Channels served (Redis streams found).", uint64(len(chs))},
		{"ssemon_relay_max_channels", "Channels allowed (MaxChannels).", uint64(r.cfg.MaxChannels)},
		{"ssemon_relay_streams_skipped_name", "Matching stream keys not served in the last discovery: not a valid channel name.", uint64(skipName)},
		{"ssemon_relay_streams_skipped_max_channels", "Matching stream keys not served in the last discovery: MaxChannels reached.", uint64(skipCap)},
		{"ssemon_relay_discovery_up", "1 when the last discovery (SCAN) succeeded.", uint64(up)},
		{"ssemon_relay_cache_capacity", "Entries each channel caches (CacheSize).", uint64(r.cfg.CacheSize)},
		{"ssemon_demo_max_subscribers", "Concurrent stream connections allowed (MaxSubscribers).", uint64(r.cfg.MaxSubscribers)},
	}
	for _, g := range gauges {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", g.name, g.help, g.name, g.name, g.v)
	}
	counters := []struct {
		name, help string
		v          uint64
	}{
		{"ssemon_relay_redis_errors_total", "Redis command errors (readers, discovery, resume reads, lookups).", r.redisErrs.Load()},
		{"ssemon_relay_lookups_total", "Requests for a stream not discovered yet, looked up in Redis.", r.lookups.Load()},
	}
	for _, c := range counters {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", c.name, c.help, c.name, c.name, c.v)
	}
}

// quoteLabel quotes a label value as the text format wants.
func quoteLabel(v string) string {
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	return `"` + r.Replace(v) + `"`
}
