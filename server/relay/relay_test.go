package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssemon/ssemon/client/clock"
)

// quick is a relay configuration for tests: fast discovery and backoff.
func quick(rs *redisServer) Config {
	return Config{
		Source:     rs.URL,
		Discover:   50 * time.Millisecond,
		Heartbeat:  -1,
		Retry:      100 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
		Block:      time.Second,
	}
}

func getJSON(t testing.TB, rt http.RoundTripper, url string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
	return resp.StatusCode
}

func TestPublishDelivery(t *testing.T) {
	rs := startRedis(t)
	tr := newTestRelay(t, quick(rs))
	first := tr.publish(t, "deploy", "", "created")

	c := tr.dial(t, "/api/stream/deploy", nil)
	if f := c.Next(t); f.Retry != "100" || f.HasData {
		t.Fatalf("first frame %+v, want retry: 100 alone", f)
	}
	if h := c.Resp.Header; h.Get("Content-Type") != "text/event-stream" ||
		h.Get("Cache-Control") != "no-cache, no-transform, must-revalidate" || h.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("headers %v", h)
	}
	waitFor(t, "subscriber", func() bool { return tr.subscribers("deploy") == 1 })
	c.NoEvent(t, 100*time.Millisecond) // live only: the entry before it connected is not sent

	id1 := tr.publish(t, "deploy", "stage", `{"progress":40}`)
	id2 := tr.publish(t, "deploy", "", "two\nlines")
	rdb := rs.Client(t)
	id3s, err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: "deploy", Values: []any{"progress", "90", "message", "tests passed"}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	id3, _ := ParseID(id3s)
	if !first.Less(id1) || !id1.Less(id2) || !id2.Less(id3) {
		t.Fatalf("ids not increasing: %v %v %v %v", first, id1, id2, id3)
	}
	want := []frame{
		{ID: id1.String(), Event: "stage", Data: `{"progress":40}`},
		{ID: id2.String(), Data: "two\nlines"},
		{ID: id3.String(), Data: `{"message":"tests passed","progress":90}`},
	}
	for i, w := range want {
		f := c.NextEvent(t)
		if f.ID != w.ID || f.Event != w.Event || f.Data != w.Data {
			t.Fatalf("event %d: %+v, want %+v", i, f, w)
		}
	}
}

func TestChannelsIndexAndLookup(t *testing.T) {
	rs := startRedis(t)
	rdb := rs.Client(t)
	ctx := context.Background()
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "team:deploy", Values: []any{"data", "x"}})
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "other", Values: []any{"data", "x"}})
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "team:bad/name", Values: []any{"data", "x"}})
	rdb.Set(ctx, "team:not-a-stream", "v", 0)
	cfg := quick(rs)
	cfg.Streams = "team:*"
	cfg.Discover = -1 // only at start: later streams are found on demand
	tr := newTestRelay(t, cfg)

	var idx struct {
		Channels []struct {
			Name, Path, URL, Scenario string
			LastID                    string `json:"last_id"`
			OldestID                  string `json:"oldest_id"`
			Length                    int64
		}
		Pattern string
	}
	getJSON(t, tr.tr, tr.ts.URL+"/api/channels", &idx)
	if len(idx.Channels) != 1 || idx.Channels[0].Name != "team:deploy" || idx.Channels[0].Path != "/api/stream/team:deploy" ||
		idx.Channels[0].Scenario != "redis" || idx.Channels[0].Length != 1 || idx.Channels[0].LastID == "" ||
		idx.Channels[0].LastID != idx.Channels[0].OldestID || idx.Pattern != "team:*" {
		t.Fatalf("index %+v", idx)
	}

	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "team:late", Values: []any{"data", "x"}})
	tests := []struct {
		path   string
		status int
	}{
		{"/api/stream/team:deploy", 200},
		{"/api/stream/team:late", 200}, // not discovered yet: looked up
		{"/api/stream/other", 404},     // outside the pattern
		{"/api/stream/team:not-a-stream", 404},
		{"/api/stream/team:missing", 404},
		{"/api/stream/team:deploy?history=x", 400},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			c, resp := tryDial(t, tr.tr, tr.ts.URL+tt.path, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if c == nil {
				var e struct{ Error string }
				json.NewDecoder(resp.Body).Decode(&e)
				resp.Body.Close()
				if e.Error == "" {
					t.Fatal("error without a JSON body")
				}
			}
		})
	}
	if got := tr.Channels(); len(got) != 2 || got[1].Name != "team:late" {
		t.Fatalf("channels after lookup: %+v", got)
	}
}

