package doctor

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ssemon/ssemon/client"
)

// PreviewBytes caps the start of a non-stream body kept as evidence.
const PreviewBytes = 512

// stop conditions of a probe besides its window.
const (
	untilWindow  = 0  // watch the whole window
	untilHeaders = -1 // stop once the response headers arrived
)

// read is one body read: when and how many bytes (before decompression).
type read struct {
	At time.Time
	N  int
}

// redirect is one followed redirect.
type redirect struct {
	Status int
	To     string
}

// conn is what the doctor observed of one connection. Its fields are
// written by the probe's goroutines until done is closed, then only read.
type conn struct {
	label  string
	sentID string

	mu sync.Mutex // guards the fields the HTTP trace sets: gotConn, wrote, firstByte, remote, tlsVer

	start     time.Time
	gotConn   time.Time
	wrote     time.Time
	firstByte time.Time // first response byte (the status line)
	headers   time.Time // the response headers were complete
	remote    string
	tlsVer    uint16

	err        error // no response: the transport failed
	status     int
	statusText string
	proto      string
	header     http.Header
	preview    string // start of a body that is not an event stream
	redirects  []redirect

	reads     []read
	readCount int
	readBytes int64
	firstRead time.Time
	end       time.Time
	endErr    error // how the body ended; nil at the window's end
	byServer  bool  // the server ended the body (EOF or reset)
	decodeErr error // the compressed body could not be decoded

	sc *scanner

	headersDone chan struct{} // closed when the response (or failure) is in
	done        chan struct{} // closed when the probe has finished
}

// stream reports whether the connection opened an event stream.
func (c *conn) stream() bool {
	return c.err == nil && c.status == http.StatusOK && isEventStream(c.header.Get("Content-Type"))
}

// trace holds what the HTTP trace recorded; read it with traced.
type trace struct {
	gotConn, wrote, firstByte time.Time
	remote                    string
	tlsVer                    uint16
}

// traced returns a copy of the trace (the transport's goroutines may
// still write it).
func (c *conn) traced() trace {
	c.mu.Lock()
	defer c.mu.Unlock()
	return trace{c.gotConn, c.wrote, c.firstByte, c.remote, c.tlsVer}
}

// ttfb is the time from the request to the complete response headers.
func (c *conn) ttfb() time.Duration {
	if c.headers.IsZero() {
		return 0
	}
	return c.headers.Sub(c.start)
}

// firstEvent is the time from the request to the first event (0: none).
func (c *conn) firstEvent() time.Duration {
	if len(c.sc.events) == 0 {
		return 0
	}
	return c.sc.events[0].At.Sub(c.start)
}

func isEventStream(ct string) bool { return client.FormatOf(ct) == client.FormatSSE }

// transport builds the doctor's own transport: a clone of the default one,
// HTTP/2 when TLS offers it, compression handled by the doctor itself (it
// must see Content-Encoding), the TLS options of the request honoured.
func transport(cfg Config) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyFromEnvironment
	tr.DisableCompression = true
	tr.MaxConnsPerHost = 0
	tr.MaxIdleConnsPerHost = -1 // a stream connection is never reused
	tr.ResponseHeaderTimeout = 0
	tr.ForceAttemptHTTP2 = true
	tc, err := cfg.Stream.TLSConfig()
	if err != nil {
		var ce *client.ConfigError
		if errors.As(err, &ce) {
			return nil, &ConfigError{Field: ce.Field, Msg: ce.Msg, Err: ce.Err}
		}
		return nil, err
	}
	if tc != nil {
		tr.TLSClientConfig = tc
	}
	return tr, nil
}

// start opens a connection in the background, waits for its response
// headers at most wait, then watches it for window, or until the stop condition (untilWindow, untilHeaders, or a number of
// events). lastID, when set, is sent as Last-Event-ID.
func (d *doctor) start(ctx context.Context, label, lastID string, wait, window time.Duration, until int) *conn {
	c := &conn{label: label, sentID: lastID, sc: newScanner(d.cfg.LongLine),
		headersDone: make(chan struct{}), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(ctx)
	// The window bounds the wait for the response headers, then, from
	// the headers on, the watch.
	timer := d.clk.NewTimer(wait)
	go func() {
		headers := c.headersDone
		for {
			select {
			case <-timer.C():
				cancel()
			case <-headers:
				headers = nil
				timer.Stop()
				timer = d.clk.NewTimer(window)
				d.cfg.Logger.Debug("doctor: watching", "connection", c.label, "for", window)
				continue
			case <-c.done:
			case <-ctx.Done():
			}
			timer.Stop()
			return
		}
	}()
	go func() {
		defer close(c.done)
		defer cancel()
		d.probe(ctx, c, until)
	}()
	return c
}

func (d *doctor) request(ctx context.Context, c *conn) (*http.Request, error) {
	var body io.Reader = http.NoBody
	if len(d.cfg.Stream.Body) > 0 {
		body = bytes.NewReader(d.cfg.Stream.Body)
	}
	trace := &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.gotConn = d.clk.Now()
			if i.Conn != nil {
				c.remote = i.Conn.RemoteAddr().String()
				if tc, ok := i.Conn.(*tls.Conn); ok {
					c.tlsVer = tc.ConnectionState().Version
				}
			}
		},
		WroteRequest: func(httptrace.WroteRequestInfo) {
			c.mu.Lock()
			c.wrote = d.clk.Now()
			c.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			c.mu.Lock()
			c.firstByte = d.clk.Now()
			c.mu.Unlock()
		},
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), d.cfg.Stream.Method, d.cfg.Stream.URL, body)
	if err != nil {
		return nil, err
	}
	req.Header = d.cfg.Stream.Headers.Clone()
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	setDefault(req.Header, "Accept", "text/event-stream")
	setDefault(req.Header, "Cache-Control", "no-cache")
	setDefault(req.Header, "Accept-Encoding", "gzip, deflate") // as a browser would: compression must show
	if d.cfg.Origin != "" {
		req.Header.Set("Origin", d.cfg.Origin)
	}
	if c.sentID != "" {
		req.Header.Set("Last-Event-ID", c.sentID)
	}
	return req, nil
}

