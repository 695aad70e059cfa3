package relay

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestRunPublish(t *testing.T) {
	rs := startRedis(t)
	rdb := rs.client(t)
	tests := []struct {
		name    string
		args    []string
		stdin   string
		key     string // the stream written
		usage   bool   // a *UsageError
		errWant string // "" = success
		events  []Event
	}{
		{name: "one event", key: "a", args: []string{"--source", rs.URL, "a", "--event", "stage", `{"progress":40}`},
			events: []Event{{Type: "stage", Data: `{"progress":40}`}}},
		{name: "flags before the channel", key: "b", args: []string{"--source", rs.URL, "--event", "t", "b", "plain text"},
			events: []Event{{Type: "t", Data: "plain text"}}},
		{name: "JSON lines", key: "c", args: []string{"--source", rs.URL, "c"}, stdin: "{\"n\":1}\n\n[2]\r\n\"three\"\n",
			events: []Event{{Data: `{"n":1}`}, {Data: "[2]"}, {Data: `"three"`}}},
		{name: "dash reads stdin", key: "d", args: []string{"--source", rs.URL, "d", "-"}, stdin: "{}\n", events: []Event{{Data: "{}"}}},
		{name: "bad line stops, the lines before are published", key: "e", args: []string{"--source", rs.URL, "e"}, stdin: "{}\nnope\n{}\n",
			errWant: "stdin line 2: not valid JSON (published 1 events before it)", events: []Event{{Data: "{}"}}},
		{name: "no channel", args: []string{"--source", rs.URL}, usage: true, errWant: "CHANNEL"},
		{name: "no source", args: []string{"x", "y"}, usage: true, errWant: "--source"},
		{name: "bad channel", args: []string{"--source", rs.URL, "a/b", "y"}, usage: true, errWant: "channel"},
		{name: "bad event", args: []string{"--source", rs.URL, "--event", "a\nb", "x", "y"}, usage: true, errWant: "--event"},
		{name: "zero maxlen", args: []string{"--source", rs.URL, "--maxlen", "0", "x", "y"}, usage: true, errWant: "--maxlen"},
		{name: "empty data", args: []string{"--source", rs.URL, "x", ""}, errWant: "empty data"},
		{name: "Redis down", args: []string{"--source", "redis://127.0.0.1:1", "x", "y"}, errWant: "redis://127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(SourceEnv, "")
			var out strings.Builder
			err := RunPublish(context.Background(), tt.args, strings.NewReader(tt.stdin), &out, io.Discard)
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
				id, _ := ParseID(m.ID)
				ev := EntryEvent(id, m.Values)
				if m.ID != ids[i] || ev.Type != tt.events[i].Type || ev.Data != tt.events[i].Data {
					t.Fatalf("entry %d: %s %+v, want id %s %+v", i, m.ID, ev, ids[i], tt.events[i])
				}
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		var errOut strings.Builder
		err := RunPublish(context.Background(), []string{"-h"}, strings.NewReader(""), io.Discard, &errOut)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut.String(), "JSON lines") {
			t.Fatalf("err %v, help %q", err, errOut.String())
		}
	})
	t.Run("source from the environment", func(t *testing.T) {
		t.Setenv(SourceEnv, rs.URL)
		var out strings.Builder
		if err := RunPublish(context.Background(), []string{"env", "x"}, strings.NewReader(""), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if n := rdb.XLen(context.Background(), "env").Val(); n != 1 {
			t.Fatalf("%d entries", n)
		}
	})
}

func TestPublishTrims(t *testing.T) {
	rs := startRedis(t)
	p, err := NewPublisher(PublisherConfig{Source: rs.URL, MaxLen: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	msgs := make([]Message, 500)
	for i := range msgs {
		msgs[i] = Message{Type: "n", Data: []byte("x")}
	}
	ids, err := p.PublishBatch(context.Background(), "t", msgs)
	if err != nil || len(ids) != 500 {
		t.Fatalf("%d ids, %v", len(ids), err)
	}
	for i := 1; i < len(ids); i++ {
		if !ids[i-1].Less(ids[i]) {
			t.Fatalf("ids out of order at %d", i)
		}
	}
	// MAXLEN ~ trims whole nodes: about MaxLen entries are kept, never fewer.
	if n := rs.client(t).XLen(context.Background(), "t").Val(); n < 10 || n > 200 {
		t.Fatalf("%d entries kept, want about 10", n)
	}
	if _, err := p.PublishBatch(context.Background(), "t", []Message{{Data: []byte("ok")}, {Data: nil}}); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("a bad event in a batch: %v", err)
	}
}
