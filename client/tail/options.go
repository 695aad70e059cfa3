package tail

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client"
)

// MaxBodyBytes caps a request body given with -d (inline, @file or @-).
const MaxBodyBytes = 16 << 20

// MaxTargets caps the number of streams one run watches.
const MaxTargets = 1000

// Color modes of Options.Color.
const (
	ColorAuto   = "auto"
	ColorAlways = "always"
	ColorNever  = "never"
)

// Target is one stream to watch.
type Target struct {
	// Name labels the stream's lines: the NAME of a NAME=URL argument or
	// of a workspace channel, else the last segment of the URL path.
	Name string
	// URL is the stream URL.
	URL string
	// Method, Headers, Body and LastEventID are the request.
	Method string
	// Headers are sent with every request.
	Headers http.Header
	// Body is sent with every request.
	Body []byte
	// LastEventID is sent on the first connection.
	LastEventID string
	// Retry, StallTimeout: see client.StreamConfig (0: default).
	Retry time.Duration
	// StallTimeout: see client.StreamConfig.
	StallTimeout time.Duration
	// CAFile and Insecure: see client.StreamConfig.
	CAFile string
	// Insecure: see client.StreamConfig.
	Insecure bool
	// EventTypes, when not empty, keeps only these event types.
	EventTypes []string
	// MaxEventBytes caps one event (0: client.DefaultMaxEventBytes).
	MaxEventBytes int
	// MaxLineBytes, MaxBackoff, ConnectTimeout and MaxRedirects come from
	// a workspace: see client.StreamConfig (0: default).
	MaxLineBytes int
	// MaxBackoff: see client.StreamConfig.
	MaxBackoff time.Duration
	// ConnectTimeout: see client.StreamConfig.
	ConnectTimeout time.Duration
	// MaxRedirects: see client.StreamConfig.
	MaxRedirects int
	// Alerts are the channel's own alert rules (workspace), evaluated
	// besides Options.Alerts.
	Alerts []string
}

// Options is a parsed command line.
type Options struct {
	// Targets are the streams, in command-line order.
	Targets []Target
	// Events keeps only events of these types (all when empty).
	Events []string
	// Grep keeps only events whose data matches (all when nil).
	Grep *regexp.Regexp
	// MaxEvents stops after this many printed events (0: no limit).
	MaxEvents int64
	// Timeout stops after this long (0: no limit).
	Timeout time.Duration
	// NoReconnect stops a stream instead of retrying.
	NoReconnect bool
	// JSON prints JSON Lines instead of human lines.
	JSON bool
	// Compact prints every event on one line (human output).
	Compact bool
	// Comments prints comment lines (heartbeats).
	Comments bool
	// Color is ColorAuto, ColorAlways or ColorNever.
	Color string
	// Record is the file the session is recorded to ("" for none).
	Record string
	// ShowSecrets prints header values and URL tokens unmasked.
	ShowSecrets bool
	// Verbose prints each stream's request before connecting.
	Verbose bool
	// Play is a recording to print instead of watching streams ("-" for
	// standard input).
	Play string
	// Help and Version ask for the help text or the version.
	Help bool
	// Version asks for the version.
	Version bool
	// Check runs the stream doctor instead of watching (--check).
	Check CheckOptions
	// Alerts are alert rules (--alert, repeatable) evaluated on every
	// stream; see package client/alert and docs/alerts.md.
	Alerts []string
	// ExitOnAlert ends the run with ExitAlert when a rule fires.
	ExitOnAlert bool
}

// UsageError reports a command line that cannot be run: a bad flag, URL,
// header, file or pattern. Main prints it on one line and exits with
// ExitUsage.
type UsageError struct {
	// Msg says what is wrong.
	Msg string
	// Err is the cause, if any.
	Err error
}

