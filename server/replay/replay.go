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
	"time"
	"unicode/utf8"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/record"
	"github.com/ssemon/ssemon/server/internal/httpjson"
	"github.com/ssemon/ssemon/server/internal/hub"
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
	info   ChannelInfo
	url    string
	frames []frame
	resume map[string]int // event id → index after the event that set it
	refuse *refusal
	opened bool
	k      hub.Counters
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

	hub       *hub.Hub
	skipped   int
	truncated bool
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
	s := &Server{cfg: cfg, log: cfg.Logger, byName: make(map[string]*channel),
		hub: hub.New(hub.Config{MaxSubscribers: cfg.MaxSubscribers, WriteTimeout: cfg.WriteTimeout, Retry: time.Second, Clock: cfg.Clock, Logger: cfg.Logger})}
	if err := s.load(); err != nil {
		return nil, &Error{File: cfg.File, Err: err}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/stream/{channel}", s.handleStream)
	mux.HandleFunc("POST /api/stream/{channel}", s.handleStream)
	mux.HandleFunc("GET /api/channels", s.handleChannels)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	s.handler = hub.Handler(mux)
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
	if s.hub.Down() {
		return ErrClosed
	}
	s.log.Info("replaying", "addr", ln.Addr().String(), "file", s.cfg.File, "channels", len(s.channels))
	return s.hub.Serve(ctx, ln, hub.ServeOptions{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		MaxHeaderBytes:    16 << 10,
		ShutdownTimeout:   s.cfg.ShutdownTimeout,
		Logger:            s.log,
	})
}

// Close ends every stream (a final comment, then a clean end) and waits
// until their handlers returned. New streams get 503. Safe to call more
// than once.
func (s *Server) Close() error {
	s.hub.Close("server closing", s.cfg.ShutdownTimeout)
	return nil
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
		out.Channels = append(out.Channels, entry{ChannelInfo: ch.info, URL: scheme + "://" + r.Host + ch.info.Path, Subscribers: ch.k.Subscribers.Load()})
	}
	httpjson.Write(w, http.StatusOK, out)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	closed, subs := s.hub.Down(), s.hub.Subscribers()
	status, word := http.StatusOK, "ok"
	if closed {
		status, word = http.StatusServiceUnavailable, "shutting down"
	}
	httpjson.Write(w, status, struct {
		Status      string `json:"status"`
		Channels    int    `json:"channels"`
		Subscribers int    `json:"subscribers"`
		Refused     uint64 `json:"refused"`
	}{word, len(s.channels), subs, s.hub.RejectedFull.Load() + s.hub.RejectedClosed.Load()})
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
	c := &conn{s: s, ch: ch, curID: lastID, pos: pos, loop: 1}
	// Start before the client can see the response.
	c.last = s.cfg.Clock.Now()
	c.origin = c.last.Add(-c.scale(base))
	if lastID != "" && !found {
		c.pre = hub.AppendCommentLine(nil, "last event id "+sanitizeComment(lastID)+" is not in the recording; replaying from the start")
	}
	hc := s.hub.Admit(w, r, name, &ch.k)
	if hc == nil {
		return
	}
	defer c.stopTimer()
	s.hub.Stream(w, r, hc, nil, c)
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

// conn is one client connection's replay: its feed (hub.Feed).
type conn struct {
	s      *Server
	ch     *channel
	curID  string
	pre    []byte    // a comment to send first
	pos    int       // next frame
	origin time.Time // replay-clock time of recording offset 0
	loop   int
	last   time.Time // last write (replay clock)
	timer  clock.Timer
}

func (c *conn) stopTimer() {
	if c.timer != nil {
		c.timer.Stop()
	}
}

func (c *conn) scale(d time.Duration) time.Duration { return time.Duration(float64(d) / c.s.cfg.Speed) }

// Next implements hub.Feed: the channel's frames from c.pos at their
// recorded pace, the recording time c.base being when the connection
// opened; everything due at once goes in one write.
func (c *conn) Next(hc *hub.Conn, b []byte) ([]byte, error) {
	clk := c.s.cfg.Clock
	if c.pre != nil {
		b, c.pre = append(b, c.pre...), nil
		return b, nil
	}
	frames := c.ch.frames
	for {
		if c.pos >= len(frames) {
			if !c.s.cfg.Loop {
				return hub.AppendCommentLine(b, "end of recording"), io.EOF
			}
			next := c.origin.Add(c.scale(max(c.s.duration, minLoop)))
			if b, ok, err := c.waitUntil(hc, b, next); !ok {
				return b, err
			}
			c.origin, c.pos = next, 0
			c.loop++
			b = hub.AppendCommentLine(b, "replay loop "+strconv.Itoa(c.loop))
			continue
		}
		f := &frames[c.pos]
		if f.kind == kindDrop && !c.s.cfg.Drops {
			c.pos++
			continue
		}
		if b, ok, err := c.waitUntil(hc, b, c.origin.Add(c.scale(f.at))); !ok {
			return b, err
		}
		if f.kind == kindDrop {
			return b, io.EOF // the client reconnects, as it did then
		}
		b = c.appendFrame(b, f)
		c.pos++
		for c.pos < len(frames) && frames[c.pos].kind != kindDrop &&
			!clk.Now().Before(c.origin.Add(c.scale(frames[c.pos].at))) && len(b) < 64<<10 {
			b = c.appendFrame(b, &frames[c.pos])
			c.pos++
		}
		c.last = clk.Now()
		return b, nil
	}
}

// waitUntil waits on the replay clock until t. It reports false with what
// to return from Next when it must return first: a keepalive comment
// after a long silence (nil error), the stream ending or the client gone.
func (c *conn) waitUntil(hc *hub.Conn, b []byte, t time.Time) ([]byte, bool, error) {
	clk := c.s.cfg.Clock
	for {
		now := clk.Now()
		if !now.Before(t) && !hc.Ending() {
			return b, true, nil
		}
		wait := t.Sub(now)
		keepalive := false
		if hb := c.s.cfg.Heartbeat; hb > 0 {
			if next := c.last.Add(hb); next.Before(t) {
				wait, keepalive = max(next.Sub(now), 0), true
			}
		}
		if c.timer == nil {
			c.timer = clk.NewTimer(wait)
		} else {
			c.timer.Reset(wait)
		}
		var woke hub.Woke
		switch b, woke = hc.Wait(b, nil, c.timer.C()); woke {
		case hub.Ended:
			return b, false, io.EOF
		case hub.Gone:
			return b, false, hc.Context().Err()
		}
		if keepalive && clk.Now().Before(t) {
			c.last = clk.Now()
			return hub.AppendCommentLine(b, "keepalive"), false, nil
		}
	}
}

// appendFrame appends f in the event stream format, so that the client
// decodes the recorded id, type and data.
func (c *conn) appendFrame(b []byte, f *frame) []byte {
	switch f.kind {
	case record.KindComment:
		return hub.AppendCommentLine(b, f.comment)
	case record.KindRetry:
		return hub.AppendRetry(b, f.retry.Milliseconds())
	case record.KindEvent:
		ev := hub.Event{Data: f.data}
		if f.id != c.curID {
			ev.ID, ev.EmptyID, c.curID = f.id, f.id == "", f.id
		}
		if f.typ != "message" {
			ev.Type = f.typ
		}
		return hub.AppendEvent(b, &ev)
	}
	return b
}
