package doctor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/doctor"
)

// TestMain fails the package if any goroutine outlives the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// hangGuard bounds a whole Run in a test: generous, only against hangs.
const hangGuard = 60 * time.Second

// quick is a Config with short windows, so that a Run takes about a
// second: the defaults are shortened by configuration, never by sleeping.
func quick(url string) doctor.Config {
	return doctor.Config{
		// the wait for headers is a hang guard, not part of the test
		Stream: client.StreamConfig{URL: url, ConnectTimeout: hangGuard / 4},
		// Watch and ResumeWindow leave a loaded machine time to deliver
		// a few events (the resume watch ends after three).
		Watch:        1500 * time.Millisecond,
		ResumeWindow: 1500 * time.Millisecond,
		SideWait:     300 * time.Millisecond,
		Concurrent:   3,
		Abandon:      5,
	}
}

func run(t *testing.T, cfg doctor.Config) *doctor.Report {
	t.Helper()
	rep := runErr(t, cfg)
	if rep == nil {
		t.FailNow()
	}
	checkReport(t, rep)
	return rep
}

// runErr runs the doctor; it may be called from any goroutine (it reports
// a failure with t.Error and returns nil).
func runErr(t *testing.T, cfg doctor.Config) *doctor.Report {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	rep, err := doctor.Run(ctx, cfg)
	if err != nil {
		t.Errorf("Run %s: %v", cfg.Stream.URL, err)
		return nil
	}
	return rep
}

// checkReport checks what every report must be: one finding per check,
// in order, each with a summary; evidence and a fix for every warning or
// error.
func checkReport(t *testing.T, rep *doctor.Report) {
	t.Helper()
	if len(rep.Findings) != len(doctor.Checks) {
		t.Fatalf("%d findings, want one per check (%d)", len(rep.Findings), len(doctor.Checks))
	}
	for i, f := range rep.Findings {
		if f.Check != doctor.Checks[i] || f.Summary == "" {
			t.Errorf("finding %d: %+v", i, f)
		}
		if f.Severity >= doctor.Warning && (f.Evidence == "" || f.Fix == "") {
			t.Errorf("%s: a %s without evidence or fix: %+v", f.Check, f.Severity, f)
		}
	}
}

func dump(rep *doctor.Report) string {
	var b bytes.Buffer
	rep.WriteText(&b)
	return b.String()
}

// want is an expected finding: its severity and words its summary or
// evidence must contain.
type want struct {
	sev  doctor.Severity
	text string
}

