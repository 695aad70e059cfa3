package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStreamHeaders(t *testing.T) {
	ts := newTestServer(t, Config{})
	c := ts.dial(t, "/api/stream/q", nil)
	want := map[string]string{
		"Content-Type":      "text/event-stream",
		"Cache-Control":     "no-cache, no-transform, must-revalidate",
		"X-Accel-Buffering": "no",
		"Connection":        "keep-alive",
	}
	for k, v := range want {
		if got := c.Resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if c.Resp.ProtoMajor != 1 || c.Resp.ProtoMinor != 1 {
		t.Errorf("proto %s", c.Resp.Proto)
	}
}

func TestRetryOnConnect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		retry time.Duration
		want  string
	}{
		{"default", 0, "3000"},
		{"configured", 1500 * time.Millisecond, "1500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, Config{Retry: tc.retry})
			c := ts.dial(t, "/api/stream/q", nil)
			f := c.Next(t)
			if f.Retry != tc.want || f.HasData || f.HasID {
				t.Fatalf("first frame %+v, want retry %s only", f, tc.want)
			}
		})
	}
}

// readIDs reads n events and checks their ids are from, from+1, … one by one.
func readIDs(t *testing.T, c *sseConn, from uint64, n int) {
	t.Helper()
	for i := range n {
		f := c.NextEvent(t)
		want := strconv.FormatUint(from+uint64(i), 10)
		if f.ID != want {
			t.Fatalf("event %d: id %q (%s %s), want %s", i, f.ID, f.Event, f.Data, want)
		}
	}
}

func TestIDsMonotonicAndDataShape(t *testing.T) {
	ts := newTestServer(t, Config{})
	c := ts.dial(t, "/api/stream/q", nil)
	c.Next(t) // retry
	ts.Burst("q", 500)
	for i := 1; i <= 500; i++ {
		f := c.NextEvent(t)
		if f.ID != strconv.Itoa(i) || f.Event != "burst" {
			t.Fatalf("event %d: %+v", i, f)
		}
		var d struct {
			Channel   string `json:"channel"`
			Timestamp int64  `json:"timestamp"`
			Seq, Of   int
		}
		if err := json.Unmarshal([]byte(f.Data), &d); err != nil || d.Seq != i || d.Of != 500 || d.Channel != "q" || d.Timestamp != epoch.UnixMilli() {
			t.Fatalf("event %d data %q: %+v %v", i, f.Data, d, err)
		}
	}
	// Channels count ids separately.
	c2 := ts.dial(t, "/api/stream/r", nil)
	c2.Next(t)
	ts.Burst("r", 1)
	if f := c2.NextEvent(t); f.ID != "1" {
		t.Fatalf("first id on r: %q", f.ID)
	}
}

func TestHeartbeat(t *testing.T) {
	ts := newTestServer(t, Config{Heartbeat: 5 * time.Second})
	c := ts.dial(t, "/api/stream/q", nil)
	c.Next(t)            // retry: the subscriber is registered
	ts.clk.BlockUntil(1) // the heartbeat ticker
	f := ts.tickUntilFrame(t, c, 5*time.Second)
	if len(f.Comments) != 1 || f.Comments[0] != "heartbeat" || f.HasData {
		t.Fatalf("frame %+v, want a heartbeat comment", f)
	}
	ts.Burst("q", 1)
	if f := c.NextEvent(t); f.ID != "1" {
		t.Fatalf("after heartbeat: %+v", f)
	}
}

