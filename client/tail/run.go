package tail

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/record"
)

// Exit codes of Main, documented in --help and docs/tail.md.
const (
	// ExitOK: ended by --max-events, --timeout, or by the server (204, or
	// the end of the stream with --no-reconnect).
	ExitOK = 0
	// ExitFailed: a stream failed: an HTTP error status, a wrong
	// Content-Type, a TLS certificate, a redirect loop, an oversized event.
	ExitFailed = 1
	// ExitUsage: the command line cannot run: a bad flag, URL, header,
	// pattern, workspace or file.
	ExitUsage = 2
	// ExitUnreachable: with --no-reconnect, a connection failed: host
	// unreachable, connection refused or reset, timeout, stall.
	ExitUnreachable = 3
	// ExitIO: the output or the recording could not be written.
	ExitIO = 4
	// ExitExpect: the run ended with fewer events shown than expected
	// (--expect N, or --max-events N with --timeout).
	ExitExpect = 6
	// ExitInterrupted: stopped by a signal (Ctrl-C, SIGTERM).
	ExitInterrupted = 130
)

// QueueSize bounds the entries waiting to be printed. When it is full, the
// streams wait (the output is the bottleneck): nothing is dropped.
const QueueSize = 4096

// Tool is the name written in recordings and messages.
const Tool = "ssemon-tail"

// Env is what Main needs from the process. Zero fields take the default
// written next to them.
type Env struct {
	// Stdin is read by "-d @-". Default: nothing to read.
	Stdin io.Reader
	// Stdout receives the output. Default: discarded.
	Stdout io.Writer
	// Stderr receives errors, one line each. Default: discarded.
	Stderr io.Writer
	// Terminal reports that Stdout is a terminal: --color=auto then
	// colours the output. Default false.
	Terminal bool
	// Getenv reads NO_COLOR and TERM. Default: os.Getenv.
	Getenv func(string) string
	// LookupEnv resolves ${NAME} in workspace files. Default: os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Clock drives the streams' timers, --timeout and the timestamps.
	// Default: clock.Real().
	Clock clock.Clock
	// Location is the time zone of human output. Default: time.Local.
	Location *time.Location
	// Transport carries every stream's requests (tests). Default: each
	// stream its own, honouring --cacert and --insecure.
	Transport http.RoundTripper
	// Logger receives the engine's logs. Default: discarded.
	Logger *slog.Logger
	// Version is printed by --version. Default: the module's build
	// information (client.ReadBuildInfo).
	Version string
}

func (e *Env) defaults() {
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.LookupEnv == nil {
		e.LookupEnv = os.LookupEnv
	}
	if e.Clock == nil {
		e.Clock = clock.Real()
	}
	if e.Location == nil {
		e.Location = time.Local
	}
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
	if e.Version == "" {
		e.Version = client.ReadBuildInfo().String()
	}
}

// Main runs ssemon-tail with the command-line args (without the program
// name) until the session ends, and returns the exit code. Cancelling ctx
// (on a signal) ends the session with ExitInterrupted.
func Main(ctx context.Context, args []string, env Env) int {
	env.defaults()
	opts, err := Parse(args, env.Stdin, env.LookupEnv)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %s\n", Tool, oneLine(err.Error(), 400))
		return ExitUsage
	}
	switch {
	case opts.Help:
		io.WriteString(env.Stdout, Usage)
		return ExitOK
	case opts.Version:
		fmt.Fprintf(env.Stdout, "%s %s\n", Tool, env.Version)
		return ExitOK
	}
	if opts.Play != "" {
		return play(ctx, opts, env)
	}
	if opts.Check.Enabled {
		return runCheck(ctx, opts, env)
	}
	return run(ctx, opts, env)
}

