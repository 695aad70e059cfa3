// Command ssemon-demo runs the SSE Monitor demo server: channels driven by
// deterministic scenarios, resumable streams, fault injection and a browser
// page. See docs/demo-server.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssemon/ssemon/server"
	"github.com/ssemon/ssemon/server/relay"
	"github.com/ssemon/ssemon/server/replay"
)

// redisLog routes go-redis' own messages (a failed dial every few hundred
// milliseconds while Redis is down) into structured debug lines: the relay
// already reports an unavailable Redis once, with what it is doing about it.
type redisLog struct{ l *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.l.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// go-redis keeps its logger in a package variable: set it once, here.
	redis.SetLogger(redisLog{slog.New(slog.NewTextHandler(os.Stderr, nil))})
	args := os.Args[1:]
	var err error
	if len(args) > 0 && args[0] == "publish" {
		err = runPublish(ctx, args[1:], os.Stdin, os.Stdout, os.Stderr)
	} else {
		err = run(ctx, args, os.Stdout, os.Stderr)
	}
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err on stderr and returns the exit status, as
// ssemon-tail's: 0 done (or help shown), 1 a runtime failure, 2 bad usage.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue *UsageError
	var ce *server.ConfigError
	if errors.As(err, &ue) || errors.As(err, &ce) {
		// One line, as ssemon-tail's: the whole help would bury it.
		fmt.Fprintln(stderr, "ssemon-demo:", err, "(see --help)")
		return 2
	}
	fmt.Fprintln(stderr, "ssemon-demo:", err)
	return 1
}

// usagef returns a *UsageError.
func usagef(format string, args ...any) error { return &UsageError{fmt.Errorf(format, args...)} }

// newFlagSet returns the flag set of a command whose help is usage
// followed by the flags' defaults. Help goes to stdout, and only when args
// ask for it (-h, -help, --help): help asked for is the command's output;
// a usage error is one line on stderr (exitCode), not the whole help.
func newFlagSet(name, usage string, args []string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	out := io.Discard
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--h" || a == "--help" {
			out = stdout
			break
		}
	}
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usage)
		fs.PrintDefaults()
	}
	return fs
}

const usageText = `Usage: ssemon-demo [flags]

Serves the SSE Monitor demo channels on http://127.0.0.1:8080/ by default
(or, with --source, the Redis streams matching --streams; "ssemon-demo publish
--help" tells how jobs publish to them):
  GET  /                      live page (every channel on one EventSource)
  GET  /api/stream/{channel}  the event stream (Last-Event-ID, ?lastEventId=, ?history=N)
  GET  /api/stream?channels=a,b  several channels on one stream (all when empty)
  GET  /api/channels          channel index (JSON)
  GET  /healthz, /metrics     health (JSON), Prometheus metrics
  POST /admin/fault           fault injection (loopback only, or with the token)

Examples:
  ssemon-demo
  ssemon-demo --listen 127.0.0.1:0 --seed 42 --log-format json
  ssemon-demo --scenarios demo.json --firehose-rate 20000
  ssemon-demo --fail-next flaky=503 --set-retry flaky=1s
  ssemon-demo --replay session.jsonl --speed 2 --loop     serve a recording (ssemon-tail --record)
  ssemon-demo --replay session.jsonl --drops              … with its connection drops reproduced
  ssemon-demo --source redis://127.0.0.1:6379 --streams 'team:*'   relay Redis streams (run several behind a proxy)
  ssemon-demo --source redis://127.0.0.1:6379/1 --publish-scenarios   the demo channels, through Redis
  ssemon-demo publish --source redis://127.0.0.1:6379 team:deploy --event stage '{"progress":40}'
  SSEMON_DEMO_TOKEN=s3cret ssemon-demo --listen 0.0.0.0:8080 --cors-origin https://example.test
  curl -sN http://127.0.0.1:8080/api/stream/deploy
  curl -s -d action=drop -d channel=flaky http://127.0.0.1:8080/admin/fault

Flags:
`

// kvFlag collects repeated CHANNEL=VALUE flags.
type kvFlag struct {
	name  string
	pairs [][2]string
}

func (f *kvFlag) String() string { return "" }

func (f *kvFlag) Set(v string) error {
	ch, val, ok := strings.Cut(v, "=")
	if !ok || ch == "" || val == "" {
		return fmt.Errorf("want CHANNEL=VALUE, got %q", v)
	}
	f.pairs = append(f.pairs, [2]string{ch, val})
	return nil
}

// listFlag collects repeated or comma-separated values.
type listFlag []string

func (f *listFlag) String() string { return strings.Join(*f, ",") }