func TestResume(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ring      int
		published int
		header    string // Last-Event-ID
		query     string
		wantLost  string // data of the expected lost event, "" for none
		lostID    string
		firstID   uint64 // first replayed id after it
	}{
		{name: "exactly once", ring: 100, published: 50, header: "20", firstID: 21},
		{name: "up to date", ring: 100, published: 50, header: "50", firstID: 51},
		{name: "zero", ring: 100, published: 50, header: "0", firstID: 1},
		{name: "query parameter", ring: 100, published: 50, query: "lastEventId=45", firstID: 46},
		{name: "header wins over query", ring: 100, published: 50, header: "30", query: "lastEventId=10", firstID: 31},
		{name: "older than ring", ring: 10, published: 50, header: "5",
			wantLost: `{"missed":35,"from":"5","oldest":"41"}`, lostID: "40", firstID: 41},
		{name: "just inside ring", ring: 10, published: 50, header: "40", firstID: 41},
		{name: "one past ring", ring: 10, published: 50, header: "39",
			wantLost: `{"missed":1,"from":"39","oldest":"41"}`, lostID: "40", firstID: 41},
		{name: "ahead of server", ring: 100, published: 50, header: "900",
			wantLost: `{"missed":0,"reset":true,"from":"900","last":"50","reason":"ahead"}`, lostID: "50", firstID: 51},
		{name: "not a number", ring: 100, published: 50, header: "abc",
			wantLost: `{"missed":0,"reset":true,"from":"abc","last":"50","reason":"invalid"}`, lostID: "50", firstID: 51},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, Config{RingSize: tc.ring})
			ts.Burst("q", tc.published)
			path := "/api/stream/q"
			if tc.query != "" {
				path += "?" + tc.query
			}
			hdr := map[string]string{}
			if tc.header != "" {
				hdr["Last-Event-ID"] = tc.header
			}
			c := ts.dial(t, path, hdr)
			if f := c.Next(t); f.Retry == "" {
				t.Fatalf("first frame %+v", f)
			}
			if tc.wantLost != "" {
				f := c.NextEvent(t)
				if f.Event != "lost" || f.Data != tc.wantLost || f.ID != tc.lostID {
					t.Fatalf("got %+v, want lost %s with id %s", f, tc.wantLost, tc.lostID)
				}
			}
			replay := tc.published - int(tc.firstID) + 1
			readIDs(t, c, tc.firstID, replay)
			// Then live, with nothing duplicated or skipped.
			ts.Burst("q", 3)
			readIDs(t, c, uint64(tc.published)+1, 3)
		})
	}
}

func TestHistory(t *testing.T) {
	for _, tc := range []struct {
		name    string
		query   string
		firstID uint64
	}{
		{"none: live only", "", 31},
		{"last 5", "history=5", 26},
		{"zero", "history=0", 31},
		{"more than kept", "history=1000", 11}, // ring of 20 keeps 11..30
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, Config{RingSize: 20})
			ts.Burst("q", 30)
			c := ts.dial(t, "/api/stream/q?"+tc.query, nil)
			c.Next(t)
			ts.Burst("q", 1)
			readIDs(t, c, tc.firstID, int(31-tc.firstID+1))
		})
	}
	t.Run("invalid", func(t *testing.T) {
		ts := newTestServer(t, Config{})
		for _, q := range []string{"history=-1", "history=x"} {
			_, resp := ts.tryDial(t, "/api/stream/q?"+q, nil)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "history") {
				t.Errorf("%s: %s %s", q, resp.Status, body)
			}
		}
	})
}

func TestUnknownChannelAndMethods(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/stream/nope", 404},
		{"GET", "/api/stream/", 404},
		{"GET", "/nope", 404},
		{"POST", "/api/stream/q", 405},
		{"GET", "/admin/fault", 405},
		{"HEAD", "/api/stream/q", 200},
	} {
		req, _ := http.NewRequest(tc.method, ts.ts.URL+tc.path, nil)
		resp, err := ts.tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, resp.StatusCode, body, tc.status)
		}
		if tc.path == "/api/stream/nope" {
			var e struct{ Error string }
			if json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, "nope") {
				t.Errorf("404 body %q", body)
			}
		}
	}
}

func TestMaxSubscribers(t *testing.T) {
	ts := newTestServer(t, Config{MaxSubscribers: 2})
	a := ts.dial(t, "/api/stream/q", nil)
	ts.dial(t, "/api/stream/r", nil)
	_, resp := ts.tryDial(t, "/api/stream/q", nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "limit 2") {
		t.Fatalf("third subscriber: %s %q", resp.Status, body)
	}
	// A slot frees when a subscriber leaves.
	a.Cancel()
	waitFor(t, "subscriber to leave", func() bool { return len(ts.hub.Conns()) == 1 })
	ts.dial(t, "/api/stream/q", nil)
	if got := ts.hub.RejectedFull.Load(); got != 1 {
		t.Errorf("rejected counter %d", got)
	}
}