// play prints a recording with the output options and filters of a live
// session, as fast as the output takes it.
func play(ctx context.Context, opts *Options, env Env) int {
	var in io.Reader
	if opts.Play == "-" {
		if env.Stdin == nil {
			fmt.Fprintf(env.Stderr, "%s: --play -: no standard input\n", Tool)
			return ExitUsage
		}
		in = env.Stdin
	} else {
		f, err := os.Open(opts.Play)
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: --play: %s\n", Tool, err)
			return ExitUsage
		}
		defer f.Close()
		in = f
	}
	s := &session{opts: opts, env: env, parent: ctx, cancel: func(error) {}}
	out := bufio.NewWriterSize(env.Stdout, 64<<10)
	var p printer = jsonPrinter{}
	if !opts.JSON {
		p = newHumanPrinter(nil, env.Location, s.useColor(), opts.Compact)
	}
	tp := opts.Model.printer(p, out, env.Stderr, s.useColor())
	if tp != nil {
		p = tp
	}
	w := &writer{s: s, out: out, p: p, alerts: newAlerter(opts, time.Time{})}
	if w.alerts != nil {
		w.alerts.replay = true
	}
	rd := record.NewReader(in, record.ReaderConfig{})
	code := ExitOK
	// A recording made before the ids were checked has no findings: the
	// sequencer finds them again (the same one a live run uses).
	seqs := make(map[string]*client.Sequencer)
	for !w.stopped && ctx.Err() == nil {
		e, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: --play %s: %s\n", Tool, opts.Play, oneLine(err.Error(), 400))
			code = ExitUsage
			break
		}
		switch e.Kind {
		case record.KindRecording, record.KindEnd:
			continue
		case record.KindChannel:
			if hp, ok := p.(*humanPrinter); ok {
				hp.addChannel(e.Channel)
			} else {
				w.buf = p.appendEntry(w.buf[:0], &e)
				out.Write(w.buf)
			}
			continue
		}
		refind(seqs, &e)
		w.take(&item{e: e})
	}
	tp.finish(env.Clock.Now())
	if err := out.Flush(); err != nil && w.ioErr == nil {
		w.ioErr = fmt.Errorf("output: %w", err)
	}
	switch {
	case ctx.Err() != nil:
		return ExitInterrupted
	case w.ioErr != nil:
		fmt.Fprintf(env.Stderr, "%s: %s\n", Tool, w.ioErr)
		return ExitIO
	}
	return code
}

// refind runs a recorded entry through its channel's sequencer: an event
// without a recorded finding gets the one the sequencer finds.
func refind(seqs map[string]*client.Sequencer, e *record.Entry) {
	sq := seqs[e.Channel]
	if sq == nil {
		sq = new(client.Sequencer)
		seqs[e.Channel] = sq
	}
	switch {
	case e.Kind == record.KindState && e.State == client.Open:
		sq.Reconnected()
	case e.Kind == record.KindEvent || sequenced(e):
		if f := sq.Next(e.ID, e.Type, e.Data); e.Finding.Kind == client.FindingNone {
			e.Finding = f
		}
	}
}

// sequenced reports an oversized event's last report: the event was
// received, skipped, and its id counts in the sequence.
func sequenced(e *record.Entry) bool {
	return e.Kind == record.KindOversized && !e.Oversized.More && !e.Oversized.Comment
}

// item is one entry on its way to the output, with the exit code it
// implies (0 for none).
type item struct {
	e    record.Entry
	exit int
	// tick, when set, evaluates the alert rules at that time (no entry).
	tick time.Time
	// x, when set, is a connection attempt's record (e has the channel
	// and time only).
	x *client.Exchange
	// raw, when set, is body bytes as they arrived (--raw).
	raw []byte
}

// session is one run of Main.
type session struct {
	opts   *Options
	env    Env
	parent context.Context // Main's context: done on a signal
	start  time.Time
	queue  chan item
	done   chan struct{} // closed when the writer stops taking entries
	cancel context.CancelCauseFunc
	names  []string
	types  map[string][]string // a channel's own event types (workspace)

	mu     sync.Mutex
	reason string // why the session was stopped ("" while running)
}

// stop ends the session for reason (first reason wins).
func (s *session) stop(reason string) {
	s.mu.Lock()
	if s.reason == "" {
		s.reason = reason
	}
	s.mu.Unlock()
	s.cancel(errors.New(reason))
}

func (s *session) stopReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}

// stamp maps a clock reading to the session timeline: the wall time at the
// start plus the monotonic time elapsed since, so that intervals between
// recorded times are true intervals.
func (s *session) stamp(t time.Time) time.Time { return s.start.Add(t.Sub(s.start)).Round(0) }

func (s *session) send(it item) {
	select {
	case s.queue <- it:
	case <-s.done:
	}
}

func (s *session) maskEntry(e *record.Entry) {
	if s.opts.ShowSecrets {
		return
	}
	e.Error = record.MaskText(e.Error)
	e.Detail = record.MaskText(e.Detail)
}

