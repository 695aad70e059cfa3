// Package replay re-serves a recording (package record, written by
// ssemon-tail --record) over HTTP as live Server-Sent-Events streams, at
// the pace it was recorded (or faster, or slower), once or in a loop: a bug
// caught once can be replayed into the GUI, a browser or any client.
//
// Every recorded channel is served at GET /api/stream/{channel} with the
// same event ids, types and data, the same comments and retry fields, in
// the same order and with the same gaps (divided by Config.Speed). Each
// connection plays the channel from the start; a client resuming with
// Last-Event-ID (or ?lastEventId=) continues right after the event that
// set that id, and one that already has everything gets 204 No Content,
// which tells it to stop. A channel that never opened in the recording
// answers as it did then: the same HTTP error status, the same wrong
// Content-Type, or 204. With Config.Drops, a connection also ends where the
// recorded one ended, so the client reconnects as it did then. GET
// /api/channels lists the channels in the same shape as the demo server;
// GET /healthz reports health.
//
// The package never imports a UI toolkit.
package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/record"
	"github.com/ssemon/ssemon/server/internal/httpjson"
	"github.com/ssemon/ssemon/server/internal/serve"
)

// Defaults and caps of Config.
const (
	DefaultHeartbeat         = 15 * time.Second
	DefaultMaxBytes          = 512 << 20
	DefaultMaxSubscribers    = 1000
	DefaultWriteTimeout      = 10 * time.Second
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultShutdownTimeout   = 5 * time.Second
	// MaxSpeed caps Config.Speed.
	MaxSpeed = 10000
	// MinSpeed is the slowest Config.Speed.
	MinSpeed = 0.01
	// minLoop is the shortest loop period, so that a recording whose
	// entries share one instant does not spin.
	minLoop = time.Second
)

// Config configures a Server. The zero value of every field but File
// selects the default written next to it. New copies it.
type Config struct {
	// File is the recording to serve. Required.
	File string
	// Speed divides every recorded gap: 2 plays twice as fast, 0.5 half
	// as fast. 0 means 1 (the recorded pace); at least MinSpeed, at most
	// MaxSpeed.
	Speed float64
	// Loop starts a channel over when it ends, keeping the connection
	// open (the ids repeat). Default false: a connection ends after the
	// last entry, and a client resuming past it gets 204.
	Loop bool
	// Drops ends a connection where the recorded one ended after it had
	// opened (closed by the server, cut, stalled, failed), so that the
	// client goes through its reconnection as it did then; resuming with
	// Last-Event-ID it continues from the recorded reconnection, the next
	// event after its recorded delay from that reconnection. A recorded
	// stall is reproduced as an ended connection. Default false: each
	// connection streams the channel without a break.
	Drops bool
	// Heartbeat sends a ": keepalive" comment on a connection that has
	// been silent this long (a slowed-down replay must not trip a
	// client's stall timeout). 0 means DefaultHeartbeat (15 s); negative
	// disables.
	Heartbeat time.Duration
	// MaxBytes caps the size of the recording file. 0 means
	// DefaultMaxBytes (512 MiB).
	MaxBytes int64
	// MaxSubscribers caps concurrent stream connections; past it a stream
	// request gets 503. 0 means DefaultMaxSubscribers (1000).
	MaxSubscribers int
	// WriteTimeout bounds every write to a client (real clock); a client
	// that stops reading is dropped. 0 means DefaultWriteTimeout (10 s).
	WriteTimeout time.Duration
	// ReadHeaderTimeout is the http.Server's, in Serve. 0 means
	// DefaultReadHeaderTimeout (10 s).
	ReadHeaderTimeout time.Duration
	// ShutdownTimeout bounds Serve's graceful shutdown. 0 means
	// DefaultShutdownTimeout (5 s).
	ShutdownTimeout time.Duration
	// Clock paces the replay. nil means clock.Real().
	Clock clock.Clock
	// Logger receives the server's logs. nil discards.
	Logger *slog.Logger
}

// Error reports a recording that cannot be served, with the file name.
type Error struct {
	// File is the recording.
	File string
	// Err is the cause: a *record.LineError, *record.VersionError, an
	// I/O error, or a description of what is missing.
	Err error
}

