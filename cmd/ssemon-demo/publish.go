package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client/backoff"
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

While Redis is unavailable (restarting, unreachable) it waits and tries
again with backoff, keeping up to --buffer lines read from stdin (the rest
wait in the pipe), and says so on stderr; it gives up after --give-up.
Every event is written with an id of its own, so a retry after a reply
that was lost never writes it twice: each line is in the stream once, in
order.

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
	fs := newFlagSet("ssemon-demo publish", publishUsage, args, stdout)
	source := fs.String("source", "", "Redis server, redis://HOST:PORT[/DB] (default $"+SourceEnv+")")
	event := fs.String("event", "", `event type (default: none, i.e. "message")`)
	maxLen := fs.Int64("maxlen", relay.DefaultMaxLen, "trim the stream to about this many entries (negative: never trim)")
	giveUp := fs.Duration("give-up", time.Minute, "how long Redis may be unavailable before publish fails (0: at the first error)")
	buffer := fs.Int("buffer", 10000, "lines read ahead from stdin while Redis is unavailable (1 to 1000000)")
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
		return &UsageError{errors.New("want CHANNEL [DATA]")}
	}
	if *source == "" {
		*source = os.Getenv(SourceEnv)
	}
	if *source == "" {
		return &UsageError{errors.New("--source redis://HOST:PORT[/DB] (or $" + SourceEnv + ") is required")}
	}
	if *giveUp < 0 || *buffer < 1 || *buffer > 1_000_000 {
		return &UsageError{errors.New("--give-up must be 0 or more, --buffer between 1 and 1000000")}
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

	pub := &resilient{p: p, channel: channel, typ: *event, where: where, giveUp: *giveUp, stderr: stderr}
	if len(pos) == 2 && pos[1] != "-" {
		id, err := pub.publish(ctx, []byte(pos[1]), 0)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, id.String())
		return nil
	}
	type line struct {
		n    int
		data []byte
	}
	lines := make(chan line, *buffer)
	readErr := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 0, 64<<10), p.MaxEventBytes()+1)
		n := 0
		for sc.Scan() {
			n++
			b := []byte(strings.TrimRight(sc.Text(), "\r"))
			if strings.TrimSpace(string(b)) == "" {
				continue
			}
			select {
			case lines <- line{n, b}:
			case <-done:
				return
			}
		}
		if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
			readErr <- fmt.Errorf("stdin line %d: longer than %d bytes", n+1, p.MaxEventBytes())
		} else if err != nil {
			readErr <- fmt.Errorf("stdin: %w", err)
		}
	}()
	for l := range lines {
		if !json.Valid(l.data) {
			return fmt.Errorf("stdin line %d: not valid JSON (published %d events before it)", l.n, pub.published)
		}
		id, err := pub.publish(ctx, l.data, len(lines))
		if err != nil {
			return fmt.Errorf("stdin line %d: %w (published %d events before it)", l.n, err, pub.published)
		}
		fmt.Fprintln(stdout, id.String())
	}
	select {
	case err := <-readErr:
		return fmt.Errorf("%w (published %d events before it)", err, pub.published)
	default:
	}
	return nil
}

// resilient publishes events one by one, in order, each with an id of
// its own (after the previous one), waiting and trying again while Redis
// is unavailable.
type resilient struct {
	p         *relay.Publisher
	channel   string
	typ       string
	where     string
	giveUp    time.Duration
	stderr    io.Writer
	last      relay.ID
	published int
	down      time.Time // when Redis became unavailable; zero while it is up
}

// publish writes one event and returns its id; waiting says how many
// lines are read ahead, for the state line on stderr.
func (r *resilient) publish(ctx context.Context, data []byte, waiting int) (relay.ID, error) {
	bo := backoff.Policy{Base: 100 * time.Millisecond, Max: 2 * time.Second}
	// One id per event, kept across retries: a retry after a reply that
	// was lost finds the event at that id instead of writing it again.
	id := nextID(r.last, uint64(time.Now().UnixMilli()))
	for attempt := 0; ; attempt++ {
		_, err := r.p.Add(ctx, r.channel, relay.Message{Type: r.typ, Data: data}, id)
		var small *relay.ErrIDTooSmall
		switch {
		case err == nil:
			if !r.down.IsZero() {
				fmt.Fprintf(r.stderr, "ssemon-demo publish: %s reachable again after %v; publishing\n", r.where, time.Since(r.down).Round(100*time.Millisecond))
				r.down = time.Time{}
			}
			r.last = id
			r.published++
			return id, nil
		case errors.As(err, &small):
			r.last = small.Top // someone else wrote after our last id: go on after theirs
			id = nextID(r.last, uint64(time.Now().UnixMilli()))
			continue
		case errors.Is(err, relay.ErrInvalidEvent) || ctx.Err() != nil:
			return relay.ID{}, fmt.Errorf("%s: %w", r.where, err)
		}
		now := time.Now()
		if r.down.IsZero() {
			r.down = now
			if r.giveUp > 0 {
				fmt.Fprintf(r.stderr, "ssemon-demo publish: %s unavailable: %v; retrying (%d lines read ahead; giving up after %v)\n", r.where, err, waiting, r.giveUp)
			}
		}
		if now.Sub(r.down) >= r.giveUp {
			return relay.ID{}, fmt.Errorf("%s unavailable for %v: %w", r.where, now.Sub(r.down).Round(100*time.Millisecond), err)
		}
		t := time.NewTimer(bo.Delay(attempt, rand.Int64N))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return relay.ID{}, ctx.Err()
		}
	}
}

// nextID returns the id for the next event: the current millisecond, or
// right after last when the clock has not moved past it.
func nextID(last relay.ID, nowMs uint64) relay.ID {
	if nowMs > last.Ms {
		return relay.ID{Ms: nowMs}
	}
	return relay.ID{Ms: last.Ms, Seq: last.Seq + 1}
}