func run(ctx context.Context, opts *Options, env Env) int {
	s := &session{opts: opts, env: env, parent: ctx, start: env.Clock.Now(), queue: make(chan item, QueueSize), done: make(chan struct{})}
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.cancel = cancel
	s.types = make(map[string][]string)
	for _, t := range opts.Targets {
		s.names = append(s.names, t.Name)
		if len(t.EventTypes) > 0 {
			s.types[t.Name] = t.EventTypes
		}
	}

	// Build every stream first: a bad header or CA file is a usage error
	// before anything connects.
	streams := make([]*client.Stream, len(opts.Targets))
	handlers := make([]*streamHandler, len(opts.Targets))
	for i, t := range opts.Targets {
		sctx, scancel := context.WithCancel(rctx)
		defer scancel()
		h := &streamHandler{s: s, name: t.Name, cancel: scancel, ctx: sctx}
		var hh client.Handler = h
		if opts.Raw {
			hh = rawHandler{h}
		}
		st, err := client.NewStream(streamConfig(t, env), hh)
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: %s: %s\n", Tool, t.Name, oneLine(maskIf(err.Error(), !opts.ShowSecrets), 400))
			return ExitUsage
		}
		streams[i], handlers[i] = st, h
	}

	var rec *record.Writer
	var recFile *os.File
	if opts.Record != "" {
		f, err := os.OpenFile(opts.Record, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: --record: %s\n", Tool, err)
			return ExitIO
		}
		recFile = f
		rec = record.NewWriter(f, Tool, s.start)
	}

	out := bufio.NewWriterSize(env.Stdout, 64<<10)
	var p printer = jsonPrinter{}
	if !opts.JSON {
		p = newHumanPrinter(s.names, env.Location, s.useColor(), opts.Compact)
	}

	// The channel descriptions go first, to the recording and --json.
	for _, t := range opts.Targets {
		e := channelEntry(t, s.start, opts.ShowSecrets)
		if rec != nil {
			_ = rec.Write(&e)
		}
		if opts.JSON {
			out.Write(p.appendEntry(nil, &e))
		}
	}

	tp := opts.Model.printer(p, out, env.Stderr, s.useColor())
	if tp != nil {
		p = tp
	}
	w := &writer{s: s, out: out, rec: rec, p: p, alerts: newAlerter(opts, s.start), tally: newTally(s.names)}
	// The alert ticker sends to the queue: it stops before the queue closes.
	tickCtx, stopTicks := context.WithCancel(rctx)
	ticksDone := make(chan struct{})
	if w.alerts != nil {
		t := env.Clock.NewTicker(AlertTick)
		go func() {
			defer close(ticksDone)
			defer t.Stop()
			for {
				select {
				case <-t.C():
					// The time now, not the tick's: a late tick
					// evaluates the rules as of now.
					s.send(item{tick: s.stamp(env.Clock.Now())})
				case <-tickCtx.Done():
					return
				}
			}
		}()
	} else {
		close(ticksDone)
	}
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		w.loop()
	}()

	if opts.Timeout > 0 {
		t := env.Clock.NewTimer(opts.Timeout)
		go func() {
			defer t.Stop()
			select {
			case <-t.C():
				s.stop("timeout")
			case <-rctx.Done():
			}
		}()
	}

	var wg sync.WaitGroup
	for i, st := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = st.Run(handlers[i].ctx)
		}()
	}
	wg.Wait()
	interrupted := ctx.Err() != nil
	if interrupted {
		s.stop("interrupted")
	}
	stopTicks()
	<-ticksDone
	close(s.queue)
	<-writerDone
	tp.finish(env.Clock.Now())
	cancel(nil)

	reason := s.stopReason()
	if reason == "" {
		reason = "done"
		if w.exit != 0 {
			reason = "error"
		}
	}
	exit := w.exit
	end := env.Clock.Now()
	elapsed := end.Sub(s.start)
	failed := exit != 0 // a stream failed: its line is on stderr
	if !interrupted && !failed && w.ioErr == nil && opts.Expect > 0 && w.printed < opts.Expect {
		fmt.Fprintf(env.Stderr, "%s: %s\n", Tool, w.tally.expectation(opts.Expect, w.printed, elapsed, end))
		exit, failed = ExitExpect, true
	}
	if rec != nil {
		footer := record.Entry{Kind: record.KindEnd, Time: s.stamp(end), Reason: reason, Events: w.events}
		_ = rec.Write(&footer)
		err := rec.Flush()
		if cerr := recFile.Close(); err == nil {
			err = cerr
		}
		if err != nil && w.ioErr == nil {
			w.ioErr = fmt.Errorf("--record %s: %w", opts.Record, err)
		}
	}
	if opts.JSON && w.ioErr == nil {
		code := exit
		if interrupted {
			code = ExitInterrupted
		}
		out.Write(w.tally.appendSummaryJSON(nil, s.stamp(end), reason, code, elapsed, opts.Expect, !opts.ShowSecrets))
	}
	if err := out.Flush(); err != nil && w.ioErr == nil {
		w.ioErr = fmt.Errorf("output: %w", err)
	}
	if !failed && w.ioErr == nil && !opts.Silent {
		fmt.Fprintf(env.Stderr, "%s: %s\n", Tool, w.tally.summaryLine(elapsed))
	}
	switch {
	case interrupted:
		return ExitInterrupted
	case exit != 0:
		return exit
	case w.ioErr != nil:
		fmt.Fprintf(env.Stderr, "%s: %s\n", Tool, w.ioErr)
		return ExitIO
	}
	return ExitOK
}