func (e *Error) Error() string { return "replay " + e.File + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrClosed is returned by Serve on a closed Server.
var ErrClosed = errors.New("replay: server closed")

// ChannelInfo describes a replayed channel, as GET /api/channels lists it.
type ChannelInfo struct {
	// Name is the channel name.
	Name string `json:"name"`
	// Description says what is replayed.
	Description string `json:"description"`
	// Scenario is "replay".
	Scenario string `json:"scenario"`
	// Path is "/api/stream/" + Name, percent-encoded as a path segment.
	Path string `json:"path"`
	// Events counts the channel's events in the recording.
	Events int `json:"events"`
	// Drops counts the recorded connection ends after an open connection
	// (reproduced with Config.Drops).
	Drops int `json:"drops"`
	// FirstID and LastID are the first and last event ids ("" if none).
	FirstID string `json:"oldest_id"`
	// LastID: see FirstID.
	LastID string `json:"last_id"`
}

// kindDrop marks, among a channel's frames, where the recorded connection
// ended.
const kindDrop record.Kind = "drop"

// frame is one thing to send on a channel, or a drop.
type frame struct {
	at      time.Duration // since the start of the recording
	reopen  time.Duration // drop: when the recorded connection opened again
	hasOpen bool          // drop: reopen is set
	kind    record.Kind
	id      string
	typ     string
	data    string
	comment string
	retry   time.Duration
}

// refusal is how a channel that never opened answered.
type refusal struct {
	status      int
	contentType string
	body        string
}

type channel struct {
	info    ChannelInfo
	url     string
	frames  []frame
	resume  map[string]int // event id → index after the event that set it
	refuse  *refusal
	opened  bool
	serving atomic.Int64
	// while loading
	connected bool // the recorded connection is open
	pending   int  // index of the last drop awaiting its reopen, or -1
}

// Server serves one recording.
type Server struct {
	cfg      Config
	log      *slog.Logger
	channels []*channel
	byName   map[string]*channel
	duration time.Duration
	handler  http.Handler
	stop     chan struct{}

	mu        sync.Mutex
	closed    bool
	subs      int
	conns     sync.WaitGroup
	closeOnce sync.Once
	skipped   int
	truncated bool
	refused   atomic.Uint64
}

// New loads cfg.File and returns a Server for it. Errors are *Error (a
// recording that cannot be read: the line and what is wrong) or
// invalid-configuration errors.
func New(cfg Config) (*Server, error) {
	if cfg.File == "" {
		return nil, errors.New("replay: Config.File is required")
	}
	switch {
	case cfg.Speed == 0:
		cfg.Speed = 1
	case math.IsNaN(cfg.Speed) || cfg.Speed < MinSpeed || cfg.Speed > MaxSpeed:
		return nil, fmt.Errorf("replay: speed %v is outside %v..%v", cfg.Speed, MinSpeed, MaxSpeed)
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxSubscribers <= 0 {
		cfg.MaxSubscribers = DefaultMaxSubscribers
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.ReadHeaderTimeout <= 0 {
		cfg.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, byName: make(map[string]*channel), stop: make(chan struct{})}
	if err := s.load(); err != nil {
		return nil, &Error{File: cfg.File, Err: err}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/stream/{channel}", s.handleStream)
	mux.HandleFunc("POST /api/stream/{channel}", s.handleStream)
	mux.HandleFunc("GET /api/channels", s.handleChannels)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	s.handler = mux
	s.log.Info("recording loaded", "file", cfg.File, "channels", len(s.channels), "duration", s.duration,
		"speed", cfg.Speed, "loop", cfg.Loop, "skipped_lines", s.skipped, "truncated", s.truncated)
	return s, nil
}

// load reads the recording into per-channel frame lists.
func (s *Server) load() error {
	f, err := os.Open(s.cfg.File)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > s.cfg.MaxBytes {
		return fmt.Errorf("file is %d bytes, over the %d-byte limit", fi.Size(), s.cfg.MaxBytes)
	}
	r := record.NewReader(io.LimitReader(f, s.cfg.MaxBytes), record.ReaderConfig{})
	var start, last time.Time
	get := func(name string) *channel {
		ch := s.byName[name]
		if ch == nil {
			ch = &channel{info: ChannelInfo{Name: name, Scenario: "replay", Path: "/api/stream/" + url.PathEscape(name)}, resume: make(map[string]int), pending: -1}
			s.byName[name] = ch
			s.channels = append(s.channels, ch)
		}
		return ch
	}
	failed := map[*channel]*record.Entry{}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, record.ErrTruncated) {
				// The recorder was killed mid-line: serve what was complete.
				s.truncated = true
				s.log.Warn("recording ends with an incomplete line; serving the lines before it", "err", err)
				break
			}
			return err
		}
		if start.IsZero() {
			start = e.Time
		}
		if e.Time.After(last) {
			last = e.Time
		}
		at := max(e.Time.Sub(start), 0)
		switch e.Kind {
		case record.KindChannel:
			if !validName(e.Channel) {
				return fmt.Errorf("line %d: channel name %q cannot be served (1-%d bytes, no \"/\" or control character)", r.Line(), e.Channel, maxNameLen)
			}
			get(e.Channel).url = e.URL
		case record.KindEvent, record.KindComment, record.KindRetry:
			if !validName(e.Channel) {
				return fmt.Errorf("line %d: channel name %q cannot be served (1-%d bytes, no \"/\" or control character)", r.Line(), e.Channel, maxNameLen)
			}
			ch := get(e.Channel)
			fr := frame{at: at, kind: e.Kind, id: e.ID, typ: e.Type, data: e.Data, comment: e.Comment, retry: e.Retry}
			ch.frames = append(ch.frames, fr)
			if e.Kind == record.KindEvent {
				ch.info.Events++
				if ch.info.Events == 1 {
					ch.info.FirstID = e.ID
				}
				prev := ch.info.LastID
				ch.info.LastID = e.ID
				if _, seen := ch.resume[e.ID]; !seen && (ch.info.Events == 1 || e.ID != prev) {
					ch.resume[e.ID] = len(ch.frames)
				}
			}
		case record.KindState:
			if !validName(e.Channel) {
				continue
			}
			ch := get(e.Channel)
			switch e.State {
			case client.Open:
				ch.opened, ch.connected = true, true
				if ch.pending >= 0 {
					ch.frames[ch.pending].reopen, ch.frames[ch.pending].hasOpen = at, true
					ch.pending = -1
				}
			case client.Retrying, client.Stalled, client.Failed, client.Closed:
				if ch.connected {
					ch.connected = false
					ch.frames = append(ch.frames, frame{at: at, kind: kindDrop})
					ch.pending = len(ch.frames) - 1
					ch.info.Drops++
				}
				if e.State == client.Failed || e.State == client.Closed {
					ent := e
					failed[ch] = &ent
				}
			}
		}
	}
	s.skipped = r.Skipped()
	if len(s.channels) == 0 {
		return errors.New("no channel in the recording")
	}
	s.duration = last.Sub(start)
	for _, ch := range s.channels {
		ch.info.Description = "Replay of " + ch.url
		if ch.url == "" {
			ch.info.Description = "Replay"
		}
		if e := failed[ch]; e != nil && !ch.opened && len(ch.frames) == 0 {
			ch.refuse = refusalOf(e)
		}
	}
	return nil
}

// refusalOf returns how to answer for a channel that never opened and
// ended in e, or nil to serve it as an empty stream.
func refusalOf(e *record.Entry) *refusal {
	switch {
	case e.State == client.Closed && e.Status == http.StatusNoContent:
		return &refusal{status: http.StatusNoContent}
	case e.ErrorKind == record.ErrorHTTP && e.Status >= 300:
		return &refusal{status: e.Status, contentType: "text/plain; charset=utf-8", body: e.Body}
	case e.ErrorKind == record.ErrorContentType:
		return &refusal{status: http.StatusOK, contentType: e.ContentType, body: e.Body}
	}
	return nil
}

// maxNameLen caps a channel name, as the GUI's workspace does.
const maxNameLen = 200

// validName reports whether a channel name can be one path segment: 1 to
// maxNameLen bytes of valid UTF-8, no "/", no control character. Names
// that need it are percent-encoded in paths ("Deploy%20pipeline").
func validName(n string) bool {
	if n == "" || len(n) > maxNameLen || !utf8.ValidString(n) || n == "." || n == ".." {
		return false
	}
	for _, r := range n {
		if r == '/' || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Handler returns the HTTP surface: /api/stream/{channel}, /api/channels,
// /healthz.
func (s *Server) Handler() http.Handler { return s.handler }

// Channels returns the replayed channels in recording order.
func (s *Server) Channels() []ChannelInfo {
	out := make([]ChannelInfo, len(s.channels))
	for i, ch := range s.channels {
		out[i] = ch.info
	}
	return out
}

// Duration returns the length of the recording at its recorded pace.
func (s *Server) Duration() time.Duration { return s.duration }

// Serve serves HTTP on ln until ctx is done, then ends every stream
// cleanly and shuts down (connections still open after
// Config.ShutdownTimeout are cut). It returns nil after a shutdown caused
// by ctx, ErrClosed on a closed Server, or the listener's error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	s.log.Info("replaying", "addr", ln.Addr().String(), "file", s.cfg.File, "channels", len(s.channels))
	return serve.Run(ctx, ln, serve.Options{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		MaxHeaderBytes:    16 << 10,
		ShutdownTimeout:   s.cfg.ShutdownTimeout,
		Logger:            s.log,
		Drain:             func(context.Context) { _ = s.Close() },
	})
}

// Close ends every stream (a final comment, then a clean end) and waits
// until their handlers returned. New streams get 503. Safe to call more
// than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
		s.conns.Wait()
	})
	return nil
}

