// Package faultproxy is a TCP proxy that sits between an SSE client and its
// server and injects the faults a network or a middlebox causes: a cut in the
// middle of an event or between two events (with a reset or a clean FIN), a
// stall that stops forwarding without closing anything, a slow drip of one
// byte at a time, garbage written into the stream between events, and
// refused connections.
//
// The proxy understands just enough of text/event-stream to find event
// boundaries in what the server sends; it never changes a byte it forwards.
// It listens on loopback only.
package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Config.
const (
	DefaultListen       = "127.0.0.1:0"
	DefaultDripInterval = 2 * time.Millisecond
	DefaultBufferSize   = 32 << 10
	DefaultDialTimeout  = 5 * time.Second
)

// DefaultGarbage is what Inject writes when given nothing: invalid UTF-8,
// NUL and control bytes, a line without a colon, an unknown field, a
// comment and a lone CR, ending on a blank line. A conforming client
// dispatches nothing for it and keeps its last event ID.
const DefaultGarbage = "\xff\xfe\x00garbage \x01\x02\x1b[31m without colon\n" +
	"x-unknown-field: \xc3\x28\x00\n" +
	":\xf0\x28\x8c\x28 comment\r" +
	"\n"

// Config configures a Proxy. Zero fields take the default written next to
// them; New copies it.
type Config struct {
	// Target is the upstream host:port. Required; it must be a loopback
	// address.
	Target string
	// Listen is the address the proxy listens on. Default DefaultListen
	// (127.0.0.1, a free port); it must be a loopback address.
	Listen string
	// DripInterval is the pause between two bytes while dripping.
	// Default DefaultDripInterval (2 ms).
	DripInterval time.Duration
	// BufferSize is the read buffer of each direction of a connection.
	// Default DefaultBufferSize (32 KiB).
	BufferSize int
	// DialTimeout bounds the connection to Target. Default
	// DefaultDialTimeout (5 s).
	DialTimeout time.Duration
	// Logger receives connection and fault logs at Debug level.
	// Default: discard.
	Logger *slog.Logger
}

// CutPoint says where in the stream a Cut happens.
type CutPoint uint8

// Cut points.
const (
	// CutNow cuts at once, wherever the stream is.
	CutNow CutPoint = iota + 1
	// CutMidEvent cuts inside an event: after part of one of its field
	// lines was forwarded and before the blank line that would dispatch it.
	CutMidEvent
	// CutBetweenEvents cuts at the start of a line outside any event (after
	// the blank line that dispatched one, or after a comment), before the
	// next byte; never before the first line of the body.
	CutBetweenEvents
)

// String returns "now", "mid-event" or "between-events".
func (c CutPoint) String() string {
	switch c {
	case CutNow:
		return "now"
	case CutMidEvent:
		return "mid-event"
	case CutBetweenEvents:
		return "between-events"
	}
	return fmt.Sprintf("CutPoint(%d)", uint8(c))
}

// CloseMode says how the client's side of a cut connection is closed.
type CloseMode uint8

// Close modes.
const (
	// Reset aborts the connection: the client reads "connection reset by
	// peer", as after a network failure.
	Reset CloseMode = iota + 1
	// FIN closes it cleanly: the client reads the end of the response.
	FIN
)

// String returns "reset" or "fin".
func (m CloseMode) String() string {
	if m == FIN {
		return "fin"
	}
	return "reset"
}

// ErrClosed is returned by methods of a closed Proxy.
var ErrClosed = errors.New("faultproxy: closed")

// AddrError reports a Listen or Target address that is not loopback.
type AddrError struct {
	// Field is "Listen" or "Target".
	Field string
	// Addr is the address given.
	Addr string
}

func (e *AddrError) Error() string {
	return fmt.Sprintf("faultproxy: %s %q is not a loopback host:port", e.Field, e.Addr)
}