func TestDiscovery(t *testing.T) {
	rs := startRedis(t)
	tr := newTestRelay(t, quick(rs))
	if n := len(tr.Channels()); n != 0 {
		t.Fatalf("%d channels in an empty Redis", n)
	}
	rdb := rs.Client(t)
	rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: "new-job", Values: []any{"data", "x"}})
	waitFor(t, "discovery of new-job", func() bool { return len(tr.Channels()) == 1 })
}

func TestResume(t *testing.T) {
	rs := startRedis(t)
	cfg := quick(rs)
	cfg.CacheSize = 5
	tr := newTestRelay(t, cfg)
	var ids []ID
	for i := range 12 {
		ids = append(ids, tr.publish(t, "job", "step", fmt.Sprintf(`{"n":%d}`, i)))
	}
	waitFor(t, "reader at the last entry", func() bool { return tr.readerAt("job") == ids[11] })

	tests := []struct {
		name string
		from int // index of the Last-Event-ID in ids
	}{
		{"within the cache", 8},
		{"older than the cache: from Redis", 1},
		{"exactly at the cache start", 6},
		{"up to date", 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tr.dial(t, "/api/stream/job", map[string]string{"Last-Event-ID": ids[tt.from].String()})
			expectIDs(t, c, ids[tt.from+1:]...)
			c.NoEvent(t, 50*time.Millisecond)
		})
	}
	t.Run("query parameter, then live", func(t *testing.T) {
		c := tr.dial(t, "/api/stream/job?lastEventId="+ids[0].String(), nil)
		expectIDs(t, c, ids[1:]...)
		id := tr.publish(t, "job", "", "live")
		expectIDs(t, c, id)
		ids = append(ids, id)
	})
	t.Run("history", func(t *testing.T) {
		for _, n := range []int{3, 9} { // from the cache, from Redis
			c := tr.dial(t, fmt.Sprintf("/api/stream/job?history=%d", n), nil)
			expectIDs(t, c, ids[len(ids)-n:]...)
			c.NoEvent(t, 50*time.Millisecond)
		}
	})
	t.Run("invalid id: reset notice, then live", func(t *testing.T) {
		c := tr.dial(t, "/api/stream/job", map[string]string{"Last-Event-ID": "42"})
		f := c.NextEvent(t)
		last := ids[len(ids)-1].String()
		if f.Event != "lost" || f.ID != last || !strings.Contains(f.Data, `"reason":"invalid"`) || !strings.Contains(f.Data, `"from":"42"`) {
			t.Fatalf("frame %+v", f)
		}
		id := tr.publish(t, "job", "", "after")
		expectIDs(t, c, id)
		ids = append(ids, id)
	})
	t.Run("id ahead of the stream: reset notice", func(t *testing.T) {
		c := tr.dial(t, "/api/stream/job", map[string]string{"Last-Event-ID": "99999999999999-0"})
		f := c.NextEvent(t)
		if f.Event != "lost" || f.ID != ids[len(ids)-1].String() || !strings.Contains(f.Data, `"reason":"ahead"`) {
			t.Fatalf("frame %+v", f)
		}
	})
}

func TestResumeOnAnotherRelay(t *testing.T) {
	rs := startRedis(t)
	a := newTestRelay(t, quick(rs))
	b := newTestRelay(t, quick(rs))
	var ids []ID
	for i := range 5 {
		ids = append(ids, a.publish(t, "ch", "", fmt.Sprint(i)))
	}
	ca := a.dial(t, "/api/stream/ch?history=5", nil)
	expectIDs(t, ca, ids...)
	// The same id means the same entry on every relay.
	cb := b.dial(t, "/api/stream/ch", map[string]string{"Last-Event-ID": ids[2].String()})
	expectIDs(t, cb, ids[3:]...)
	id := b.publish(t, "ch", "", "x")
	expectIDs(t, ca, id)
	expectIDs(t, cb, id)
}