func (e *UsageError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the cause.
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// Parse parses the command line args (without the program name). stdin is
// read for "-d @-"; lookupEnv resolves ${NAME} in workspace files (nil:
// os.LookupEnv).
func Parse(args []string, stdin io.Reader, lookupEnv func(string) (string, bool)) (*Options, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	fs := flag.NewFlagSet("ssemon-tail", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var (
		o                                      Options
		headers, events                        listFlag
		method, data, lastID, grep, cacert, ws string
		retry, stall                           time.Duration
		insecure                               bool
		maxEvent                               int
	)
	for _, n := range []string{"H", "header"} {
		fs.Var(&headers, n, "")
	}
	for _, n := range []string{"X", "request"} {
		fs.StringVar(&method, n, "", "")
	}
	for _, n := range []string{"d", "data"} {
		fs.StringVar(&data, n, "", "")
	}
	fs.StringVar(&lastID, "last-event-id", "", "")
	fs.Var(&events, "event", "")
	fs.StringVar(&grep, "grep", "", "")
	fs.Int64Var(&o.MaxEvents, "max-events", 0, "")
	fs.DurationVar(&o.Timeout, "timeout", 0, "")
	fs.DurationVar(&stall, "stall", 0, "")
	fs.DurationVar(&retry, "retry", 0, "")
	fs.BoolVar(&o.NoReconnect, "no-reconnect", false, "")
	for _, n := range []string{"k", "insecure"} {
		fs.BoolVar(&insecure, n, false, "")
	}
	fs.StringVar(&cacert, "cacert", "", "")
	fs.StringVar(&ws, "workspace", "", "")
	fs.BoolVar(&o.JSON, "json", false, "")
	fs.BoolVar(&o.Compact, "compact", false, "")
	fs.BoolVar(&o.Comments, "comments", false, "")
	fs.StringVar(&o.Color, "color", ColorAuto, "")
	fs.StringVar(&o.Record, "record", "", "")
	fs.BoolVar(&o.ShowSecrets, "show-secrets", false, "")
	fs.StringVar(&o.Play, "play", "", "")
	fs.IntVar(&maxEvent, "max-event-size", 0, "")
	for _, n := range []string{"v", "verbose"} {
		fs.BoolVar(&o.Verbose, n, false, "")
	}
	for _, n := range []string{"h", "help"} {
		fs.BoolVar(&o.Help, n, false, "")
	}
	fs.BoolVar(&o.Version, "version", false, "")
	o.Check.register(fs)
	registerAlerts(fs, &o)

	// Flags may follow URLs, as with curl; "--" ends the flags.
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				o.Help = true
				return &o, nil
			}
			return nil, &UsageError{Msg: strings.TrimPrefix(err.Error(), "flag: ")}
		}
		remaining := fs.Args()
		if len(remaining) == 0 {
			break
		}
		if consumed := len(rest) - len(remaining); consumed > 0 && rest[consumed-1] == "--" {
			positional = append(positional, remaining...)
			break
		}
		positional = append(positional, remaining[0])
		rest = remaining[1:]
	}
	if o.Help || o.Version {
		return &o, nil
	}
	switch o.Color {
	case ColorAuto, ColorAlways, ColorNever:
	default:
		return nil, usagef("--color must be auto, always or never, not %q", o.Color)
	}
	switch {
	case o.MaxEvents < 0:
		return nil, usagef("--max-events must not be negative")
	case o.Timeout < 0:
		return nil, usagef("--timeout must not be negative")
	case retry < 0:
		return nil, usagef("--retry must not be negative")
	case maxEvent < 0:
		return nil, usagef("--max-event-size must not be negative")
	}
	if grep != "" {
		re, err := regexp.Compile(grep)
		if err != nil {
			return nil, &UsageError{Msg: "--grep " + strconv.Quote(grep) + " is not a valid regular expression", Err: err}
		}
		o.Grep = re
	}
	for _, e := range events {
		for _, t := range strings.Split(e, ",") {
			if t = strings.TrimSpace(t); t != "" {
				o.Events = append(o.Events, t)
			}
		}
	}
	hdr := make(http.Header)
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, usagef("-H %q: want 'Name: value'", h)
		}
		hdr.Add(name, strings.TrimSpace(value))
	}
	var body []byte
	if data != "" {
		b, err := readBody(data, stdin)
		if err != nil {
			return nil, err
		}
		body = b
		if method == "" {
			method = http.MethodPost
		}
	}
	base := Target{Method: method, Headers: hdr, Body: body, LastEventID: lastID, Retry: retry,
		StallTimeout: stall, CAFile: cacert, Insecure: insecure, MaxEventBytes: maxEvent}
	if ws != "" {
		ts, err := workspaceTargets(ws, base, lookupEnv)
		if err != nil {
			return nil, err
		}
		o.Targets = append(o.Targets, ts...)
	}
	for _, p := range positional {
		t := base
		t.Headers = hdr.Clone()
		name, raw := splitNamed(p)
		t.Name, t.URL = name, raw
		if err := checkURL(raw); err != nil {
			return nil, err
		}
		o.Targets = append(o.Targets, t)
	}
	if err := o.Check.validate(&o); err != nil {
		return nil, err
	}
	if err := parseAlerts(&o); err != nil {
		return nil, err
	}
	if o.Play != "" {
		if len(o.Targets) > 0 {
			return nil, usagef("--play prints a recording; it takes no URL or workspace")
		}
		if o.Record != "" {
			return nil, usagef("--play and --record cannot be used together")
		}
		return &o, nil
	}
	if len(o.Targets) == 0 {
		return nil, usagef("no URL given (ssemon-tail [flags] URL...; see --help)")
	}
	if len(o.Targets) > MaxTargets {
		return nil, usagef("%d streams given; at most %d", len(o.Targets), MaxTargets)
	}
	seen := make(map[string]bool, len(o.Targets))
	for _, t := range o.Targets {
		if t.Name != "" && seen[t.Name] {
			return nil, usagef("two streams are named %q; names must be unique", t.Name)
		}
		seen[t.Name] = true
	}
	nameTargets(o.Targets)
	return &o, nil
}

