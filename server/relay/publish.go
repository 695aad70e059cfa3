package relay

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Message is one event to publish.
type Message struct {
	// Type is the SSE event type; "" for the default "message" type.
	Type string
	// Data is the event's data: 1 byte to the publisher's MaxEventBytes.
	Data []byte
}

// PublisherConfig configures a Publisher. Every zero field takes the
// default written next to it.
type PublisherConfig struct {
	// Source is the Redis server, as Config.Source. Required.
	Source string
	// MaxLen trims every stream written to about this many entries
	// (XADD MAXLEN ~, which trims whole internal nodes: cheap, and never
	// below MaxLen). Default 10000; negative: no trimming.
	MaxLen int64
	// MaxEventBytes caps the data of one event. Default 1 MiB, at most
	// MaxEventBytesCap.
	MaxEventBytes int
	// Timeout bounds every Redis command. Default 5 s.
	Timeout time.Duration
}

// Publisher writes events into Redis streams as entries the relay reads:
// field "event" (when the type is set) and field "data". Its methods are
// safe for concurrent use.
type Publisher struct {
	rdb     *redis.Client
	own     bool // rdb is the Publisher's (closed by Close)
	maxLen  int64
	maxData int
}

// NewPublisher returns a Publisher for cfg. It does not connect until the
// first Publish. Errors are *ConfigError.
func NewPublisher(cfg PublisherConfig) (*Publisher, error) {
	c := Config{Source: cfg.Source, MaxLen: cfg.MaxLen, MaxEventBytes: cfg.MaxEventBytes, RedisTimeout: cfg.Timeout}
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	opts := c.redisOptions(8)
	return &Publisher{rdb: redis.NewClient(opts), own: true, maxLen: c.MaxLen, maxData: c.MaxEventBytes}, nil
}

// Publish appends one event to the stream channel (created if needed) and
// returns its id. Errors about the arguments wrap ErrInvalidEvent.
func (p *Publisher) Publish(ctx context.Context, channel, eventType string, data []byte) (ID, error) {
	ids, err := p.PublishBatch(ctx, channel, []Message{{Type: eventType, Data: data}})
	if err != nil {
		return ID{}, err
	}
	return ids[0], nil
}

// PublishBatch appends events to the stream channel in one round trip and
// returns their ids. Every event is checked before any is written; on a
// Redis error, some of the events may have been written (the ids returned
// so far are those known to be).
func (p *Publisher) PublishBatch(ctx context.Context, channel string, msgs []Message) ([]ID, error) {
	for i, m := range msgs {
		if err := checkEvent(channel, m.Type, m.Data, p.maxData); err != nil {
			if len(msgs) > 1 {
				return nil, fmt.Errorf("event %d: %w", i, err)
			}
			return nil, err
		}
	}
	cmds := make([]*redis.StringCmd, len(msgs))
	_, err := p.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, m := range msgs {
			values := make([]any, 0, 4)
			if m.Type != "" {
				values = append(values, FieldEvent, m.Type)
			}
			values = append(values, FieldData, m.Data)
			a := &redis.XAddArgs{Stream: channel, Values: values}
			if p.maxLen > 0 {
				a.MaxLen, a.Approx = p.maxLen, true
			}
			cmds[i] = pipe.XAdd(ctx, a)
		}
		return nil
	})
	ids := make([]ID, 0, len(msgs))
	for _, c := range cmds {
		if c.Err() != nil {
			break
		}
		id, perr := ParseID(c.Val())
		if perr != nil {
			return ids, fmt.Errorf("relay: XADD returned %q: %w", c.Val(), perr)
		}
		ids = append(ids, id)
	}
	if err != nil {
		return ids, fmt.Errorf("relay: publish to Redis stream %q: %w", channel, err)
	}
	return ids, nil
}

// Close closes the Publisher's connections.
func (p *Publisher) Close() error {
	if p.own {
		return p.rdb.Close()
	}
	return nil
}

// Publish appends one event to the stream channel through the relay's
// connection pool, trimmed to Config.MaxLen, and returns its id; the
// relay's subscribers (and every other relay's) get it from Redis like any
// other entry. Errors about the arguments wrap ErrInvalidEvent.
func (r *Relay) Publish(ctx context.Context, channel, eventType string, data []byte) (ID, error) {
	return r.Publisher().Publish(ctx, channel, eventType, data)
}

