package tail

import (
	"bufio"
	"io"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/record"
	"github.com/ssemon/ssemon/client/transcript"
)

// ModelOptions are the model-stream flags: --transcript, --format and
// --mode.
type ModelOptions struct {
	// Transcript prints the assembled answer of model streams instead of
	// their events (--transcript).
	Transcript bool
	// Format is the framing of the response body (--format auto|sse|ndjson).
	Format client.Format
	// Mode says whether the command line's targets are requests (their
	// response ending ends them) or subscriptions (sent again after it
	// ends): --mode request|subscribe. Empty, the default, is the window's
	// rule (client.ChannelConfig.IsRequest): a method other than GET is a
	// request, so a model API's POST is not sent again.
	Mode string

	format string
}

func (m *ModelOptions) register(f *flagSet) {
	f.Bool(&m.Transcript, "transcript")
	f.String(&m.format, "format")
	f.String(&m.Mode, "mode")
}

// validate checks the flags against the rest of the command line.
func (m *ModelOptions) validate(o *Options) error {
	f, err := client.ParseFormat(m.format)
	if err != nil {
		return usagef("--format must be auto, sse or ndjson, not %q", m.format)
	}
	m.Format = f
	if f != client.FormatAuto {
		for i := range o.Targets {
			o.Targets[i].Format = f // the flag wins over a workspace's format
		}
	}
	switch m.Mode {
	case client.ModeAuto, client.ModeRequest, client.ModeSubscribe:
	default:
		return usagef("--mode must be request or subscribe, not %q", m.Mode)
	}
	for i := range o.Targets {
		if m.Mode != client.ModeAuto || !o.Targets[i].fromWorkspace {
			cfg := client.ChannelConfig{Method: o.Targets[i].Method, Mode: m.Mode}
			o.Targets[i].Once = cfg.IsRequest() // a request is not sent again
		}
	}
	if m.Transcript && o.JSON {
		return usagef("--transcript prints text; it cannot be combined with --json")
	}
	return nil
}

// printer wraps p for --transcript; nil without it.
func (m *ModelOptions) printer(p printer, out *bufio.Writer, stderr io.Writer, color bool) *transcriptPrinter {
	if !m.Transcript {
		return nil
	}
	return newTranscriptPrinter(p, out, stderr, color)
}

// transcriptPrinter is the printer of --transcript: for a stream
// recognised as a model API (OpenAI chat or Responses, Anthropic Messages,
// Ollama), it prints the assembled answer text to stdout as it streams,
// the reasoning to stderr as it streams, and at the end of each request
// the tool calls, outcome, usage and numbers to stderr. A stream not
// recognised within the first events falls back to the usual printer,
// its held events first.
type transcriptPrinter struct {
	fallback printer
	out      *bufio.Writer // stdout, flushed before anything goes to stderr
	stderr   io.Writer
	color    bool
	runs     map[string]*tailRun
}

// tailRun is one request of one stream.
type tailRun struct {
	a                *transcript.Assembler
	n                int
	opened, fellBack bool
	text, reasoning  int // bytes printed
	held             []record.Entry
	lastNL           bool
	reasonOpen       bool // the reasoning on stderr has no line end yet
}

// closeReasoning ends the reasoning's line on stderr.
func (p *transcriptPrinter) closeReasoning(r *tailRun) {
	if r.reasonOpen {
		r.reasonOpen = false
		p.toStderr([]byte{'\n'})
	}
}

func newTranscriptPrinter(fallback printer, out *bufio.Writer, stderr io.Writer, color bool) *transcriptPrinter {
	return &transcriptPrinter{fallback: fallback, out: out, stderr: stderr, color: color, runs: make(map[string]*tailRun)}
}

// begin starts a run of channel ch.
func (p *transcriptPrinter) begin(ch string, at time.Time) *tailRun {
	n := 1
	if old := p.runs[ch]; old != nil {
		n = old.n + 1
	}
	r := &tailRun{a: transcript.New(transcript.Config{}, at), n: n, lastNL: true}
	p.runs[ch] = r
	return r
}

