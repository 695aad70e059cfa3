package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStreamOpenDeliversFramesInOrder(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		writeFlush(w, ": hello\n\nid: 1\nevent: tick\ndata: {\"progress\":10}\n\nretry: 2500\ndata: two\n\n")
		hold(r)
	})
	run := startStream(t, StreamConfig{URL: srv.URL, Clock: newFakeClock()})
	evs := run.rec.waitEvents(t, 2)
	want := []Event{{ID: "1", Type: "tick", Data: `{"progress":10}`}, {ID: "1", Type: "message", Data: "two"}}
	if fmt.Sprint(evs) != fmt.Sprint(want) {
		t.Fatalf("events = %v, want %v", evs, want)
	}
	run.rec.mu.Lock()
	kinds := make([]FrameKind, len(run.rec.frames))
	for i, f := range run.rec.frames {
		kinds[i] = f.Kind
	}
	openIdx := -1
	for i, s := range run.rec.statuses {
		if s.State == Open {
			openIdx = i
		}
	}
	run.rec.mu.Unlock()
	if got := fmt.Sprint(kinds); got != "[comment event retry event]" {
		t.Errorf("frame kinds = %s", got)
	}
	if openIdx < 0 {
		t.Fatal("no Open status")
	}
	st := run.s.Status()
	if st.State != Open || st.HTTPStatus != 200 || st.Retry != 2500*time.Millisecond {
		t.Errorf("status = %+v", st)
	}
	if got := run.rec.states(); fmt.Sprint(got[:2]) != "[connecting open]" {
		t.Errorf("states = %v", got)
	}
}

// WPT request-accept and request-cache-control.
func TestStreamRequestHeaders(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		hold(r)
	})
	tests := []struct {
		name    string
		headers http.Header
		want    map[string]string
	}{
		{"defaults", nil, map[string]string{"Accept": "text/event-stream", "Cache-Control": "no-cache", "Last-Event-Id": "", "X-Token": ""}},
		{"custom header kept", http.Header{"x-token": {"s3cret"}}, map[string]string{"Accept": "text/event-stream", "X-Token": "s3cret"}},
		{"explicit accept wins", http.Header{"Accept": {"text/event-stream, */*"}}, map[string]string{"Accept": "text/event-stream, */*"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := startStream(t, StreamConfig{URL: srv.URL, Headers: tt.headers, Clock: newFakeClock()})
			run.rec.waitState(t, Open, 1)
			got := srv.waitRequests(t, i+1)[i]
			if got.Method != http.MethodGet {
				t.Errorf("method = %s", got.Method)
			}
			for k, v := range tt.want {
				if g := got.Header.Get(k); g != v {
					t.Errorf("%s = %q, want %q", k, g, v)
				}
			}
		})
	}
}

func TestStreamReconnectsAfterCleanEndWithLastEventID(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		switch n {
		case 1:
			// The last event has no id: the id of the last event that had
			// one is sent back. The unfinished event is discarded.
			writeFlush(w, "retry: 1500\nid: 41\ndata: a\n\nid: 42\ndata: b\n\ndata: c\n\nid: 43\ndata: partial")
		default:
			writeFlush(w, "data: after\n\n")
			hold(r)
		}
	})
	clk := newFakeClock()
	run := startStream(t, StreamConfig{URL: srv.URL, Clock: clk})
	st := run.rec.waitState(t, Retrying, 1)
	if !errors.Is(st.Err, ErrStreamEnded) {
		t.Errorf("retry reason = %v, want ErrStreamEnded", st.Err)
	}
	if d := st.NextAttempt.Sub(st.Since); d != 1500*time.Millisecond {
		t.Errorf("retry delay = %v, want the server's 1.5s", d)
	}
	if st.Retry != 1500*time.Millisecond || st.Attempt != 0 {
		t.Errorf("status retry = %v attempt = %d", st.Retry, st.Attempt)
	}
	blockUntil(t, clk, 1)
	clk.Advance(1499 * time.Millisecond)
	if n := clk.Waiters(); n != 1 {
		t.Fatalf("retry timer fired before the retry delay (%d timers armed)", n)
	}
	clk.Advance(time.Millisecond)
	reqs := srv.waitRequests(t, 2)
	if got := reqs[1].Header.Get("Last-Event-ID"); got != "42" {
		t.Errorf("Last-Event-ID = %q, want 42", got)
	}
	if got := reqs[0].Header.Get("Last-Event-ID"); got != "" {
		t.Errorf("first request sent Last-Event-ID %q", got)
	}
	if st := run.rec.waitState(t, Open, 2); st.LastEventID != "42" {
		t.Errorf("reconnect's Open status LastEventID = %q, want 42", st.LastEventID)
	}
	evs := run.rec.waitEvents(t, 4)
	var data []string
	for _, e := range evs {
		data = append(data, e.Data)
	}
	if got := strings.Join(data, ","); got != "a,b,c,after" {
		t.Errorf("events = %s (the partial event must be discarded)", got)
	}
}