func (f *listFlag) Set(v string) error {
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*f = append(*f, p)
		}
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ssemon-demo", usageText, args, stdout)
	var (
		cfg          server.Config
		listen       = fs.String("listen", "127.0.0.1:8080", "address to listen on (a non-loopback address is logged as a warning)")
		scenarios    = fs.String("scenarios", "", "JSON scenario file (default: the built-in channel set)")
		firehoseRate = fs.Int("firehose-rate", 0, "events per second of firehose channels (default 1000, max 100000)")
		logFormat    = fs.String("log-format", "text", "log format: text or json")
		logLevel     = fs.String("log-level", "info", "log level: debug, info, warn or error")
		token        = fs.String("token", "", "bearer token required on every request but /healthz (default $SSEMON_DEMO_TOKEN; prefer the variable: flags show in ps)")
		cors         listFlag
		failNext     = &kvFlag{name: "fail-next"}
		setRetry     = &kvFlag{name: "set-retry"}
		replayFile   = fs.String("replay", "", "serve this recording (ssemon-tail --record) at its recorded pace instead of the scenarios")
		speed        = fs.Float64("speed", 1, "with --replay: playback speed (2 = twice as fast, 0.5 = half)")
		loop         = fs.Bool("loop", false, "with --replay: start each channel over when it ends")
		drops        = fs.Bool("drops", false, "with --replay: end each connection where the recorded one ended (the client reconnects as it did then)")
		source       = fs.String("source", "", "serve the Redis streams of redis://HOST:PORT[/DB] instead of the scenarios (event ids are Redis entry ids)")
		streams      = fs.String("streams", "", "with --source: pattern of the stream keys served (Redis glob, default *)")
		pubScen      = fs.Bool("publish-scenarios", false, "with --source: also run the scenarios, publishing into Redis")
	)
	fs.Uint64Var(&cfg.Seed, "seed", 0, "scenario seed: the same seed plays the same demo")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat", server.DefaultHeartbeat, "heartbeat comment interval (negative disables)")
	fs.DurationVar(&cfg.Retry, "retry", server.DefaultRetry, "retry: sent on connect")
	fs.IntVar(&cfg.RingSize, "ring", server.DefaultRingSize, "events kept per channel for resume")
	fs.DurationVar(&cfg.History, "history", server.DefaultHistory, "events younger than this are kept for resume too (negative: --ring only)")
	fs.Int64Var(&cfg.HistoryBytes, "history-bytes", server.DefaultHistoryBytes, "memory cap of each channel's history (bytes)")
	fs.IntVar(&cfg.QueueSize, "queue", server.DefaultQueueSize, "most events given to a subscriber in one write")
	fs.IntVar(&cfg.MaxSubscribers, "max-subscribers", server.DefaultMaxSubscribers, "concurrent streams allowed; 503 past it")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", server.DefaultWriteTimeout, "a subscriber whose write takes longer is dropped")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", server.DefaultShutdownTimeout, "graceful shutdown bound")
	fs.Float64Var(&cfg.Models.TokenRate, "model-rate", server.DefaultTokenRate, "tokens per second of the model endpoints (POST /v1/chat/completions, /v1/messages, /api/chat)")
	fs.Var(&cors, "cors-origin", "origin allowed by CORS, repeatable or comma-separated; * for any (default none)")
	fs.Var(failNext, "fail-next", "CHANNEL=STATUS: answer the channel's next stream request with STATUS (repeatable)")
	fs.Var(setRetry, "set-retry", "CHANNEL=DURATION: retry: for the channel at startup (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &UsageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %q", fs.Args())
	}
	if *firehoseRate != 0 && (*firehoseRate < 1 || *firehoseRate > server.MaxFirehoseRate) {
		return usagef("--firehose-rate %d: want 1 to %d events per second", *firehoseRate, server.MaxFirehoseRate)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usagef("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch *logFormat {
	case "text":
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, opts))
	case "json":
		cfg.Logger = slog.New(slog.NewJSONHandler(stderr, opts))
	default:
		return usagef("--log-format: want text or json, got %q", *logFormat)
	}
	if *replayFile != "" {
		if s := *speed; math.IsNaN(s) || s < replay.MinSpeed || s > replay.MaxSpeed {
			return usagef("--speed %g: want %g to %g (1 = the recorded pace)", s, replay.MinSpeed, float64(replay.MaxSpeed))
		}
		return runReplay(ctx, fs, *listen, replay.Config{
			File: *replayFile, Speed: *speed, Loop: *loop, Drops: *drops,
			Heartbeat: cfg.Heartbeat, MaxSubscribers: cfg.MaxSubscribers,
			WriteTimeout: cfg.WriteTimeout, ShutdownTimeout: cfg.ShutdownTimeout,
			Logger: cfg.Logger,
		}, stdout)
	}
	if set(fs, "speed", "loop", "drops") {
		return usagef("--speed, --loop and --drops need --replay")
	}
	if *source == "" && (*streams != "" || *pubScen) {
		return usagef("--streams and --publish-scenarios need --source")
	}
	if *source != "" && !*pubScen && set(fs, "scenarios", "firehose-rate", "seed") {
		return usagef("with --source, --scenarios, --firehose-rate and --seed need --publish-scenarios")
	}
	if *source != "" && set(fs, "fail-next", "set-retry") {
		return usagef("--fail-next and --set-retry act on in-memory channels, not with --source")
	}
	cfg.PublishScenarios = *pubScen
	cfg.Token = *token
	if cfg.Token == "" {
		cfg.Token = os.Getenv("SSEMON_DEMO_TOKEN")
	}
	cfg.CORSOrigins = cors
	if *scenarios != "" {
		data, err := os.ReadFile(*scenarios)
		if err != nil {
			return err
		}
		if cfg.Scenarios, err = server.ParseScenarios(data); err != nil {
			return fmt.Errorf("%s: %w", *scenarios, err)
		}
	}
	if *firehoseRate != 0 {
		if len(cfg.Scenarios) == 0 {
			cfg.Scenarios = server.DefaultScenarios()
		}
		for i := range cfg.Scenarios {
			if cfg.Scenarios[i].Kind == server.KindFirehose {
				cfg.Scenarios[i].Rate = *firehoseRate
			}
		}
	}

	if *source != "" {
		up, err := newRedisUpstream(relay.Config{
			Source: *source, Streams: *streams, Heartbeat: cfg.Heartbeat, Retry: cfg.Retry,
			MaxSubscribers: cfg.MaxSubscribers, WriteTimeout: cfg.WriteTimeout,
			ShutdownTimeout: cfg.ShutdownTimeout, Logger: cfg.Logger,
		})
		if err != nil {
			return err
		}
		defer up.Close()
		cfg.Upstream = up
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	known := map[string]bool{}
	for _, c := range srv.Channels() {
		known[c.Name] = true
	}
	for _, kv := range failNext.pairs {
		st, err := strconv.Atoi(kv[1])
		if err != nil || !known[kv[0]] {
			return usagef("--fail-next %s=%s: want a known channel and a status", kv[0], kv[1])
		}
		srv.FailNext(kv[0], st)
	}
	for _, kv := range setRetry.pairs {
		d, err := time.ParseDuration(kv[1])
		if err != nil || !known[kv[0]] {
			return usagef("--set-retry %s=%s: want a known channel and a duration", kv[0], kv[1])
		}
		srv.SetRetry(kv[0], d)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(known))
	for _, c := range srv.Channels() {
		names = append(names, c.Name)
	}
	url := browseURL(ln.Addr())
	if cfg.Upstream != nil {
		fmt.Fprintf(stdout, "ssemon-demo: relaying Redis streams on %s (channels now: %s)\n", url, strings.Join(names, ", "))
	} else {
		fmt.Fprintf(stdout, "ssemon-demo: serving %s (channels: %s)\n", url, strings.Join(names, ", "))
	}
	if cfg.Token != "" {
		fmt.Fprintf(stdout, "ssemon-demo: token required: open %s?token=<token>\n", url)
	}
	return srv.Serve(ctx, ln)
}