func TestTokenAndCORS(t *testing.T) {
	ts := newTestServer(t, Config{Token: "s3cret", CORSOrigins: []string{"https://ok.test"}})
	for _, tc := range []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
	}{
		{"no token", "/api/channels", nil, 401},
		{"wrong token", "/api/channels", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"bearer", "/api/channels", map[string]string{"Authorization": "Bearer s3cret"}, 200},
		{"query token", "/api/channels?token=s3cret", nil, 200},
		{"healthz is open", "/healthz", nil, 200},
		{"stream needs it", "/api/stream/q", nil, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.ts.URL+tc.path, nil)
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			resp, err := ts.tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	t.Run("cors", func(t *testing.T) {
		for _, tc := range []struct {
			origin, want string
		}{{"https://ok.test", "https://ok.test"}, {"https://evil.test", ""}} {
			req, _ := http.NewRequest("OPTIONS", ts.ts.URL+"/api/stream/q", nil)
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Access-Control-Request-Method", "GET")
			resp, err := ts.tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.want {
				t.Errorf("origin %s: allow-origin %q, want %q", tc.origin, got, tc.want)
			}
			if tc.want != "" && (resp.StatusCode != 204 || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Last-Event-ID")) {
				t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
			}
		}
	})
}

// adminRequest runs one admin request straight through the handler, with
// a chosen remote address.
func adminRequest(s *Server, remote, contentType, body string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "http://127.0.0.1:8080/admin/fault", strings.NewReader(body))
	req.RemoteAddr = remote
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func TestAdminAccess(t *testing.T) {
	const js = "application/json"
	body := `{"action":"burst","channel":"q","n":1}`
	open := newTestServer(t, Config{})
	withToken := newTestServer(t, Config{Token: "s3cret"})
	for _, tc := range []struct {
		name   string
		s      *Server
		remote string
		hdr    map[string]string
		status int
	}{
		{"loopback v4", open.Server, "127.0.0.1:5000", nil, 200},
		{"loopback v6", open.Server, "[::1]:5000", nil, 200},
		{"remote", open.Server, "192.0.2.7:5000", nil, 403},
		{"through a proxy", open.Server, "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "192.0.2.7"}, 403},
		{"cross-origin page", open.Server, "127.0.0.1:5000", map[string]string{"Origin": "https://evil.test"}, 403},
		{"same-origin page", open.Server, "127.0.0.1:5000", map[string]string{"Origin": "http://127.0.0.1:8080"}, 200},
		{"token required even on loopback", withToken.Server, "127.0.0.1:5000", nil, 401},
		{"token from anywhere", withToken.Server, "192.0.2.7:5000", map[string]string{"Authorization": "Bearer s3cret"}, 200},
		{"wrong token", withToken.Server, "192.0.2.7:5000", map[string]string{"Authorization": "Bearer x"}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := adminRequest(tc.s, tc.remote, js, body, tc.hdr)
			if rec.Code != tc.status {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tc.status)
			}
		})
	}
}

func TestAdminValidation(t *testing.T) {
	ts := newTestServer(t, Config{})
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, ct, body string
		status         int
		errPart        string
	}{
		{"no action", "application/json", `{}`, 400, "action is required"},
		{"unknown action", "application/json", `{"action":"explode"}`, 400, "unknown action"},
		{"unknown field", "application/json", `{"action":"drop","chanel":"q"}`, 400, "unknown field"},
		{"bad json", "application/json", `{"action":`, 400, "invalid JSON"},
		{"unknown channel", "application/json", `{"action":"drop","channel":"zz"}`, 404, "no such channel"},
		{"stall without duration", "application/json", `{"action":"stall","channel":"q"}`, 400, "duration is required"},
		{"stall bad duration", form, "action=stall&channel=q&duration=soon", 400, "duration"},
		{"stall too long", form, "action=stall&channel=q&duration=2h", 400, "out of range"},
		{"burst too big", "application/json", `{"action":"burst","channel":"q","n":100001}`, 400, "n must be"},
		{"burst n not int", form, "action=burst&channel=q&n=many", 400, "integer"},
		{"fail bad status", "application/json", `{"action":"fail","channel":"q","status":302}`, 400, "status"},
		{"retry negative", form, "action=retry&channel=q&retry=-1s", 400, "out of range"},
		{"drop via form", form, "action=drop&channel=q", 200, ""},
		{"burst via json", "application/json", `{"action":"burst","channel":"q","n":2}`, 200, ""},
		{"all channels", form, "action=malformed", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := adminRequest(ts.Server, "127.0.0.1:1", tc.ct, tc.body, nil)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.errPart) {
				t.Fatalf("%d %s, want %d containing %q", rec.Code, rec.Body, tc.status, tc.errPart)
			}
		})
	}
}

