package server

import (
	"net/http"
	"sync/atomic"

	"github.com/ssemon/ssemon/server/internal/hub"
)

// handleMetrics serves GET /metrics in the Prometheus text format (0.0.4).
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	m := hub.NewMetrics(w)
	defer m.Flush()
	names := make([]string, len(s.channels))
	ks := make([]*hub.Counters, len(s.channels))
	for i, ch := range s.channels {
		names[i], ks[i] = ch.info.Name, &ch.k
	}
	m.Counters(names, ks, true)
	state := func(f func(last, oldest uint64, kept int) uint64) func(int) uint64 {
		return func(i int) uint64 { last, oldest, kept, _ := s.channels[i].state(); return f(last, oldest, kept) }
	}
	counter := func(f func(ch *channel) *atomic.Uint64) func(int) uint64 {
		return func(i int) uint64 { return f(s.channels[i]).Load() }
	}
	m.PerChannel("ssemon_demo_last_event_id", "gauge", "Id of the last event published.", names,
		state(func(last, _ uint64, _ int) uint64 { return last }))
	m.PerChannel("ssemon_demo_ring_events", "gauge", "Events kept for replay (the channel's history).", names,
		state(func(_, _ uint64, kept int) uint64 { return uint64(kept) }))
	m.PerChannel("ssemon_demo_history_bytes", "gauge", "Memory of the channel's history (encoded events plus 64 bytes each).", names,
		func(i int) uint64 { _, _, _, _, b := s.channels[i].log.Bounds(); return uint64(b) })
	m.PerChannel("ssemon_demo_events_published_total", "counter", "Events published.", names,
		counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.published }))
	m.PerChannel("ssemon_demo_events_replayed_total", "counter", "Events sent that were published before the subscriber connected (resume, history).", names,
		counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.replayed }))
	m.PerChannel("ssemon_demo_subscriber_lagged_total", "counter", "Reads that found a full batch (QueueSize) waiting: the subscriber was behind, and reads on from its cursor.", names,
		counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.lagged }))
	m.PerChannel("ssemon_demo_injected_failures_total", "counter", "Stream requests answered with an injected status.", names,
		counter(func(ch *channel) *atomic.Uint64 { return &ch.stats.failed }))
	m.PerChannel("ssemon_demo_injected_failures_pending", "gauge", "Injected failures queued for the next stream requests (at most 100).", names,
		func(i int) uint64 {
			ch := s.channels[i]
			ch.mu.Lock()
			defer ch.mu.Unlock()
			return uint64(len(ch.failNext))
		})
	m.Rejected(s.hub, int64(s.unauthorized.Load()))
	m.One("ssemon_demo_ring_capacity", "gauge", "Events each channel keeps whatever their age (RingSize).", uint64(s.cfg.RingSize))
	m.One("ssemon_demo_history_seconds", "gauge", "Events younger than this are kept too (History), bytes permitting.", uint64(max(s.cfg.History, 0).Seconds()))
	m.One("ssemon_demo_history_bytes_capacity", "gauge", "Memory cap of each channel's history (HistoryBytes).", uint64(s.cfg.HistoryBytes))
	m.One("ssemon_demo_queue_capacity", "gauge", "Most events given to a subscriber in one write (QueueSize).", uint64(s.cfg.QueueSize))
	m.One("ssemon_demo_max_subscribers", "gauge", "Concurrent stream connections allowed (MaxSubscribers).", uint64(s.cfg.MaxSubscribers))
}