func TestTrimmedHistoryLost(t *testing.T) {
	rs := startRedis(t)
	cfg := quick(rs)
	cfg.CacheSize = 3
	tr := newTestRelay(t, cfg)
	ids := []ID{tr.publish(t, "trim", "", "0")}
	watch(t, tr, "trim", ids[0]) // the reader reads every entry after the first
	for i := 1; i < 20; i++ {
		ids = append(ids, tr.publish(t, "trim", "", fmt.Sprint(i)))
	}
	rdb := rs.Client(t)
	if err := rdb.XTrimMaxLen(context.Background(), "trim", 5).Err(); err != nil { // keeps ids[15:]
		t.Fatal(err)
	}
	waitFor(t, "reader at the last entry", func() bool { return tr.readerAt("trim") == ids[19] })

	c := tr.dial(t, "/api/stream/trim", map[string]string{"Last-Event-ID": ids[3].String()})
	f := c.NextEvent(t)
	var lost struct {
		Missed  int
		From    string
		Oldest  string
		Through string
		Exact   bool
	}
	if err := json.Unmarshal([]byte(f.Data), &lost); err != nil {
		t.Fatalf("%+v: %v", f, err)
	}
	// The notice positions the client right before the oldest entry kept,
	// and counts what was trimmed after its id: ids[4:15].
	if through := ids[15].Prev().String(); f.Event != "lost" || f.ID != through || lost.Through != through || lost.From != ids[3].String() ||
		lost.Oldest != ids[15].String() || lost.Missed != 11 || !lost.Exact {
		t.Fatalf("lost notice %+v %+v", f, lost)
	}
	expectIDs(t, c, ids[15:]...)

	// Reconnecting from the notice's id resumes without a second notice.
	c2 := tr.dial(t, "/api/stream/trim", map[string]string{"Last-Event-ID": f.ID})
	expectIDs(t, c2, ids[15:]...)

	// From an id that is still kept, no notice at all.
	c3 := tr.dial(t, "/api/stream/trim", map[string]string{"Last-Event-ID": ids[16].String()})
	expectIDs(t, c3, ids[17:]...)
}

// watch serves name now and waits until its reader is at id.
func watch(t *testing.T, tr *testRelay, name string, id ID) {
	t.Helper()
	if err := tr.Watch(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reader at "+id.String(), func() bool { return tr.readerAt(name) == id })
}

// TestTrimmedRangeCountedExactly: 1000 entries, 900 trimmed. The lost
// notice counts the entries gone after the client's id exactly — from the
// ids the reader read, or, from the start of the stream, from Redis 7's
// entries-added — and says when it cannot (a relay started after the
// trimmed entries were added knows only that some are gone).
func TestTrimmedRangeCountedExactly(t *testing.T) {
	rs := startRedis(t)
	cfg := quick(rs)
	cfg.CacheSize = 10
	tr := newTestRelay(t, cfg)
	ids := []ID{tr.publish(t, "big", "", "0")}
	watch(t, tr, "big", ids[0])
	for i := 1; i < 1000; i++ {
		ids = append(ids, tr.publish(t, "big", "", fmt.Sprint(i)))
	}
	waitFor(t, "reader at the last entry", func() bool { return tr.readerAt("big") == ids[999] })
	if err := rs.Client(t).XTrimMaxLen(context.Background(), "big", 100).Err(); err != nil { // keeps ids[900:]
		t.Fatal(err)
	}
	late := newTestRelay(t, cfg) // its reader starts after the trim
	watch(t, late, "big", ids[999])

	for _, tt := range []struct {
		name   string
		relay  *testRelay
		from   string
		missed int
		exact  bool
	}{
		{"from the start", tr, "0-0", 900, true},
		{"from a trimmed id the reader read", tr, ids[99].String(), 800, true},
		{"from the first entry", tr, ids[0].String(), 899, true},
		{"from the start, on a relay started after the trim", late, "0-0", 900, true},
		{"from a trimmed id the relay never read", late, ids[99].String(), 1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.relay.dial(t, "/api/stream/big", map[string]string{"Last-Event-ID": tt.from})
			f := c.NextEvent(t)
			var lost struct {
				Missed int
				From   string
				Exact  *bool
			}
			if err := json.Unmarshal([]byte(f.Data), &lost); err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			if f.Event != "lost" || f.ID != ids[900].Prev().String() || lost.From != tt.from || lost.Missed != tt.missed ||
				lost.Exact == nil || *lost.Exact != tt.exact {
				t.Fatalf("lost notice %+v: %s; want missed %d, exact %v", f, f.Data, tt.missed, tt.exact)
			}
			expectIDs(t, c, ids[900:]...)
		})
	}
}

func TestOneReaderPerChannel(t *testing.T) {
	rs := startRedis(t)
	tr := newTestRelay(t, quick(rs))
	tr.publish(t, "a", "", "x")
	tr.publish(t, "b", "", "x")
	waitFor(t, "discovery", func() bool { return len(tr.Channels()) == 2 })
	var conns []*sseConn
	for i := range 60 {
		conns = append(conns, tr.dial(t, "/api/stream/"+[]string{"a", "b"}[i%2], nil))
	}
	waitFor(t, "subscribers", func() bool { return tr.subscribers("a") == 30 && tr.subscribers("b") == 30 })
	id := tr.publish(t, "a", "", "fan-out")
	for i := 0; i < len(conns); i += 2 {
		expectIDs(t, conns[i], id)
	}
	// Every blocking XREAD holds a connection: count them in Redis.
	list, err := rs.Client(t).ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	xreads := strings.Count(list, "cmd=xread")
	if xreads != 2 {
		t.Fatalf("%d connections in XREAD for 2 channels and 60 subscribers, want 2:\n%s", xreads, list)
	}
}