// Stats are the proxy's counters since New.
type Stats struct {
	// Accepted counts client connections accepted.
	Accepted uint64
	// Active is the number of connections open now.
	Active int
	// DialErrors counts connections closed because Target could not be
	// reached.
	DialErrors uint64
	// Cuts counts connections cut by Cut.
	Cuts uint64
	// Injections counts garbage injections written.
	Injections uint64
	// BytesDown counts bytes forwarded (handed to the client's socket)
	// from the server to clients, garbage not included; BytesUp from
	// clients to the server.
	BytesDown, BytesUp uint64
	// WritesDown counts the writes that forwarded BytesDown (one per byte
	// while dripping).
	WritesDown uint64
	// Refusing reports that the proxy refuses connections now.
	Refusing bool
	// LastDown is when the last forwarded server bytes were handed to a
	// client's socket (zero: never). A client cannot have received
	// anything from the server after it.
	LastDown time.Time
}

// Proxy forwards TCP connections to Config.Target and injects faults on
// demand. Its methods are safe for concurrent use.
type Proxy struct {
	cfg  Config
	log  *slog.Logger
	addr string

	mu       sync.Mutex
	ln       net.Listener // nil while refusing
	conns    map[*conn]struct{}
	drip     bool
	closed   bool
	acceptWG sync.WaitGroup
	connWG   sync.WaitGroup
	done     chan struct{}

	accepted, dialErrors, cuts, injections atomic.Uint64
	bytesDown, bytesUp, writesDown         atomic.Uint64
	// start and lastDown (time after start of the last completed
	// downstream write, +1 ns; 0: none) give Stats.LastDown.
	start    time.Time
	lastDown atomic.Int64

	// onArmed, when set before the first Cut or Inject, is called once an
	// op is armed on every connection (tests).
	onArmed func()
}

// New listens on cfg.Listen and starts forwarding to cfg.Target.
func New(cfg Config) (*Proxy, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.DripInterval <= 0 {
		cfg.DripInterval = DefaultDripInterval
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = DefaultBufferSize
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if !loopback(cfg.Target) {
		return nil, &AddrError{Field: "Target", Addr: cfg.Target}
	}
	if !loopback(cfg.Listen) {
		return nil, &AddrError{Field: "Listen", Addr: cfg.Listen}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		cfg:   cfg,
		log:   cfg.Logger,
		addr:  ln.Addr().String(),
		conns: make(map[*conn]struct{}),
		done:  make(chan struct{}),
		start: time.Now(),
	}
	p.startAccepting(ln)
	return p, nil
}

// loopback reports whether addr is host:port with a loopback host.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Addr returns the host:port the proxy listens on (it keeps it while
// refusing).
func (p *Proxy) Addr() string { return p.addr }

// Target returns the upstream address.
func (p *Proxy) Target() string { return p.cfg.Target }

func (p *Proxy) startAccepting(ln net.Listener) {
	p.ln = ln
	p.acceptWG.Add(1)
	go func() {
		defer p.acceptWG.Done()
		p.acceptLoop(ln)
	}()
}

func (p *Proxy) acceptLoop(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed: refusing or Close
		}
		p.accepted.Add(1)
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			return
		}
		pc := &conn{p: p, client: c, gone: make(chan struct{})}
		p.conns[pc] = struct{}{}
		p.connWG.Add(1)
		p.mu.Unlock()
		go pc.run()
	}
}

// Close stops listening, closes every connection and waits for every
// goroutine of the proxy to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	ln := p.ln
	p.ln = nil
	conns := p.snapshotLocked()
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	p.acceptWG.Wait()
	for _, c := range conns {
		c.close(Reset)
	}
	p.connWG.Wait()
	return nil
}

func (p *Proxy) snapshotLocked() []*conn {
	out := make([]*conn, 0, len(p.conns))
	for c := range p.conns {
		out = append(out, c)
	}
	return out
}

func (p *Proxy) snapshot() []*conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snapshotLocked()
}

// Stats returns the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	active, refusing := len(p.conns), p.ln == nil && !p.closed
	p.mu.Unlock()
	return Stats{
		Accepted:   p.accepted.Load(),
		Active:     active,
		DialErrors: p.dialErrors.Load(),
		Cuts:       p.cuts.Load(),
		Injections: p.injections.Load(),
		BytesDown:  p.bytesDown.Load(),
		BytesUp:    p.bytesUp.Load(),
		WritesDown: p.writesDown.Load(),
		Refusing:   refusing,
		LastDown:   p.lastDownTime(),
	}
}

