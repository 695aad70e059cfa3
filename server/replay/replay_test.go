package replay

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/record"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const waitLimit = 20 * time.Second

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// writeRecording writes entries after a header to a temporary file.
func writeRecording(t *testing.T, entries []record.Entry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := record.NewWriter(f, "test", t0)
	for i := range entries {
		if err := w.Write(&entries[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func ev(ms int, ch, id, typ, data string) record.Entry {
	return record.Entry{Kind: record.KindEvent, Time: at(ms), Channel: ch, ID: id, Type: typ, Data: data}
}

// basic is a recording of two channels: "deploy" with events, a comment,
// a retry field, a multi-line event, an event without id and a reset id;
// "broken" that failed with 404.
func basic() []record.Entry {
	return []record.Entry{
		{Kind: record.KindChannel, Time: at(0), Channel: "deploy", URL: "http://127.0.0.1:1/api/stream/deploy", Method: "GET"},
		{Kind: record.KindChannel, Time: at(0), Channel: "broken", URL: "http://127.0.0.1:1/api/stream/broken", Method: "GET"},
		{Kind: record.KindState, Time: at(1), Channel: "deploy", State: client.Open, Status: 200},
		{Kind: record.KindRetry, Time: at(2), Channel: "deploy", Retry: 1500 * time.Millisecond},
		ev(500, "deploy", "1", "status_update", `{"progress":10}`),
		{Kind: record.KindState, Time: at(600), Channel: "broken", State: client.Failed, Status: 404, ErrorKind: record.ErrorHTTP, Error: "HTTP 404 Not Found", Body: `{"error":"nope"}`},
		{Kind: record.KindComment, Time: at(1000), Channel: "deploy", Comment: "heartbeat"},
		ev(1500, "deploy", "2", "message", "line one\nline two\n"),
		ev(1700, "deploy", "2", "message", " leading space"),
		ev(2000, "deploy", "", "done", ""),
		{Kind: record.KindEnd, Time: at(2500), Reason: "done", Events: 4},
	}
}

func newServer(t *testing.T, cfg Config) (*Server, *httptest.Server, *clock.Fake) {
	t.Helper()
	fake := clock.NewFake(t0)
	cfg.Clock = fake
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		_ = s.Close()
		hs.Close()
	})
	return s, hs, fake
}

// got is what a client decoded, frame by frame.
type got struct {
	frames chan client.Frame
	errc   chan error
	resp   *http.Response
}

func connect(t *testing.T, url, lastID string) *got {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	g := &got{frames: make(chan client.Frame, 100), errc: make(chan error, 1), resp: resp}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		return g
	}
	go func() {
		d := client.NewDecoder(resp.Body, client.DecoderConfig{})
		for {
			f, err := d.Next()
			if err != nil {
				g.errc <- err
				close(g.frames)
				return
			}
			g.frames <- f
		}
	}()
	return g
}

func (g *got) next(t *testing.T) client.Frame {
	t.Helper()
	select {
	case f, ok := <-g.frames:
		if !ok {
			t.Fatalf("stream ended: %v", <-g.errc)
		}
		return f
	case <-time.After(waitLimit):
		t.Fatal("no frame in time")
	}
	return client.Frame{}
}

// none checks that no frame has arrived yet (the replay is paced: the
// next frame cannot be sent before the clock reaches it).
func (g *got) none(t *testing.T) {
	t.Helper()
	select {
	case f, ok := <-g.frames:
		if ok {
			t.Fatalf("frame %+v arrived before its time", f)
		}
	default:
	}
}

func (g *got) end(t *testing.T) {
	t.Helper()
	for {
		select {
		case f, ok := <-g.frames:
			if !ok {
				if err := <-g.errc; err != io.EOF {
					t.Fatalf("stream ended with %v, want EOF", err)
				}
				return
			}
			if f.Kind != client.FrameComment {
				t.Fatalf("frame %+v after the end", f)
			}
		case <-time.After(waitLimit):
			t.Fatal("stream did not end")
		}
	}
}

// advance moves the replay clock once the connection waits on it: the
// handler arms its timer relative to the time it reads, so advancing
// before it armed would push the deadline back.
func advance(t *testing.T, fake *clock.Fake, d time.Duration) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		ch := fake.Changed()
		if fake.Waiters() >= 1 {
			break
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatal("the replay never waited on its clock")
		}
	}
	fake.Advance(d)
}

func wantEvent(t *testing.T, f client.Frame, id, typ, data string) {
	t.Helper()
	if f.Kind != client.FrameEvent || f.Event.ID != id || f.Event.Type != typ || f.Event.Data != data {
		t.Fatalf("got %+v, want event id=%q type=%q data=%q", f, id, typ, data)
	}
}