func TestStreamInitialLastEventIDAndPOSTBodyResent(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		if n == 1 {
			writeFlush(w, "id: 8\ndata: x\n\n")
			return
		}
		hold(r)
	})
	clk := newFakeClock()
	run := startStream(t, StreamConfig{
		URL:         srv.URL,
		Method:      http.MethodPost,
		Body:        []byte(`{"prompt":"hi"}`),
		Headers:     http.Header{"Content-Type": {"application/json"}},
		LastEventID: "7",
		Clock:       clk,
	})
	run.rec.waitState(t, Retrying, 1)
	blockUntil(t, clk, 1)
	clk.Advance(DefaultRetry)
	reqs := srv.waitRequests(t, 2)
	for i, want := range []string{"7", "8"} {
		r := reqs[i]
		if r.Method != http.MethodPost || r.Body != `{"prompt":"hi"}` || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d = %s %q %q", i+1, r.Method, r.Body, r.Header.Get("Content-Type"))
		}
		if got := r.Header.Get("Last-Event-ID"); got != want {
			t.Errorf("request %d Last-Event-ID = %q, want %q", i+1, got, want)
		}
	}
}

// WPT request-status-error, format-mime-*, eventsource-close, and the
// statuses a monitor retries.
func TestStreamResponseStatus(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantState   State // Failed, Closed, Open or Retrying
	}{
		{"204 closes", 204, "", "", Closed},
		{"205 fails", 205, "text/event-stream", "", Failed},
		{"210 fails", 210, "text/event-stream", "", Failed},
		{"299 fails", 299, "text/event-stream", "", Failed},
		{"201 fails", 201, "text/event-stream", "", Failed},
		{"401 fails", 401, "application/json", `{"error":"token expired"}`, Failed},
		{"403 fails", 403, "text/plain", "forbidden", Failed},
		{"404 fails", 404, "text/plain", "no such channel", Failed},
		{"410 fails", 410, "text/plain", "gone", Failed},
		{"304 fails", 304, "", "", Failed},
		{"html fails", 200, "text/html; charset=utf-8", "<html>login</html>", Failed},
		{"missing content type fails", 200, "", "data: x\n\n", Failed},
		{"bogus mime fails", 200, "text/event-stream-bogus", "", Failed},
		{"trailing semicolon ok", 200, "text/event-stream;", "", Open},
		{"charset ok", 200, "text/event-stream; charset=utf-8", "", Open},
		{"upper case ok", 200, "Text/Event-Stream", "", Open},
		{"503 retries", 503, "text/plain", "maintenance", Retrying},
		{"500 retries", 500, "text/plain", "boom", Retrying},
		{"429 retries", 429, "text/plain", "slow down", Retrying},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				} else {
					w.Header()["Content-Type"] = nil // suppress sniffing
				}
				w.WriteHeader(tt.status)
				writeFlush(w, tt.body)
				if tt.wantState == Open {
					hold(r)
				}
			})
			run := startStream(t, StreamConfig{URL: srv.URL, Clock: newFakeClock()})
			switch tt.wantState {
			case Open, Retrying:
				st := run.rec.waitState(t, tt.wantState, 1)
				if tt.wantState == Retrying {
					he, ok := errorAs[*HTTPError](st.Err)
					if !ok || he.Status != tt.status || st.HTTPStatus != tt.status || st.BodyPreview != tt.body {
						t.Errorf("status = %+v", st)
					}
				}
				return
			}
			err := run.result(t)
			st := run.s.Status()
			if st.State != tt.wantState {
				t.Fatalf("state = %v, want %v (%v)", st.State, tt.wantState, st.Err)
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("%d requests, want 1 (no reconnect)", n)
			}
			if st.HTTPStatus != tt.status {
				t.Errorf("HTTPStatus = %d, want %d", st.HTTPStatus, tt.status)
			}
			if tt.wantState == Closed {
				if err != nil || st.Err != nil {
					t.Errorf("204: Run = %v, Err = %v", err, st.Err)
				}
				return
			}
			if err == nil || !errors.Is(err, st.Err) {
				t.Errorf("Run = %v, status err = %v", err, st.Err)
			}
			if st.BodyPreview != tt.body {
				t.Errorf("BodyPreview = %q, want %q", st.BodyPreview, tt.body)
			}
			if tt.status == 200 {
				ce, ok := errorAs[*ContentTypeError](err)
				if !ok || ce.ContentType != tt.contentType {
					t.Errorf("err = %#v, want ContentTypeError for %q", err, tt.contentType)
				}
			} else if he, ok := errorAs[*HTTPError](err); !ok || he.Status != tt.status || he.Body != tt.body {
				t.Errorf("err = %#v, want HTTPError %d", err, tt.status)
			}
		})
	}
}