func TestHeartbeat(t *testing.T) {
	rs := startRedis(t)
	clk := clock.NewFake(time.Date(2025, 11, 25, 12, 0, 0, 0, time.UTC))
	cfg := quick(rs)
	cfg.Heartbeat = 15 * time.Second
	cfg.Discover = -1
	cfg.Clock = clk
	tr := newTestRelay(t, cfg)
	tr.publish(t, "hb", "", "x")
	c := tr.dial(t, "/api/stream/hb", nil)
	c.Next(t) // retry
	waitFor(t, "subscriber", func() bool { return tr.subscribers("hb") == 1 })
	// The handler waits on the heartbeat broadcast of the ticker: advance
	// the fake clock once the ticker exists, again until the handler was
	// waiting when it ticked.
	clk.BlockUntil(1)
	deadline := time.After(wait)
	for {
		clk.Advance(15 * time.Second)
		select {
		case f := <-c.Frames:
			if len(f.Comments) != 1 || f.Comments[0] != "heartbeat" || f.HasData {
				t.Fatalf("frame %+v, want a heartbeat", f)
			}
			return
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatal("no heartbeat")
		}
	}
}

func TestLimitsAndShutdown(t *testing.T) {
	rs := startRedis(t)
	cfg := quick(rs)
	cfg.MaxSubscribers = 2
	tr := newTestRelay(t, cfg)
	tr.publish(t, "x", "", "1")
	c1 := tr.dial(t, "/api/stream/x", nil)
	c2 := tr.dial(t, "/api/stream/x", nil)
	_, resp := tryDial(t, tr.tr, tr.ts.URL+"/api/stream/x", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third subscriber: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*sseConn{c1, c2} {
		rest, err := c.ExpectEnd(t)
		if !isCleanEnd(err) || len(rest) == 0 || !strings.Contains(strings.Join(rest[len(rest)-1].Comments, ","), "server shutting down") {
			t.Fatalf("end %v after %+v", err, rest)
		}
	}
	var h struct{ Status string }
	if st := getJSON(t, tr.tr, tr.ts.URL+"/healthz", &h); st != http.StatusServiceUnavailable || h.Status != "shutting down" {
		t.Fatalf("healthz %d %+v", st, h)
	}
}

func TestOversizeAndRepairedEntries(t *testing.T) {
	rs := startRedis(t)
	cfg := quick(rs)
	cfg.MaxEventBytes = 100
	tr := newTestRelay(t, cfg)
	x := tr.publish(t, "o", "", "x")
	// Resuming after x: the stream starts there whenever the connection
	// takes its position (a live one takes it at its first read, which
	// may come after the entries below).
	c := tr.dial(t, "/api/stream/o", map[string]string{"Last-Event-ID": x.String()})
	waitFor(t, "subscriber", func() bool { return tr.subscribers("o") == 1 })
	rdb := rs.Client(t)
	ctx := context.Background()
	big := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "o", Values: []any{"event", "blob", "data", strings.Repeat("x", 101)}}).Val()
	bad := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "o", Values: []any{"event", "two\nlines", "data", "ok"}}).Val()
	f := c.NextEvent(t)
	if f.ID != big || f.Event != OversizeEventType || !strings.Contains(f.Data, `"bytes":101`) || !strings.Contains(f.Data, `"type":"blob"`) {
		t.Fatalf("oversize %+v", f)
	}
	if f := c.NextEvent(t); f.ID != bad || f.Event != "two lines" || f.Data != "ok" {
		t.Fatalf("repaired %+v", f)
	}
	var m strings.Builder
	req, _ := http.NewRequest(http.MethodGet, tr.ts.URL+"/metrics", nil)
	resp, err := tr.tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(&m, resp.Body)
	resp.Body.Close()
	for _, want := range []string{`ssemon_relay_entries_oversize_total{channel="o"} 1`, `ssemon_relay_entries_repaired_total{channel="o"} 1`,
		`ssemon_demo_subscribers{channel="o"} 1`, `ssemon_relay_reader_up{channel="o"} 1`} {
		if !strings.Contains(m.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestCloseCutsBlockedReads(t *testing.T) {
	rs := startRedis(t)
	cfg := quick(rs)
	cfg.Block = time.Hour // a reader would wait this long without Close cutting its connection
	rs.Client(t).XAdd(context.Background(), &redis.XAddArgs{Stream: "idle", Values: []any{"data", "x"}})
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rdb := rs.Client(t)
	waitFor(t, "the reader blocked in XREAD", func() bool {
		list, err := rdb.ClientList(context.Background()).Result()
		return err == nil && strings.Contains(list, "cmd=xread")
	})
	done := make(chan struct{})
	go func() {
		r.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Close did not return: a blocked XREAD was not cut")
	}
}
