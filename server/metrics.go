package server

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
)

// handleMetrics serves GET /metrics in the Prometheus text format (0.0.4).
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriter(w)
	defer bw.Flush()

	type perChannel struct {
		name, help, typ string
		value           func(ch *channel) uint64
	}
	gauge := func(f func(ch *channel) int) func(ch *channel) uint64 {
		return func(ch *channel) uint64 { return uint64(f(ch)) }
	}
	counter := func(f func(ch *channel) *atomic.Uint64) func(ch *channel) uint64 {
		return func(ch *channel) uint64 { return f(ch).Load() }
	}
	series := []perChannel{
		{"ssemon_demo_subscribers", "Connected stream subscribers.", "gauge",
			gauge(func(ch *channel) int { _, _, _, n := ch.state(); return n })},
		{"ssemon_demo_last_event_id", "Id of the last event published.", "gauge",
			func(ch *channel) uint64 { last, _, _, _ := ch.state(); return last }},
		{"ssemon_demo_ring_events", "Events kept for replay.", "gauge",
			gauge(func(ch *channel) int { _, _, kept, _ := ch.state(); return kept })},
		{"ssemon_demo_events_published_total", "Events published.", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.published })},
		{"ssemon_demo_events_replayed_total", "Events sent from the ring after the fact (resume, history, catch-up of a lagging subscriber).", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.replayed })},
		{"ssemon_demo_lost_notices_total", `"lost" events sent to subscribers older than the ring (or ahead of the server).`, "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.lost })},
		{"ssemon_demo_subscriber_lagged_total", "Times a subscriber's queue was full (it is then caught up from the ring).", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.lagged })},
		{"ssemon_demo_connections_total", "Stream connections accepted.", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.connections })},
		{"ssemon_demo_heartbeats_total", "Heartbeat comments queued.", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.heartbeats })},
		{"ssemon_demo_injected_failures_total", "Stream requests answered with an injected status.", "counter",
			counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.failed })},
		{"ssemon_demo_injected_failures_pending", "Injected failures queued for the next stream requests (at most 100).", "gauge",
			gauge(func(ch *channel) int { ch.mu.Lock(); defer ch.mu.Unlock(); return len(ch.failNext) })},
	}
	for _, m := range series {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.typ)
		for _, ch := range s.channels {
			fmt.Fprintf(bw, "%s{channel=%s} %d\n", m.name, quoteLabel(ch.info.Name), m.value(ch))
		}
	}
	fmt.Fprintf(bw, "# HELP ssemon_demo_subscribers_dropped_total Subscribers dropped by the server.\n# TYPE ssemon_demo_subscribers_dropped_total counter\n")
	for _, ch := range s.channels {
		for _, d := range []struct {
			reason string
			v      *atomic.Uint64
		}{{"admin", &ch.stats.droppedAdmin}, {"write_timeout", &ch.stats.droppedWrite}, {"shutdown", &ch.stats.droppedStalled}} {
			fmt.Fprintf(bw, "ssemon_demo_subscribers_dropped_total{channel=%s,reason=%q} %d\n", quoteLabel(ch.info.Name), d.reason, d.v.Load())
		}
	}
	fmt.Fprintf(bw, "# HELP ssemon_demo_requests_rejected_total Requests refused before streaming.\n# TYPE ssemon_demo_requests_rejected_total counter\n")
	fmt.Fprintf(bw, "ssemon_demo_requests_rejected_total{reason=\"max_subscribers\"} %d\n", s.rejectedFull.Load())
	fmt.Fprintf(bw, "ssemon_demo_requests_rejected_total{reason=\"shutting_down\"} %d\n", s.rejectedClosed.Load())
	fmt.Fprintf(bw, "ssemon_demo_requests_rejected_total{reason=\"unauthorized\"} %d\n", s.unauthorized.Load())
	caps := []struct {
		name, help string
		v          int
	}{
		{"ssemon_demo_ring_capacity", "Events each channel keeps for replay (RingSize).", s.cfg.RingSize},
		{"ssemon_demo_queue_capacity", "Per-subscriber queue (QueueSize).", s.cfg.QueueSize},
		{"ssemon_demo_max_subscribers", "Concurrent stream connections allowed (MaxSubscribers).", s.cfg.MaxSubscribers},
	}
	for _, c := range caps {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", c.name, c.help, c.name, c.name, c.v)
	}
}

// quoteLabel quotes a label value as the text format wants.
func quoteLabel(v string) string {
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	return `"` + r.Replace(v) + `"`
}