func TestStreamBodyPreviewIsBoundedValidUTF8(t *testing.T) {
	body := strings.Repeat("é", 300) + "\xff" // 601 bytes, invalid tail
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		writeFlush(w, "\xff"+body)
	})
	run := startStream(t, StreamConfig{URL: srv.URL, Clock: newFakeClock()})
	_ = run.result(t)
	p := run.s.Status().BodyPreview
	if len(p) > BodyPreviewBytes || !strings.HasPrefix(p, "\uFFFDéé") || !utf8Valid(p) {
		t.Errorf("preview (%d bytes) = %q", len(p), p)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

func TestStreamBackoffGrowsCappedAndResets(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 7 {
			// A healthy connection (one event) resets the backoff.
			sseHeaders(w)
			writeFlush(w, "data: ok\n\n")
			return
		}
		http.Error(w, "down", http.StatusBadGateway)
	})
	clk := newFakeClock()
	run := startStream(t, StreamConfig{
		URL:        srv.URL,
		Retry:      time.Second,
		MaxBackoff: 8 * time.Second,
		Clock:      clk,
		Rand:       rand.New(rand.NewPCG(1, 2)),
	})
	// Bounds of the wait after the k-th consecutive failure.
	bounds := [][2]time.Duration{
		{time.Second, time.Second},
		{time.Second, 2 * time.Second},
		{2 * time.Second, 4 * time.Second},
		{4 * time.Second, 8 * time.Second},
		{4 * time.Second, 8 * time.Second},
		{4 * time.Second, 8 * time.Second},
		{time.Second, time.Second}, // after the healthy connection
		{time.Second, time.Second},
		{time.Second, 2 * time.Second},
	}
	for i, b := range bounds {
		st := run.rec.waitState(t, Retrying, i+1)
		d := st.NextAttempt.Sub(st.Since)
		if d < b[0] || d > b[1] {
			t.Errorf("retry %d: delay %v not in [%v, %v]", i+1, d, b[0], b[1])
		}
		blockUntil(t, clk, 1)
		clk.Advance(d)
	}
}

func TestStreamRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header func(now time.Time) string
		want   time.Duration
	}{
		{"seconds on 503", 503, func(time.Time) string { return "7" }, 7 * time.Second},
		{"seconds on 429", 429, func(time.Time) string { return "120" }, 120 * time.Second},
		{"http date", 503, func(now time.Time) string { return now.Add(90 * time.Second).UTC().Format(http.TimeFormat) }, 90 * time.Second},
		{"shorter than retry is ignored", 503, func(time.Time) string { return "1" }, DefaultRetry},
		{"garbage is ignored", 429, func(time.Time) string { return "soon" }, DefaultRetry},
		{"capped", 503, func(time.Time) string { return "999999" }, MaxRetryAfter},
		{"ignored on 500", 500, func(time.Time) string { return "7" }, DefaultRetry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Retry-After", tt.header(testStart))
				w.WriteHeader(tt.status)
			})
			run := startStream(t, StreamConfig{URL: srv.URL, Clock: clk})
			st := run.rec.waitState(t, Retrying, 1)
			if d := st.NextAttempt.Sub(st.Since); d != tt.want {
				t.Errorf("delay = %v, want %v", d, tt.want)
			}
		})
	}
}

// WPT request-redirect: 301, 302, 303 and 307 are followed.
func TestStreamFollowsRedirects(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if r.URL.Path == "/start" {
					http.Redirect(w, r, "/stream", code)
					return
				}
				sseHeaders(w)
				writeFlush(w, "data: redirected\n\n")
				hold(r)
			})
			run := startStream(t, StreamConfig{URL: srv.URL + "/start", Method: http.MethodPost, Body: []byte("q"), LastEventID: "5", Clock: newFakeClock()})
			if evs := run.rec.waitEvents(t, 1); evs[0].Data != "redirected" {
				t.Fatalf("events = %v", evs)
			}
			reqs := srv.requests()
			if len(reqs) != 2 || reqs[1].Path != "/stream" {
				t.Fatalf("requests = %+v", reqs)
			}
			r := reqs[1]
			keep := code == 307 || code == 308
			if keep && (r.Method != http.MethodPost || r.Body != "q") {
				t.Errorf("%d: method/body not kept: %s %q", code, r.Method, r.Body)
			}
			if !keep && (r.Method != http.MethodGet || r.Body != "") {
				t.Errorf("%d: want GET without body, got %s %q", code, r.Method, r.Body)
			}
			if r.Header.Get("Accept") != "text/event-stream" || r.Header.Get("Last-Event-ID") != "5" {
				t.Errorf("headers lost on redirect: %v", r.Header)
			}
		})
	}
}

func TestStreamRedirectLoopFails(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	run := startStream(t, StreamConfig{URL: srv.URL + "/loop", MaxRedirects: 3, Clock: newFakeClock()})
	err := run.result(t)
	re, ok := errorAs[*RedirectError](err)
	if !ok || re.Max != 3 {
		t.Fatalf("err = %v, want RedirectError", err)
	}
	if st := run.s.Status(); st.State != Failed {
		t.Errorf("state = %v", st.State)
	}
	if n := len(srv.requests()); n != 4 {
		t.Errorf("%d requests, want 4 (first + 3 redirects)", n)
	}
}