func (p *Proxy) lastDownTime() time.Time {
	if d := p.lastDown.Load(); d > 0 {
		return p.start.Add(time.Duration(d - 1))
	}
	return time.Time{}
}

// WaitActive waits until at least n connections are open.
func (p *Proxy) WaitActive(ctx context.Context, n int) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if p.Stats().Active >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d proxied connections (have %d): %w", n, p.Stats().Active, ctx.Err())
		case <-p.done:
			return ErrClosed
		case <-t.C:
		}
	}
}

// Cut cuts every open connection at the given point of the server's stream
// and closes the client side as mode says (the server side is closed
// cleanly). It waits until each of them is cut (or ended otherwise), or ctx
// is done, and returns how many it cut.
func (p *Proxy) Cut(ctx context.Context, at CutPoint, mode CloseMode) (int, error) {
	switch at {
	case CutNow, CutMidEvent, CutBetweenEvents:
	default:
		return 0, fmt.Errorf("faultproxy: unknown cut point %d", at)
	}
	if mode != FIN {
		mode = Reset
	}
	if at == CutNow {
		n := 0
		for _, c := range p.snapshot() {
			if c.close(mode) {
				p.cuts.Add(1)
				n++
			}
		}
		p.log.Debug("cut", "at", at.String(), "mode", mode.String(), "connections", n)
		return n, nil
	}
	return p.arm(ctx, op{kind: opCut, at: at, mode: mode})
}

// Inject writes garbage (DefaultGarbage when empty) into every open
// connection, towards the client, at the next boundary between two events.
// It waits until each injection is written (or the connection ended), or
// ctx is done, and returns how many it wrote.
func (p *Proxy) Inject(ctx context.Context, garbage []byte) (int, error) {
	if len(garbage) == 0 {
		garbage = []byte(DefaultGarbage)
	}
	return p.arm(ctx, op{kind: opInject, at: CutBetweenEvents, data: append([]byte(nil), garbage...)})
}

// arm queues o on every open connection and waits for them.
func (p *Proxy) arm(ctx context.Context, o op) (int, error) {
	conns := p.snapshot()
	dones := make([]chan bool, 0, len(conns))
	for _, c := range conns {
		o := o
		o.done = make(chan bool, 1)
		if c.push(o) {
			dones = append(dones, o.done)
		}
	}
	if p.onArmed != nil {
		p.onArmed()
	}
	n := 0
	for _, d := range dones {
		select {
		case ok := <-d:
			if ok {
				n++
			}
		case <-ctx.Done():
			return n, ctx.Err()
		}
	}
	p.log.Debug("armed fault done", "kind", o.kind, "at", o.at.String(), "connections", n)
	return n, nil
}

// Stall stops forwarding, in both directions, on every connection open
// now, without closing anything, until Unstall. Connections opened later
// are not stalled. It returns how many connections it stalled.
func (p *Proxy) Stall() int {
	n := 0
	for _, c := range p.snapshot() {
		if c.stall() {
			n++
		}
	}
	p.log.Debug("stall", "connections", n)
	return n
}

// Unstall resumes forwarding on every stalled connection.
func (p *Proxy) Unstall() {
	for _, c := range p.snapshot() {
		c.unstall()
	}
}

// SetDrip switches slow drip on or off for every connection, open or
// future: while on, the server's bytes are forwarded one at a time,
// Config.DripInterval apart.
func (p *Proxy) SetDrip(on bool) {
	p.mu.Lock()
	p.drip = on
	p.mu.Unlock()
}

func (p *Proxy) dripping() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.drip
}

// SetRefuse switches refusing on or off. While on, the proxy does not
// listen: clients get "connection refused". Open connections are not
// touched (Cut them if needed). Turning it off listens again on the same
// address.
func (p *Proxy) SetRefuse(on bool) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if on {
		ln := p.ln
		p.ln = nil
		p.mu.Unlock()
		if ln != nil {
			_ = ln.Close()
			p.acceptWG.Wait()
		}
		p.log.Debug("refusing connections")
		return nil
	}
	defer p.mu.Unlock()
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("faultproxy: listen again on %s: %w", p.addr, err)
	}
	p.startAccepting(ln)
	p.log.Debug("accepting connections again")
	return nil
}