func TestReplayPaceAndFidelity(t *testing.T) {
	path := writeRecording(t, basic())
	_, hs, fake := newServer(t, Config{File: path, Heartbeat: -1})
	g := connect(t, hs.URL+"/api/stream/deploy", "")
	if ct := g.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	advance(t, fake, 2*time.Millisecond)
	if f := g.next(t); f.Kind != client.FrameRetry || f.Retry != 1500*time.Millisecond {
		t.Fatalf("got %+v, want retry 1.5s", f)
	}
	g.none(t)
	advance(t, fake, 498*time.Millisecond)
	wantEvent(t, g.next(t), "1", "status_update", `{"progress":10}`)
	g.none(t)
	advance(t, fake, 500*time.Millisecond)
	if f := g.next(t); f.Kind != client.FrameComment || f.Comment != "heartbeat" {
		t.Fatalf("got %+v, want the heartbeat comment", f)
	}
	advance(t, fake, 500*time.Millisecond)
	wantEvent(t, g.next(t), "2", "message", "line one\nline two\n")
	g.none(t)
	advance(t, fake, 500*time.Millisecond)
	wantEvent(t, g.next(t), "2", "message", " leading space")
	wantEvent(t, g.next(t), "", "done", "")
	g.end(t)
}

func TestReplaySpeed(t *testing.T) {
	path := writeRecording(t, basic())
	_, hs, fake := newServer(t, Config{File: path, Speed: 4, Heartbeat: -1})
	g := connect(t, hs.URL+"/api/stream/deploy", "")
	advance(t, fake, 124*time.Millisecond)
	if f := g.next(t); f.Kind != client.FrameRetry {
		t.Fatalf("got %+v", f)
	}
	g.none(t)
	advance(t, fake, time.Millisecond) // 500 ms / 4
	wantEvent(t, g.next(t), "1", "status_update", `{"progress":10}`)
}

func TestReplayResume(t *testing.T) {
	path := writeRecording(t, basic())
	cases := []struct {
		name, lastID string
		advance      time.Duration // the recorded gap after the event that set lastID
		wantFirst    string        // data of the first event received
		notFound     bool
	}{
		{name: "after id 1", lastID: "1", advance: 1000 * time.Millisecond, wantFirst: "line one\nline two\n"},
		{name: "after the event that set id 2", lastID: "2", advance: 200 * time.Millisecond, wantFirst: " leading space"},
		{name: "unknown id replays from the start", lastID: "zzz", advance: 500 * time.Millisecond, wantFirst: `{"progress":10}`, notFound: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, hs, fake := newServer(t, Config{File: path, Heartbeat: -1})
			g := connect(t, hs.URL+"/api/stream/deploy", c.lastID)
			if g.resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", g.resp.StatusCode)
			}
			if c.notFound {
				if f := g.next(t); f.Kind != client.FrameComment || !strings.Contains(f.Comment, "not in the recording") {
					t.Fatalf("got %+v, want a comment saying the id is unknown", f)
				}
			}
			g.none(t)
			advance(t, fake, c.advance)
			for {
				f := g.next(t)
				if f.Kind == client.FrameEvent {
					if f.Event.Data != c.wantFirst {
						t.Fatalf("first event %+v, want data %q", f.Event, c.wantFirst)
					}
					return
				}
			}
		})
	}
}

// TestReplayResumeAtEnd: a client that has every event is told to stop.
func TestReplayResumeAtEnd(t *testing.T) {
	path := writeRecording(t, []record.Entry{ev(10, "c", "6", "message", "x"), ev(20, "c", "7", "message", "y")})
	for _, loop := range []bool{false, true} {
		_, hs, _ := newServer(t, Config{File: path, Loop: loop})
		g := connect(t, hs.URL+"/api/stream/c", "7")
		want := http.StatusNoContent
		if loop {
			want = http.StatusOK // the loop goes on
		}
		if g.resp.StatusCode != want {
			t.Fatalf("loop=%v: status %d, want %d", loop, g.resp.StatusCode, want)
		}
		if q := connect(t, hs.URL+"/api/stream/c?lastEventId=6", ""); q.resp.StatusCode != http.StatusOK {
			t.Fatalf("?lastEventId=6: status %d", q.resp.StatusCode)
		}
	}
}

// TestReplayNameWithSpace: a workspace channel name is served escaped.
func TestReplayNameWithSpace(t *testing.T) {
	path := writeRecording(t, []record.Entry{ev(0, "Deploy pipeline", "1", "message", "x")})
	s, hs, _ := newServer(t, Config{File: path})
	if p := s.Channels()[0].Path; p != "/api/stream/Deploy%20pipeline" {
		t.Fatalf("path %q", p)
	}
	g := connect(t, hs.URL+s.Channels()[0].Path, "")
	wantEvent(t, g.next(t), "1", "message", "x")
}

