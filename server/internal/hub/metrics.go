package hub

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
)

// Metrics writes the Prometheus text format (0.0.4).
type Metrics struct{ bw *bufio.Writer }

// NewMetrics sets the headers of a /metrics answer on w; call Flush at
// the end.
func NewMetrics(w http.ResponseWriter) *Metrics {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return &Metrics{bufio.NewWriter(w)}
}

// Flush writes what is buffered.
func (m *Metrics) Flush() { _ = m.bw.Flush() }

// Family writes the HELP and TYPE lines of a metric.
func (m *Metrics) Family(name, typ, help string) {
	m.bw.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

// Sample writes one sample; labels are name, value pairs.
func (m *Metrics) Sample(name string, v uint64, labels ...string) {
	m.bw.WriteString(name)
	for i := 0; i+1 < len(labels); i += 2 {
		if i == 0 {
			m.bw.WriteByte('{')
		} else {
			m.bw.WriteByte(',')
		}
		m.bw.WriteString(labels[i] + "=" + QuoteLabel(labels[i+1]))
	}
	if len(labels) > 0 {
		m.bw.WriteByte('}')
	}
	m.bw.WriteString(" " + strconv.FormatUint(v, 10) + "\n")
}

// One writes a metric with one unlabelled sample.
func (m *Metrics) One(name, typ, help string, v uint64) {
	m.Family(name, typ, help)
	m.Sample(name, v)
}

// PerChannel writes a metric with one sample per channel.
func (m *Metrics) PerChannel(name, typ, help string, names []string, value func(i int) uint64) {
	m.Family(name, typ, help)
	for i, n := range names {
		m.Sample(name, value(i), "channel", n)
	}
}

// Counters writes the series every server shares (names kept from the
// demo server): subscribers, connections, heartbeats, lost notices and
// subscribers dropped by reason (admin only when withAdmin).
func (m *Metrics) Counters(names []string, cs []*Counters, withAdmin bool) {
	u := func(f func(k *Counters) uint64) func(int) uint64 { return func(i int) uint64 { return f(cs[i]) } }
	m.PerChannel("ssemon_demo_subscribers", "gauge", "Connected stream subscribers (a multiplexed connection counts for each channel it carries).", names,
		u(func(k *Counters) uint64 { return uint64(max(k.Subscribers.Load(), 0)) }))
	m.PerChannel("ssemon_demo_connections_total", "counter", "Stream connections accepted.", names,
		u(func(k *Counters) uint64 { return k.Connections.Load() }))
	m.PerChannel("ssemon_demo_heartbeats_total", "counter", "Heartbeat comments written.", names,
		u(func(k *Counters) uint64 { return k.Heartbeats.Load() }))
	m.PerChannel("ssemon_demo_lost_notices_total", "counter", `"lost" events sent (history gone past the client's id, or an id that cannot be resumed).`, names,
		u(func(k *Counters) uint64 { return k.Lost.Load() }))
	m.Family("ssemon_demo_subscribers_dropped_total", "counter", "Subscribers dropped by the server.")
	for i, n := range names {
		if withAdmin {
			m.Sample("ssemon_demo_subscribers_dropped_total", cs[i].DroppedAdmin.Load(), "channel", n, "reason", "admin")
		}
		m.Sample("ssemon_demo_subscribers_dropped_total", cs[i].DroppedWrite.Load(), "channel", n, "reason", "write_timeout")
		m.Sample("ssemon_demo_subscribers_dropped_total", cs[i].DroppedShutdown.Load(), "channel", n, "reason", "shutdown")
	}
}

// Rejected writes the stream requests h refused, plus unauthorized ones
// (when counted by the caller; negative: not written).
func (m *Metrics) Rejected(h *Hub, unauthorized int64) {
	m.Family("ssemon_demo_requests_rejected_total", "counter", "Requests refused before streaming.")
	m.Sample("ssemon_demo_requests_rejected_total", h.RejectedFull.Load(), "reason", "max_subscribers")
	m.Sample("ssemon_demo_requests_rejected_total", h.RejectedClosed.Load(), "reason", "shutting_down")
	if unauthorized >= 0 {
		m.Sample("ssemon_demo_requests_rejected_total", uint64(unauthorized), "reason", "unauthorized")
	}
}

// QuoteLabel quotes a label value as the text format wants.
func QuoteLabel(v string) string {
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	return `"` + r.Replace(v) + `"`
}