type opKind uint8

const (
	opCut opKind = iota + 1
	opInject
)

// op is a fault armed on a connection, applied by its downstream
// goroutine at the point in the stream it waits for.
type op struct {
	kind opKind
	at   CutPoint
	mode CloseMode
	data []byte
	done chan bool // receives true when applied, false when the connection ended first
}

// conn is one proxied connection.
type conn struct {
	p      *Proxy
	client net.Conn

	mu       sync.Mutex
	upstream net.Conn
	ops      []op
	stalled  chan struct{} // non-nil while stalled; closed by unstall
	ended    bool
	gone     chan struct{} // closed when the connection is closed
	scan     scanner       // touched by the downstream goroutine only
}

// push arms o; false when the connection has already ended.
func (c *conn) push(o op) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return false
	}
	c.ops = append(c.ops, o)
	return true
}

func (c *conn) stall() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || c.stalled != nil {
		return false
	}
	c.stalled = make(chan struct{})
	return true
}

func (c *conn) unstall() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stalled != nil {
		close(c.stalled)
		c.stalled = nil
	}
}

// waitStall blocks while the connection is stalled; false if it ended.
func (c *conn) waitStall() bool {
	for {
		c.mu.Lock()
		s := c.stalled
		c.mu.Unlock()
		if s == nil {
			return true
		}
		select {
		case <-s:
		case <-c.gone:
			return false
		}
	}
}

// close closes both sides; the client side as mode says. It reports false
// when the connection had already ended.
func (c *conn) close(mode CloseMode) bool {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return false
	}
	c.ended = true
	ops := c.ops
	c.ops = nil
	up := c.upstream
	close(c.gone)
	c.mu.Unlock()
	for _, o := range ops {
		o.done <- false
	}
	if tc, ok := c.client.(*net.TCPConn); ok && mode == Reset {
		_ = tc.SetLinger(0)
	}
	_ = c.client.Close()
	if up != nil {
		_ = up.Close()
	}
	return true
}

func (c *conn) run() {
	p := c.p
	defer p.connWG.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	d := net.Dialer{Timeout: p.cfg.DialTimeout}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-c.gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	up, err := d.DialContext(ctx, "tcp", p.cfg.Target)
	cancel()
	if err != nil {
		p.dialErrors.Add(1)
		p.log.Debug("dial upstream failed", "target", p.cfg.Target, "err", err)
		c.close(Reset)
		return
	}
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		_ = up.Close()
		return
	}
	c.upstream = up
	c.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.copyUp(up)
	}()
	c.copyDown(up)
	wg.Wait()
}

// copyUp forwards the client's bytes (the request) to the server.
func (c *conn) copyUp(up net.Conn) {
	buf := make([]byte, c.p.cfg.BufferSize)
	for {
		n, err := c.client.Read(buf)
		if n > 0 {
			if !c.waitStall() {
				return
			}
			if _, werr := up.Write(buf[:n]); werr != nil {
				c.close(Reset)
				return
			}
			c.p.bytesUp.Add(uint64(n))
		}
		if err != nil {
			if err == io.EOF {
				// The client half-closed; keep the response flowing.
				if tc, ok := up.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				}
				return
			}
			c.close(Reset)
			return
		}
	}
}

// copyDown forwards the server's bytes to the client, applying the armed
// faults, the stall and the drip.
func (c *conn) copyDown(up net.Conn) {
	buf := make([]byte, c.p.cfg.BufferSize)
	for {
		n, err := up.Read(buf)
		if n > 0 && !c.forward(buf[:n]) {
			return
		}
		if err != nil {
			c.close(FIN) // the server ended: pass its end on
			return
		}
	}
}