func (s *Server) admit() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.subs >= s.cfg.MaxSubscribers {
		return false
	}
	s.subs++
	s.conns.Add(1)
	return true
}

func (s *Server) release() {
	s.mu.Lock()
	s.subs--
	s.mu.Unlock()
	s.conns.Done()
}

func (s *Server) handleChannels(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		ChannelInfo
		URL         string `json:"url"`
		Subscribers int64  `json:"subscribers"`
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	out := struct {
		Channels   []entry `json:"channels"`
		DurationMS int64   `json:"duration_ms"`
		Speed      float64 `json:"speed"`
		Loop       bool    `json:"loop"`
	}{Channels: make([]entry, 0, len(s.channels)), DurationMS: s.duration.Milliseconds(), Speed: s.cfg.Speed, Loop: s.cfg.Loop}
	for _, ch := range s.channels {
		out.Channels = append(out.Channels, entry{ChannelInfo: ch.info, URL: scheme + "://" + r.Host + ch.info.Path, Subscribers: ch.serving.Load()})
	}
	httpjson.Write(w, http.StatusOK, out)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	closed, subs := s.closed, s.subs
	s.mu.Unlock()
	status, word := http.StatusOK, "ok"
	if closed {
		status, word = http.StatusServiceUnavailable, "shutting down"
	}
	httpjson.Write(w, status, struct {
		Status      string `json:"status"`
		Channels    int    `json:"channels"`
		Subscribers int    `json:"subscribers"`
		Refused     uint64 `json:"refused"`
	}{word, len(s.channels), subs, s.refused.Load()})
}