func TestFindings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		spec   spec
		edit   func(*doctor.Config)
		expect map[string]want
	}{
		{"wrong content type", spec{header: func(h http.Header) { h.Set("Content-Type", "text/html") }},
			nil, map[string]want{doctor.CheckContentType: {doctor.Error, "text/html"}, doctor.CheckResume: {doctor.Info, "not checked"}}},
		{"bad charset", spec{header: func(h http.Header) { h.Set("Content-Type", "text/event-stream; charset=latin1") }},
			nil, map[string]want{doctor.CheckContentType: {doctor.Warning, "latin1"}}},
		{"no cache-control", spec{header: func(h http.Header) { h.Del("Cache-Control") }},
			nil, map[string]want{doctor.CheckCacheControl: {doctor.Error, "no-cache missing"}}},
		{"cacheable", spec{header: func(h http.Header) { h.Set("Cache-Control", "public, max-age=60") }},
			nil, map[string]want{doctor.CheckCacheControl: {doctor.Error, "max-age=60"}}},
		{"no-transform missing", spec{header: func(h http.Header) { h.Set("Cache-Control", "no-cache") }},
			nil, map[string]want{doctor.CheckCacheControl: {doctor.Warning, "no-transform"}}},
		{"x-accel-buffering missing", spec{header: func(h http.Header) { h.Del("X-Accel-Buffering") }},
			nil, map[string]want{doctor.CheckAccelBuffering: {doctor.Warning, "missing"}}},
		{"bursts with timestamps", spec{flushEvery: 8, interval: 150 * time.Millisecond},
			func(c *doctor.Config) { c.Watch = 3500 * time.Millisecond }, map[string]want{doctor.CheckBuffering: {doctor.Error, "held back"}}},
		{"bursts without timestamps", spec{flushEvery: 6, interval: 30 * time.Millisecond, noTimestamp: true},
			func(c *doctor.Config) { c.Watch = 1500 * time.Millisecond }, map[string]want{doctor.CheckBuffering: {doctor.Warning, "bursts"}}},
		{"headers held", spec{holdHeaders: 700 * time.Millisecond},
			func(c *doctor.Config) { c.Watch = 1200 * time.Millisecond },
			map[string]want{doctor.CheckBuffering: {doctor.Warning, "headers held back"}}},
		{"no response", spec{neverAnswer: true},
			func(c *doctor.Config) { c.Stream.ConnectTimeout = 0 }, map[string]want{doctor.CheckBuffering: {doctor.Error, "no response at all"}, doctor.CheckConnect: {doctor.OK, "connected"}}},
		{"gzip", spec{gzip: true},
			nil, map[string]want{doctor.CheckCompression: {doctor.Warning, "gzip"}, doctor.CheckIDs: {doctor.OK, "valid id"}}},
		{"gzip held", spec{gzip: true, flushEvery: 8, interval: 150 * time.Millisecond},
			func(c *doctor.Config) { c.Watch = 3500 * time.Millisecond }, map[string]want{doctor.CheckCompression: {doctor.Error, "held back"}}},
		{"no ids", spec{id: func(int) string { return "" }},
			nil, map[string]want{doctor.CheckIDs: {doctor.Error, "no event has an id"}, doctor.CheckResume: {doctor.Info, "no id to resume"}}},
		{"NaN ids", spec{id: func(int) string { return "NaN" }},
			nil, map[string]want{doctor.CheckIDs: {doctor.Error, "JavaScript"}}},
		{"NUL ids", spec{id: func(n int) string { return "x\x00" }},
			nil, map[string]want{doctor.CheckIDs: {doctor.Error, "NUL"}}},
		{"ids not monotonic", spec{id: func(n int) string { return map[bool]string{true: "5", false: "7"}[n%2 == 0] }},
			nil, map[string]want{doctor.CheckIDs: {doctor.Warning, "not increasing"}}},
		{"some events without id", spec{id: func(n int) string { return map[bool]string{true: "", false: strconv.Itoa(n)}[n%2 == 0] }},
			nil, map[string]want{doctor.CheckIDs: {doctor.Warning, "without an id"}}},
		{"resume restarts", spec{resume: "restart"},
			nil, map[string]want{doctor.CheckResume: {doctor.Error, "restarts"}}},
		{"resume ignores the id", spec{resume: "live", interval: 40 * time.Millisecond},
			nil, map[string]want{doctor.CheckResume: {doctor.Error, "loses"}}},
		{"resume duplicates", spec{resume: "repeat"},
			nil, map[string]want{doctor.CheckResume: {doctor.Error, "again"}}},
		{"no retry", spec{retry: "-"},
			nil, map[string]want{doctor.CheckRetry: {doctor.Info, "no retry"}}},
		{"absurd retry", spec{retry: "10"},
			nil, map[string]want{doctor.CheckRetry: {doctor.Warning, "very short"}}},
		{"bogus retry", spec{retry: "3s"},
			nil, map[string]want{doctor.CheckRetry: {doctor.Warning, "not a number"}}},
		{"busy loop", spec{serial: true},
			func(c *doctor.Config) { c.Watch = 3 * time.Second }, map[string]want{doctor.CheckBusyLoop: {doctor.Warning, "slower"}}},
		{"teardown leak", spec{leak: 300 * time.Millisecond}, nil,
			map[string]want{doctor.CheckTeardown: {doctor.Info, "changed"}}},
		{"CORS missing", spec{},
			func(c *doctor.Config) { c.Origin = "https://app.example" },
			map[string]want{doctor.CheckCORS: {doctor.Warning, "no CORS"}}},
		{"CORS right", spec{header: func(h http.Header) { h.Set("Access-Control-Allow-Origin", "https://app.example") }},
			func(c *doctor.Config) { c.Origin = "https://app.example" },
			map[string]want{doctor.CheckCORS: {doctor.OK, "may read"}}},
		{"CORS star with credentials", spec{header: func(h http.Header) { h.Set("Access-Control-Allow-Origin", "*") }},
			func(c *doctor.Config) {
				c.Origin = "https://app.example"
				c.Stream.Headers = http.Header{"Authorization": {"Bearer x"}}
			},
			map[string]want{doctor.CheckCORS: {doctor.Warning, "credentials"}}},
		{"CR line ends", spec{lineEnd: "\r"},
			nil, map[string]want{doctor.CheckFraming: {doctor.Warning, "lone CR"}, doctor.CheckIDs: {doctor.OK, "valid id"}}},
		{"unknown and colonless fields", spec{extra: "foo: bar\nbare\n"},
			nil, map[string]want{doctor.CheckFraming: {doctor.Warning, "unknown fields"}}},
		{"BOM on a later line", spec{extra: "\uFEFFdata: x\n"},
			nil, map[string]want{doctor.CheckFraming: {doctor.Warning, "byte order mark"}}},
		{"long lines", spec{extra: "data: " + strings.Repeat("x", 40<<10) + "\n"},
			nil, map[string]want{doctor.CheckFraming: {doctor.Warning, "longer than"}}},
		{"ends after one event", spec{endAfter: 1},
			nil, map[string]want{doctor.CheckStreamEnd: {doctor.Warning, "at most one event"}}},
		{"ends inside an event", spec{endAfter: 2, cut: "data: half an event\n"},
			nil, map[string]want{doctor.CheckFraming: {doctor.Warning, "ended inside an event"}}},
		{"watch ends inside an event", spec{endAfter: 2, cut: "data: half an event\n", keepOpen: true},
			nil, map[string]want{doctor.CheckFraming: {doctor.OK, "well-formed"}}},
		{"204", spec{status: http.StatusNoContent},
			nil, map[string]want{doctor.CheckStatus: {doctor.Warning, "204"}, doctor.CheckBuffering: {doctor.Info, "not checked"}}},
		{"404", spec{status: http.StatusNotFound},
			nil, map[string]want{doctor.CheckStatus: {doctor.Error, "404"}}},
		{"503 with Retry-After", spec{status: http.StatusServiceUnavailable},
			nil, map[string]want{doctor.CheckStatus: {doctor.Error, "Retry-After: 30"}}},
		{"NDJSON", spec{header: func(h http.Header) { h.Set("Content-Type", "application/x-ndjson") }},
			nil, map[string]want{doctor.CheckContentType: {doctor.Info, "NDJSON"}, doctor.CheckBuffering: {doctor.Info, "not checked"}}},
		{"POST is not repeated", spec{},
			func(c *doctor.Config) {
				c.Stream.Method, c.Stream.Body = "POST", []byte(`{"q":1}`)
				c.Concurrent, c.Abandon = 0, 0
			},
			map[string]want{doctor.CheckBusyLoop: {doctor.Info, "POST request"}, doctor.CheckTeardown: {doctor.Info, "POST request"},
				doctor.CheckResume: {doctor.OK, "right after"}}},
		{"HTTP/1.1", spec{},
			nil, map[string]want{doctor.CheckHTTPVersion: {doctor.Info, "6 connections"}}},
	}
	// The runs mostly wait on their clock: run them all at once in one
	// bubble, then judge each.
	reports := make([]*doctor.Report, len(cases))
	bubble(t, func(t *testing.T, n *pipeNet) {
		var wg sync.WaitGroup
		for i, tc := range cases {
			srv := streamServer(t, n, tc.spec)
			cfg := n.quick(srv.URL + "/events")
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			wg.Go(func() { reports[i] = runErr(t, cfg) })
		}
		wg.Wait()
	})
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := reports[i]
			if rep == nil {
				t.Fatal("no report")
			}
			checkReport(t, rep)
			for check, w := range tc.expect {
				f, _ := rep.Finding(check)
				if f.Severity != w.sev || !strings.Contains(f.Summary+"\n"+f.Evidence, w.text) {
					t.Errorf("%s: got %s %q (%s), want %s containing %q\n%s", check, f.Severity, f.Summary, f.Evidence, w.sev, w.text, dump(rep))
				}
			}
		})
	}
}

