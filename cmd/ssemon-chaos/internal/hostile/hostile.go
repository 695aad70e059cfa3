// Package hostile is an HTTP server that misbehaves on purpose, one way per
// path, to prove that SSE Monitor stays honest and bounded whatever a
// server sends: a 1 GiB line, endless data lines with no blank line,
// invalid UTF-8, NUL and control bytes in ids, an HTML page, error
// statuses, a redirect loop, headers that never come, a huge header,
// extreme retry values and a flood of comments.
//
// Endless answers stop when the client goes away; the server counts what
// it wrote so a test can tell how far the client read before giving up.
package hostile

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultHugeLineBytes   = 1 << 30
	DefaultHugeHeaderBytes = 16 << 20
	DefaultWriteChunk      = 64 << 10
	DefaultRetryAfter      = 2 * time.Second
)

// Case is one hostile behaviour.
type Case struct {
	// Name identifies the case; Path is "/" + Name.
	Name string
	// Path is the URL path that serves it.
	Path string
	// Sends says what the server sends.
	Sends string
}

// cases is the constant table of behaviours, in presentation order.
var cases = [...]Case{
	{"huge-line", "/huge-line", "200 event stream, then one data line of 1 GiB"},
	{"no-blank-line", "/no-blank-line", "200 event stream, endless 1 KiB data lines, never a blank line"},
	{"invalid-utf8", "/invalid-utf8", "events whose data and id hold invalid UTF-8, then a held connection"},
	{"control-ids", "/control-ids", "an id with NUL (ignored by the spec), then an id with control bytes, then the end of the response"},
	{"html", "/html", "200 text/html error page"},
	{"status-401", "/status-401", "401 with a JSON body"},
	{"status-403", "/status-403", "403 with a JSON body"},
	{"status-404", "/status-404", "404 with a JSON body"},
	{"status-500", "/status-500", "500 with a JSON body"},
	{"status-503", "/status-503", "503 with Retry-After: 2"},
	{"status-204", "/status-204", "204 No Content"},
	{"redirect-loop", "/redirect-loop", "302 to itself, forever"},
	{"no-headers", "/no-headers", "accepts the request and never answers"},
	{"huge-header", "/huge-header", "a 16 MiB response header, then an event stream"},
	{"retry-zero", "/retry-zero", "retry: 0, one event, end of response"},
	{"retry-huge", "/retry-huge", "retry: 999999999999, one event, end of response"},
	{"comment-flood", "/comment-flood", "200 event stream, endless comments, no event"},
}

// Cases returns every behaviour, in presentation order (a copy).
func Cases() []Case { return slices.Clone(cases[:]) }

// Config configures a Server. Zero fields take the default written next to
// them; New copies it.
type Config struct {
	// HugeLineBytes is the length of huge-line's line. Default
	// DefaultHugeLineBytes (1 GiB), generated as it is written.
	HugeLineBytes int64
	// HugeHeaderBytes is the size of huge-header's header value. Default
	// DefaultHugeHeaderBytes (16 MiB, past net/http's 10 MiB client cap).
	HugeHeaderBytes int
	// WriteChunk is the size of each write of an endless answer. Default
	// DefaultWriteChunk (64 KiB).
	WriteChunk int
	// RetryAfter is status-503's Retry-After, in whole seconds. Default
	// DefaultRetryAfter (2 s).
	RetryAfter time.Duration
	// Logger receives one Debug line per request. Default: discard.
	Logger *slog.Logger
}

// Stats are what the server saw and sent for one case.
type Stats struct {
	// Requests counts the requests to the case's path.
	Requests int
	// BytesWritten counts body bytes written (header bytes not included).
	BytesWritten int64
	// LastEventIDs lists the Last-Event-ID header of each request ("" when
	// absent), at most the first 16.
	LastEventIDs []string
}

// Server serves the hostile cases. Its methods are safe for concurrent use.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux

	hugeValue string // built once: its memory is the server's, not the client's

	mu    sync.Mutex
	stats map[string]*Stats
}

// New returns a Server; mount Handler on a loopback listener.
func New(cfg Config) *Server {
	if cfg.HugeLineBytes <= 0 {
		cfg.HugeLineBytes = DefaultHugeLineBytes
	}
	if cfg.HugeHeaderBytes <= 0 {
		cfg.HugeHeaderBytes = DefaultHugeHeaderBytes
	}
	if cfg.WriteChunk <= 0 {
		cfg.WriteChunk = DefaultWriteChunk
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = DefaultRetryAfter
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), stats: make(map[string]*Stats),
		hugeValue: strings.Repeat("h", cfg.HugeHeaderBytes)}
	handlers := map[string]func(w http.ResponseWriter, r *http.Request, name string){
		"huge-line":     s.hugeLine,
		"no-blank-line": s.noBlankLine,
		"invalid-utf8":  s.invalidUTF8,
		"control-ids":   s.controlIDs,
		"html":          s.html,
		"redirect-loop": s.redirectLoop,
		"no-headers":    s.noHeaders,
		"huge-header":   s.hugeHeader,
		"retry-zero":    s.retry("0"),
		"retry-huge":    s.retry("999999999999"),
		"comment-flood": s.commentFlood,
	}
	for _, c := range cases {
		h := handlers[c.Name]
		if code, ok := strings.CutPrefix(c.Name, "status-"); ok {
			n, _ := strconv.Atoi(code)
			h = s.status(n)
		}
		name := c.Name
		s.mux.HandleFunc("GET "+c.Path, func(w http.ResponseWriter, r *http.Request) {
			s.count(name, r)
			s.log.Debug("hostile request", "case", name, "last_event_id", r.Header.Get("Last-Event-ID"))
			h(w, r, name)
		})
	}
	return s
}