// handleStream serves GET /api/stream/{channel}.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("channel")
	ch := s.byName[name]
	if ch == nil {
		httpjson.Error(w, http.StatusNotFound, fmt.Sprintf("unknown channel %q", name), "see /api/channels")
		return
	}
	if rf := ch.refuse; rf != nil {
		if rf.contentType != "" {
			w.Header().Set("Content-Type", rf.contentType)
		}
		w.WriteHeader(rf.status)
		_, _ = io.WriteString(w, rf.body)
		return
	}
	lastID := r.Header.Get("Last-Event-ID")
	if lastID == "" {
		lastID = r.URL.Query().Get("lastEventId")
	}
	pos, found := 0, false
	var base time.Duration // recording time the connection starts from
	if lastID != "" {
		pos, found = ch.resume[lastID]
		if !found {
			pos = 0
		}
	}
	if found {
		base = ch.frames[pos-1].at
		// The client went through the recorded connection end(s) after
		// that event: continue from the reconnection.
		for pos < len(ch.frames) && ch.frames[pos].kind == kindDrop {
			if s.cfg.Drops && ch.frames[pos].hasOpen {
				base = ch.frames[pos].reopen
			}
			pos++
		}
	}
	if found && pos >= len(ch.frames) && !s.cfg.Loop {
		w.WriteHeader(http.StatusNoContent) // the client has it all: stop
		return
	}
	if !s.admit() {
		s.refused.Add(1)
		httpjson.Error(w, http.StatusServiceUnavailable, fmt.Sprintf("server closing or too many subscribers (limit %d)", s.cfg.MaxSubscribers), "")
		return
	}
	defer s.release()
	ch.serving.Add(1)
	defer ch.serving.Add(-1)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	start := s.cfg.Clock.Now() // before the client can see the response
	w.WriteHeader(http.StatusOK)
	c := &conn{s: s, ch: ch, w: w, rc: http.NewResponseController(w), ctx: r.Context(), curID: lastID, last: start}
	if lastID != "" && !found {
		c.buf = append(c.buf, ": last event id "+sanitizeComment(lastID)+" is not in the recording; replaying from the start\n"...)
	}
	if len(c.buf) == 0 {
		// Send the headers now: the client sees "open" before the first
		// frame is due.
		_ = c.rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		if c.rc.Flush() != nil {
			return
		}
	} else if c.flush() != nil {
		return
	}
	c.play(pos, base, start)
}