func TestReplayLoop(t *testing.T) {
	path := writeRecording(t, []record.Entry{ev(100, "c", "1", "message", "a"), ev(300, "c", "2", "message", "b")})
	_, hs, fake := newServer(t, Config{File: path, Loop: true, Heartbeat: -1})
	g := connect(t, hs.URL+"/api/stream/c", "")
	for loop := 0; loop < 3; loop++ {
		advance(t, fake, 100*time.Millisecond)
		if loop > 0 {
			if f := g.next(t); f.Kind != client.FrameComment || !strings.HasPrefix(f.Comment, "replay loop") {
				t.Fatalf("loop %d: got %+v, want the loop comment", loop, f)
			}
		}
		wantEvent(t, g.next(t), "1", "message", "a")
		advance(t, fake, 200*time.Millisecond)
		wantEvent(t, g.next(t), "2", "message", "b")
		// The loop period is max(duration, 1 s): wait for the rest of it.
		advance(t, fake, time.Second-300*time.Millisecond)
	}
}

func TestReplayKeepalive(t *testing.T) {
	path := writeRecording(t, []record.Entry{ev(60_000, "c", "1", "message", "late")})
	_, hs, fake := newServer(t, Config{File: path, Heartbeat: 15 * time.Second})
	g := connect(t, hs.URL+"/api/stream/c", "")
	for i := 0; i < 3; i++ {
		fake.BlockUntil(1)
		advance(t, fake, 15*time.Second)
		if f := g.next(t); f.Kind != client.FrameComment || f.Comment != "keepalive" {
			t.Fatalf("got %+v, want a keepalive", f)
		}
	}
	advance(t, fake, 15*time.Second)
	wantEvent(t, g.next(t), "1", "message", "late")
}

func TestReplayRefusals(t *testing.T) {
	entries := append(basic(),
		record.Entry{Kind: record.KindState, Time: at(10), Channel: "html", State: client.Failed, Status: 200,
			ErrorKind: record.ErrorContentType, ContentType: "text/html", Body: "<h1>login</h1>"},
		record.Entry{Kind: record.KindState, Time: at(10), Channel: "gone", State: client.Closed, Status: 204},
	)
	path := writeRecording(t, entries)
	_, hs, _ := newServer(t, Config{File: path})
	cases := []struct {
		path   string
		status int
		ct     string
		body   string
	}{
		{"/api/stream/broken", 404, "text/plain", `{"error":"nope"}`},
		{"/api/stream/html", 200, "text/html", "<h1>login</h1>"},
		{"/api/stream/gone", 204, "", ""},
		{"/api/stream/nosuch", 404, "application/json", "unknown channel"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			resp, err := http.Get(hs.URL + c.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ct) || !strings.Contains(string(b), c.body) {
				t.Fatalf("got %d %q %q, want %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), b, c.status, c.ct, c.body)
			}
		})
	}
}

func TestReplayChannels(t *testing.T) {
	path := writeRecording(t, basic())
	s, hs, _ := newServer(t, Config{File: path, Speed: 2})
	resp, err := http.Get(hs.URL + "/api/channels")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Channels []struct {
			Name, Path, URL, Scenario string
			Events                    int
			LastID                    string `json:"last_id"`
			OldestID                  string `json:"oldest_id"`
		}
		DurationMS int64 `json:"duration_ms"`
		Speed      float64
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if len(out.Channels) != 2 || out.Channels[0].Name != "deploy" || out.Channels[0].Events != 4 || out.Channels[0].OldestID != "1" ||
		out.Channels[0].LastID != "" || out.Channels[0].URL != hs.URL+"/api/stream/deploy" || out.Channels[1].Name != "broken" ||
		out.DurationMS != 2500 || out.Speed != 2 {
		t.Fatalf("channels: %+v", out)
	}
	if s.Duration() != 2500*time.Millisecond || len(s.Channels()) != 2 {
		t.Fatalf("Duration %v Channels %v", s.Duration(), s.Channels())
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hdr := `{"kind":"recording","time":"2025-03-01T12:00:00Z","version":1}` + "\n"
	evl := `{"kind":"event","time":"2025-03-01T12:00:01Z","channel":"c","id":"1","type":"message","data":"x"}` + "\n"
	cases := []struct {
		name string
		cfg  Config
		want string
		line int
	}{
		{"no file", Config{}, "File is required", 0},
		{"missing", Config{File: filepath.Join(dir, "nope.jsonl")}, "no such file", 0},
		{"bad line", Config{File: write("bad.jsonl", hdr+evl+"{oops\n")}, "line 3", 3},
		{"newer", Config{File: write("v2.jsonl", strings.Replace(hdr, `:1}`, `:2}`, 1)+evl)}, "version 2", 0},
		{"empty", Config{File: write("empty.jsonl", hdr)}, "no channel", 0},
		{"bad channel name", Config{File: write("name.jsonl", strings.Replace(evl, `"c"`, `"a/b"`, 1))}, "cannot be served", 0},
		{"control character in name", Config{File: write("name2.jsonl", strings.Replace(evl, `"c"`, `"a\u0007"`, 1))}, "cannot be served", 0},
		{"too big", Config{File: write("big.jsonl", hdr+evl), MaxBytes: 10}, "over the 10-byte limit", 0},
		{"speed", Config{File: write("ok.jsonl", hdr+evl), Speed: -1}, "speed", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			var le *record.LineError
			if c.line > 0 && (!errors.As(err, &le) || le.Line != c.line) {
				t.Fatalf("err = %v, want a line error at %d", err, c.line)
			}
		})
	}
	// A recording cut mid-line is served up to the cut.
	s, err := New(Config{File: write("cut.jsonl", hdr+evl+evl[:30])})
	if err != nil {
		t.Fatalf("truncated recording: %v", err)
	}
	if s.Channels()[0].Events != 1 {
		t.Fatalf("events %d, want 1", s.Channels()[0].Events)
	}
	_ = s.Close()
}

