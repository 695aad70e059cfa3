package tail

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
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
	// MaxEventBytes caps one event and one line (0:
	// client.DefaultMaxEventBytes, 16 MiB): a larger one is skipped and
	// shown as an oversized record; the stream goes on.
	MaxEventBytes int
	// MaxBackoff, ConnectTimeout and MaxRedirects come from a workspace:
	// see client.StreamConfig (0: default).
	MaxBackoff time.Duration
	// ConnectTimeout: see client.StreamConfig.
	ConnectTimeout time.Duration
	// MaxRedirects: see client.StreamConfig.
	MaxRedirects int
	// Format is the framing of the response (--format, or the workspace
	// channel's format): see client.StreamConfig.
	Format client.Format
	// Once makes the stream a request: its response ending ends it (a
	// workspace channel's mode, --mode, or by default any method but GET).
	// See client.StreamConfig.
	Once bool
	// Alerts are the channel's own alert rules (workspace), evaluated
	// besides Options.Alerts.
	Alerts []string

	fromWorkspace bool // Once is the workspace channel's mode
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
	// Raw prints the body bytes as they came, line ends made visible,
	// instead of the decoded events (human output only).
	Raw bool
	// Silent leaves out the summary line on stderr at the end (failures
	// are still reported).
	Silent bool
	// Expect is the number of events the run must show; fewer when it ends
	// is a failure (ExitExpect). --max-events N with --timeout implies N.
	Expect int64
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
	// Model holds --transcript and --format (transcript.go).
	Model ModelOptions
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

// rawFlags holds the flag values Parse turns into Targets.
type rawFlags struct {
	headers, events                                     []string
	method, data, lastID, grep, cacert, ws, user, agent string
	retry, stall, connect                               time.Duration
	insecure, noBuffer                                  bool
	maxEvent                                            int64
}

// registerFlags registers every flag of ssemon-tail, group by group. A
// feature in a file of its own adds its group here (its fields live in
// Options), and its lines to Usage.
func registerFlags(f *flagSet, o *Options, r *rawFlags) {
	// Request (curl's names).
	f.List(&r.headers, "H", "header")
	f.String(&r.method, "X", "request")
	f.String(&r.data, "d", "data", "data-raw", "data-binary")
	f.String(&r.user, "u", "user")
	f.String(&r.agent, "A", "user-agent")
	f.String(&r.lastID, "last-event-id")
	f.String(&r.cacert, "cacert")
	f.Bool(&r.insecure, "k", "insecure")
	f.String(&r.ws, "workspace")
	// Connection.
	f.Duration(&r.retry, "retry")
	f.Duration(&r.stall, "stall")
	f.Duration(&r.connect, "connect-timeout")
	f.Bool(&o.NoReconnect, "no-reconnect")
	f.Int(&r.maxEvent, "max-event-size")
	f.Bool(&r.noBuffer, "N", "no-buffer") // curl's habit; the output is never buffered
	// Output.
	f.Bool(&o.JSON, "json")
	f.Bool(&o.Compact, "compact")
	f.Bool(&o.Comments, "comments")
	f.String(&o.Color, "color")
	f.Bool(&o.ShowSecrets, "show-secrets")
	f.Bool(&o.Verbose, "v", "verbose")
	f.Bool(&o.Silent, "s", "silent")
	f.Bool(&o.Raw, "raw")
	// Filters and limits.
	f.List(&r.events, "event")
	f.String(&r.grep, "grep")
	f.Int(&o.MaxEvents, "max-events")
	f.Int(&o.Expect, "expect")
	f.Duration(&o.Timeout, "timeout", "max-time", "m")
	// Recording.
	f.String(&o.Record, "record")
	f.String(&o.Play, "play")
	// The program.
	f.Bool(&o.Help, "h", "help")
	f.Bool(&o.Version, "version")
	o.Check.register(f)
	o.Model.register(f)
	registerAlerts(f, o)
}