// TestHealthyStream: a stream that does everything right gets no error
// and no warning — each check passes or only informs.
func TestHealthyStream(t *testing.T) {
	t.Parallel()
	var rep *doctor.Report
	bubble(t, func(t *testing.T, n *pipeNet) {
		srv := streamServer(t, n, spec{header: func(h http.Header) { h.Set("Access-Control-Allow-Origin", "*") }})
		cfg := n.quick(srv.URL + "/events")
		cfg.Origin = "https://app.example"
		rep = run(t, cfg)
	})
	if rep.Worst() > doctor.Info {
		t.Fatalf("worst %s, want info at most:\n%s", rep.Worst(), dump(rep))
	}
	for _, c := range []string{doctor.CheckContentType, doctor.CheckCacheControl, doctor.CheckBuffering,
		doctor.CheckAccelBuffering, doctor.CheckCompression, doctor.CheckHeartbeat, doctor.CheckIDs,
		doctor.CheckResume, doctor.CheckRetry, doctor.CheckBusyLoop, doctor.CheckTeardown, doctor.CheckCORS,
		doctor.CheckFraming, doctor.CheckStreamEnd, doctor.CheckStatus, doctor.CheckConnect} {
		if f, _ := rep.Finding(c); f.Severity != doctor.OK {
			t.Errorf("%s: %s %q (%s)", c, f.Severity, f.Summary, f.Evidence)
		}
	}
}