func TestFaultDrop(t *testing.T) {
	ts := newTestServer(t, Config{})
	c := ts.dial(t, "/api/stream/q", nil)
	other := ts.dial(t, "/api/stream/r", nil)
	c.Next(t)
	other.Next(t)
	ts.Burst("q", 3)
	readIDs(t, c, 1, 3)
	if n := ts.Drop("q"); n != 1 {
		t.Fatalf("Drop returned %d", n)
	}
	_, err := c.ExpectEnd(t)
	if err == nil || isCleanEnd(err) {
		t.Fatalf("dropped stream ended with %v, want a cut connection", err)
	}
	// The other channel is untouched; the dropped client resumes.
	ts.Burst("r", 1)
	readIDs(t, other, 1, 1)
	ts.Burst("q", 2)
	c2 := ts.dial(t, "/api/stream/q", map[string]string{"Last-Event-ID": "3"})
	readIDs(t, c2, 4, 2)
	if got := ts.byName["q"].k.DroppedAdmin.Load(); got != 1 {
		t.Errorf("dropped counter %d", got)
	}
}

func TestFaultStall(t *testing.T) {
	ts := newTestServer(t, Config{Heartbeat: time.Second})
	c := ts.dial(t, "/api/stream/q", nil)
	c.Next(t)
	ts.Burst("q", 1)
	readIDs(t, c, 1, 1)
	ts.clk.BlockUntil(1) // heartbeat ticker
	ts.Stall("q", 10*time.Second)
	ts.clk.BlockUntil(2) // the stall timer
	ts.Burst("q", 200)   // more than the queue: the rest is caught up from the ring
	ts.clk.Advance(5 * time.Second)
	select {
	case f := <-c.Frames:
		t.Fatalf("frame during the stall: %+v", f)
	case <-time.After(200 * time.Millisecond): // nothing may arrive; a bounded look
	}
	ts.clk.Advance(5 * time.Second) // stall over
	for i := uint64(2); i <= 201; {
		f := c.Next(t)
		if !f.HasData {
			continue // heartbeats queued before the stall
		}
		if f.ID != strconv.FormatUint(i, 10) {
			t.Fatalf("after stall: id %s, want %d", f.ID, i)
		}
		i++
	}
	if got := ts.byName["q"].stats.lagged.Load(); got == 0 {
		t.Error("a stalled subscriber with a full queue should count as lagged")
	}
}

func TestFaultBurstOverflowsRing(t *testing.T) {
	// A burst bigger than the ring reaches a connected subscriber with an
	// explicit lost notice for what the ring no longer has, never silently.
	ts := newTestServer(t, Config{RingSize: 50, QueueSize: 16})
	c := ts.dial(t, "/api/stream/q", nil)
	c.Next(t)
	ts.Burst("q", 1000)
	var last uint64
	lost := uint64(0)
	for last < 1000 {
		f := c.NextEvent(t)
		id, _ := strconv.ParseUint(f.ID, 10, 64)
		switch {
		case f.Event == "lost":
			var d struct{ Missed uint64 }
			_ = json.Unmarshal([]byte(f.Data), &d)
			if d.Missed == 0 || id != last+d.Missed {
				t.Fatalf("lost %s with id %d after %d", f.Data, id, last)
			}
			lost += d.Missed
		case id != last+1:
			t.Fatalf("id %d after %d", id, last)
		}
		last = id
	}
	t.Logf("lost %d of 1000 with a ring of 50 and a queue of 16", lost)
}

func TestFaultMalformed(t *testing.T) {
	ts := newTestServer(t, Config{})
	c := ts.dial(t, "/api/stream/q", nil)
	c.Next(t)
	ts.Malformed("q")
	f := c.NextEvent(t)
	if f.Event != "status_update" || f.ID != "1" || json.Valid([]byte(f.Data)) {
		t.Fatalf("malformed frame %+v", f)
	}
	if len(f.Unknown) != 2 || f.Unknown[0] != "x-ssemon-bogus: 1" || f.Unknown[1] != "this line has no colon" {
		t.Fatalf("unknown lines %q", f.Unknown)
	}
	ts.Burst("q", 1)
	readIDs(t, c, 2, 1)
}

