package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// exchangeRecorder is a Handler that also takes exchanges and raw bytes,
// keeping everything in one ordered log to check the Handler contract.
type exchangeRecorder struct {
	*recorder
	xmu   sync.Mutex
	order []string // "x:<seq>:<end>", "s:<state>", "f", "raw"
	xs    []Exchange
	raw   strings.Builder
}

func (r *exchangeRecorder) HandleStatus(s Status) {
	r.xmu.Lock()
	r.order = append(r.order, "s:"+s.State.String())
	r.xmu.Unlock()
	r.recorder.HandleStatus(s)
}

func (r *exchangeRecorder) HandleFrame(f Frame, at time.Time) {
	r.xmu.Lock()
	r.order = append(r.order, "f")
	r.xmu.Unlock()
	r.recorder.HandleFrame(f, at)
}

func (r *exchangeRecorder) HandleExchange(x Exchange) {
	r.xmu.Lock()
	end := string(x.End)
	if !x.Ended {
		end = "response"
	}
	r.order = append(r.order, "x:"+end)
	r.xs = append(r.xs, x)
	r.xmu.Unlock()
}

func (r *exchangeRecorder) HandleRaw(b []byte, at time.Time) {
	r.xmu.Lock()
	r.raw.Write(b)
	if n := len(r.order); n == 0 || r.order[n-1] != "raw" {
		r.order = append(r.order, "raw")
	}
	r.xmu.Unlock()
}

func (r *exchangeRecorder) snapshot() ([]string, []Exchange, string) {
	r.xmu.Lock()
	defer r.xmu.Unlock()
	return append([]string(nil), r.order...), append([]Exchange(nil), r.xs...), r.raw.String()
}

func runRecorded(t *testing.T, cfg StreamConfig) (*Stream, *exchangeRecorder, error) {
	t.Helper()
	rec := &exchangeRecorder{recorder: newRecorder()}
	s, err := NewStream(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	err = s.Run(ctx)
	if ctx.Err() != nil {
		t.Fatalf("Run did not end by itself; states %v", rec.states())
	}
	return s, rec, err
}

// TestExchanges follows three attempts — a 503, a stream that ends, a 204 —
// and checks every record: request as sent (User-Agent, Last-Event-ID,
// body), response (status line, headers, remote address), timings, how
// each ended, the error body, the order of delivery among statuses and
// frames, and the raw bytes.
func TestExchanges(t *testing.T) {
	const stream = ": hi\r\nid: 1\r\ndata: one\r\n\r\nid: 2\ndata: two\n\n"
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("busy\x00now"))
		case 2:
			w.Header().Set("X-Server", "seed")
			sseHeaders(w)
			writeFlush(w, stream)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	s, rec, err := runRecorded(t, StreamConfig{URL: srv.URL + "/s?token=abc", Method: http.MethodPost, Body: []byte(`{"q":1}`),
		Headers: http.Header{"Authorization": {"Bearer s3cret"}}, Retry: time.Millisecond, MinRetry: -1})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	order, xs, raw := rec.snapshot()
	want := []string{
		"s:connecting", "x:response", "x:http", "s:retrying",
		"s:connecting", "x:response", "s:open", "raw", "f", "f", "f", "x:eof", "s:retrying",
		"s:connecting", "x:response", "x:no-content", "s:closed",
	}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Fatalf("delivery order\n got %v\nwant %v", order, want)
	}
	if raw != stream {
		t.Fatalf("raw bytes %q, want %q", raw, stream)
	}
	if len(xs) != 6 {
		t.Fatalf("%d exchanges", len(xs))
	}
	first, second, third := xs[1], xs[3], xs[5]
	for i, x := range []Exchange{first, second, third} {
		if x.Seq != i+1 || !x.Ended || x.Response == nil || x.Request.Method != http.MethodPost ||
			!strings.HasPrefix(x.Request.Header.Get("User-Agent"), "ssemon/") ||
			x.Request.Header.Get("Authorization") != "Bearer s3cret" || x.Request.Header.Get("Host") == "" ||
			x.Request.BodySize != 7 || x.Request.BodyPreview != `{"q":1}` || x.Request.URL != srv.URL+"/s?token=abc" ||
			x.RemoteAddr != srv.Listener.Addr().String() || x.Timings.FirstByte <= 0 || x.Duration < x.Timings.FirstByte {
			t.Fatalf("exchange %d: %+v\nrequest %+v\nresponse %+v", i+1, x, x.Request, x.Response)
		}
	}
	if first.Response.Status != "503 Service Unavailable" || first.Response.Proto != "HTTP/1.1" || first.End != EndHTTP ||
		first.Response.BodyPreview != "busy\x00now" || first.Response.Header.Get("Retry-After") != "0" || first.Request.LastEventID != "" {
		t.Fatalf("503: %+v %+v", first, first.Response)
	}
	if second.End != EndEOF || second.Events != 2 || second.Bytes != int64(len(stream)) || second.Timings.FirstEvent < second.Timings.FirstByte ||
		second.Response.Header.Get("X-Server") != "seed" || second.Response.BodyPreview != "" {
		t.Fatalf("stream: %+v %+v", second, second.Response)
	}
	if third.End != EndNoContent || third.Request.LastEventID != "2" || third.Request.Header.Get("Last-Event-ID") != "2" {
		t.Fatalf("204: %+v", third)
	}
	// The history holds the same records.
	hist := s.Exchanges(nil)
	if len(hist) != 3 || hist[0].Seq != 1 || hist[2].End != EndNoContent {
		t.Fatalf("history %+v", hist)
	}
	// The server saw what the record says was sent.
	reqs := srv.requests()
	if ua := reqs[0].Header.Get("User-Agent"); ua != first.Request.Header.Get("User-Agent") || ua != DefaultUserAgent() {
		t.Fatalf("server saw User-Agent %q, record says %q", ua, first.Request.Header.Get("User-Agent"))
	}
}