func TestStreamStallReconnects(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		writeFlush(w, fmt.Sprintf("id: %d\ndata: x\n\n", n))
		hold(r) // then silence
	})
	clk := newFakeClock()
	run := startStream(t, StreamConfig{URL: srv.URL, Clock: clk, ConnectTimeout: -1, StallTimeout: 10 * time.Second})
	run.rec.waitEvents(t, 1)
	blockUntil(t, clk, 1) // the watchdog
	clk.Advance(9 * time.Second)
	if st := run.s.Status(); st.State != Open {
		t.Fatalf("state %v before the stall timeout", st.State)
	}
	clk.Advance(time.Second)
	st := run.rec.waitState(t, Stalled, 1)
	if se, ok := errorAs[*StallError](st.Err); !ok || se.Timeout != 10*time.Second {
		t.Errorf("stalled err = %v", st.Err)
	}
	rt := run.rec.waitState(t, Retrying, 1)
	if _, ok := errorAs[*StallError](rt.Err); !ok {
		t.Errorf("retrying err = %v", rt.Err)
	}
	blockUntil(t, clk, 1)
	clk.Advance(rt.NextAttempt.Sub(rt.Since))
	reqs := srv.waitRequests(t, 2)
	if got := reqs[1].Header.Get("Last-Event-ID"); got != "1" {
		t.Errorf("Last-Event-ID after stall = %q", got)
	}
	run.rec.waitEvents(t, 2)
}

func TestStreamHeartbeatsKeepConnectionAlive(t *testing.T) {
	beat := make(chan struct{})
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		for {
			select {
			case <-beat:
				writeFlush(w, ": ping\n")
			case <-r.Context().Done():
				return
			}
		}
	})
	clk := newFakeClock()
	run := startStream(t, StreamConfig{URL: srv.URL, Clock: clk, ConnectTimeout: -1, StallTimeout: 10 * time.Second})
	run.rec.waitState(t, Open, 1)
	for i := 1; i <= 5; i++ {
		blockUntil(t, clk, 1)
		clk.Advance(6 * time.Second)
		beat <- struct{}{}
		run.rec.wait(t, "comment", func() bool { return len(run.rec.frames) >= i })
	}
	if n := run.rec.count(Stalled); n != 0 {
		t.Errorf("stalled %d times on a connection with heartbeats", n)
	}
}

func TestStreamConnectTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			select { // never answers the first request
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		sseHeaders(w)
		hold(r)
	})
	t.Cleanup(func() { close(release) })
	clk := newFakeClock()
	run := startStream(t, StreamConfig{URL: srv.URL, Clock: clk, ConnectTimeout: 5 * time.Second})
	srv.waitRequests(t, 1)
	blockUntil(t, clk, 1)
	clk.Advance(5 * time.Second)
	st := run.rec.waitState(t, Retrying, 1)
	if te, ok := errorAs[*TimeoutError](st.Err); !ok || te.Limit != 5*time.Second {
		t.Fatalf("err = %v", st.Err)
	}
	blockUntil(t, clk, 1)
	clk.Advance(st.NextAttempt.Sub(st.Since))
	run.rec.waitState(t, Open, 1)
}

func TestStreamOversizedEventIsSkipped(t *testing.T) {
	// A 50 MiB one-line event between normal events, under the default
	// 16 MiB cap, from a real loopback server: it is skipped and counted
	// once, the connection stays open and the next events arrive.
	const big = 50 << 20
	chunk := []byte(strings.Repeat("x", 1<<20))
	for _, format := range []Format{FormatSSE, FormatNDJSON} {
		t.Run(format.String(), func(t *testing.T) {
			srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if format == FormatNDJSON {
					w.Header().Set("Content-Type", "application/x-ndjson")
					writeFlush(w, "{\"n\":1}\n{\"a\":\"")
				} else {
					sseHeaders(w)
					writeFlush(w, "id: 1\ndata: before\n\nid: 2\ndata: {\"a\":\"")
				}
				for range big / len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
				if format == FormatNDJSON {
					writeFlush(w, "\"}\n{\"n\":3}\n{\"n\":4}\n")
				} else {
					writeFlush(w, "\"}\n\nid: 3\ndata: after\n\nid: 4\ndata: last\n\n")
				}
				hold(r)
			})
			m := NewManager(ManagerConfig{Clock: newFakeClock()})
			t.Cleanup(func() { _ = m.Close() })
			c, err := m.Add(ChannelConfig{Name: "big", URL: srv.URL, Format: format})
			if err != nil {
				t.Fatal(err)
			}
			waitChannel(t, c, "the events after the oversized one", func() bool { return c.Snapshot().Stats.Events == 3 })
			s := c.Snapshot()
			if s.Status.State != Open || s.Stats.Oversized != 1 || s.Stats.Skipping != 0 || s.Stats.Connects != 1 {
				t.Fatalf("state %v, stats %+v: want open, 1 oversized, 1 connection", s.Status.State, s.Stats)
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("%d requests: an oversized event must not reconnect", n)
			}
			var last *Record
			for _, r := range c.Records(nil, 0) {
				if r.Kind == RecordOversized {
					last = &r
				}
			}
			wantBytes := int64(len(`{"a":""}`) + big + 1)
			if format == FormatSSE {
				wantBytes = int64(len("id: 2\ndata: {\"a\":\"\"}\n\n") + big)
			}
			if last == nil || last.Oversized.More || last.Oversized.Bytes != wantBytes || last.Oversized.Cap != DefaultMaxEventBytes ||
				!strings.HasPrefix(last.Data, `{"a":"xxx`) || len(last.Data) != OversizedPreview {
				t.Fatalf("last oversized record %+v", last)
			}
			if got := last.Oversized.String(); got != "oversized: event of 50 MiB skipped (cap 16 MiB)" {
				t.Errorf("words %q", got)
			}
		})
	}
}

