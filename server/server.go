package server

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/r3labs/sse/v2"

	"github.com/ssemon/ssemon/server/internal/httpjson"
	"github.com/ssemon/ssemon/server/internal/serve"
)

// ChannelInfo describes one channel of a Server.
type ChannelInfo struct {
	// Name is the channel name.
	Name string `json:"name"`
	// Description says what the channel shows.
	Description string `json:"description"`
	// Scenario is the Kind of the generator feeding it.
	Scenario string `json:"scenario"`
	// Path is the stream's URL path, "/api/stream/" + Name.
	Path string `json:"path"`
}

// Server is the demo server. Create it with New, serve it with Serve (or
// mount Handler in your own http.Server) and stop it with Close.
type Server struct {
	cfg      Config
	log      *slog.Logger
	rs       *sse.Server
	channels []*channel
	byName   map[string]*channel
	handler  http.Handler
	started  time.Time
	source   *source // Config.Source: channels served from Redis
	models   *models // the model endpoints (models.go)

	stop chan struct{} // closed by Close: scenarios, heartbeats and stall timers end
	bg   sync.WaitGroup

	mu       sync.Mutex
	closed   bool // Close called
	draining bool // Serve is shutting down
	subs     map[*subscriber]struct{}
	nextConn uint64
	conns    sync.WaitGroup // running stream handlers

	closeOnce sync.Once

	rejectedFull   atomic.Uint64
	rejectedClosed atomic.Uint64
	unauthorized   atomic.Uint64
}

// New validates cfg, merges in the defaults, and starts the scenarios and
// heartbeats. Errors are *ConfigError.
func New(cfg Config) (*Server, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rs := sse.New()
	rs.AutoReplay = false // replay is ours, from a bounded ring
	rs.AutoStream = false
	rs.SplitData = true
	rs.BufferSize = c.QueueSize
	rs.Headers = map[string]string{
		"Content-Type":      "text/event-stream; charset=utf-8",
		"Cache-Control":     "no-cache, no-transform",
		"X-Accel-Buffering": "no",
	}
	s := &Server{
		cfg:     c,
		log:     c.Logger,
		rs:      rs,
		byName:  make(map[string]*channel, len(c.Scenarios)),
		stop:    make(chan struct{}),
		subs:    make(map[*subscriber]struct{}),
		started: c.Clock.Now(),
	}
	for _, sc := range c.Scenarios {
		ch := newChannel(s, sc)
		s.channels = append(s.channels, ch)
		s.byName[sc.Channel] = ch
	}
	mux := http.NewServeMux()
	if c.Source != "" {
		if s.source, err = newSource(c); err != nil {
			return nil, err
		}
		rh := s.source.relay.Handler()
		for _, p := range []string{"GET /api/stream/{channel}", "GET /api/channels", "GET /healthz", "GET /metrics"} {
			mux.Handle(p, rh)
		}
	} else {
		mux.HandleFunc("GET /api/stream/{channel}", s.handleStream)
		mux.HandleFunc("GET /api/channels", s.handleChannels)
		mux.HandleFunc("GET /healthz", s.handleHealth)
		mux.HandleFunc("GET /metrics", s.handleMetrics)
	}
	s.models = newModels(s, c.Models, c.Clock)
	s.models.routes(mux)
	mux.HandleFunc("POST /admin/fault", s.handleFault)
	mux.HandleFunc("GET /{$}", s.handlePage)
	s.handler = s.middleware(mux)

	for _, ch := range s.channels {
		if c.Source != "" && !c.PublishScenarios {
			break
		}
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			s.runScenario(ch)
		}()
	}
	if c.Heartbeat > 0 {
		s.bg.Add(1)
		go s.heartbeatLoop()
	}
	return s, nil
}

// Handler returns the whole HTTP surface: streams, channel index, health,
// metrics, admin and the browser page.
func (s *Server) Handler() http.Handler { return s.handler }

// Channels returns the channels in configuration order.
func (s *Server) Channels() []ChannelInfo {
	if s.source != nil {
		return s.source.channels()
	}
	out := make([]ChannelInfo, len(s.channels))
	for i, ch := range s.channels {
		out[i] = ch.info
	}
	return out
}

// Serve serves HTTP on ln until ctx is done, then shuts down gracefully:
// new streams are refused, every stream gets a final comment and a clean
// end, and the HTTP server is shut down; connections still open after
// Config.ShutdownTimeout are cut. It returns nil after a shutdown caused by
// ctx, ErrClosed if the Server was closed, or the listener's error. Serve
// does not stop the scenarios: call Close.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if !isLoopbackAddr(ln.Addr()) {
		s.log.Warn("listening beyond loopback: anyone who can reach this address can read the streams", "addr", ln.Addr().String(),
			"token", s.cfg.Token != "")
	}
	s.log.Info("serving", "addr", ln.Addr().String(), "channels", len(s.Channels()))
	return serve.Run(ctx, ln, serve.Options{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ShutdownTimeout:   s.cfg.ShutdownTimeout,
		Logger:            s.log,
		Drain: func(sctx context.Context) {
			s.mu.Lock()
			s.draining = true
			s.mu.Unlock()
			if s.source != nil {
				_ = s.source.relay.Shutdown(sctx)
			}
			s.endStreams("server shutting down", s.cfg.ShutdownTimeout)
		},
	})
}

