package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ssemon/ssemon/server/internal/httpjson"
	"github.com/ssemon/ssemon/server/internal/hub"
)

// targets returns the channels a fault applies to: every channel for "",
// the named one, or none for an unknown name.
func (s *Server) targets(name string) []*channel {
	if name == "" {
		return s.channels
	}
	if ch := s.byName[name]; ch != nil {
		return []*channel{ch}
	}
	return nil
}

// conns returns the connections carrying ch.
func (s *Server) conns(ch *channel) []*hub.Conn {
	var out []*hub.Conn
	for _, c := range s.hub.Conns() {
		if c.Carries(&ch.k) {
			out = append(out, c)
		}
	}
	return out
}

// Drop cuts every connection of channel ("" = all channels) without a clean
// end of stream, as a network failure would, and returns how many it cut.
// Clients reconnect and resume with Last-Event-ID.
func (s *Server) Drop(channel string) int {
	n := 0
	for _, ch := range s.targets(channel) {
		for _, c := range s.conns(ch) {
			c.Abort()
			ch.k.DroppedAdmin.Add(1)
			n++
		}
	}
	s.log.Info("fault: drop", "channel", channel, "dropped", n)
	return n
}

// Stall stops writing to the connections channel ("" = all channels) has
// now, for d (at most MaxFaultDuration), without closing them: no events,
// no heartbeats. Events published meanwhile are delivered afterwards (from
// the ring, with a lost notice if it moved past them). Connections made
// during the stall are not stalled. d <= 0 does nothing.
func (s *Server) Stall(channel string, d time.Duration) {
	if d <= 0 {
		return
	}
	d = min(d, MaxFaultDuration)
	stall := make(chan struct{})
	n := 0
	for _, ch := range s.targets(channel) {
		for _, c := range s.conns(ch) {
			if m, ok := c.Tag().(*muxFollower); ok {
				m.hold(ch, stall) // that channel only, not the others on the connection
			} else {
				c.Hold(stall)
			}
			n++
		}
	}
	s.log.Info("fault: stall", "channel", channel, "for", d, "connections", n)
	release := func() {
		close(stall)
		s.poke() // multiplexed streams read the released channels again
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		release()
		return
	}
	s.bg.Add(1)
	s.mu.Unlock()
	t := s.cfg.Clock.NewTimer(d)
	go func() {
		defer s.bg.Done()
		defer t.Stop()
		select {
		case <-t.C():
		case <-s.stop:
		}
		release()
	}()
}

// Burst publishes n events (at most MaxBurst) of type "burst" on channel
// ("" = all channels) at once: data {"channel","timestamp","seq","of","message"}.
func (s *Server) Burst(channel string, n int) {
	n = min(n, MaxBurst)
	if n <= 0 {
		return
	}
	for _, ch := range s.targets(channel) {
		const chunk = 256
		msgs := make([]message, 0, min(n, chunk))
		for i := 1; i <= n; i++ {
			ts := s.cfg.Clock.Now().UnixMilli()
			data := fmt.Appendf(nil, `{"channel":%q,"timestamp":%d,"seq":%d,"of":%d,"message":"burst %d of %d"}`, ch.info.Name, ts, i, n, i, n)
			msgs = append(msgs, message{typ: "burst", data: data})
			if len(msgs) == chunk || i == n {
				ch.publish(msgs...)
				msgs = msgs[:0]
			}
		}
	}
	s.log.Info("fault: burst", "channel", channel, "n", n)
}

// malformedComment is written inside the malformed frame, after its data:
// a comment, an unknown field and a line without a colon. A conforming
// client ignores these lines and dispatches the event, whose data is
// truncated JSON.
const malformedComment = "malformed frame injected by ssemon-demo\nx-ssemon-bogus: 1\nthis line has no colon"

// Malformed publishes one malformed frame on channel ("" = all channels):
// a status_update event whose data is truncated JSON, carrying an unknown
// field and a line without a colon. It takes an id like any event and is
// replayed like any event.
func (s *Server) Malformed(channel string) {
	for _, ch := range s.targets(channel) {
		ts := s.cfg.Clock.Now().UnixMilli()
		data := fmt.Appendf(nil, `{"channel":%q,"timestamp":%d,"progress":`, ch.info.Name, ts)
		ch.publish(message{typ: "status_update", data: data, comment: malformedComment})
	}
	s.log.Info("fault: malformed frame", "channel", channel)
}