func TestHTTP2(t *testing.T) {
	t.Parallel()
	var rep *doctor.Report
	bubble(t, func(t *testing.T, n *pipeNet) {
		srv := httptest.NewUnstartedServer(spec{}.handler())
		srv.Listener.Close() // a real socket, replaced
		srv.Listener = n.Listen()
		srv.EnableHTTP2 = true
		srv.StartTLS()
		defer srv.Close()
		tls := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
		tls.ServerName = "example.com" // a name the test certificate holds
		tr := &http.Transport{DialContext: n.Dial, TLSClientConfig: tls, ForceAttemptHTTP2: true,
			DisableCompression: true, MaxIdleConnsPerHost: -1}
		defer tr.CloseIdleConnections()
		cfg := quick(srv.URL + "/events")
		cfg.Stream.Transport = tr
		rep = run(t, cfg)
	})
	if f, _ := rep.Finding(doctor.CheckHTTPVersion); f.Severity != doctor.OK || !strings.Contains(f.Summary, "HTTP/2") {
		t.Fatalf("http-version: %+v", f)
	}
	if f, _ := rep.Finding(doctor.CheckResume); f.Severity != doctor.OK {
		t.Fatalf("resume over HTTP/2: %+v", f)
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	rep := run(t, quick(url))
	if f, _ := rep.Finding(doctor.CheckConnect); f.Severity != doctor.Error {
		t.Fatalf("connect: %+v", f)
	}
	if rep.Worst() != doctor.Error {
		t.Fatal("a refused connection must be an error")
	}
}

func TestRedirectFollowed(t *testing.T) {
	t.Parallel()
	var rep *doctor.Report
	bubble(t, func(t *testing.T, n *pipeNet) {
		stream := streamServer(t, n, spec{})
		mux := http.NewServeMux()
		mux.Handle("/old", http.RedirectHandler(stream.URL+"/events", http.StatusMovedPermanently))
		front := n.Serve(t, mux)
		rep = run(t, n.quick(front.URL+"/old"))
	})
	if f, _ := rep.Finding(doctor.CheckStatus); f.Severity != doctor.Info || !strings.Contains(f.Evidence, "301") {
		t.Fatalf("status: %+v", f)
	}
}

// TestSilentStreamOnFakeClock: the heartbeat check on a stream that sends
// nothing for 70 s of a fake clock, without waiting 70 s.
func TestSilentStreamOnFakeClock(t *testing.T) {
	t.Parallel()
	silent := make(chan struct{})
	srv := httptest.NewServer(spec{silent: silent}.handler()) // the fake clock alone paces this test
	defer srv.Close()
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	cfg := quick(srv.URL)
	watching := make(chan struct{})
	cfg.Logger = slog.New(onMessage{msg: "doctor: watching", once: &sync.Once{}, do: func() { close(watching) }})
	cfg.Watch = 70 * time.Second
	cfg.ResumeWindow = time.Second
	cfg.Concurrent, cfg.Abandon = -1, -1
	cfg.Clock = clk
	done := make(chan *doctor.Report)
	go func() {
		rep, err := doctor.Run(context.Background(), cfg)
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	<-silent   // the headers are out
	<-watching // the doctor has them and armed its watch window
	clk.Advance(70 * time.Second)
	var rep *doctor.Report
	for rep == nil {
		select {
		case rep = <-done:
		case <-clk.Changed(): // the resume window: let it pass
			clk.Advance(time.Second)
		case <-time.After(hangGuard):
			t.Fatal("Run did not end")
		}
	}
	f, _ := rep.Finding(doctor.CheckHeartbeat)
	if f.Severity != doctor.Warning || !strings.Contains(f.Summary, "1m10s") {
		t.Fatalf("heartbeat: %s %q %s\n%s", f.Severity, f.Summary, f.Evidence, dump(rep))
	}
}

// onMessage is a slog handler that calls do once, at the first record
// with message msg.
type onMessage struct {
	msg  string
	once *sync.Once
	do   func()
}

func (h onMessage) Enabled(context.Context, slog.Level) bool { return true }
func (h onMessage) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(h.do)
	}
	return nil
}
func (h onMessage) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h onMessage) WithGroup(string) slog.Handler      { return h }

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, url := range []string{"", "ftp://x/y", "http://", "::"} {
		_, err := doctor.Run(context.Background(), doctor.Config{Stream: client.StreamConfig{URL: url}})
		var ce *doctor.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%q: %v, want a *ConfigError", url, err)
		}
	}
	_, err := doctor.Run(context.Background(), doctor.Config{Stream: client.StreamConfig{URL: "https://127.0.0.1:1/", CAFile: "/nonexistent/ca.pem"}})
	var ce *doctor.ConfigError
	if !errors.As(err, &ce) || ce.Field != "CAFile" || !strings.Contains(err.Error(), "CAFile cannot be read") {
		t.Errorf("missing CA file: %v, want a *ConfigError for CAFile", err)
	}
}

func TestReportJSONAndText(t *testing.T) {
	t.Parallel()
	var rep *doctor.Report
	bubble(t, func(t *testing.T, n *pipeNet) {
		srv := streamServer(t, n, spec{id: func(int) string { return "" }})
		rep = run(t, n.quick(srv.URL+"/events?token=secret"))
	})
	if strings.Contains(rep.URL, "secret") {
		t.Fatalf("the report shows the query: %s", rep.URL)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Worst    doctor.Severity `json:"worst"`
		Findings []doctor.Finding
		WatchMS  int64 `json:"watchMs"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Worst != doctor.Error || len(back.Findings) != len(doctor.Checks) || back.WatchMS != 1500 {
		t.Fatalf("JSON round trip: %s", b)
	}
	text := dump(rep)
	for _, s := range []string{"ERROR   event-ids", "seen: ", "fix:  ", "Next.js:", "1 error"} {
		if !strings.Contains(text, s) {
			t.Errorf("text report lacks %q:\n%s", s, text)
		}
	}
	if strings.Index(text, "ERROR") > strings.Index(text, "OK ") {
		t.Errorf("errors must come first:\n%s", text)
	}
}
