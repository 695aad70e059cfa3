package tail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/internal/golden"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/record"
)

const waitLimit = 20 * time.Second

// syncBuffer is an output that tests can wait on.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{})} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.changed)
	b.changed = make(chan struct{})
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor blocks until the output contains s.
func (b *syncBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	b.waitCount(t, s, 1)
}

// result is a finished run.
type result struct {
	code           int
	stdout, stderr string
}

// runner runs Main in the background with a fake clock.
type runner struct {
	fake   *clock.Fake
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan int
	cancel context.CancelFunc
}

func start(t *testing.T, args []string, env Env) *runner {
	t.Helper()
	r := &runner{fake: clock.NewFake(t0), stdout: newSyncBuffer(), stderr: newSyncBuffer(), done: make(chan int, 1)}
	env.Clock, env.Stdout, env.Stderr = r.fake, r.stdout, r.stderr
	if env.Location == nil {
		env.Location = time.UTC
	}
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- Main(ctx, args, env) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(waitLimit):
			t.Error("Main did not return")
		}
	})
	return r
}

func (r *runner) wait(t *testing.T) result {
	t.Helper()
	select {
	case code := <-r.done:
		r.done <- code // for Cleanup
		return result{code, r.stdout.String(), r.stderr.String()}
	case <-time.After(waitLimit):
		t.Fatalf("Main did not return; output:\n%s\nstderr:\n%s", r.stdout.String(), r.stderr.String())
	}
	return result{}
}

// normalize replaces the test server's address with a fixed one.
func normalize(s, addr string) string {
	return strings.ReplaceAll(s, addr, "127.0.0.1:PORT")
}

// sseServer answers the first stream request with body (as an event
// stream) and later ones with 204.
func sseServer(t *testing.T, body string) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	n := 0
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if !first {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, body)
	}))
	t.Cleanup(hs.Close)
	return hs
}

const streamBody = "retry: 1000\n: heartbeat\nid: 1\nevent: status_update\ndata: {\"progress\":40,\"stage\":\"build\"}\n\n" +
	"data: line one\ndata: line two\n\nid: 2\nevent: log\ndata: disk failed\n\n"

// oversizedBody has an event over a 100-byte cap between two others, and
// a comment line over it.
var oversizedBody = "id: 1\ndata: before\n\nid: 2\nevent: big\ndata: {\"a\":\"" + strings.Repeat("x", 300) + "\"}\n\n" +
	":" + strings.Repeat("c", 200) + "\nid: 3\ndata: after\n\n"