// Close stops the scenarios, heartbeats and stall timers, ends every
// stream (a final comment, then a clean end; connections still open after
// Config.ShutdownTimeout are cut) and waits until every goroutine the
// Server started has returned. New stream requests are answered 503. It is
// safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
		s.bg.Wait()
		if s.source != nil {
			_ = s.source.relay.Close()
		}
		s.endStreams("server closing", s.cfg.ShutdownTimeout)
		s.rs.Close()
		s.log.Info("closed")
	})
	return nil
}

// endStreams ends every stream cleanly, waits up to timeout for their
// handlers to return, then cuts the ones left. New streams must already be
// refused (closed or draining).
func (s *Server) endStreams(comment string, timeout time.Duration) {
	for _, sub := range s.snapshotSubs() {
		sub.end(comment)
	}
	done := make(chan struct{})
	go func() {
		s.conns.Wait()
		close(done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	left := s.snapshotSubs()
	s.log.Warn("cutting streams that did not end in time", "count", len(left), "timeout", timeout)
	for _, sub := range left {
		sub.ch.stats.droppedStalled.Add(1)
		sub.abort()
	}
	t.Reset(timeout)
	select {
	case <-done:
	case <-t.C:
		s.log.Error("stream handlers still running after being cut", "count", len(s.snapshotSubs()))
	}
}

func (s *Server) snapshotSubs() []*subscriber {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*subscriber, 0, len(s.subs))
	for sub := range s.subs {
		out = append(out, sub)
	}
	return out
}

// admit registers a new stream connection, or says why it is refused.
func (s *Server) admit(ctx context.Context, ch *channel, r *http.Request, cancel context.CancelFunc, rc *http.ResponseController) (*subscriber, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.draining {
		s.rejectedClosed.Add(1)
		return nil, "server shutting down"
	}
	if len(s.subs) >= s.cfg.MaxSubscribers {
		s.rejectedFull.Add(1)
		s.log.Warn("stream refused: too many subscribers", "limit", s.cfg.MaxSubscribers, "channel", ch.info.Name, "remote", r.RemoteAddr)
		return nil, fmt.Sprintf("too many subscribers (limit %d)", s.cfg.MaxSubscribers)
	}
	s.nextConn++
	sub := &subscriber{
		srv:      s,
		ch:       ch,
		streamID: "c" + strconv.FormatUint(s.nextConn, 10),
		remote:   r.RemoteAddr,
		ctx:      ctx,
		cancel:   cancel,
		rc:       rc,
		endCh:    make(chan struct{}),
		active:   true,
	}
	s.subs[sub] = struct{}{}
	s.conns.Add(1)
	return sub, ""
}

func (s *Server) release(sub *subscriber) {
	s.mu.Lock()
	delete(s.subs, sub)
	s.mu.Unlock()
	s.conns.Done()
}

func (s *Server) heartbeatLoop() {
	defer s.bg.Done()
	t := s.cfg.Clock.NewTicker(s.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C():
			for _, ch := range s.channels {
				ch.heartbeat()
			}
		}
	}
}

// middleware applies, in order: write-deadline reset, CORS, authentication.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A stream bounds its writes with deadlines; clear any left on a
		// reused connection.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		if s.cors(w, r) {
			return
		}
		if r.URL.Path != "/healthz" && !s.authorized(r) {
			s.unauthorized.Add(1)
			w.Header().Set("WWW-Authenticate", `Bearer realm="ssemon-demo"`)
			httpjson.Error(w, http.StatusUnauthorized, "missing or wrong token",
				`send "Authorization: Bearer <token>" or add ?token=<token>`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cors sets CORS headers for allowed origins and answers preflight
// requests; it reports whether the request was fully answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.cfg.CORSOrigins) == 0 {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	if !s.originAllowed(origin) {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Last-Event-ID, Cache-Control, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

func (s *Server) originAllowed(origin string) bool {
	return slices.Contains(s.cfg.CORSOrigins, "*") || slices.Contains(s.cfg.CORSOrigins, strings.TrimRight(origin, "/"))
}

// authorized reports whether r carries the configured token (or none is
// configured).
func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	got := ""
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		got = strings.TrimSpace(a[7:])
	} else {
		got = r.URL.Query().Get("token")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) == 1
}

func isLoopbackAddr(a net.Addr) bool {
	if a == nil {
		return false
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		host = a.String()
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// handleChannels serves GET /api/channels.
func (s *Server) handleChannels(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		ChannelInfo
		URL         string `json:"url"`
		Subscribers int    `json:"subscribers"`
		LastID      string `json:"last_id"`
		OldestID    string `json:"oldest_id"`
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	out := struct {
		Channels []entry `json:"channels"`
	}{Channels: make([]entry, 0, len(s.channels))}
	for _, ch := range s.channels {
		last, oldest, _, subs := ch.state()
		out.Channels = append(out.Channels, entry{
			ChannelInfo: ch.info,
			URL:         scheme + "://" + r.Host + ch.info.Path,
			Subscribers: subs,
			LastID:      strconv.FormatUint(last, 10),
			OldestID:    strconv.FormatUint(oldest, 10),
		})
	}
	httpjson.Write(w, http.StatusOK, out)
}

// handleHealth serves GET /healthz: 200 while serving, 503 once shutting down.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	down := s.closed || s.draining
	n := len(s.subs)
	s.mu.Unlock()
	status, word := http.StatusOK, "ok"
	if down {
		status, word = http.StatusServiceUnavailable, "shutting down"
	}
	httpjson.Write(w, status, struct {
		Status      string `json:"status"`
		Channels    int    `json:"channels"`
		Subscribers int    `json:"subscribers"`
	}{word, len(s.channels), n})
}