func TestExchangeHistoryBounded(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < 5 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})
	s, _, _ := runRecorded(t, StreamConfig{URL: srv.URL, Retry: time.Millisecond, MaxBackoff: time.Millisecond, MinRetry: -1, ExchangeHistory: 2})
	hist := s.Exchanges(nil)
	if len(hist) != 2 || hist[0].Seq != 4 || hist[1].Seq != 5 || hist[1].Response.StatusCode != 404 || hist[0].Response.StatusCode != 502 {
		t.Fatalf("history %+v", hist)
	}
}

func TestExchangeEnds(t *testing.T) {
	t.Run("connect timeout: no response headers", func(t *testing.T) {
		srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				hold(r)
				return
			}
			w.WriteHeader(http.StatusNotFound)
		})
		s, _, _ := runRecorded(t, StreamConfig{URL: srv.URL, ConnectTimeout: 50 * time.Millisecond, Retry: time.Millisecond, MinRetry: -1})
		hist := s.Exchanges(nil)
		if len(hist) != 2 || hist[0].End != EndTimeout || hist[0].Response != nil || hist[0].Timings.Connect <= 0 || hist[0].Request.Header.Get("Host") == "" || hist[0].RemoteAddr == "" {
			t.Fatalf("history %+v", hist)
		}
	})
	t.Run("refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		rec := &exchangeRecorder{recorder: newRecorder()}
		s, err := NewStream(StreamConfig{URL: url}, rec)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		rec.waitState(t, Retrying, 1)
		cancel()
		<-done
		hist := s.Exchanges(nil)
		if len(hist) == 0 || hist[0].End != EndError || !strings.Contains(hist[0].Err, "refused") || hist[0].Response != nil {
			t.Fatalf("history %+v", hist)
		}
	})
	t.Run("TLS", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
		}))
		t.Cleanup(srv.Close)
		s, _, _ := runRecorded(t, StreamConfig{URL: srv.URL, Transport: srv.Client().Transport})
		hist := s.Exchanges(nil)
		cert := srv.Certificate()
		if len(hist) != 1 || hist[0].Response == nil || hist[0].Response.TLS == nil {
			t.Fatalf("history %+v", hist)
		}
		tl := hist[0].Response.TLS
		if !strings.HasPrefix(tl.Version, "TLS 1.") || tl.Cipher == "" || tl.Subject != cert.Subject.String() || !tl.NotAfter.Equal(cert.NotAfter) || hist[0].Timings.TLS <= 0 {
			t.Fatalf("TLS %+v timings %+v", tl, hist[0].Timings)
		}
	})
}