func TestStreamEndlessLineIsReportedWhileItGoesOn(t *testing.T) {
	// The server sends one line until the channel shows it being skipped
	// (its size so far growing): the decoder returns control while it
	// discards. Then the line ends and the next event arrives.
	seen := make(chan struct{})
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		writeFlush(w, "data: ")
		chunk := []byte(strings.Repeat("y", 64<<10))
		for sent := 0; ; sent += len(chunk) {
			select {
			case <-seen:
				writeFlush(w, "\n\ndata: after\n\n")
				hold(r)
				return
			case <-r.Context().Done():
				return
			default:
			}
			if sent > 1<<30 {
				return // a hang guard: the client never reported the line
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	m := NewManager(ManagerConfig{Clock: newFakeClock()})
	t.Cleanup(func() { _ = m.Close() })
	c, err := m.Add(ChannelConfig{Name: "endless", URL: srv.URL, MaxEventBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var first int64
	waitChannel(t, c, "the line reported as it goes on", func() bool {
		first = c.Snapshot().Stats.Skipping
		return first > 0
	})
	waitChannel(t, c, "its size growing", func() bool { return c.Snapshot().Stats.Skipping > first })
	close(seen)
	waitChannel(t, c, "the event after it", func() bool { return c.Snapshot().Stats.Events == 1 })
	s := c.Snapshot()
	if s.Stats.Oversized != 1 || s.Stats.Skipping != 0 || s.Status.State != Open {
		t.Fatalf("state %v, stats %+v", s.Status.State, s.Stats)
	}
	var reports []Oversized
	for _, r := range c.Records(nil, 0) {
		if r.Kind == RecordOversized {
			reports = append(reports, *r.Oversized)
		}
	}
	if len(reports) < 3 || reports[0].Again || !reports[0].More || !reports[1].Again || reports[len(reports)-1].More {
		t.Errorf("reports %+v: want a first, later ones, and a last", reports)
	}
}

func TestStreamNetworkErrorRetries(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	url := srv.URL
	srv.Close() // nothing listens there any more
	clk := newFakeClock()
	run := startStream(t, StreamConfig{URL: url, Clock: clk})
	st := run.rec.waitState(t, Retrying, 1)
	ce, ok := errorAs[*ConnectError](st.Err)
	if !ok || ce.Op != "connect" || st.HTTPStatus != 0 {
		t.Fatalf("status = %+v", st)
	}
	blockUntil(t, clk, 1)
	clk.Advance(st.NextAttempt.Sub(st.Since))
	st2 := run.rec.waitState(t, Retrying, 2)
	if st2.Attempt != 2 {
		t.Errorf("attempt = %d, want 2", st2.Attempt)
	}
}

func TestStreamPauseResumeReconnect(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 3 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		sseHeaders(w)
		writeFlush(w, fmt.Sprintf("id: %d\ndata: c%d\n\n", n*10, n))
		hold(r)
	})
	clk := newFakeClock()
	run := startStream(t, StreamConfig{URL: srv.URL, Clock: clk})
	run.rec.waitEvents(t, 1)

	run.s.Pause()
	run.rec.waitState(t, Paused, 1)
	if st := run.s.Status(); st.State != Paused {
		t.Fatalf("state = %v", st.State)
	}
	if !run.s.Resume() {
		t.Fatal("Resume reported no active Run")
	}
	reqs := srv.waitRequests(t, 2)
	if got := reqs[1].Header.Get("Last-Event-ID"); got != "10" {
		t.Errorf("after resume Last-Event-ID = %q", got)
	}
	run.rec.waitEvents(t, 2)

	// Reconnect now while open: no clock advance needed.
	if !run.s.Reconnect() {
		t.Fatal("Reconnect reported no active Run")
	}
	srv.waitRequests(t, 3) // answered 503: retrying
	st := run.rec.waitState(t, Retrying, 1)
	if d := st.NextAttempt.Sub(st.Since); d != DefaultRetry {
		t.Errorf("delay = %v", d)
	}
	// Reconnect now while waiting: skips the wait.
	run.s.Reconnect()
	reqs = srv.waitRequests(t, 4)
	if got := reqs[3].Header.Get("Last-Event-ID"); got != "20" {
		t.Errorf("after reconnect Last-Event-ID = %q", got)
	}
	run.rec.waitEvents(t, 3)

	// Pause while waiting for a retry, then resume.
	run.s.Pause()
	run.rec.waitState(t, Paused, 2)
	run.s.Pause() // idempotent
	run.s.Resume()
	srv.waitRequests(t, 5)
	run.rec.waitState(t, Open, 4)
}

func TestStreamRunLifecycle(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		hold(r)
	})
	rec := newRecorder()
	s, err := NewStream(StreamConfig{URL: srv.URL, Clock: newFakeClock()}, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	rec.waitState(t, Open, 1)
	if err := s.Run(ctx); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run = %v, want ErrRunning", err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return")
	}
	if st := s.Status(); st.State != Closed {
		t.Errorf("state after cancel = %v", st.State)
	}
	if s.Reconnect() || s.Resume() {
		t.Error("Reconnect/Resume reported an active Run after it ended")
	}
	h := s.History(nil)
	if len(h) == 0 || h[0].State != Idle || h[len(h)-1].State != Closed {
		t.Errorf("history = %v", h)
	}
}