// Handler serves every case at its Path.
func (s *Server) Handler() http.Handler { return s.mux }

// Stats returns a copy of what the server saw and sent for the case name.
func (s *Server) Stats(name string) Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats[name]
	if st == nil {
		return Stats{}
	}
	out := *st
	out.LastEventIDs = append([]string(nil), st.LastEventIDs...)
	return out
}

func (s *Server) count(name string, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats[name]
	if st == nil {
		st = &Stats{}
		s.stats[name] = st
	}
	st.Requests++
	if len(st.LastEventIDs) < 16 {
		st.LastEventIDs = append(st.LastEventIDs, r.Header.Get("Last-Event-ID"))
	}
}

func (s *Server) wrote(name string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.stats[name]; st != nil {
		st.BytesWritten += int64(n)
	}
}

// write writes b and flushes; false once the client is gone.
func (s *Server) write(w http.ResponseWriter, name string, b []byte) bool {
	n, err := w.Write(b)
	s.wrote(name, n)
	if err != nil {
		return false
	}
	return http.NewResponseController(w).Flush() == nil
}

func startStream(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
}

// endless writes chunk until the client goes away or limit bytes were
// written (limit <= 0: no limit).
func (s *Server) endless(w http.ResponseWriter, r *http.Request, name string, chunk []byte, limit int64) {
	var sent int64
	for r.Context().Err() == nil && (limit <= 0 || sent < limit) {
		b := chunk
		if limit > 0 && int64(len(b)) > limit-sent {
			b = b[:limit-sent]
		}
		if !s.write(w, name, b) {
			return
		}
		sent += int64(len(b))
	}
}

func (s *Server) hugeLine(w http.ResponseWriter, r *http.Request, name string) {
	startStream(w)
	if !s.write(w, name, []byte("data: ")) {
		return
	}
	s.endless(w, r, name, []byte(strings.Repeat("a", s.cfg.WriteChunk)), s.cfg.HugeLineBytes)
	s.write(w, name, []byte("\n\n"))
}

func (s *Server) noBlankLine(w http.ResponseWriter, r *http.Request, name string) {
	startStream(w)
	line := "data: " + strings.Repeat("x", 1017) + "\n" // 1 KiB a line
	s.endless(w, r, name, []byte(strings.Repeat(line, max(s.cfg.WriteChunk/len(line), 1))), 0)
}

// hold keeps a stream open with a comment every 100 ms until the client
// goes away.
func (s *Server) hold(w http.ResponseWriter, r *http.Request, name string) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
			if !s.write(w, name, []byte(": hold\n")) {
				return
			}
		}
	}
}

func (s *Server) invalidUTF8(w http.ResponseWriter, r *http.Request, name string) {
	startStream(w)
	if !s.write(w, name, []byte("id: 1\nevent: bad\xffutf8\ndata: ok \xff\xfe \xc3\x28 \xed\xa0\x80 end\n\nid: 2\xc3\ndata: second\n\n")) {
		return
	}
	s.hold(w, r, name)
}

func (s *Server) controlIDs(w http.ResponseWriter, r *http.Request, name string) {
	startStream(w)
	s.write(w, name, []byte("retry: 200\nid: 7\ndata: seven\n\nid: 8\x00x\ndata: nul id ignored\n\nid: 9\x01\x1b[2J\r\ndata: control id\n\n"))
}

func (s *Server) html(w http.ResponseWriter, r *http.Request, name string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	s.write(w, name, []byte("<!doctype html><html><head><title>Login</title></head><body><h1>Please sign in</h1>"+
		"<p>data: this is not an event</p>\n\n</body></html>\n"))
}

func (s *Server) status(code int) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, name string) {
		if code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", strconv.Itoa(int(s.cfg.RetryAfter/time.Second)))
		}
		if code == http.StatusNoContent {
			w.WriteHeader(code)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		s.write(w, name, fmt.Appendf(nil, `{"error":%q,"status":%d}`+"\n", http.StatusText(code), code))
	}
}

func (s *Server) redirectLoop(w http.ResponseWriter, r *http.Request, name string) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	http.Redirect(w, r, fmt.Sprintf("/redirect-loop?n=%d", n+1), http.StatusFound)
}

func (s *Server) noHeaders(w http.ResponseWriter, r *http.Request, name string) {
	<-r.Context().Done()
}

func (s *Server) hugeHeader(w http.ResponseWriter, r *http.Request, name string) {
	w.Header().Set("X-Huge", s.hugeValue)
	startStream(w)
	if s.write(w, name, []byte("id: 1\ndata: after a huge header\n\n")) {
		s.hold(w, r, name)
	}
}

func (s *Server) retry(v string) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, name string) {
		startStream(w)
		s.write(w, name, []byte("retry: "+v+"\nid: 1\ndata: one event, then the end\n\n"))
	}
}

func (s *Server) commentFlood(w http.ResponseWriter, r *http.Request, name string) {
	startStream(w)
	line := ": flood " + strings.Repeat("c", 55) + "\n" // 64 bytes a comment
	s.endless(w, r, name, []byte(strings.Repeat(line, max(s.cfg.WriteChunk/len(line), 1))), 0)
}