// browseURL returns the page's URL for a listener: a wildcard address
// (0.0.0.0, ::) is not one to browse, so the loopback address of the
// same family stands for it.
func browseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // a wildcard listener accepts loopback IPv4 too
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// set reports whether any of the named flags was given.
func set(fs *flag.FlagSet, names ...string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || slices.Contains(names, f.Name) })
	return found
}

// runReplay serves a recording instead of the scenarios.
func runReplay(ctx context.Context, fs *flag.FlagSet, listen string, cfg replay.Config, stdout io.Writer) error {
	if set(fs, "scenarios", "firehose-rate", "fail-next", "set-retry", "seed", "ring", "history", "history-bytes", "queue", "retry", "token", "cors-origin",
		"source", "streams", "publish-scenarios") ||
		os.Getenv("SSEMON_DEMO_TOKEN") != "" {
		return usagef("--replay serves the recording as recorded: scenario, fault, token and CORS flags do not apply")
	}
	srv, err := replay.New(cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	names := []string{}
	for _, c := range srv.Channels() {
		names = append(names, c.Name)
	}
	fmt.Fprintf(stdout, "ssemon-demo: replaying %s on %s (channels: %s; %v at speed %g, loop %t, drops %t)\n",
		cfg.File, browseURL(ln.Addr()), strings.Join(names, ", "), srv.Duration().Round(time.Millisecond), max(cfg.Speed, 0), cfg.Loop, cfg.Drops)
	return srv.Serve(ctx, ln)
}