func TestFaultSetRetry(t *testing.T) {
	ts := newTestServer(t, Config{})
	c := ts.dial(t, "/api/stream/q", nil)
	c.Next(t)
	ts.SetRetry("q", 1200*time.Millisecond)
	f := c.NextEvent(t)
	if f.Event != "retry" || f.Retry != "1200" || !strings.Contains(f.Data, `"retry_ms":1200`) {
		t.Fatalf("retry event %+v", f)
	}
	c2 := ts.dial(t, "/api/stream/q", nil)
	if f := c2.Next(t); f.Retry != "1200" {
		t.Fatalf("new connection retry %q", f.Retry)
	}
	c3 := ts.dial(t, "/api/stream/r", nil)
	if f := c3.Next(t); f.Retry != "3000" {
		t.Fatalf("other channel retry %q", f.Retry)
	}
}

func TestFaultFailNext(t *testing.T) {
	ts := newTestServer(t, Config{})
	ts.FailNext("q", 503)
	ts.FailNext("q", 204)
	ts.FailNext("q", 302) // refused
	if got := ts.byName["q"].stats.failed.Load(); got != 0 {
		t.Fatalf("failed before any request: %d", got)
	}
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `ssemon_demo_injected_failures_pending{channel="q"} 2`) {
		t.Fatal("pending injected failures not in /metrics")
	}
	for _, want := range []int{503, 204, 200} {
		_, resp := ts.tryDial(t, "/api/stream/q", nil)
		if resp.StatusCode != want {
			t.Fatalf("status %d, want %d", resp.StatusCode, want)
		}
		if want != 200 {
			resp.Body.Close()
		}
	}
}

func TestSlowSubscriberIsolated(t *testing.T) {
	const writeTimeout = 2 * time.Second
	ts := newTestServer(t, Config{WriteTimeout: writeTimeout, RingSize: 100000})
	// Small server-side send buffers, so that a client that stops reading
	// blocks the server's writes after a few events.
	small := httptest.NewUnstartedServer(ts.Handler())
	small.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		_ = c.(*net.TCPConn).SetWriteBuffer(16 << 10)
		return ctx
	}
	small.Start()
	t.Cleanup(func() {
		_ = ts.Close() // ends the streams first
		small.Close()
	})
	ts.ts = small
	// A subscriber that never reads: a raw connection whose response is
	// never consumed.
	slow, err := newStuckClient(small.URL + "/api/stream/q")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(slow.close)
	fast := ts.dial(t, "/api/stream/q", nil)
	fast.Next(t)
	waitFor(t, "both subscribers registered", func() bool { _, _, _, n := ts.byName["q"].state(); return n == 2 })

	big := strings.Repeat("x", 16<<10)
	start := time.Now()
	for round := range 20 {
		msgs := make([]message, 20)
		for i := range msgs {
			msgs[i] = message{typ: "big", data: fmt.Appendf(nil, `{"round":%d,"pad":%q}`, round, big)}
		}
		ts.byName["q"].publish(msgs...)
		// The fast subscriber gets every event of the round while the
		// other one is stuck.
		readIDs(t, fast, uint64(round*20+1), 20)
	}
	published := time.Now()
	t.Logf("fast subscriber read 400 events of 16 KiB in %v", published.Sub(start))
	waitFor(t, "the stuck subscriber to be dropped", func() bool { return ts.byName["q"].k.DroppedWrite.Load() >= 1 })
	// Dropped by its write deadline (the counter says which): how long
	// that took on this machine is reported, not bounded.
	t.Logf("stuck subscriber dropped %v after the last publish (write timeout %v)", time.Since(published), writeTimeout)
	if got := ts.byName["q"].k.DroppedWrite.Load(); got != 1 {
		t.Errorf("%d subscribers dropped, want only the stuck one", got)
	}
	if _, _, _, n := ts.byName["q"].state(); n != 1 {
		t.Errorf("%d subscribers left, want 1", n)
	}
	// The fast one is still live.
	ts.Burst("q", 1)
	readIDs(t, fast, 401, 1)
}