// Parse parses the command line args (without the program name). stdin is
// read for "-d @-"; lookupEnv resolves ${NAME} in workspace files (nil:
// os.LookupEnv).
func Parse(args []string, stdin io.Reader, lookupEnv func(string) (string, bool)) (*Options, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	fs := newFlagSet(Tool)
	o := Options{Color: ColorAuto}
	var r rawFlags
	registerFlags(fs, &o, &r)
	positional, help, err := fs.parse(args)
	if err != nil {
		return nil, err
	}
	o.Help = o.Help || help
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
	case r.retry < 0:
		return nil, usagef("--retry must not be negative")
	case r.maxEvent < 0:
		return nil, usagef("--max-event-size must not be negative")
	case r.connect < 0:
		return nil, usagef("--connect-timeout must not be negative")
	case o.Expect < 0:
		return nil, usagef("--expect must not be negative")
	}
	if o.Expect == 0 && o.MaxEvents > 0 && o.Timeout > 0 {
		// --max-events N --timeout D is a check: N events within D.
		o.Expect = o.MaxEvents
	}
	if r.grep != "" {
		re, err := regexp.Compile(r.grep)
		if err != nil {
			return nil, &UsageError{Msg: "--grep " + strconv.Quote(r.grep) + " is not a valid regular expression", Err: err}
		}
		o.Grep = re
	}
	for _, e := range r.events {
		for _, t := range strings.Split(e, ",") {
			if t = strings.TrimSpace(t); t != "" {
				o.Events = append(o.Events, t)
			}
		}
	}
	hdr := make(http.Header)
	for _, h := range r.headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, usagef("-H %q: want 'Name: value'", h)
		}
		hdr.Add(name, strings.TrimSpace(value))
	}
	if r.user != "" {
		if !strings.Contains(r.user, ":") {
			return nil, usagef("-u %q: want USER:PASSWORD", r.user)
		}
		hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(r.user)))
	}
	if r.agent != "" {
		hdr.Set("User-Agent", r.agent)
	}
	var body []byte
	if r.data != "" {
		b, err := readBody(r.data, stdin)
		if err != nil {
			return nil, err
		}
		body = b
		if r.method == "" {
			r.method = http.MethodPost
		}
	}
	base := Target{Method: r.method, Headers: hdr, Body: body, LastEventID: r.lastID, Retry: r.retry,
		StallTimeout: r.stall, CAFile: r.cacert, Insecure: r.insecure, MaxEventBytes: int(min(r.maxEvent, math.MaxInt32)), ConnectTimeout: r.connect}
	if r.ws != "" {
		ts, err := workspaceTargets(r.ws, base, lookupEnv)
		if err != nil {
			return nil, err
		}
		o.Targets = append(o.Targets, ts...)
	}
	for _, p := range positional {
		t := base
		t.Headers = hdr.Clone()
		name, raw := splitNamed(p)
		raw = defaultScheme(raw)
		t.Name, t.URL = name, raw
		if err := checkURL(raw); err != nil {
			return nil, err
		}
		o.Targets = append(o.Targets, t)
	}
	if err := o.Check.validate(&o); err != nil {
		return nil, err
	}
	if err := o.Model.validate(&o); err != nil {
		return nil, err
	}
	if err := parseAlerts(&o); err != nil {
		return nil, err
	}
	switch {
	case o.Raw && o.JSON:
		return nil, usagef("--raw shows the bytes of the stream for people; it has no --json form (use --record for the decoded events)")
	case o.Raw && o.Play != "":
		return nil, usagef("--raw shows the bytes as they arrive; a recording keeps the decoded events, not the bytes")
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

// defaultScheme adds http:// to a URL written without a scheme, as curl
// does: localhost:8080/x is http://localhost:8080/x.
func defaultScheme(raw string) string {
	switch {
	case strings.TrimSpace(raw) == "" || strings.Contains(raw, "://"):
		return raw
	case strings.HasPrefix(raw, "//"):
		return "http:" + raw
	}
	return "http://" + raw
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
		setIf(&t.MaxBackoff, sc.MaxBackoff)
		setIf(&t.ConnectTimeout, sc.ConnectTimeout)
		setIf(&t.MaxRedirects, sc.MaxRedirects)
		t.Insecure = t.Insecure || sc.Insecure
		t.EventTypes = c.EventTypes
		t.Alerts = c.Alerts
		t.Format = c.Format
		t.Once = c.IsRequest()
		t.fromWorkspace = true
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