func TestServeShutdown(t *testing.T) {
	path := writeRecording(t, basic())
	fake := clock.NewFake(t0)
	s, err := New(Config{File: path, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	g := connect(t, "http://"+ln.Addr().String()+"/api/stream/deploy", "")
	if g.resp.StatusCode != 200 {
		t.Fatalf("status %d", g.resp.StatusCode)
	}
	// Everything due is received (the retry at 2 ms); the clock then
	// stands still, so whatever comes after the shutdown was sent by it.
	advance(t, fake, 2*time.Millisecond)
	if f := g.next(t); f.Kind != client.FrameRetry {
		t.Fatalf("first frame %+v, want the retry", f)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Serve did not return")
	}
	g.end(t)
	if err := s.Serve(context.Background(), ln); !errors.Is(err, ErrClosed) {
		t.Fatalf("Serve after close: %v", err)
	}
}

// dropped is a recording whose connection ended once: the client
// reconnected a second later and went on.
func dropped() []record.Entry {
	return []record.Entry{
		{Kind: record.KindState, Time: at(0), Channel: "c", State: client.Open, Status: 200},
		ev(100, "c", "1", "message", "before"),
		{Kind: record.KindState, Time: at(200), Channel: "c", State: client.Retrying, ErrorKind: record.ErrorEnded, Error: "client: stream ended by server"},
		{Kind: record.KindState, Time: at(1100), Channel: "c", State: client.Connecting},
		{Kind: record.KindState, Time: at(1200), Channel: "c", State: client.Open, Status: 200},
		ev(1300, "c", "2", "message", "after"),
		ev(1500, "c", "3", "message", "later"),
	}
}

func TestReplayDrops(t *testing.T) {
	path := writeRecording(t, dropped())
	t.Run("reproduced", func(t *testing.T) {
		s, hs, fake := newServer(t, Config{File: path, Drops: true, Heartbeat: -1})
		if d := s.Channels()[0].Drops; d != 1 {
			t.Fatalf("Drops = %d, want 1", d)
		}
		g := connect(t, hs.URL+"/api/stream/c", "")
		advance(t, fake, 100*time.Millisecond)
		wantEvent(t, g.next(t), "1", "message", "before")
		advance(t, fake, 100*time.Millisecond)
		g.end(t) // the recorded end of the connection
		// The client reconnects with its last id: it continues from the
		// recorded reconnection, "after" coming 100 ms after it.
		g2 := connect(t, hs.URL+"/api/stream/c", "1")
		g2.none(t)
		advance(t, fake, 99*time.Millisecond)
		g2.none(t)
		advance(t, fake, time.Millisecond)
		wantEvent(t, g2.next(t), "2", "message", "after")
		advance(t, fake, 200*time.Millisecond)
		wantEvent(t, g2.next(t), "3", "message", "later")
		g2.end(t)
	})
	t.Run("smoothed by default", func(t *testing.T) {
		_, hs, fake := newServer(t, Config{File: path, Heartbeat: -1})
		g := connect(t, hs.URL+"/api/stream/c", "")
		advance(t, fake, 100*time.Millisecond)
		wantEvent(t, g.next(t), "1", "message", "before")
		advance(t, fake, 1199*time.Millisecond)
		g.none(t)
		advance(t, fake, time.Millisecond)
		wantEvent(t, g.next(t), "2", "message", "after")
	})
}