// sanitizeComment keeps s on one comment line.
func sanitizeComment(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// conn is one client connection.
type conn struct {
	s     *Server
	ch    *channel
	w     http.ResponseWriter
	rc    *http.ResponseController
	ctx   context.Context
	curID string
	buf   []byte
	last  time.Time // last write (replay clock)
}

func (c *conn) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	_ = c.rc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	_, err := c.w.Write(c.buf)
	if err == nil {
		err = c.rc.Flush()
	}
	c.buf = c.buf[:0]
	c.last = c.s.cfg.Clock.Now()
	if err != nil {
		c.s.log.Debug("client dropped", "channel", c.ch.info.Name, "err", err)
	}
	return err
}

// play sends the channel's frames from index pos at their recorded pace,
// recording time base being replay-clock time start.
func (c *conn) play(pos int, base time.Duration, start time.Time) {
	clk := c.s.cfg.Clock
	speed := c.s.cfg.Speed
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) / speed) }
	frames := c.ch.frames
	origin := start.Add(-scale(base)) // replay-clock time of offset 0
	period := max(c.s.duration, minLoop)
	var timer clock.Timer // created by the first wait
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for loop := 1; ; loop++ {
		for ; pos < len(frames); pos++ {
			f := &frames[pos]
			if f.kind == kindDrop && !c.s.cfg.Drops {
				continue
			}
			if !c.waitUntil(&timer, origin.Add(scale(f.at))) {
				return
			}
			if f.kind == kindDrop {
				_ = c.flush()
				return // the client reconnects, as it did then
			}
			c.appendFrame(f)
			// Send everything due at once in one write.
			for pos+1 < len(frames) && frames[pos+1].kind != kindDrop &&
				!clk.Now().Before(origin.Add(scale(frames[pos+1].at))) && len(c.buf) < 64<<10 {
				pos++
				c.appendFrame(&frames[pos])
			}
			if c.flush() != nil {
				return
			}
		}
		if !c.s.cfg.Loop {
			c.buf = append(c.buf, ": end of recording\n"...)
			_ = c.flush()
			return
		}
		origin = origin.Add(scale(period))
		pos = 0
		if !c.waitUntil(&timer, origin) {
			return
		}
		c.buf = append(c.buf, ": replay loop "+strconv.Itoa(loop+1)+"\n"...)
	}
}

// waitUntil waits on the replay clock until t, sending keepalive comments
// on a long silence. It reports false when the client left or the server
// is closing.
func (c *conn) waitUntil(timer *clock.Timer, t time.Time) bool {
	clk := c.s.cfg.Clock
	for {
		now := clk.Now()
		if !now.Before(t) {
			return true
		}
		wait := t.Sub(now)
		keepalive := false
		if hb := c.s.cfg.Heartbeat; hb > 0 {
			if next := c.last.Add(hb); next.Before(t) {
				wait, keepalive = max(next.Sub(now), 0), true
			}
		}
		if *timer == nil {
			*timer = clk.NewTimer(wait)
		} else {
			(*timer).Reset(wait)
		}
		select {
		case <-c.ctx.Done():
			return false
		case <-c.s.stop:
			c.buf = append(c.buf, ": server closing\n"...)
			_ = c.flush()
			return false
		case <-(*timer).C():
			if keepalive && clk.Now().Before(t) {
				c.buf = append(c.buf, ": keepalive\n"...)
				if c.flush() != nil {
					return false
				}
			}
		}
	}
}

// appendFrame appends f in the event stream format, so that the client
// decodes the recorded id, type and data.
func (c *conn) appendFrame(f *frame) {
	switch f.kind {
	case record.KindComment:
		c.buf = append(c.buf, ": "...)
		c.buf = append(c.buf, f.comment...)
		c.buf = append(c.buf, '\n')
	case record.KindRetry:
		c.buf = append(c.buf, "retry: "...)
		c.buf = strconv.AppendInt(c.buf, f.retry.Milliseconds(), 10)
		c.buf = append(c.buf, '\n')
	case record.KindEvent:
		if f.id != c.curID {
			c.buf = append(c.buf, "id: "...)
			c.buf = append(c.buf, f.id...)
			c.buf = append(c.buf, '\n')
			c.curID = f.id
		}
		if f.typ != "" && f.typ != "message" {
			c.buf = append(c.buf, "event: "...)
			c.buf = append(c.buf, f.typ...)
			c.buf = append(c.buf, '\n')
		}
		data := f.data
		for {
			line, rest, more := strings.Cut(data, "\n")
			c.buf = append(c.buf, "data: "...)
			c.buf = append(c.buf, line...)
			c.buf = append(c.buf, '\n')
			if !more {
				break
			}
			data = rest
		}
		c.buf = append(c.buf, '\n')
	}
}