// TestRunGolden runs whole sessions against local servers and compares
// both output formats, state lines and errors included, with goldens.
func TestRunGolden(t *testing.T) {
	notFound := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"unknown channel"}`)
	}))
	t.Cleanup(notFound.Close)
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><h1>Please log in</h1></html>")
	}))
	t.Cleanup(html.Close)
	refused := roundTripperFunc(func(*http.Request) (*http.Response, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	})

	type tc struct {
		name      string
		server    func(t *testing.T) *httptest.Server
		args      []string
		transport http.RoundTripper
		retry     bool // the stream ends once: advance the clock past the retry
		code      int
	}
	cases := []tc{
		{name: "events", server: func(t *testing.T) *httptest.Server { return sseServer(t, streamBody) }, args: []string{"--comments"}, retry: true},
		{name: "filtered", server: func(t *testing.T) *httptest.Server { return sseServer(t, streamBody) }, args: []string{"--event", "log", "--grep", "fail"}, retry: true},
		{name: "max-events", server: func(t *testing.T) *httptest.Server { return sseServer(t, streamBody) }, args: []string{"--max-events", "2", "--compact"}},
		{name: "no-reconnect-end", server: func(t *testing.T) *httptest.Server { return sseServer(t, streamBody) }, args: []string{"--no-reconnect", "--compact"}},
		{name: "oversized", server: func(t *testing.T) *httptest.Server { return sseServer(t, oversizedBody) }, args: []string{"--no-reconnect", "--max-event-size", "100"}},
		{name: "404", server: func(*testing.T) *httptest.Server { return notFound }, code: ExitFailed},
		{name: "content-type", server: func(*testing.T) *httptest.Server { return html }, code: ExitFailed},
		{name: "refused", args: []string{"--no-reconnect"}, transport: refused, code: ExitUnreachable},
		{name: "bad-url", args: []string{"ftp://localhost/stream"}, code: ExitUsage},
	}
	for _, c := range cases {
		for _, format := range []string{"human", "json"} {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				args := append([]string(nil), c.args...)
				if format == "json" {
					args = append(args, "--json")
				}
				addr := "127.0.0.1:1"
				if c.server != nil {
					hs := c.server(t)
					addr = hs.Listener.Addr().String()
					args = append(args, "http://"+addr+"/api/stream/deploy")
				} else if c.transport != nil {
					args = append(args, "http://"+addr+"/api/stream/deploy")
				}
				r := start(t, args, Env{Transport: c.transport})
				if c.retry {
					r.stdout.waitFor(t, "retrying")
					r.fake.BlockUntil(1) // the retry timer
					r.fake.Advance(time.Second)
				}
				res := r.wait(t)
				if res.code != c.code {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, c.code, res.stdout, res.stderr)
				}
				out := normalize(res.stdout, addr) + "--- stderr\n" + normalize(res.stderr, addr)
				golden.Check(t, "run/"+c.name+"-"+format+".golden", out)
			})
		}
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRunTimeout(t *testing.T) {
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(silent.Close)
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	r := start(t, []string{"--timeout", "5s", "--record", path, silent.URL + "/s"}, Env{})
	r.stdout.waitFor(t, "open")
	r.fake.BlockUntil(2) // --timeout and the stall watchdog
	r.fake.Advance(5 * time.Second)
	if res := r.wait(t); res.code != ExitOK || res.stderr != "ssemon-tail: 0 events · 0 B · 0 reconnects · 0 gaps · 0 duplicates · 5 s\n" {
		t.Fatalf("exit %d stderr %q", res.code, res.stderr)
	}
	if end := lastEntry(t, path); end.Kind != record.KindEnd || end.Reason != "timeout" || !end.Time.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("last entry %+v, want the end of a 5 s timeout", end)
	}
}

func lastEntry(t *testing.T, path string) record.Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := record.NewReader(f, record.ReaderConfig{})
	var last record.Entry
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return last
		}
		if err != nil {
			t.Fatal(err)
		}
		last = e
	}
}

func TestRunInterrupted(t *testing.T) {
	hs := sseServer(t, streamBody)
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	r := start(t, []string{"--record", path, hs.URL + "/s"}, Env{})
	r.stdout.waitFor(t, "retrying")
	r.cancel()
	if res := r.wait(t); res.code != ExitInterrupted {
		t.Fatalf("exit %d, want %d", res.code, ExitInterrupted)
	}
	if end := lastEntry(t, path); end.Kind != record.KindEnd || end.Reason != "interrupted" || end.Events != 3 {
		t.Fatalf("last entry %+v", end)
	}
}

func TestRunRecordAndSecrets(t *testing.T) {
	var gotAuth string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, streamBody)
	}))
	t.Cleanup(hs.Close)
	for _, show := range []bool{false, true} {
		t.Run(map[bool]string{false: "masked", true: "shown"}[show], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rec.jsonl")
			args := []string{"--json", "--record", path, "--no-reconnect", "--event", "log",
				"-H", "Authorization: Bearer s3cret", hs.URL + "/api/stream/deploy?token=t0k3n&x=1"}
			if show {
				args = append(args, "--show-secrets")
			}
			res := start(t, args, Env{}).wait(t)
			if res.code != ExitOK {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			if gotAuth != "Bearer s3cret" {
				t.Fatalf("server got Authorization %q: masking must not touch the request", gotAuth)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, out := range []string{res.stdout, string(data)} {
				hasSecret := strings.Contains(out, "s3cret") || strings.Contains(out, "t0k3n")
				if hasSecret != show {
					t.Fatalf("secrets shown = %v, want %v:\n%s", hasSecret, show, out)
				}
			}
			// The recording has everything (filters apply to the display
			// only), in order, between a header and an end line.
			rd := record.NewReader(bytes.NewReader(data), record.ReaderConfig{})
			var kinds []string
			var events int
			for {
				e, err := rd.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				kinds = append(kinds, string(e.Kind))
				if e.Kind == record.KindEvent {
					events++
				}
				if e.Kind == record.KindEnd && (e.Events != 3 || e.Reason != "done") {
					t.Fatalf("end entry %+v", e)
				}
			}
			if events != 3 || kinds[0] != "recording" || kinds[1] != "channel" || kinds[len(kinds)-1] != "end" {
				t.Fatalf("recording kinds %v", kinds)
			}
			if strings.Count(res.stdout, `"kind":"event"`) != 1 {
				t.Fatalf("--event log should print one event:\n%s", res.stdout)
			}
		})
	}
}

func TestRunColor(t *testing.T) {
	hs := sseServer(t, streamBody)
	cases := []struct {
		name     string
		terminal bool
		env      map[string]string
		args     []string
		want     bool
	}{
		{"terminal", true, nil, nil, true},
		{"pipe", false, nil, nil, false},
		{"NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, nil, false},
		{"TERM=dumb", true, map[string]string{"TERM": "dumb"}, nil, false},
		{"forced", false, nil, []string{"--color", "always"}, true},
		{"never", true, nil, []string{"--color", "never"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"--no-reconnect"}, c.args...), hs.URL+"/s")
			env := Env{Terminal: c.terminal, Getenv: func(k string) string { return c.env[k] }}
			res := start(t, args, env).wait(t)
			if got := strings.Contains(res.stdout, "\x1b["); got != c.want {
				t.Fatalf("colours = %v, want %v:\n%q", got, c.want, res.stdout)
			}
		})
	}
}

func TestRunRecordError(t *testing.T) {
	res := start(t, []string{"--record", filepath.Join(t.TempDir(), "no", "such", "dir.jsonl"), "http://127.0.0.1:1/s"}, Env{}).wait(t)
	if res.code != ExitIO || !strings.Contains(res.stderr, "--record") {
		t.Fatalf("exit %d stderr %q", res.code, res.stderr)
	}
}

func TestHelpAndVersion(t *testing.T) {
	res := start(t, []string{"--help"}, Env{}).wait(t)
	if res.code != 0 || !strings.Contains(res.stdout, "Exit codes:") || !strings.Contains(res.stdout, "Examples:") {
		t.Fatalf("help: %d %q", res.code, res.stdout)
	}
	res = start(t, []string{"--version"}, Env{Version: "1.2.3"}).wait(t)
	if res.code != 0 || res.stdout != "ssemon-tail 1.2.3\n" {
		t.Fatalf("version: %d %q", res.code, res.stdout)
	}
}

// TestRunVerbose: -v shows every attempt on stderr, curl -v style: the
// request as sent (secrets masked, the Last-Event-ID of each reconnect),
// the response's status line and headers, and how the attempt ended.
func TestRunVerbose(t *testing.T) {
	hs := sseServer(t, streamBody) // then 204
	r := start(t, []string{"-v", "--mode", "subscribe", "-X", "POST", "-d", "{}", "-H", "Authorization: Bearer s3cret",
		"--last-event-id", "9", hs.URL + "/api/stream/deploy?api_key=k3y"}, Env{})
	r.stdout.waitFor(t, "retrying")
	r.fake.BlockUntil(1) // the retry timer
	r.fake.Advance(time.Second)
	res := r.wait(t)
	addr := hs.Listener.Addr().String()
	got := normalize(res.stderr, addr)
	got = regexp.MustCompile(`(?m)^(< Date|> User-Agent): .*$`).ReplaceAllString(got, "$1: …")
	golden.Check(t, "run/verbose.golden", got)
	if res.code != ExitOK || strings.Contains(res.stderr, "s3cret") || strings.Contains(res.stderr, "k3y") {
		t.Fatalf("exit %d stderr:\n%s", res.code, res.stderr)
	}
	// JSON: one exchange line per phase of each attempt.
	r = start(t, []string{"-v", "--json", "--no-reconnect", hs.URL + "/x"}, Env{})
	res = r.wait(t)
	var phases []string
	for _, l := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
		var x exchangeJSON
		if json.Unmarshal([]byte(l), &x) == nil && x.Kind == "exchange" {
			phases = append(phases, x.Phase+":"+x.End)
			if x.Request.Method != "GET" || x.Request.Headers.Get("Host") != addr {
				t.Fatalf("exchange %s", l)
			}
		}
	}
	if strings.Join(phases, " ") != "response: end:no-content" {
		t.Fatalf("phases %v; stderr:\n%s", phases, res.stderr)
	}
}

func TestPlay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := record.NewWriter(f, "test", t0)
	entries := append([]record.Entry{
		{Kind: record.KindChannel, Time: t0, Channel: "deploy", URL: "http://127.0.0.1:8080/api/stream/deploy", Method: "GET"},
		{Kind: record.KindChannel, Time: t0, Channel: "logs", URL: "http://127.0.0.1:8080/api/stream/logs", Method: "GET"},
	}, sessionEntries()...)
	for _, e := range entries {
		if err := w.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cases := []struct {
		name string
		args []string
	}{
		{"human", []string{"--comments"}},
		{"compact-filtered", []string{"--compact", "--event", "status_update", "--max-events", "1"}},
		{"json", []string{"--json", "--grep", "plain"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := start(t, append(c.args, "--play", path), Env{}).wait(t)
			if res.code != ExitOK {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			golden.Check(t, "play/"+c.name+".golden", res.stdout)
		})
	}
	// stdin, and a bad line: the lines before it are printed, then one
	// error line and exit 2.
	in := string(record.AppendJSON(nil, &sessionEntries()[4])) + "\n{broken\n"
	res := start(t, []string{"--play", "-", "--compact"}, Env{Stdin: strings.NewReader(in)}).wait(t)
	if res.code != ExitUsage || !strings.Contains(res.stdout, "status_update") || !strings.Contains(res.stderr, "line 2:") {
		t.Fatalf("exit %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
	for _, args := range [][]string{{"--play", path, "http://127.0.0.1:1/s"}, {"--play", path, "--record", path + "2"}} {
		if res := start(t, args, Env{}).wait(t); res.code != ExitUsage {
			t.Fatalf("%v: exit %d", args, res.code)
		}
	}
}

// TestRunRaw: --raw shows the bytes as they came, line by line, with the
// line ends (CRLF, LF, CR alone), the BOM, comments and tabs made visible,
// whatever the reads' boundaries, between the state lines; --record still
// records the decoded events.
func TestRunRaw(t *testing.T) {
	chunks := []string{"\xef\xbb\xbf: hi\r\n", "id: 1\r", "\nevent: a\tb\r\ndata: one\r\n\r\n", "data: x\rdata: y\r", "\r", "id: 2\ndata: \x1b[31mred\n\n", "data: cut"}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, c := range chunks {
			io.WriteString(w, c)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(hs.Close)
	path := filepath.Join(t.TempDir(), "raw.jsonl")
	res := start(t, []string{"--raw", "--no-reconnect", "--record", path, "-s", hs.URL + "/s"}, Env{}).wait(t)
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	golden.Check(t, "run/raw.golden", normalize(res.stdout, hs.Listener.Addr().String()))
	var events []string
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := record.NewReader(f, record.ReaderConfig{})
	for {
		e, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind == record.KindEvent {
			events = append(events, e.ID+"/"+e.Type+"/"+e.Data)
		}
	}
	if want := "1/a\tb/one 1/message/x\ny 2/message/\x1b[31mred"; strings.Join(events, " ") != want {
		t.Fatalf("recorded events %q, want %q", strings.Join(events, " "), want)
	}
	for _, args := range [][]string{{"--raw", "--json", hs.URL}, {"--raw", "--play", path}} {
		if _, err := Parse(args, nil, nil); err == nil {
			t.Errorf("%v: no usage error", args)
		}
	}
}