// TestExchangeLive: while an attempt waits for response headers, its
// record already says that the connection was made and the request sent.
func TestExchangeLive(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) { hold(r) })
	r := startStream(t, StreamConfig{URL: srv.URL})
	srv.waitRequests(t, 1)
	defer func() {
		// An open stream's record counts what came so far.
		open := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			sseHeaders(w)
			writeFlush(w, "data: a\n\ndata: b\n\n")
			hold(r)
		})
		o := startStream(t, StreamConfig{URL: open.URL})
		o.rec.waitEvents(t, 2)
		hist := o.s.Exchanges(nil)
		if len(hist) != 1 || hist[0].Ended || hist[0].Events != 2 || hist[0].Bytes != 18 || hist[0].Response == nil {
			t.Fatalf("open record %+v", hist)
		}
	}()
	var x Exchange
	deadline := time.Now().Add(waitLimit)
	for {
		hist := r.s.Exchanges(nil)
		if len(hist) == 1 && hist[0].RemoteAddr != "" && hist[0].Request.Header.Get("Host") != "" {
			x = hist[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no live record: %+v", hist)
		}
		time.Sleep(time.Millisecond)
	}
	if x.Ended || x.Response != nil || x.RemoteAddr != srv.Listener.Addr().String() || x.Timings.Connect <= 0 {
		t.Fatalf("live record %+v", x)
	}
}

func TestUserAgent(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  StreamConfig
		want string
	}{
		{"default", StreamConfig{}, DefaultUserAgent()},
		{"config", StreamConfig{UserAgent: "probe/2"}, "probe/2"},
		{"header wins", StreamConfig{UserAgent: "probe/2", Headers: http.Header{"User-Agent": {"mine/1"}}}, "mine/1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(http.StatusNoContent) })
			c.cfg.URL = srv.URL
			runRecorded(t, c.cfg)
			if got := srv.requests()[0].Header.Get("User-Agent"); got != c.want {
				t.Fatalf("User-Agent %q, want %q", got, c.want)
			}
		})
	}
	if !strings.HasPrefix(DefaultUserAgent(), "ssemon/") {
		t.Fatalf("DefaultUserAgent() = %q", DefaultUserAgent())
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 3500: "3.4 KiB", 20 << 20: "20 MiB", 5 << 40: "5.0 TiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFailureText(t *testing.T) {
	for _, c := range []struct {
		st   Status
		want string
	}{
		{Status{State: Retrying, Err: &ConnectError{Op: "connect", Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")}}, "connection refused"},
		{Status{State: Failed, Err: &HTTPError{Status: 404}}, "404 Not Found"},
		{Status{State: Failed, Err: &ContentTypeError{ContentType: "text/html; charset=utf-8"}}, "text/html, not text/event-stream"},
		{Status{State: Failed, Err: &ContentTypeError{}}, "no Content-Type, not text/event-stream"},
		{Status{State: Open, Detail: "HTTP/1.1 200 OK"}, ""},
	} {
		if got := FailureText(c.st); got != c.want {
			t.Errorf("FailureText(%v) = %q, want %q", c.st.Err, got, c.want)
		}
	}
}