// SetRetry sets the reconnection delay of channel ("" = all channels): it
// is sent as "retry:" to every new connection, and to the connected ones
// in an event of type "retry" (data {"channel","timestamp","retry_ms","message"}).
// d must be between 0 and MaxFaultDuration; other values do nothing.
func (s *Server) SetRetry(channel string, d time.Duration) {
	if d < 0 || d > MaxFaultDuration {
		return
	}
	for _, ch := range s.targets(channel) {
		ch.mu.Lock()
		ch.retry = d
		ch.mu.Unlock()
		ts := s.cfg.Clock.Now().UnixMilli()
		data := fmt.Appendf(nil, `{"channel":%q,"timestamp":%d,"retry_ms":%d,"message":"retry set to %v"}`, ch.info.Name, ts, d.Milliseconds(), d)
		ch.publish(message{typ: "retry", data: data, retry: d, hasRetry: true})
	}
	s.log.Info("fault: retry", "channel", channel, "retry", d)
}

// validFailStatus reports whether FailNext accepts status: 204 (which tells
// an EventSource to stop) or 400–599.
func validFailStatus(status int) bool {
	return status == http.StatusNoContent || (status >= 400 && status <= 599)
}

// FailNext makes the next stream request for channel ("" = every channel)
// be answered with status (204, or 400–599; others do nothing) and a JSON
// error body. Calls queue up, at most MaxFailNext per channel.
func (s *Server) FailNext(channel string, status int) {
	if !validFailStatus(status) {
		return
	}
	for _, ch := range s.targets(channel) {
		ch.mu.Lock()
		full := len(ch.failNext) >= MaxFailNext
		if !full {
			ch.failNext = append(ch.failNext, status)
		}
		ch.mu.Unlock()
		if full {
			s.log.Warn("fault: fail next refused: queue full", "channel", ch.info.Name, "limit", MaxFailNext)
		}
	}
	s.log.Info("fault: fail next", "channel", channel, "status", status)
}

// faultRequest is the body of POST /admin/fault.
type faultRequest struct {
	Action   string `json:"action"`
	Channel  string `json:"channel"`
	Duration string `json:"duration"`
	N        int    `json:"n"`
	Status   int    `json:"status"`
	Retry    string `json:"retry"`
}

// adminAllowed applies the admin access rule: with a token configured, the
// token (already checked by the middleware) from anywhere; without one,
// loopback clients only, and not through a proxy. Cross-origin browser
// requests are refused unless their origin is allowed by CORSOrigins.
func (s *Server) adminAllowed(r *http.Request) (bool, string) {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		same := o == "http://"+r.Host || o == "https://"+r.Host
		if !same && !s.originAllowed(o) {
			return false, "cross-origin admin request refused"
		}
	}
	if s.cfg.Token != "" {
		return true, ""
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false, "admin is loopback-only without a token, and this request came through a proxy"
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return false, "admin is loopback-only without a token"
	}
	return true, ""
}

// handleFault serves POST /admin/fault.
func (s *Server) handleFault(w http.ResponseWriter, r *http.Request) {
	if ok, why := s.adminAllowed(r); !ok {
		httpjson.Error(w, http.StatusForbidden, why, "configure a token and send it, or call from 127.0.0.1")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	var req faultRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			httpjson.Error(w, http.StatusBadRequest, "invalid JSON body: "+err.Error(), "")
			return
		}
	} else {
		if err := r.ParseForm(); err != nil {
			httpjson.Error(w, http.StatusBadRequest, "invalid form body: "+err.Error(), "")
			return
		}
		req.Action, req.Channel = r.Form.Get("action"), r.Form.Get("channel")
		req.Duration, req.Retry = r.Form.Get("duration"), r.Form.Get("retry")
		for _, f := range []struct {
			name string
			v    *int
		}{{"n", &req.N}, {"status", &req.Status}} {
			if v := r.Form.Get(f.name); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					httpjson.Error(w, http.StatusBadRequest, f.name+" must be an integer", "")
					return
				}
				*f.v = n
			}
		}
	}
	res, status, err := s.applyFault(req)
	if err != nil {
		httpjson.Error(w, status, err.Error(), "")
		return
	}
	httpjson.Write(w, http.StatusOK, res)
}

type faultResult struct {
	OK       bool   `json:"ok"`
	Action   string `json:"action"`
	Channel  string `json:"channel"`
	Affected int    `json:"affected"`
}