func TestCloseEndsStreamsCleanly(t *testing.T) {
	ts := newTestServer(t, Config{})
	c := ts.dial(t, "/api/stream/q", nil)
	c.Next(t)
	ts.Burst("q", 2)
	readIDs(t, c, 1, 2)
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	rest, err := c.ExpectEnd(t)
	if !isCleanEnd(err) {
		t.Fatalf("stream end %v, want a clean end", err)
	}
	if len(rest) != 1 || len(rest[0].Comments) != 1 || rest[0].Comments[0] != "server closing" {
		t.Fatalf("frames before the end: %+v", rest)
	}
	_, resp := ts.tryDial(t, "/api/stream/q", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after Close: %d", resp.StatusCode)
	}
}

func TestChannelsIndexHealthMetricsPage(t *testing.T) {
	ts := newTestServer(t, Config{Scenarios: DefaultScenarios()})
	req := func(path string) (int, http.Header, string) {
		r, _ := http.NewRequestWithContext(t.Context(), "GET", ts.ts.URL+path, nil)
		resp, err := ts.tr.RoundTrip(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	t.Run("channels", func(t *testing.T) {
		code, _, body := req("/api/channels")
		var idx struct {
			Channels []struct {
				ChannelInfo
				URL string
			}
		}
		if code != 200 || json.Unmarshal([]byte(body), &idx) != nil || len(idx.Channels) != 7 {
			t.Fatalf("%d %s", code, body)
		}
		for i, info := range ts.Channels() {
			got := idx.Channels[i]
			if got.ChannelInfo != info || got.URL != ts.ts.URL+info.Path {
				t.Errorf("entry %d: %+v, want %+v", i, got, info)
			}
		}
	})
	t.Run("healthz", func(t *testing.T) {
		if code, _, body := req("/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
			t.Fatalf("%d %s", code, body)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		ts.Burst("deploy", 3)
		code, h, body := req("/metrics")
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Fatalf("%d %v", code, h)
		}
		for _, want := range []string{
			`ssemon_demo_subscribers{channel="deploy"} 0`,
			`ssemon_demo_events_published_total{channel="deploy"} 3`,
			`ssemon_demo_events_replayed_total{channel="quiet"} 0`,
			`ssemon_demo_lost_notices_total{channel="flaky"} 0`,
			`ssemon_demo_subscribers_dropped_total{channel="logs",reason="write_timeout"} 0`,
			`ssemon_demo_ring_capacity 1000`,
			"# TYPE ssemon_demo_events_published_total counter",
		} {
			if !strings.Contains(body, want+"\n") && !strings.Contains(body, want) {
				t.Errorf("missing %q", want)
			}
		}
	})
	t.Run("page", func(t *testing.T) {
		code, h, body := req("/")
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Fatalf("%d %v", code, h)
		}
		for _, want := range []string{"new EventSource(", "/api/channels", "ssemonStats"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		for _, bad := range []string{"http://", "https://", "src="} {
			if strings.Contains(body, bad) {
				t.Errorf("page refers to an external asset: %q", bad)
			}
		}
	})
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"negative ring", Config{RingSize: -1}, "RingSize"},
		{"huge ring", Config{RingSize: MaxRingSize + 1}, "RingSize"},
		{"negative retry", Config{Retry: -time.Second}, "Retry"},
		{"bad channel name", Config{Scenarios: []Scenario{{Channel: "a/b", Kind: KindQuiet}}}, "Scenarios[0].Channel"},
		{"unknown kind", Config{Scenarios: []Scenario{{Channel: "a", Kind: "nope"}}}, "Scenarios[0].Kind"},
		{"duplicate", Config{Scenarios: []Scenario{{Channel: "a", Kind: KindQuiet}, {Channel: "a", Kind: KindLogs}}}, "Scenarios[1].Channel"},
		{"rate", Config{Scenarios: []Scenario{{Channel: "a", Kind: KindFirehose, Rate: MaxFirehoseRate + 1}}}, "Scenarios[0].Rate"},
		{"token whitespace", Config{Token: " x"}, "Token"},
		{"cors", Config{CORSOrigins: []string{"a b"}}, "CORSOrigins[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field || errors.Unwrap(err) == nil {
				t.Fatalf("err %v, want a ConfigError on %s", err, tc.field)
			}
		})
	}
}