func (s *session) useColor() bool {
	switch s.opts.Color {
	case ColorAlways:
		return true
	case ColorNever:
		return false
	}
	return s.env.Terminal && s.env.Getenv("NO_COLOR") == "" && s.env.Getenv("TERM") != "dumb"
}

func maskIf(s string, mask bool) string {
	if mask {
		return record.MaskText(s)
	}
	return s
}

// streamConfig is the engine configuration of one target.
func streamConfig(t Target, env Env) client.StreamConfig {
	return client.StreamConfig{
		URL:            t.URL,
		Method:         t.Method,
		Headers:        t.Headers,
		Body:           t.Body,
		LastEventID:    t.LastEventID,
		Retry:          t.Retry,
		StallTimeout:   t.StallTimeout,
		CAFile:         t.CAFile,
		Insecure:       t.Insecure,
		Decoder:        client.DecoderConfig{MaxEventBytes: t.MaxEventBytes},
		MaxBackoff:     t.MaxBackoff,
		ConnectTimeout: t.ConnectTimeout,
		MaxRedirects:   t.MaxRedirects,
		Format:         t.Format,
		Once:           t.Once,
		Clock:          env.Clock,
		Logger:         env.Logger.With("channel", t.Name),
		Transport:      env.Transport,
	}
}

// channelEntry describes a target, secrets masked unless show.
func channelEntry(t Target, at time.Time, show bool) record.Entry {
	method := t.Method
	if method == "" {
		method = http.MethodGet
	}
	e := record.Entry{Kind: record.KindChannel, Time: at, Channel: t.Name, URL: t.URL, Method: method,
		Headers: t.Headers.Clone(), LastEventID: t.LastEventID}
	if len(e.Headers) == 0 {
		e.Headers = nil
	}
	if !show {
		e.URL = record.MaskURL(e.URL)
		e.Headers = record.MaskHeaders(e.Headers)
	}
	return e
}

// streamHandler receives one stream's frames and states.
type streamHandler struct {
	s      *session
	name   string
	ctx    context.Context
	cancel context.CancelFunc
	ended  bool // a final state was sent; later states are not
	seq    client.Sequencer
}

func (h *streamHandler) HandleFrame(f client.Frame, at time.Time) {
	e := record.FromFrame(h.name, f, h.s.stamp(at))
	if f.Kind == client.FrameEvent || sequenced(&e) {
		e.Finding = h.seq.Next(f.Event.ID, f.Event.Type, f.Event.Data)
	}
	h.s.send(item{e: e})
}

func (h *streamHandler) HandleStatus(st client.Status) {
	if st.State == client.Open {
		h.seq.Reconnected()
	}
	if h.ended {
		return
	}
	e := record.FromStatus(h.name, st)
	e.Time = h.s.stamp(st.Since)
	if !e.NextAttempt.IsZero() {
		e.NextAttempt = h.s.stamp(st.NextAttempt)
	}
	h.s.maskEntry(&e)
	exit := 0
	switch {
	case h.s.opts.NoReconnect && (st.State == client.Retrying || st.State == client.Stalled):
		// The engine would retry; this run does not.
		h.ended = true
		e.NextAttempt, e.Delay = time.Time{}, 0
		if errors.Is(st.Err, client.ErrStreamEnded) {
			e.State = client.Closed
			e.Detail = "stream ended by server; not reconnecting (--no-reconnect)"
		} else {
			e.State = client.Failed
			e.Detail = e.Error + "; not reconnecting (--no-reconnect)"
			exit = ExitUnreachable
			var he *client.HTTPError
			if errors.As(st.Err, &he) {
				exit = ExitFailed
			}
		}
		defer h.cancel()
	case st.State == client.Failed:
		h.ended = true
		exit = ExitFailed
		var ce *client.ConfigError
		if errors.As(st.Err, &ce) {
			exit = ExitUsage
		}
	case st.State == client.Closed:
		h.ended = true
		if st.HTTPStatus != http.StatusNoContent && (h.s.stopReason() != "" || h.s.parent.Err() != nil) {
			return // stopped by this run (--max-events, --timeout, signal): not news
		}
	}
	h.s.send(item{e: e, exit: exit})
}