// forward writes chunk to the client; false once the connection ended.
func (c *conn) forward(chunk []byte) bool {
	for len(chunk) > 0 {
		if !c.waitStall() {
			return false
		}
		c.mu.Lock()
		var next *op
		if len(c.ops) > 0 {
			next = &c.ops[0]
		}
		c.mu.Unlock()

		drip := c.p.dripping()
		n := len(chunk)
		if drip {
			n = 1
		}
		if next != nil {
			i := 0
			for i < n && !c.scan.due(next) {
				c.scan.feedByte(chunk[i])
				i++
			}
			if i == 0 { // due now
				if !c.apply(*next) {
					return false
				}
				continue
			}
			n = i
		} else {
			c.scan.feed(chunk[:n])
		}
		if !c.write(chunk[:n]) {
			return false
		}
		chunk = chunk[n:]
		if drip && !c.pause(c.p.cfg.DripInterval) {
			return false
		}
	}
	return true
}

// apply applies the first armed op, which is due now.
func (c *conn) apply(o op) bool {
	c.mu.Lock()
	if len(c.ops) > 0 {
		c.ops = c.ops[1:]
	}
	c.mu.Unlock()
	switch o.kind {
	case opCut:
		if c.close(o.mode) {
			c.p.cuts.Add(1)
		}
		o.done <- true
		return false
	case opInject:
		data := c.scan.wrap(o.data)
		if _, err := c.client.Write(data); err != nil {
			o.done <- false
			c.close(Reset)
			return false
		}
		c.p.injections.Add(1)
		c.scan.feed(data)
		o.done <- true
	}
	return true
}

// write forwards b to the client. The counters move first, so that a
// client that has read the bytes sees them counted.
func (c *conn) write(b []byte) bool {
	c.p.bytesDown.Add(uint64(len(b)))
	c.p.writesDown.Add(1)
	if _, err := c.client.Write(b); err != nil {
		c.close(Reset)
		return false
	}
	c.p.lastDown.Store(int64(time.Since(c.p.start)) + 1)
	return true
}

// pause waits d; false if the connection ended meanwhile.
func (c *conn) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.gone:
		return false
	}
}

// maxLine caps the bytes of a header or chunk-size line the scanner keeps.
const maxLine = 8 << 10

// httpState is where the scanner is in an HTTP/1.x response.
type httpState uint8

const (
	hsHeader    httpState = iota // a response header block
	hsChunkSize                  // a chunk-size line
	hsChunkData                  // chunk data
	hsChunkEnd                   // the CRLF after chunk data
	hsTrailer                    // trailer lines after the last chunk
	hsFixed                      // a Content-Length body
	hsIdentity                   // a body that lasts until the connection closes
)

// scanner follows what the server sends: HTTP/1.x responses (status line,
// headers, chunked or Content-Length or close-delimited bodies, several
// responses on a kept-alive connection) and, inside bodies, the line and
// event structure of an event stream.
type scanner struct {
	hs      httpState
	line    []byte // the current header or chunk-size line (capped)
	first   bool   // the next header line is a status line
	status  int
	chunked bool
	length  int64 // Content-Length, -1 when absent
	remain  int64 // bytes left in the chunk or fixed body
	sse     sseScanner
	started bool // the first response has begun
}

// inBody reports whether the scanner is inside a response body, where a
// cut or an injection may happen.
func (s *scanner) inBody() bool {
	switch s.hs {
	case hsChunkData, hsChunkEnd, hsIdentity:
		return true
	case hsChunkSize:
		return len(s.line) == 0
	}
	return false
}

// due reports whether the armed op applies before the next byte.
func (s *scanner) due(o *op) bool {
	if o.kind == opInject {
		return ((s.hs == hsChunkSize && len(s.line) == 0) || s.hs == hsIdentity) && s.sse.at(CutBetweenEvents)
	}
	return s.inBody() && s.sse.at(o.at)
}

// wrap frames injected bytes for the body the scanner is in: as a chunk of
// their own in a chunked body, as they are otherwise.
func (s *scanner) wrap(b []byte) []byte {
	if s.hs != hsChunkSize {
		return b
	}
	return fmt.Appendf(nil, "%x\r\n%s\r\n", len(b), b)
}

func (s *scanner) feed(b []byte) {
	for _, c := range b {
		s.feedByte(c)
	}
}