func TestConfigCopied(t *testing.T) {
	sc := []Scenario{{Channel: "a", Kind: KindQuiet}}
	origins := []string{"https://ok.test"}
	s, err := New(Config{Scenarios: sc, CORSOrigins: origins, Clock: nil})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sc[0].Channel = "changed"
	origins[0] = "https://evil.test"
	if s.Channels()[0].Name != "a" || s.cfg.CORSOrigins[0] != "https://ok.test" {
		t.Fatal("config not copied")
	}
	if s.cfg.Heartbeat != DefaultHeartbeat || s.cfg.RingSize != DefaultRingSize || s.cfg.WriteTimeout != DefaultWriteTimeout {
		t.Fatalf("defaults not merged: %+v", s.cfg)
	}
}

func TestParseScenarios(t *testing.T) {
	good := `{"scenarios":[
		{"channel":"build","scenario":"deploy","interval":"250ms","failure_rate":-1},
		{"channel":"fh","scenario":"firehose","rate":20000},
		{"channel":"fl","scenario":"flaky","drop_every":"5s","stall_every":"-1s","retry_cycle":["500ms","2s"]}]}`
	sc, err := ParseScenarios([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc) != 3 || sc[0].Interval != 250*time.Millisecond || sc[0].FailureRate != -1 || sc[1].Rate != 20000 ||
		sc[2].DropEvery != 5*time.Second || sc[2].StallEvery != -time.Second || len(sc[2].RetryCycle) != 2 || sc[2].Description == "" {
		t.Fatalf("parsed %+v", sc)
	}
	if arr, err := ParseScenarios([]byte(`[{"channel":"a","scenario":"quiet"}]`)); err != nil || len(arr) != 1 {
		t.Fatalf("bare array: %v %v", arr, err)
	}
	for _, tc := range []struct{ name, in, field string }{
		{"empty", `{"scenarios":[]}`, "scenarios"},
		{"not json", `scenarios: []`, "scenarios"},
		{"unknown field", `[{"channel":"a","scenario":"quiet","color":"red"}]`, "scenarios"},
		{"bad duration", `[{"channel":"a","scenario":"deploy","interval":"fast"}]`, "scenarios[0].interval"},
		{"bad retry", `[{"channel":"a","scenario":"flaky","retry_cycle":["1s","x"]}]`, "scenarios[0].retry_cycle[1]"},
		{"tiny interval", `[{"channel":"a","scenario":"deploy","interval":"1us"}]`, "scenarios[0].Interval"},
		{"duplicate", `[{"channel":"a","scenario":"quiet"},{"channel":"a","scenario":"logs"}]`, "scenarios[1].channel"},
		{"trailing", `[{"channel":"a","scenario":"quiet"}] []`, "scenarios"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseScenarios([]byte(tc.in))
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("err %v, want a ConfigError on %s", err, tc.field)
			}
		})
	}
}

func TestEndpointURLsAreURLSafe(t *testing.T) {
	for _, sc := range DefaultScenarios() {
		if url.PathEscape(sc.Channel) != sc.Channel {
			t.Errorf("channel %q needs escaping", sc.Channel)
		}
	}
}

func TestPublish(t *testing.T) {
	ts := newTestServer(t, Config{})
	c := ts.dial(t, "/api/stream/q", nil)
	c.Next(t)
	for _, tc := range []struct {
		name, channel, typ, data string
		err                      error
		wantData                 string
	}{
		{"plain", "q", "", "hello", nil, "hello"},
		{"typed json", "q", "custom", `{"a":1}`, nil, `{"a":1}`},
		{"line breaks normalised", "q", "", "a\r\nb\rc\nd", nil, "a\nb\nc\nd"},
		{"empty", "q", "", "", ErrInvalidEvent, ""},
		{"too big", "q", "", strings.Repeat("x", MaxEventBytes+1), ErrInvalidEvent, ""},
		{"type with newline", "q", "a\nb", "x", ErrInvalidEvent, ""},
		{"unknown channel", "zz", "", "x", ErrNoSuchChannel, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := ts.Publish(tc.channel, tc.typ, []byte(tc.data))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			f := c.NextEvent(t)
			if f.ID != strconv.FormatUint(id, 10) || f.Data != tc.wantData || f.Event != tc.typ {
				t.Fatalf("got %+v, want id %d data %q", f, id, tc.wantData)
			}
		})
	}
}