func TestStreamHistoryIsBounded(t *testing.T) {
	s, err := NewStream(StreamConfig{URL: "http://127.0.0.1:1/", Clock: newFakeClock()}, newRecorder())
	if err != nil {
		t.Fatal(err)
	}
	for i := -1; i < HistorySize+10; i++ { // -1: one past the "created" entry
		s.transition(Status{State: State((i + 8) % 8), Detail: fmt.Sprint(i)})
	}
	got := s.History(nil)
	if len(got) != HistorySize || got[0].Detail != "10" || got[HistorySize-1].Detail != fmt.Sprint(HistorySize+9) {
		t.Errorf("history = %d entries, first %q", len(got), got[0].Detail)
	}
}

func TestNewStreamValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  StreamConfig
		want string
	}{
		{"empty url", StreamConfig{}, "URL: is empty"},
		{"no scheme", StreamConfig{URL: "localhost:8080/x"}, "scheme"},
		{"ftp", StreamConfig{URL: "ftp://example.com/x"}, `scheme "ftp" is not supported`},
		{"no host", StreamConfig{URL: "http:///x"}, "has no host"},
		{"bad url", StreamConfig{URL: "http://[::1"}, "is not a valid URL"},
		{"bad method", StreamConfig{URL: "http://127.0.0.1/", Method: "GE T"}, "not a valid HTTP method"},
		{"bad header", StreamConfig{URL: "http://127.0.0.1/", Headers: http.Header{"X-A": {"a\nb"}}}, "control character"},
		{"bad id", StreamConfig{URL: "http://127.0.0.1/", LastEventID: "a\rb"}, "LastEventID"},
		{"missing ca", StreamConfig{URL: "https://127.0.0.1/", CAFile: "/nonexistent/ca.pem"}, "CAFile: cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewStream(tt.cfg, newRecorder())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if _, ok := errorAs[*ConfigError](err); !ok {
				t.Errorf("err %T is not a *ConfigError", err)
			}
		})
	}
}

