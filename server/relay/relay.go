package relay

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ssemon/ssemon/server/internal/hub"

	"github.com/redis/go-redis/v9"
)

// ErrClosed is returned by Serve and Publish after Close.
var ErrClosed = errors.New("relay: closed")

// Relay serves Redis streams as Server-Sent-Events channels. Create it with
// New, serve it with Serve (or mount Handler) and stop it with Close.
type Relay struct {
	cfg     Config
	log     *slog.Logger
	rdb     *redis.Client // commands: discovery, catch-up reads, XINFO, XADD
	readers *redis.Client // one connection per channel reader (XREAD BLOCK)
	rconns  *connSet      // the readers' connections, cut by Close
	handler http.Handler
	source  string // Config.Source without its password

	ctx    context.Context // ends when Close is called
	cancel context.CancelFunc
	bg     sync.WaitGroup // readers, discovery, heartbeats

	hub *hub.Hub

	mu       sync.Mutex
	channels map[string]*channel
	closed   bool // Close called
	warned   map[string]bool
	skipName int // stream keys skipped in the last discovery: invalid name
	skipCap  int // ... over MaxChannels

	closeOnce sync.Once

	discoverFailing atomic.Bool
	redisErrs       atomic.Uint64
	lastErr         atomic.Pointer[string]
	lookups         atomic.Uint64
}

// New validates cfg, connects to Redis, discovers the streams and starts
// one reader per channel. Redis being unreachable is not an error: the
// relay reports degraded health and keeps trying. Errors are *ConfigError.
func New(cfg Config) (*Relay, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ropts := c.redisOptions(c.MaxChannels + 1)
	rconns := &connSet{conns: make(map[*trackedConn]struct{})}
	ropts.Dialer = rconns.dialer(redis.NewDialer(ropts))
	r := &Relay{
		cfg:      c,
		log:      c.Logger,
		rdb:      redis.NewClient(c.redisOptions(64)),
		readers:  redis.NewClient(ropts),
		rconns:   rconns,
		source:   RedactSource(c.Source),
		ctx:      ctx,
		cancel:   cancel,
		channels: make(map[string]*channel),
		warned:   make(map[string]bool),
		hub: hub.New(hub.Config{MaxSubscribers: c.MaxSubscribers, WriteTimeout: c.WriteTimeout,
			Heartbeat: c.Heartbeat, Retry: c.Retry, Clock: c.Clock, Logger: c.Logger}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/stream/{channel}", r.handleStream)
	mux.HandleFunc("GET /api/channels", r.handleChannels)
	mux.HandleFunc("GET /healthz", r.handleHealth)
	mux.HandleFunc("GET /metrics", r.handleMetrics)
	r.handler = hub.Handler(mux)

	dctx, dcancel := context.WithTimeout(ctx, c.RedisTimeout)
	err = r.discover(dctx)
	dcancel()
	if err != nil {
		r.discoverFailed(err)
	} else {
		r.log.Info("streams discovered", "source", r.source, "pattern", c.Streams, "channels", len(r.Channels()))
	}
	r.bg.Add(1)
	go r.discoverLoop()
	return r, nil
}

// Handler returns the HTTP surface: GET /api/stream/{channel},
// /api/channels, /healthz and /metrics. It does no authentication; mount
// it behind your own (package server does).
func (r *Relay) Handler() http.Handler { return r.handler }

// Logger returns the relay's logger (Config.Logger).
func (r *Relay) Logger() *slog.Logger { return r.log }

// Source returns Config.Source with its password masked.
func (r *Relay) Source() string { return r.source }

// Channels returns the channels found so far, sorted by name.
func (r *Relay) Channels() []ChannelInfo {
	chs := r.snapshotChannels()
	out := make([]ChannelInfo, len(chs))
	for i, ch := range chs {
		out[i] = ch.info
	}
	return out
}

func (r *Relay) snapshotChannels() []*channel {
	r.mu.Lock()
	out := make([]*channel, 0, len(r.channels))
	for _, ch := range r.channels {
		out = append(out, ch)
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b *channel) int { return strings.Compare(a.name, b.name) })
	return out
}

// Serve serves HTTP on ln until ctx is done, then shuts down gracefully:
// new streams are refused, every stream gets a final comment and a clean
// end, and the HTTP server is shut down; connections still open after
// Config.ShutdownTimeout are cut. It returns nil after a shutdown caused by
// ctx, ErrClosed if the Relay was closed, or the listener's error. Serve
// does not stop the readers: call Close.
func (r *Relay) Serve(ctx context.Context, ln net.Listener) error {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return ErrClosed
	}
	r.log.Info("serving", "addr", ln.Addr().String(), "source", r.source, "pattern", r.cfg.Streams)
	return r.hub.Serve(ctx, ln, hub.ServeOptions{
		Handler:           r.handler,
		ReadHeaderTimeout: r.cfg.ReadHeaderTimeout,
		MaxHeaderBytes:    r.cfg.MaxHeaderBytes,
		ShutdownTimeout:   r.cfg.ShutdownTimeout,
		Logger:            r.log,
	})
}

