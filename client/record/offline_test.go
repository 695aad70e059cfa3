package record

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
)

func writeEntries(t *testing.T, entries []Entry) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, "test", t0)
	for i := range entries {
		if err := w.Write(&entries[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func TestOpenOffline(t *testing.T) {
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	entries := []Entry{
		{Kind: KindChannel, Time: at(0), Channel: "a", URL: "http://127.0.0.1:8080/a"},
		{Kind: KindState, Time: at(1), Channel: "a", State: client.Open, Status: 200, Detail: "HTTP/1.1 200 OK"},
		{Kind: KindChannel, Time: at(0), Channel: "b", URL: ""},
		{Kind: KindState, Time: at(2), Channel: "b", State: client.Failed, Status: 404, Error: "HTTP 404 Not Found", ErrorKind: ErrorHTTP, Body: "nope"},
	}
	for i := 1; i <= 300; i++ { // more than the feed queue holds
		entries = append(entries, Entry{Kind: KindEvent, Time: at(10 * i), Channel: "a", ID: strings.Repeat("x", i%3), Type: "message", Data: "d", Bytes: 8})
	}
	entries = append(entries, Entry{Kind: KindRetry, Time: at(4000), Channel: "a", Retry: 1500 * time.Millisecond, Bytes: 12},
		Entry{Kind: KindComment, Time: at(4001), Channel: "a", Comment: "beat", Bytes: 7},
		Entry{Kind: KindOversized, Time: at(4001), Channel: "a", Type: "message", Data: "{", Bytes: 4 << 20, Oversized: client.Oversized{Bytes: 4 << 20, Cap: 1 << 20, More: true}},
		Entry{Kind: KindOversized, Time: at(4001), Channel: "a", Type: "message", Data: "{", Bytes: 10, Oversized: client.Oversized{Bytes: 4<<20 + 10, Cap: 1 << 20, Again: true}})
	m := client.NewManager(client.ManagerConfig{})
	defer m.Close()
	var urls []string
	chans, err := OpenOffline(context.Background(), writeEntries(t, entries), m, func(e *Entry) client.ChannelConfig {
		urls = append(urls, e.URL)
		return client.ChannelConfig{Name: "rec-" + e.Channel, URL: e.URL}
	})
	if err != nil || len(chans) != 2 {
		t.Fatalf("OpenOffline = %d channels, %v", len(chans), err)
	}
	if strings.Join(urls, ",") != "http://127.0.0.1:8080/a," {
		t.Errorf("config called with URLs %q", urls)
	}
	a := chans[0].Snapshot()
	if a.Name != "rec-a" || !a.Offline || a.Stats.Events != 300 || a.Stats.Comments != 1 || a.Stats.Retry != 1500*time.Millisecond {
		t.Errorf("a: %s offline %v, %d events, %d comments, retry %v", a.Name, a.Offline, a.Stats.Events, a.Stats.Comments, a.Stats.Retry)
	}
	if a.Stats.Oversized != 1 || a.Stats.Skipping != 0 {
		t.Errorf("a: %d oversized, skipping %d; want the one recorded, ended", a.Stats.Oversized, a.Stats.Skipping)
	}
	if !a.At.Equal(at(4001)) || a.Status.State != client.Open {
		t.Errorf("a at %v in %v, want the last recorded time and open", a.At, a.Status.State)
	}
	b := chans[1].Snapshot()
	if b.Status.State != client.Failed || b.Status.HTTPStatus != 404 || client.StatusText(b.Status, b.At) != "failed 404 Not Found: nope" {
		t.Errorf("b: %+v → %q", b.Status, client.StatusText(b.Status, b.At))
	}
	var he *client.HTTPError
	if !errors.As(b.Status.Err, &he) || b.Status.Err.Error() != "HTTP 404 Not Found" || b.Status.Detail != "HTTP 404 Not Found" {
		t.Errorf("b's error %v (%T), detail %q", b.Status.Err, b.Status.Err, b.Status.Detail)
	}
}

func TestOpenOfflineStopsOnBadLineAndCancel(t *testing.T) {
	m := client.NewManager(client.ManagerConfig{})
	defer m.Close()
	cfg := func(e *Entry) client.ChannelConfig { return client.ChannelConfig{Name: e.Channel} }
	buf := writeEntries(t, []Entry{{Kind: KindEvent, Time: t0, Channel: "a", Type: "message", Data: "1"}})
	buf.WriteString("not json\n")
	chans, err := OpenOffline(context.Background(), buf, m, cfg)
	if err == nil || len(chans) != 1 {
		t.Fatalf("bad line: %d channels, err %v", len(chans), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if chans, err := OpenOffline(ctx, writeEntries(t, []Entry{{Kind: KindEvent, Time: t0, Channel: "b", Data: "1"}}), m, cfg); !errors.Is(err, context.Canceled) || len(chans) != 0 {
		t.Errorf("cancelled: %d channels, err %v", len(chans), err)
	}
	if _, err := OpenOffline(context.Background(), writeEntries(t, []Entry{{Kind: KindEvent, Time: t0, Channel: "a", Data: "1"}}), m, cfg); !errors.Is(err, client.ErrDuplicateName) {
		t.Errorf("name taken: err %v", err)
	}
}