func setDefault(h http.Header, k, v string) {
	if h.Get(k) == "" {
		h.Set(k, v)
	}
}

// probe runs one connection to its end.
func (d *doctor) probe(ctx context.Context, c *conn, until int) {
	headersClosed := false
	closeHeaders := func() {
		if !headersClosed {
			headersClosed = true
			close(c.headersDone)
		}
	}
	defer closeHeaders()
	c.start = d.clk.Now()
	req, err := d.request(ctx, c)
	if err != nil {
		c.err = err
		return
	}
	hc := &http.Client{Transport: d.rt, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if len(via) > d.maxRedirects {
			return fmt.Errorf("stopped after %d redirects", d.maxRedirects)
		}
		if r.Response != nil {
			c.redirects = append(c.redirects, redirect{Status: r.Response.StatusCode, To: r.URL.Redacted()})
		}
		return nil
	}}
	resp, err := hc.Do(req)
	c.headers = d.clk.Now()
	if err != nil {
		c.headers = time.Time{}
		c.end = d.clk.Now()
		if ctx.Err() == nil {
			c.err = err
		}
		return
	}
	defer resp.Body.Close()
	c.status, c.statusText, c.proto, c.header = resp.StatusCode, resp.Status, resp.Proto, resp.Header
	c.mu.Lock()
	if c.firstByte.IsZero() {
		c.firstByte = c.headers
	}
	c.mu.Unlock()
	closeHeaders()
	d.cfg.Logger.Debug("doctor: response", "connection", c.label, "status", c.status, "proto", c.proto)
	if !c.stream() {
		c.preview = readPreview(resp.Body)
		c.end = d.clk.Now()
		return
	}
	if until == untilHeaders {
		c.end = d.clk.Now()
		return
	}
	raw := &timedReader{r: resp.Body, c: c, now: d.clk.Now}
	var body io.Reader = raw
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	buf := make([]byte, 32<<10)
	for {
		if enc != "" && enc != "identity" && body == io.Reader(raw) {
			switch enc {
			case "gzip", "x-gzip":
				body, err = gzip.NewReader(raw)
			case "deflate":
				body, err = zlib.NewReader(raw)
			default:
				err = fmt.Errorf("content encoding %q cannot be decoded here", enc)
			}
			if err != nil {
				c.decodeErr = err
				// keep timing the raw bytes without decoding them
				_, err = io.CopyBuffer(io.Discard, raw, buf)
				d.ended(ctx, c, err)
				return
			}
		}
		n, err := body.Read(buf)
		if n > 0 {
			c.sc.feed(buf[:n], d.clk.Now())
			if until > 0 && c.sc.eventCount >= until {
				c.end = d.clk.Now()
				return
			}
		}
		if err != nil {
			d.ended(ctx, c, err)
			return
		}
	}
}

// ended records how a body ended: by the window (ctx cancelled) or by
// the server.
func (d *doctor) ended(ctx context.Context, c *conn, err error) {
	c.end = d.clk.Now()
	c.sc.finish(c.end, ctx.Err() == nil)
	if ctx.Err() != nil {
		return
	}
	c.byServer = true
	if !errors.Is(err, io.EOF) {
		c.endErr = err
	}
}

// timedReader stamps every read of the raw body.
type timedReader struct {
	r   io.Reader
	c   *conn
	now func() time.Time
}

func (t *timedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		at := t.now()
		c := t.c
		if c.readCount == 0 {
			c.firstRead = at
		}
		c.readCount++
		c.readBytes += int64(n)
		if len(c.reads) < MaxKeptReads {
			c.reads = append(c.reads, read{At: at, N: n})
		}
	}
	return n, err
}

// readPreview reads the start of a body, as printable text.
func readPreview(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, PreviewBytes))
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// mediaParams parses a Content-Type; errors give no parameters.
func mediaParams(ct string) (string, map[string]string) {
	mt, p, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
		return strings.ToLower(strings.TrimSpace(mt)), nil
	}
	return mt, p
}