func (s *scanner) feedByte(c byte) {
	if !s.started {
		s.started, s.first, s.length = true, true, -1
	}
	switch s.hs {
	case hsHeader, hsChunkSize, hsTrailer:
		if c != '\n' {
			if len(s.line) < maxLine {
				s.line = append(s.line, c)
			}
			return
		}
		line := strings.TrimRight(string(s.line), "\r")
		s.line = s.line[:0]
		s.endLine(line)
	case hsChunkData:
		s.sse.feedByte(c)
		if s.remain--; s.remain == 0 {
			s.hs = hsChunkEnd
		}
	case hsChunkEnd:
		if c == '\n' {
			s.hs = hsChunkSize
		}
	case hsFixed:
		s.sse.feedByte(c)
		if s.remain--; s.remain <= 0 {
			s.newResponse()
		}
	case hsIdentity:
		s.sse.feedByte(c)
	}
}

// newResponse expects the next response's status line.
func (s *scanner) newResponse() {
	s.hs, s.first, s.status, s.chunked, s.length = hsHeader, true, 0, false, -1
}

// endLine handles a complete header, chunk-size or trailer line.
func (s *scanner) endLine(line string) {
	switch s.hs {
	case hsHeader:
		switch {
		case s.first:
			s.first = false
			if _, rest, ok := strings.Cut(line, " "); ok && len(rest) >= 3 {
				s.status, _ = strconv.Atoi(rest[:3])
			}
		case line == "":
			s.bodyStarts()
		default:
			name, value, _ := strings.Cut(line, ":")
			value = strings.ToLower(strings.TrimSpace(value))
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "transfer-encoding":
				s.chunked = strings.Contains(value, "chunked")
			case "content-length":
				if n, err := strconv.ParseInt(value, 10, 64); err == nil && n >= 0 {
					s.length = n
				}
			}
		}
	case hsChunkSize:
		size, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		switch {
		case err != nil: // not chunked after all: follow the bytes as they come
			s.hs = hsIdentity
		case n == 0:
			s.hs = hsTrailer
		default:
			s.hs, s.remain = hsChunkData, n
		}
	case hsTrailer:
		if line == "" {
			s.newResponse()
		}
	}
}

// bodyStarts is called at the blank line ending a header block.
func (s *scanner) bodyStarts() {
	s.sse = sseScanner{}
	switch {
	case s.status >= 100 && s.status < 200, s.status == 204, s.status == 304:
		s.newResponse()
	case s.chunked:
		s.hs = hsChunkSize
	case s.length == 0:
		s.newResponse()
	case s.length > 0:
		s.hs, s.remain = hsFixed, s.length
	default:
		s.hs = hsIdentity
	}
}

// sseScanner follows the line and event structure of an event stream, byte
// by byte, as the WHATWG interpretation does: lines end at CR, LF or CRLF;
// a line starting with ':' is a comment; a blank line ends an event.
type sseScanner struct {
	midLine   bool // some bytes of the current line were seen
	comment   bool // the current line is a comment
	eventOpen bool // a field line was seen since the last blank line
	afterCR   bool // the previous byte was a CR (an LF now is part of that line end)
	lines     bool // a line has ended since the body started
}

// at reports whether the stream is at the point p now.
func (s *sseScanner) at(p CutPoint) bool {
	switch p {
	case CutMidEvent:
		return s.eventOpen && s.midLine && !s.comment
	case CutBetweenEvents:
		return s.lines && !s.midLine && !s.eventOpen && !s.afterCR
	}
	return true
}

func (s *sseScanner) feedByte(c byte) {
	switch c {
	case '\n':
		if s.afterCR {
			s.afterCR = false
			return
		}
		s.endLine()
	case '\r':
		s.endLine()
		s.afterCR = true
	default:
		s.afterCR = false
		if !s.midLine {
			s.midLine = true
			s.comment = c == ':'
			if !s.comment {
				s.eventOpen = true
			}
		}
	}
}

func (s *sseScanner) endLine() {
	if !s.midLine {
		s.eventOpen = false // a blank line ends the event
	}
	s.midLine, s.comment, s.lines = false, false, true
}