// applyFault validates and applies one fault request.
func (s *Server) applyFault(req faultRequest) (faultResult, int, error) {
	res := faultResult{OK: true, Action: strings.ToLower(req.Action), Channel: req.Channel}
	if req.Channel != "" && req.Channel != ModelsChannel && s.byName[req.Channel] == nil {
		return res, http.StatusNotFound, fmt.Errorf("%w %q", ErrNoSuchChannel, req.Channel)
	}
	dur := func(name, v string, allowZero bool) (time.Duration, error) {
		if v == "" {
			return 0, fmt.Errorf("%s is required (e.g. \"5s\")", name)
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		if d < 0 || (d == 0 && !allowZero) || d > MaxFaultDuration {
			return 0, fmt.Errorf("%s %v out of range (0 to %v)", name, d, MaxFaultDuration)
		}
		return d, nil
	}
	if req.Channel == ModelsChannel && s.byName[req.Channel] == nil {
		return s.models.apply(req, dur) // the model endpoints (models.go)
	}
	count := func() int {
		n := 0
		for _, ch := range s.targets(req.Channel) {
			n += len(s.conns(ch))
		}
		return n
	}
	switch res.Action {
	case "drop":
		res.Affected = s.Drop(req.Channel)
	case "stall":
		d, err := dur("duration", req.Duration, false)
		if err != nil {
			return res, http.StatusBadRequest, err
		}
		res.Affected = count()
		s.Stall(req.Channel, d)
	case "burst":
		if req.N < 1 || req.N > MaxBurst {
			return res, http.StatusBadRequest, fmt.Errorf("n must be between 1 and %d", MaxBurst)
		}
		s.Burst(req.Channel, req.N)
		res.Affected = req.N
	case "malformed":
		res.Affected = count()
		s.Malformed(req.Channel)
	case "retry":
		v := req.Retry
		if v == "" {
			v = req.Duration
		}
		d, err := dur("retry", v, true)
		if err != nil {
			return res, http.StatusBadRequest, err
		}
		res.Affected = count()
		s.SetRetry(req.Channel, d)
	case "fail":
		if !validFailStatus(req.Status) {
			return res, http.StatusBadRequest, errors.New("status must be 204 or between 400 and 599")
		}
		s.FailNext(req.Channel, req.Status)
		res.Affected = len(s.targets(req.Channel))
	case "":
		return res, http.StatusBadRequest, errors.New("action is required: drop, stall, burst, malformed, retry or fail")
	default:
		return res, http.StatusBadRequest, fmt.Errorf("unknown action %q: want drop, stall, burst, malformed, retry or fail", req.Action)
	}
	return res, http.StatusOK, nil
}

// ErrInvalidEvent is wrapped by the errors of Publish about its arguments.
var ErrInvalidEvent = errors.New("server: invalid event")

// MaxEventBytes caps the data of one event given to Publish.
const MaxEventBytes = 1 << 20

// Publish publishes one event of type eventType ("" for the default
// "message" type) with data on channel, as the scenarios do, and returns
// its id. Data must not be empty (the stream would carry nothing) and at
// most MaxEventBytes; CR and CRLF line breaks become LF (each line is sent
// as its own data: line); eventType must be a single line. Errors wrap
// ErrInvalidEvent, or ErrNoSuchChannel for an unknown channel.
//
// With Config.Upstream the event is given to it instead (a Redis relay
// appends it to the stream channel, created if needed), and the id
// returned is 0: Redis ids are not numbers (they are sent as the SSE id).
func (s *Server) Publish(channel, eventType string, data []byte) (uint64, error) {
	ch := s.byName[channel]
	if ch == nil && s.cfg.Upstream == nil {
		return 0, fmt.Errorf("%w %q", ErrNoSuchChannel, channel)
	}
	switch {
	case len(data) == 0:
		return 0, fmt.Errorf("%w: empty data", ErrInvalidEvent)
	case len(data) > MaxEventBytes:
		return 0, fmt.Errorf("%w: %d bytes of data, more than %d", ErrInvalidEvent, len(data), MaxEventBytes)
	case strings.ContainsAny(eventType, "\r\n") || len(eventType) > 256:
		return 0, fmt.Errorf("%w: event type %q", ErrInvalidEvent, eventType)
	}
	if bytes.ContainsRune(data, '\r') {
		data = bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
	} else {
		data = bytes.Clone(data)
	}
	if up := s.cfg.Upstream; up != nil {
		ctx, cancel := context.WithTimeout(context.Background(), upstreamTimeout)
		defer cancel()
		return 0, up.Publish(ctx, channel, []Event{{Type: eventType, Data: data}})
	}
	return ch.publish(message{typ: eventType, data: data}), nil
}

// upstreamTimeout bounds one publish to Config.Upstream.
const upstreamTimeout = 5 * time.Second

// publishUpstream gives a scenario's events to Config.Upstream in one
// call. Retry fields and extra comment lines (fault injection) have no
// place there and are left out. Errors are logged once per streak of
// failures; the scenario goes on.
func (s *Server) publishUpstream(up Upstream, channel string, msgs []message) {
	evs := make([]Event, len(msgs))
	for i, m := range msgs {
		evs[i] = Event{Type: m.typ, Data: m.data}
	}
	ctx, cancel := context.WithTimeout(context.Background(), upstreamTimeout)
	defer cancel()
	if err := up.Publish(ctx, channel, evs); err != nil {
		if !s.upFailing.Swap(true) {
			s.log.Warn("cannot publish scenario events upstream; retrying with the next ones", "channel", channel, "err", err)
		}
		return
	}
	if s.upFailing.Swap(false) {
		s.log.Info("publishing scenario events upstream again", "channel", channel)
	}
}
