package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssemon/ssemon/server/relay/redistest"

	"github.com/ssemon/ssemon/server/relay"
)

func TestPublish(t *testing.T) {
	url := startRedis(t)
	rdb := redisClient(t, url)
	tests := []struct {
		name    string
		args    []string
		stdin   string
		key     string // the stream written
		usage   bool   // a *UsageError
		errWant string // "" = success
		events  []relay.Event
	}{
		{name: "one event", key: "a", args: []string{"--source", url, "a", "--event", "stage", `{"progress":40}`},
			events: []relay.Event{{Type: "stage", Data: `{"progress":40}`}}},
		{name: "flags before the channel", key: "b", args: []string{"--source", url, "--event", "t", "b", "plain text"},
			events: []relay.Event{{Type: "t", Data: "plain text"}}},
		{name: "JSON lines", key: "c", args: []string{"--source", url, "c"}, stdin: "{\"n\":1}\n\n[2]\r\n\"three\"\n",
			events: []relay.Event{{Data: `{"n":1}`}, {Data: "[2]"}, {Data: `"three"`}}},
		{name: "dash reads stdin", key: "d", args: []string{"--source", url, "d", "-"}, stdin: "{}\n", events: []relay.Event{{Data: "{}"}}},
		{name: "bad line stops, the lines before are published", key: "e", args: []string{"--source", url, "e"}, stdin: "{}\nnope\n{}\n",
			errWant: "stdin line 2: not valid JSON (published 1 events before it)", events: []relay.Event{{Data: "{}"}}},
		{name: "no channel", args: []string{"--source", url}, usage: true, errWant: "CHANNEL"},
		{name: "no source", args: []string{"x", "y"}, usage: true, errWant: "--source"},
		{name: "bad channel", args: []string{"--source", url, "a/b", "y"}, usage: true, errWant: "channel"},
		{name: "bad event", args: []string{"--source", url, "--event", "a\nb", "x", "y"}, usage: true, errWant: "--event"},
		{name: "zero maxlen", args: []string{"--source", url, "--maxlen", "0", "x", "y"}, usage: true, errWant: "--maxlen"},
		{name: "empty data", args: []string{"--source", url, "x", ""}, errWant: "empty data"},
		{name: "Redis down", args: []string{"--source", "redis://127.0.0.1:1", "--give-up", "0", "x", "y"}, errWant: "redis://127.0.0.1:1 unavailable for 0s: relay: publish to Redis stream \"x\": dial tcp 127.0.0.1:1: connect: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(SourceEnv, "")
			var out strings.Builder
			err := runPublish(context.Background(), tt.args, strings.NewReader(tt.stdin), &out, io.Discard)
			var ue *UsageError
			if tt.usage != errors.As(err, &ue) {
				t.Fatalf("err %v: usage error %v, want %v", err, errors.As(err, &ue), tt.usage)
			}
			if (err == nil) != (tt.errWant == "") || (err != nil && !strings.Contains(err.Error(), tt.errWant)) {
				t.Fatalf("err %v, want %q", err, tt.errWant)
			}
			if len(tt.events) == 0 {
				return
			}
			ids := strings.Fields(out.String())
			if len(ids) != len(tt.events) {
				t.Fatalf("printed ids %q, want %d", ids, len(tt.events))
			}
			got, err := rdb.XRange(context.Background(), tt.key, "-", "+").Result()
			if err != nil || len(got) != len(tt.events) {
				t.Fatalf("stream %q: %v %v", tt.key, got, err)
			}
			for i, m := range got {
				id, _ := relay.ParseID(m.ID)
				ev := relay.EntryEvent(id, m.Values)
				if m.ID != ids[i] || ev.Type != tt.events[i].Type || ev.Data != tt.events[i].Data {
					t.Fatalf("entry %d: %s %+v, want id %s %+v", i, m.ID, ev, ids[i], tt.events[i])
				}
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		var errOut strings.Builder
		err := runPublish(context.Background(), []string{"-h"}, strings.NewReader(""), &errOut, io.Discard) // help asked for: stdout
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut.String(), "JSON lines") {
			t.Fatalf("err %v, help %q", err, errOut.String())
		}
	})
	t.Run("source from the environment", func(t *testing.T) {
		t.Setenv(SourceEnv, url)
		var out strings.Builder
		if err := runPublish(context.Background(), []string{"env", "x"}, strings.NewReader(""), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if n := rdb.XLen(context.Background(), "env").Val(); n != 1 {
			t.Fatalf("%d entries", n)
		}
	})
}

// TestPublishWaitsForRedis pipes lines into publish while Redis is
// restarted twice: every line is in the stream once, in order, and the
// outage is told on stderr. The lines are written as the test goes: some
// published before each outage, one that finds Redis away, more while it
// is away; each step waits for what publish says, not for time.
func TestPublishWaitsForRedis(t *testing.T) {
	rs := redistest.Start(t)
	pr, pw := io.Pipe()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runPublish(context.Background(), []string{"--source", rs.URL, "--give-up", "30s", "job"}, pr, &out, &errOut)
	}()
	const n = 150
	lines := make(chan int, n) // how many more lines to write
	wrote := make(chan error, 1)
	go func() {
		i := 0
		for more := range lines {
			for range more {
				i++
				if _, err := fmt.Fprintf(pw, "{\"line\":%d}\n", i); err != nil {
					wrote <- err
					return
				}
			}
		}
		wrote <- nil
	}()
	// until waits (hang guard only) until publish has said enough.
	until := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("publish never %s; stdout %d ids; stderr %q", what, strings.Count(out.String(), "\n"), errOut.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	published := func(k int) func() bool { return func() bool { return strings.Count(out.String(), "\n") >= k } }
	told := func(s string, k int) func() bool {
		return func() bool { return strings.Count(errOut.String(), s) >= k }
	}
	sent := 0
	for k := 1; k <= 2; k++ {
		lines <- 20 // published while Redis is up
		sent += 20
		until("published the lines before the outage", published(sent))
		rs.Stop()
		lines <- 1 // finds Redis away
		sent++
		until("told the outage", told(" unavailable: ", k))
		lines <- 24 // read ahead while Redis is away
		sent += 24
		rs.Start()
		until("told Redis is back", told("reachable again", k))
	}
	lines <- n - sent
	close(lines)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	pw.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("publish: %v (stderr %q)", err, errOut.String())
		}
	case <-time.After(60 * time.Second): // hang guard
		t.Fatal("publish did not end")
	}
	got, err := redisClient(t, rs.URL).XRange(context.Background(), "job", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d entries, want %d", len(got), n)
	}
	for i, m := range got {
		id, _ := relay.ParseID(m.ID)
		if ev := relay.EntryEvent(id, m.Values); ev.Data != fmt.Sprintf(`{"line":%d}`, i+1) {
			t.Fatalf("entry %d: %q", i, ev.Data)
		}
	}
	// The outage told with Redis' own error (EOF, a reset or a refused
	// connection, depending on when the restart caught it; "connection
	// refused" itself is checked in TestPublish), never a parse error of
	// an empty reply.
	if s := errOut.String(); !strings.Contains(s, "unavailable: relay: publish to Redis stream") || !strings.Contains(s, "reachable again") ||
		strings.Contains(s, "not a Redis stream id") {
		t.Fatalf("stderr does not tell the outage: %q", s)
	}
}

// syncBuffer is a strings.Builder safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