// Shutdown refuses new streams, ends every stream cleanly after a final
// ": server shutting down" comment and waits until their handlers have
// returned or ctx is done; then the streams left are cut (no clean end)
// and ctx's error is returned. The readers keep running until Close.
func (r *Relay) Shutdown(ctx context.Context) error {
	return r.hub.EndAll(ctx, "server shutting down", r.cfg.ShutdownTimeout)
}

// Close ends every stream (a final comment, then a clean end; streams
// still open after Config.ShutdownTimeout are cut), stops the readers and
// the discovery, closes the Redis connections and waits until every
// goroutine the Relay started has returned. It is safe to call more than
// once.
func (r *Relay) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		r.hub.Close("server closing", r.cfg.ShutdownTimeout)
		r.cancel()
		// A blocked XREAD returns only when its connection closes (go-redis
		// does not watch the context while reading): cut them.
		r.rconns.closeAll()
		_ = r.readers.Close()
		r.bg.Wait()
		_ = r.rdb.Close()
		r.log.Info("closed")
	})
	return nil
}

// noteRedisErr records the latest Redis error, for /healthz.
func (r *Relay) noteRedisErr(err error) {
	r.redisErrs.Add(1)
	s := err.Error()
	r.lastErr.Store(&s)
}

// discoverLoop runs discover every Config.Discover, or retries it with
// backoff while Redis is unavailable.
func (r *Relay) discoverLoop() {
	defer r.bg.Done()
	bo := r.newBackoff()
	for {
		if r.discoverFailing.Load() {
			if !bo.wait(r.ctx) {
				return
			}
		} else {
			if r.cfg.Discover < 0 {
				<-r.ctx.Done()
				return
			}
			t := r.cfg.Clock.NewTimer(r.cfg.Discover)
			select {
			case <-r.ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
		}
		ctx, cancel := context.WithTimeout(r.ctx, r.cfg.RedisTimeout)
		err := r.discover(ctx)
		cancel()
		switch {
		case r.ctx.Err() != nil:
			return
		case err != nil:
			r.discoverFailed(err)
		default:
			bo.reset()
			if r.discoverFailing.Swap(false) {
				r.log.Info("Redis reachable again: streams discovered", "channels", len(r.Channels()))
			}
		}
	}
}

func (r *Relay) discoverFailed(err error) {
	r.noteRedisErr(err)
	if !r.discoverFailing.Swap(true) {
		r.log.Warn("Redis unavailable: cannot discover streams; retrying", "source", r.source, "err", err)
	}
}

// discover runs SCAN MATCH pattern TYPE stream over the whole keyspace and
// adds a channel for every new stream key.
func (r *Relay) discover(ctx context.Context) error {
	var cursor uint64
	badName, overCap := 0, 0
	for {
		keys, next, err := r.rdb.ScanType(ctx, cursor, r.cfg.Streams, 1000, "stream").Result()
		if err != nil {
			return err
		}
		for _, k := range keys {
			if !globMatch(r.cfg.Streams, k) {
				continue // SCAN MATCH already filtered; guard against a differing glob
			}
			switch _, reason := r.addChannel(k); reason {
			case skipName:
				badName++
			case skipCap:
				overCap++
			}
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	r.mu.Lock()
	r.skipName, r.skipCap = badName, overCap
	r.mu.Unlock()
	return nil
}

type skipReason int

const (
	skipNone skipReason = iota
	skipName
	skipCap
	skipClosed
)

// addChannel returns the channel of stream key name, creating it and
// starting its reader if needed.
func (r *Relay) addChannel(name string) (*channel, skipReason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch := r.channels[name]; ch != nil {
		return ch, skipNone
	}
	if r.closed {
		return nil, skipClosed
	}
	reason := skipNone
	switch {
	case !ValidName(name):
		reason = skipName
	case len(r.channels) >= r.cfg.MaxChannels:
		reason = skipCap
	}
	if reason != skipNone {
		if !r.warned[name] && len(r.warned) < 1000 {
			r.warned[name] = true
			if reason == skipName {
				r.log.Warn("stream not served: its key is not a valid channel name (1–128 of A-Z a-z 0-9 . _ - :)", "key", name)
			} else {
				r.log.Warn("stream not served: MaxChannels reached", "key", name, "max_channels", r.cfg.MaxChannels)
			}
		}
		return nil, reason
	}
	ch := newChannel(r, name)
	r.channels[name] = ch
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		ch.run(r.ctx)
	}()
	r.log.Debug("channel added", "channel", name)
	return ch, skipNone
}

// Watch serves the stream key name as a channel now, without waiting for
// the next discovery, if it matches Config.Streams and is a stream in
// Redis; it is a no-op for a channel already served. Errors: the key is not
// a stream (or does not match), Redis failed, or MaxChannels is reached.
func (r *Relay) Watch(ctx context.Context, name string) error {
	_, err := r.lookup(ctx, name)
	return err
}

// errUnknown is returned by lookup for a name that is not a served stream.
var errUnknown = errors.New("relay: unknown channel")

// lookup returns the channel called name; a stream key matching the
// pattern but not discovered yet is looked up in Redis at once.
func (r *Relay) lookup(ctx context.Context, name string) (*channel, error) {
	r.mu.Lock()
	ch := r.channels[name]
	r.mu.Unlock()
	if ch != nil {
		return ch, nil
	}
	if !ValidName(name) || !globMatch(r.cfg.Streams, name) {
		return nil, errUnknown
	}
	r.lookups.Add(1)
	ctx, cancel := context.WithTimeout(ctx, r.cfg.RedisTimeout)
	defer cancel()
	typ, err := r.rdb.Type(ctx, name).Result()
	if err != nil {
		r.noteRedisErr(err)
		return nil, err
	}
	if typ != "stream" {
		return nil, errUnknown
	}
	ch, reason := r.addChannel(name)
	switch reason {
	case skipCap:
		return nil, errTooManyChannels
	case skipClosed:
		return nil, ErrClosed
	case skipName:
		return nil, errUnknown
	}
	return ch, nil
}

var errTooManyChannels = errors.New("relay: MaxChannels reached")

// connSet tracks open connections, so that they can all be cut at once.
type connSet struct {
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

type trackedConn struct {
	net.Conn
	set  *connSet
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.set.mu.Lock()
		delete(c.set.conns, c)
		c.set.mu.Unlock()
	})
	return c.Conn.Close()
}

// dialer wraps base so that every connection it makes is tracked.
func (s *connSet) dialer(base func(context.Context, string, string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := base(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: conn, set: s}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			conn.Close()
			return nil, ErrClosed
		}
		s.conns[tc] = struct{}{}
		return tc, nil
	}
}

// closeAll closes every tracked connection and refuses new ones.
func (s *connSet) closeAll() {
	s.mu.Lock()
	s.closed = true
	conns := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}