// Publisher returns a Publisher that shares the relay's connections (its
// Close does nothing); it writes with the relay's MaxLen and
// MaxEventBytes.
func (r *Relay) Publisher() *Publisher {
	return &Publisher{rdb: r.rdb, maxLen: r.cfg.MaxLen, maxData: r.cfg.MaxEventBytes}
}

// SourceEnv is the environment variable RunPublish reads when --source is
// not given (a password in a flag shows in ps).
const SourceEnv = "SSEMON_SOURCE"

const publishUsage = `Usage: ssemon-demo publish --source redis://HOST:PORT[/DB] [--event TYPE] [--maxlen N] CHANNEL [DATA]

Publishes an event to the Redis stream CHANNEL, which every relay
(ssemon-demo --source …) serves at /api/stream/CHANNEL, and prints its id.
Without DATA (or with DATA "-"), reads JSON lines from standard input and
publishes each line as one event, as it arrives; blank lines are skipped.

  ssemon-demo publish --source redis://127.0.0.1:6379 deploy --event stage '{"progress":40,"message":"tests"}'
  ./build.sh | jq -c --unbuffered '{progress, message}' | ssemon-demo publish --source redis://127.0.0.1:6379 build

The source may also come from $SSEMON_SOURCE (prefer it for passwords).
Exit status: 0 all published, 1 an error (the events before it were published), 2 bad usage.

Flags:
`

// UsageError reports bad command-line usage of RunPublish (exit status 2).
type UsageError struct {
	// Err says what is wrong.
	Err error
}

// Error implements error.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UsageError) Unwrap() error { return e.Err }

// RunPublish runs the publish subcommand with args (after "publish"):
// flags, CHANNEL and optional DATA, reading JSON lines from stdin when
// DATA is absent or "-". It prints each event's id to stdout. Usage
// errors are *UsageError (flag.ErrHelp for -h).
func RunPublish(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ssemon-demo publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, publishUsage)
		fs.PrintDefaults()
	}
	source := fs.String("source", "", "Redis server, redis://HOST:PORT[/DB] (default $"+SourceEnv+")")
	event := fs.String("event", "", `event type (default: none, i.e. "message")`)
	maxLen := fs.Int64("maxlen", DefaultMaxLen, "trim the stream to about this many entries (negative: never trim)")
	// Flags may follow the channel: parse what comes after the
	// positional arguments too.
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return &UsageError{err}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(pos) == 0 || len(pos) > 2 {
		fs.Usage()
		return &UsageError{errors.New("want CHANNEL [DATA]")}
	}
	if *source == "" {
		*source = os.Getenv(SourceEnv)
	}
	if *source == "" {
		return &UsageError{errors.New("--source redis://HOST:PORT[/DB] (or $" + SourceEnv + ") is required")}
	}
	if *maxLen == 0 {
		return &UsageError{errors.New("--maxlen 0 would empty the stream; use a negative value to never trim")}
	}
	channel := pos[0]
	if !validName(channel) {
		return &UsageError{fmt.Errorf("channel %q: want 1–128 of A-Z a-z 0-9 and . _ - : characters", channel)}
	}
	if err := checkEvent(channel, *event, []byte("x"), 1); err != nil {
		return &UsageError{fmt.Errorf("--event: %w", err)}
	}
	p, err := NewPublisher(PublisherConfig{Source: *source, MaxLen: *maxLen})
	if err != nil {
		return &UsageError{fmt.Errorf("--source: %w", err)}
	}
	defer p.Close()
	where := redactSource(*source)

	if len(pos) == 2 && pos[1] != "-" {
		id, err := p.Publish(ctx, channel, *event, []byte(pos[1]))
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		fmt.Fprintln(stdout, id.String())
		return nil
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 64<<10), p.maxData+1)
	line, published := 0, 0
	for sc.Scan() {
		line++
		b := []byte(strings.TrimRight(sc.Text(), "\r"))
		if strings.TrimSpace(string(b)) == "" {
			continue
		}
		if !json.Valid(b) {
			return fmt.Errorf("stdin line %d: not valid JSON (published %d events before it)", line, published)
		}
		id, err := p.Publish(ctx, channel, *event, b)
		if err != nil {
			return fmt.Errorf("stdin line %d: %s: %w (published %d events before it)", line, where, err, published)
		}
		published++
		fmt.Fprintln(stdout, id.String())
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("stdin line %d: longer than %d bytes (published %d events before it)", line+1, p.maxData, published)
		}
		return fmt.Errorf("stdin: %w (published %d events before it)", err, published)
	}
	return nil
}