func (p *transcriptPrinter) appendEntry(dst []byte, e *record.Entry) []byte {
	r := p.runs[e.Channel]
	switch e.Kind {
	case record.KindState:
		switch e.State {
		case client.Connecting:
			p.begin(e.Channel, e.Time)
			return dst
		case client.Open:
			if r == nil {
				r = p.begin(e.Channel, e.Time)
			}
			r.opened = true
			r.a.Response(e.Time, e.Status)
			return dst
		}
		if r == nil || r.fellBack {
			return p.fallback.appendEntry(dst, e)
		}
		switch {
		case e.Status >= 300 && !r.opened:
			r.a.Fail(e.Time, e.Status, e.Body)
		case e.Error != "" && !r.opened:
			r.a.Fail(e.Time, 0, e.Error)
		default:
			r.a.End(e.Time)
		}
		for i := range r.held { // too few events to tell: print them as they are
			dst = p.fallback.appendEntry(dst, &r.held[i])
		}
		p.endRun(e.Channel, r, e)
		return dst
	case record.KindEvent:
		if r == nil { // a recording without its states
			r = p.begin(e.Channel, e.Time)
		}
		if r.fellBack {
			return p.fallback.appendEntry(dst, e)
		}
		r.a.Event(e.Type, e.Data, e.Time)
		switch {
		case r.a.GaveUp():
			r.fellBack = true
			p.toStderr(p.paint(nil, sgrDim, e.Channel+": not a model stream (no known shape in its first events): printing its events\n"))
			for i := range r.held {
				dst = p.fallback.appendEntry(dst, &r.held[i])
			}
			r.held = nil
			return p.fallback.appendEntry(dst, e)
		case r.a.Kind() == transcript.Unknown:
			r.held = append(r.held, *e)
			return dst
		}
		r.held = nil
		if s := r.a.Reasoning(); len(s) > r.reasoning {
			var b []byte
			if r.reasoning == 0 {
				b = p.paint(b, sgrBold, "reasoning: ")
			}
			b = p.paint(b, sgrDim, sanitizeLines(s[r.reasoning:]))
			p.toStderr(b)
			r.reasoning = len(s)
			r.reasonOpen = !strings.HasSuffix(s, "\n")
		}
		if s := r.a.Text(); len(s) > r.text {
			p.closeReasoning(r)
			piece := s[r.text:]
			r.text = len(s)
			r.lastNL = strings.HasSuffix(piece, "\n")
			dst = append(dst, sanitizeLines(piece)...)
		}
		return dst
	case record.KindComment, record.KindRetry:
		return dst
	}
	return p.fallback.appendEntry(dst, e)
}

// endRun ends the answer's line on stdout and prints the run's summary on
// stderr; the state line too when the stream will retry or failed.
func (p *transcriptPrinter) endRun(ch string, r *tailRun, e *record.Entry) {
	t := r.a.Transcript()
	t.Run = r.n
	if r.text > 0 && !r.lastNL {
		p.out.WriteByte('\n')
	}
	p.closeReasoning(r)
	var b []byte
	if t.Recognised() || (t.Error != "" && t.HTTPStatus >= 300) {
		b = p.summary(b, ch, &t) // an API's error body says more than the status
	}
	if e.State == client.Retrying { // when the next request goes (a failure has its own line)
		b = p.fallback.appendEntry(b, e)
	}
	p.toStderr(b)
	delete(p.runs, ch)
	p.runs[ch] = &tailRun{n: r.n, a: transcript.New(transcript.Config{}, e.Time), lastNL: true, fellBack: r.fellBack}
}

// summary appends a run's tool calls, outcome, usage and numbers.
func (p *transcriptPrinter) summary(b []byte, ch string, t *transcript.Transcript) []byte {
	b = p.paint(b, sgrBold, "── "+ch+" · "+t.Head())
	b = append(b, '\n')
	for _, tc := range t.ToolCalls {
		head := "tool call " + tc.Name
		if tc.ID != "" {
			head += " (" + tc.ID + ")"
		}
		b = p.paint(b, sgrCyan, sanitize(head))
		b = append(b, '\n')
		b = append(b, sanitizeLines(tc.PrettyArguments())...)
		b = append(b, '\n')
	}
	b = append(b, "usage: "+t.Usage.Line()+"\n"...)
	b = append(b, t.Numbers.Line()+"\n"...)
	return b
}

// finish prints the summary of runs still open when the session stops
// (--timeout, --max-events, a signal).
func (p *transcriptPrinter) finish(at time.Time) {
	if p == nil {
		return
	}
	for ch, r := range p.runs {
		if r.fellBack || r.a.Transcript().Events == 0 {
			continue
		}
		r.a.End(at)
		p.endRun(ch, r, &record.Entry{Kind: record.KindState, State: client.Closed, Time: at, Channel: ch})
	}
}

func (p *transcriptPrinter) toStderr(b []byte) {
	if len(b) == 0 {
		return
	}
	_ = p.out.Flush()
	_, _ = p.stderr.Write(b)
}

func (p *transcriptPrinter) paint(dst []byte, sgr, s string) []byte {
	if !p.color {
		return append(dst, s...)
	}
	dst = append(dst, sgr...)
	dst = append(dst, s...)
	return append(dst, sgrReset...)
}