// readBody reads a -d value: inline text, @file, or @- for stdin.
func readBody(v string, stdin io.Reader) ([]byte, error) {
	if !strings.HasPrefix(v, "@") {
		if len(v) > MaxBodyBytes {
			return nil, usagef("-d: body is larger than %d bytes", MaxBodyBytes)
		}
		return []byte(v), nil
	}
	path := v[1:]
	var r io.Reader
	if path == "-" {
		if stdin == nil {
			return nil, usagef("-d @-: no standard input")
		}
		r = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, &UsageError{Msg: "-d " + v + ": cannot read the file", Err: errors.Unwrap(err)}
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil {
		return nil, &UsageError{Msg: "-d " + v + ": cannot read", Err: err}
	}
	if len(b) > MaxBodyBytes {
		return nil, usagef("-d %s: body is larger than %d bytes", v, MaxBodyBytes)
	}
	return b, nil
}

// splitNamed splits "NAME=URL" (NAME of letters, digits, . _ -); any other
// argument is a URL alone.
func splitNamed(arg string) (name, raw string) {
	i := strings.IndexByte(arg, '=')
	if i <= 0 || strings.Contains(arg[:i], "://") {
		return "", arg
	}
	for j := 0; j < i; j++ {
		if !isNameByte(arg[j]) {
			return "", arg
		}
	}
	return arg[:i], arg[i+1:]
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// checkURL rejects what can never connect: no scheme, another scheme, no
// host, unparsable.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case strings.TrimSpace(raw) == "":
		return usagef("empty URL")
	case !strings.Contains(raw, "://"):
		return usagef("bad URL %q: no scheme (want http:// or https://)", raw)
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &UsageError{Msg: fmt.Sprintf("bad URL %q", raw), Err: err}
	case u.Scheme == "":
		return usagef("bad URL %q: no scheme (want http:// or https://)", raw)
	case !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https"):
		return usagef("bad URL %q: scheme %q is not supported (want http or https)", raw, u.Scheme)
	case u.Host == "":
		return usagef("bad URL %q: no host", raw)
	}
	return nil
}

// nameTargets gives every unnamed target the last segment of its URL path
// (or its host), made unique with -2, -3...
func nameTargets(ts []Target) {
	used := make(map[string]bool, len(ts))
	for _, t := range ts {
		if t.Name != "" {
			used[t.Name] = true
		}
	}
	for i := range ts {
		if ts[i].Name != "" {
			continue
		}
		base := defaultName(ts[i].URL)
		name := base
		for n := 2; used[name]; n++ {
			name = base + "-" + strconv.Itoa(n)
		}
		used[name] = true
		ts[i].Name = name
	}
}

// defaultName is the last non-empty path segment of raw, else its host,
// reduced to letters, digits, . _ - (at most 64).
func defaultName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "stream"
	}
	seg := ""
	for _, s := range strings.Split(u.Path, "/") {
		if s != "" {
			seg = s
		}
	}
	if seg == "" {
		seg = u.Hostname()
	}
	var b strings.Builder
	for i := 0; i < len(seg) && b.Len() < 64; i++ {
		if isNameByte(seg[i]) {
			b.WriteByte(seg[i])
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "stream"
	}
	return b.String()
}

// workspaceTargets reads the channels of a workspace file (the GUI's
// format). Flags given on the command line apply to every channel where
// the workspace leaves the field empty; headers from -H are added.
func workspaceTargets(path string, base Target, lookupEnv func(string) (string, bool)) ([]Target, error) {
	ws, err := client.LoadWorkspace(path)
	if err != nil {
		return nil, &UsageError{Msg: "--workspace", Err: err}
	}
	var out []Target
	for _, c := range ws.Channels {
		sc, err := c.StreamConfig(lookupEnv)
		if err != nil {
			return nil, &UsageError{Msg: fmt.Sprintf("--workspace %s: channel %q", path, c.Name), Err: err}
		}
		t := base
		t.Name = c.Name
		t.URL = sc.URL
		t.Headers = base.Headers.Clone()
		for _, h := range c.Headers { // in the workspace's order, expanded by StreamConfig
			for _, v := range sc.Headers.Values(h.Name) {
				if t.Headers == nil {
					t.Headers = make(http.Header)
				}
				t.Headers.Add(h.Name, v)
			}
			delete(sc.Headers, http.CanonicalHeaderKey(h.Name))
		}
		if len(sc.Body) > 0 {
			t.Body = sc.Body
		}
		setIf(&t.Method, c.Method)
		setIf(&t.LastEventID, sc.LastEventID)
		setIf(&t.Retry, sc.Retry)
		setIf(&t.StallTimeout, sc.StallTimeout)
		setIf(&t.CAFile, sc.CAFile)
		setIf(&t.MaxEventBytes, sc.Decoder.MaxEventBytes)
		setIf(&t.MaxLineBytes, sc.Decoder.MaxLineBytes)
		setIf(&t.MaxBackoff, sc.MaxBackoff)
		setIf(&t.ConnectTimeout, sc.ConnectTimeout)
		setIf(&t.MaxRedirects, sc.MaxRedirects)
		t.Insecure = t.Insecure || sc.Insecure
		t.EventTypes = c.EventTypes
		t.Alerts = c.Alerts
		out = append(out, t)
	}
	return out, nil
}

func setIf[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}
