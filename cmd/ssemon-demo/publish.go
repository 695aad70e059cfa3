package main

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

	"github.com/ssemon/ssemon/server/relay"
)

// SourceEnv is the environment variable runPublish reads when --source is
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

// UsageError reports bad command-line usage of runPublish (exit status 2).
type UsageError struct {
	// Err says what is wrong.
	Err error
}

// Error implements error.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UsageError) Unwrap() error { return e.Err }

// runPublish runs the publish subcommand with args (after "publish"):
// flags, CHANNEL and optional DATA, reading JSON lines from stdin when
// DATA is absent or "-". It prints each event's id to stdout. Usage
// errors are *UsageError (flag.ErrHelp for -h).
func runPublish(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ssemon-demo publish", flag.ContinueOnError)
	out := helpOutput(args, stdout, stderr)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, publishUsage)
		fs.PrintDefaults()
	}
	source := fs.String("source", "", "Redis server, redis://HOST:PORT[/DB] (default $"+SourceEnv+")")
	event := fs.String("event", "", `event type (default: none, i.e. "message")`)
	maxLen := fs.Int64("maxlen", relay.DefaultMaxLen, "trim the stream to about this many entries (negative: never trim)")
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
	if !relay.ValidName(channel) {
		return &UsageError{fmt.Errorf("channel %q: want 1–128 of A-Z a-z 0-9 and . _ - : characters", channel)}
	}
	if err := relay.CheckEvent(channel, *event, []byte("x"), 1); err != nil {
		return &UsageError{fmt.Errorf("--event: %w", err)}
	}
	p, err := relay.NewPublisher(relay.PublisherConfig{Source: *source, MaxLen: *maxLen})
	if err != nil {
		return &UsageError{fmt.Errorf("--source: %w", err)}
	}
	defer p.Close()
	where := relay.RedactSource(*source)

	if len(pos) == 2 && pos[1] != "-" {
		id, err := p.Publish(ctx, channel, *event, []byte(pos[1]))
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		fmt.Fprintln(stdout, id.String())
		return nil
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 64<<10), p.MaxEventBytes()+1)
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
			return fmt.Errorf("stdin line %d: longer than %d bytes (published %d events before it)", line+1, p.MaxEventBytes(), published)
		}
		return fmt.Errorf("stdin: %w (published %d events before it)", err, published)
	}
	return nil
}
