package server

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssemon/ssemon/server/internal/httpjson"
	"github.com/ssemon/ssemon/server/internal/hub"
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
	hub      *hub.Hub
	channels []*channel
	byName   map[string]*channel
	handler  http.Handler
	started  time.Time
	models   *models // the model endpoints (models.go)

	stop chan struct{} // closed by Close: scenarios and stall timers end
	bg   sync.WaitGroup

	mu     sync.Mutex
	closed bool // Close called

	closeOnce sync.Once

	wakeMu sync.Mutex
	wake   chan struct{} // closed and replaced at every publish on any channel (multiplexed streams)

	upFailing    atomic.Bool // the last publish to Config.Upstream failed (logged once per streak)
	unauthorized atomic.Uint64
}

// New validates cfg, merges in the defaults, and starts the scenarios and
// heartbeats. Errors are *ConfigError.
func New(cfg Config) (*Server, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    c,
		log:    c.Logger,
		byName: make(map[string]*channel, len(c.Scenarios)),
		stop:   make(chan struct{}),
		wake:   make(chan struct{}),
		hub: hub.New(hub.Config{MaxSubscribers: c.MaxSubscribers, WriteTimeout: c.WriteTimeout,
			Heartbeat: c.Heartbeat, Retry: c.Retry, Clock: c.Clock, Logger: c.Logger}),
		started: c.Clock.Now(),
	}
	for _, sc := range c.Scenarios {
		ch := newChannel(s, sc)
		s.channels = append(s.channels, ch)
		s.byName[sc.Channel] = ch
	}
	mux := http.NewServeMux()
	if c.Upstream != nil {
		uh := c.Upstream.Handler()
		for _, p := range []string{"GET /api/stream/{channel}", "GET /api/channels", "GET /healthz", "GET /metrics"} {
			mux.Handle(p, uh)
		}
	} else {
		s.routes(mux)
	}
	s.models = newModels(s, c.Models, c.Clock)
	s.models.routes(mux)
	mux.HandleFunc("POST /admin/fault", s.handleFault)
	mux.HandleFunc("GET /{$}", s.handlePage)
	s.handler = hub.Handler(s.middleware(mux))

	for _, ch := range s.channels {
		if c.Upstream != nil && !c.PublishScenarios {
			break
		}
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			s.runScenario(ch)
		}()
	}
	return s, nil
}

// routes registers the in-memory channels' HTTP surface; every route of
// the demo server is registered here or in New.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/stream/{channel}", s.handleStream)
	mux.HandleFunc("GET /api/stream", s.handleMux)
	mux.HandleFunc("GET /api/channels", s.handleChannels)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
}

// anyWake returns a channel closed at the next publish on any channel.
func (s *Server) anyWake() <-chan struct{} {
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	return s.wake
}

// poke wakes the multiplexed streams.
func (s *Server) poke() {
	s.wakeMu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.wakeMu.Unlock()
}

// Handler returns the whole HTTP surface: streams, channel index, health,
// metrics, admin and the browser page.
func (s *Server) Handler() http.Handler { return s.handler }

// Channels returns the channels in configuration order.
func (s *Server) Channels() []ChannelInfo {
	if s.cfg.Upstream != nil {
		return s.cfg.Upstream.Channels()
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
	return s.hub.Serve(ctx, ln, hub.ServeOptions{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ShutdownTimeout:   s.cfg.ShutdownTimeout,
		Logger:            s.log,
		Drain: func(sctx context.Context) {
			if up := s.cfg.Upstream; up != nil {
				_ = up.Shutdown(sctx)
			}
		},
	})
}

// Close stops the scenarios and stall timers, ends every stream (a final
// comment, then a clean end; connections still open after
// Config.ShutdownTimeout are cut) and waits until every goroutine the
// Server started has returned. New stream requests are answered 503. It is
// safe to call more than once. It does not close Config.Upstream.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
		s.bg.Wait()
		s.hub.Close("server closing", s.cfg.ShutdownTimeout)
		s.log.Info("closed")
	})
	return nil
}

// middleware applies, in order: write-deadline reset, CORS, authentication.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	status, word := http.StatusOK, "ok"
	if s.hub.Down() {
		status, word = http.StatusServiceUnavailable, "shutting down"
	}
	httpjson.Write(w, status, struct {
		Status      string `json:"status"`
		Channels    int    `json:"channels"`
		Subscribers int    `json:"subscribers"`
	}{word, len(s.channels), s.hub.Subscribers()})
}