// writer is the single goroutine that prints and records.
type writer struct {
	s       *session
	out     *bufio.Writer
	rec     *record.Writer
	p       printer
	buf     []byte
	printed int64
	events  int64
	exit    int
	ioErr   error
	stopped bool
	alerts  *alerter       // nil without rules
	tally   *tally         // nil: not counted (--play)
	shown   map[string]int // per channel, the attempt whose request -v printed
	raws    map[string]*rawLines
}

func (w *writer) loop() {
	defer close(w.s.done)
	for it := range w.s.queue {
		if w.stopped {
			continue
		}
		w.take(&it)
		if len(w.s.queue) == 0 && !w.stopped {
			w.flush()
		}
	}
}

func (w *writer) flush() {
	if err := w.out.Flush(); err != nil && w.ioErr == nil {
		w.ioErr = fmt.Errorf("output: %w", err)
		w.halt("error")
	}
	if w.rec != nil {
		if err := w.rec.Flush(); err != nil && w.ioErr == nil {
			w.ioErr = fmt.Errorf("--record %s: %w", w.s.opts.Record, err)
			w.halt("error")
		}
	}
}

func (w *writer) halt(reason string) {
	w.stopped = true
	w.s.stop(reason)
}

func (w *writer) take(it *item) {
	if w.alerts != nil {
		defer w.alert(it) // after the entry's own line
	}
	if !it.tick.IsZero() {
		return
	}
	if it.x != nil {
		w.takeExchange(it)
		return
	}
	if it.raw != nil {
		w.takeRaw(it)
		return
	}
	e := &it.e
	if e.Kind == record.KindEvent {
		w.events++
	}
	if w.rec != nil {
		if err := w.rec.Write(e); err != nil && w.ioErr == nil {
			w.ioErr = fmt.Errorf("--record %s: %w", w.s.opts.Record, err)
			w.halt("error")
			return
		}
	}
	if it.exit != 0 {
		if w.exit == 0 {
			w.exit = it.exit
		}
		fmt.Fprintf(w.s.env.Stderr, "%s: %s: %s\n", Tool, e.Channel, stateText(e))
	}
	kept := w.keep(e)
	if w.tally != nil {
		w.tally.add(e, kept)
	}
	if !kept {
		return
	}
	raw := w.s.opts.Raw
	if raw && e.Kind == record.KindState {
		w.flushRaw(e) // the rest of the connection's last line first
	}
	if !raw || e.Kind == record.KindState {
		w.buf = w.p.appendEntry(w.buf[:0], e)
		if _, err := w.out.Write(w.buf); err != nil && w.ioErr == nil {
			w.ioErr = fmt.Errorf("output: %w", err)
			w.halt("error")
			return
		}
	}
	if cap(w.buf) > 1<<20 {
		w.buf = nil
	}
	if e.Kind == record.KindEvent {
		w.printed++
		if max := w.s.opts.MaxEvents; max > 0 && w.printed >= max {
			w.flush()
			w.halt("max-events")
		}
	}
}

// keep applies the display filters: --event, --grep, --comments, and the
// channel's own event types (workspace).
func (w *writer) keep(e *record.Entry) bool {
	switch e.Kind {
	case record.KindComment:
		return w.s.opts.Comments
	case record.KindEvent:
		o := w.s.opts
		if len(o.Events) > 0 && !slices.Contains(o.Events, e.Type) {
			return false
		}
		if o.Grep != nil && !o.Grep.MatchString(e.Data) {
			return false
		}
		if types := w.s.types[e.Channel]; len(types) > 0 && !slices.Contains(types, e.Type) {
			return false
		}
	}
	return true
}