func TestStateString(t *testing.T) {
	want := "idle connecting open retrying stalled failed closed paused state(9)"
	var got []string
	for _, s := range []State{Idle, Connecting, Open, Retrying, Stalled, Failed, Closed, Paused, 9} {
		got = append(got, s.String())
	}
	if strings.Join(got, " ") != want {
		t.Errorf("got %v", got)
	}
}

// WPT eventsource-reconnect and eventsource-close: after a clean close the
// client reconnects after retry:, and a 204 then closes it for good.
func TestStreamReconnectThenCloseWith204(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 2 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		sseHeaders(w)
		writeFlush(w, "retry: 1000\ndata: opened\n\n")
	})
	clk := newFakeClock()
	run := startStream(t, StreamConfig{URL: srv.URL, Clock: clk})
	st := run.rec.waitState(t, Retrying, 1)
	if d := st.NextAttempt.Sub(st.Since); d != time.Second {
		t.Errorf("delay = %v, want 1s from retry:", d)
	}
	blockUntil(t, clk, 1)
	clk.Advance(time.Second)
	if err := run.result(t); err != nil {
		t.Fatalf("Run = %v, want nil after 204", err)
	}
	if got := fmt.Sprint(run.rec.states()); got != "[connecting open retrying connecting closed]" {
		t.Errorf("states = %s", got)
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if evs := run.rec.events(); len(evs) != 1 || evs[0].Data != "opened" {
		t.Errorf("events = %v", evs)
	}
}

// A connection that stays open HealthyAfter without any event resets the
// backoff; a shorter one counts as another failure.
func TestStreamHealthyAfterResetsBackoff(t *testing.T) {
	tests := []struct {
		name        string
		openFor     time.Duration
		wantAttempt int
		minDelay    time.Duration
		maxDelay    time.Duration
	}{
		{"open long enough", DefaultHealthyAfter, 0, time.Second, time.Second},
		{"open too briefly", DefaultHealthyAfter / 2, 3, 2 * time.Second, 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n != 3 {
					http.Error(w, "down", http.StatusServiceUnavailable)
					return
				}
				sseHeaders(w)
				select { // no event at all, then a clean end
				case <-release:
				case <-r.Context().Done():
				}
			})
			clk := newFakeClock()
			run := startStream(t, StreamConfig{URL: srv.URL, Retry: time.Second, Clock: clk, Rand: rand.New(rand.NewPCG(3, 4))})
			for i := 1; i <= 2; i++ {
				st := run.rec.waitState(t, Retrying, i)
				blockUntil(t, clk, 1)
				clk.Advance(st.NextAttempt.Sub(st.Since))
			}
			run.rec.waitState(t, Open, 1)
			clk.Advance(tt.openFor)
			close(release)
			st := run.rec.waitState(t, Retrying, 3)
			d := st.NextAttempt.Sub(st.Since)
			if st.Attempt != tt.wantAttempt || d < tt.minDelay || d > tt.maxDelay {
				t.Errorf("attempt %d delay %v, want %d in [%v, %v]", st.Attempt, d, tt.wantAttempt, tt.minDelay, tt.maxDelay)
			}
		})
	}
}
