package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/cmd/internal/testbin"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/record"
	"github.com/ssemon/ssemon/server"
	"github.com/ssemon/ssemon/server/replay"
)

// bin is the ssemon-tail binary built for the tests.
var bin string

// TestMain builds the binary once, runs the tests against it, and fails
// the package if a goroutine outlives them.
func TestMain(m *testing.M) {
	testbin.Main(m, testbin.Binary{Package: "github.com/ssemon/ssemon/cmd/ssemon-tail", Path: &bin})
}

// runLimit bounds every run of the binary.
const runLimit = 60 * time.Second

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("ssemon-tail %v did not end within %v; output:\n%s\n%s", args, runLimit, res.stdout, res.stderr)
	}
	return res
}

// demo starts the demo server in-process with fast channels.
func demo(t *testing.T) *httptest.Server {
	t.Helper()
	srv, err := server.New(server.Config{
		Scenarios: []server.Scenario{
			{Channel: "deploy", Kind: server.KindDeploy, Interval: 150 * time.Millisecond},
			{Channel: "metrics", Kind: server.KindMetrics, Interval: 250 * time.Millisecond},
			{Channel: "logs", Kind: server.KindLogs, Interval: 100 * time.Millisecond},
		},
		Heartbeat: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		_ = srv.Close()
		hs.Close()
	})
	return hs
}

// jsonLines parses --json output.
func jsonLines(t *testing.T, out string) []record.Entry {
	t.Helper()
	var es []record.Entry
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e record.Entry
		err := json.Unmarshal(sc.Bytes(), &e)
		if errors.Is(err, record.ErrUnknownKind) {
			continue // the summary line; readers skip kinds they do not know
		}
		if err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		es = append(es, e)
	}
	return es
}

func events(es []record.Entry) []record.Entry {
	var out []record.Entry
	for _, e := range es {
		if e.Kind == record.KindEvent {
			out = append(out, e)
		}
	}
	return out
}

// TestNoFyne: the terminal client must not link the UI toolkit.
func TestNoFyne(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "fyne.io/") {
			t.Fatalf("ssemon-tail depends on %s", dep)
		}
	}
	if !strings.Contains(string(out), "github.com/ssemon/ssemon/client") {
		t.Fatalf("go list -deps output looks wrong:\n%s", out)
	}
}

func TestAgainstDemoServer(t *testing.T) {
	hs := demo(t)
	deploy := hs.URL + "/api/stream/deploy"
	t.Run("human output with state lines", func(t *testing.T) {
		res := run(t, "--max-events", "2", deploy)
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		for _, want := range []string{"● connecting to ", "● open (HTTP/1.1 200 OK)", "#", "status_update", `"progress"`} {
			if !strings.Contains(res.stdout, want) {
				t.Fatalf("output lacks %q:\n%s", want, res.stdout)
			}
		}
		if strings.Contains(res.stdout, "\x1b[") {
			t.Fatal("colours on a pipe")
		}
	})
	t.Run("json with max-events", func(t *testing.T) {
		res := run(t, "--json", "--max-events", "3", deploy)
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		evs := events(jsonLines(t, res.stdout))
		if len(evs) != 3 {
			t.Fatalf("%d events, want 3:\n%s", len(evs), res.stdout)
		}
		for i, e := range evs {
			if e.Channel != "deploy" || e.Type != "status_update" || e.ID == "" || !json.Valid([]byte(e.Data)) {
				t.Fatalf("event %d: %+v", i, e)
			}
		}
	})
	t.Run("several streams and filters", func(t *testing.T) {
		res := run(t, "--json", "--max-events", "6", "--event", "metrics", "--grep", "cpu",
			"d="+deploy, "m="+hs.URL+"/api/stream/metrics")
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		es := jsonLines(t, res.stdout)
		evs := events(es)
		if len(evs) != 6 {
			t.Fatalf("%d events, want 6", len(evs))
		}
		for _, e := range evs {
			if e.Channel != "m" || e.Type != "metrics" || !strings.Contains(e.Data, "cpu") {
				t.Fatalf("filtered out event shown: %+v", e)
			}
		}
		opened := map[string]bool{}
		for _, e := range es {
			if e.Kind == record.KindState && e.State.String() == "open" {
				opened[e.Channel] = true
			}
		}
		if !opened["d"] || !opened["m"] {
			t.Fatalf("state lines of both streams expected: %v", opened)
		}
	})
	t.Run("comments", func(t *testing.T) {
		res := run(t, "--comments", "--compact", "--timeout", "3s", hs.URL+"/api/stream/deploy")
		if res.code != 0 || !strings.Contains(res.stdout, ": heartbeat") {
			t.Fatalf("exit %d, no heartbeat comment:\n%s", res.code, res.stdout)
		}
	})
}

func TestExitCodes(t *testing.T) {
	hs := demo(t)
	noContent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(noContent.Close)
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"404", []string{hs.URL + "/api/stream/nope"}, 1, "● failed 404 Not Found", "ssemon-tail: nope: failed 404 Not Found"},
		{"204", []string{noContent.URL + "/s"}, 0, "● closed by server (204)", "ssemon-tail: 0 events · 0 B · 0 reconnects · 0 gaps · 0 duplicates · "},
		{"wrong content type", []string{hs.URL + "/api/channels"}, 1, "● failed: response Content-Type is", "want text/event-stream"},
		{"bad URL", []string{"http://h/%zz"}, 2, "", "bad URL"},
		{"no scheme: http://", []string{strings.TrimPrefix(hs.URL, "http://") + "/api/stream/nope"}, 1, "● failed 404 Not Found", "ssemon-tail: nope: failed 404 Not Found"},
		{"bad scheme", []string{"ftp://127.0.0.1/x"}, 2, "", "not supported"},
		{"unreachable, no reconnect", []string{"--no-reconnect", "http://127.0.0.1:1/s"}, 3, "● failed: connection refused", "ssemon-tail: s: failed: connection refused"},
		{"bad flag", []string{"--nope", hs.URL}, 2, "", "unknown flag --nope"},
		{"help", []string{"--help"}, 0, "Exit codes:", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, c.args...)
			if res.code != c.code || !strings.Contains(res.stdout, c.stdout) || !strings.Contains(res.stderr, c.stderr) {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, c.code, res.stdout, res.stderr)
			}
			if c.code != 0 && strings.Count(res.stderr, "\n") != 1 {
				t.Fatalf("want exactly one line on stderr, got:\n%s", res.stderr)
			}
		})
	}
}

// TestRecordReplayRoundTrip records two demo channels with the binary,
// replays the recording with server/replay, tails the replay with the
// binary, and checks that the same events (ids, types, data, order) come
// back with the recorded timing. The replay runs on a fake clock that the
// test moves from one recorded frame to the next: each event must come
// once the clock reaches its recorded time, and not before.
func TestRecordReplayRoundTrip(t *testing.T) {
	hs := demo(t)
	path := filepath.Join(t.TempDir(), "session.jsonl")
	const n = 12
	res := run(t, "--record", path, "--max-events", fmt.Sprint(n), "--compact",
		hs.URL+"/api/stream/deploy", hs.URL+"/api/stream/metrics")
	if res.code != 0 {
		t.Fatalf("record: exit %d: %s", res.code, res.stderr)
	}
	entries := readRecording(t, path)
	recorded := events(entries)
	if len(recorded) != n {
		t.Fatalf("recording has %d events, want %d", len(recorded), n)
	}

	fake := clock.NewFake(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	rs, err := replay.New(replay.Config{File: path, Clock: fake, Heartbeat: -1})
	if err != nil {
		t.Fatal(err)
	}
	rhs := httptest.NewServer(rs.Handler())
	t.Cleanup(func() {
		_ = rs.Close()
		rhs.Close()
	})
	sch := replaySchedule(entries)
	idle := fake.Waiters()

	// --no-reconnect: a channel whose replay ended stays ended, so that
	// every armed timer of the replay clock is a connection's next frame.
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--json", "--no-reconnect", "--max-events", fmt.Sprint(n),
		rhs.URL+"/api/stream/deploy", rhs.URL+"/api/stream/metrics")
	cmd.Env = append(os.Environ(), "NO_COLOR=")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan []byte)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			lines <- bytes.Clone(sc.Bytes())
		}
	}()
	var replayed []record.Entry
	var now time.Duration // the replay clock, since the start of the recording
	// read takes one line of the tail's output (false: it ended); no
	// event may come before the replay clock reached its recorded time.
	read := func(line []byte, ok bool) {
		t.Helper()
		if !ok {
			t.Fatalf("ssemon-tail ended after %d events, %d due by %v of the recording; stderr:\n%s", len(replayed), sch.eventsDue(now), now, errb.String())
		}
		var e record.Entry
		err := json.Unmarshal(line, &e)
		if errors.Is(err, record.ErrUnknownKind) {
			return // the summary line
		}
		if err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		if e.Kind != record.KindEvent {
			return
		}
		replayed = append(replayed, e)
		if len(replayed) > sch.eventsDue(now) {
			t.Fatalf("%s event %s came before the replay clock reached its recorded time (at %v of the recording, %d events due)", e.Channel, e.ID, now, sch.eventsDue(now))
		}
	}
	// take reads the output until the events due by now are all there.
	take := func() {
		t.Helper()
		for len(replayed) < sch.eventsDue(now) {
			select {
			case line, ok := <-lines:
				read(line, ok)
			case <-ctx.Done():
				t.Fatalf("%d events by %v of the recording, want %d", len(replayed), now, sch.eventsDue(now))
			}
		}
	}
	// armed waits until every channel with a frame to come has its
	// connection waiting on the replay clock (a timer armed after the
	// clock moved would fire late), reading the output meanwhile.
	armed := func() {
		t.Helper()
		want := idle
		for _, last := range sch.last {
			if last > now {
				want++
			}
		}
		for {
			changed := fake.Changed()
			if fake.Waiters() >= want {
				return
			}
			select {
			case <-changed:
			case line, ok := <-lines:
				read(line, ok)
			case <-ctx.Done():
				t.Fatalf("the replay has %d timers armed at %v of the recording, want %d", fake.Waiters(), now, want)
			}
		}
	}
	for _, at := range sch.times {
		take()
		armed()
		fake.Advance(at - now)
		now = at
	}
	take()
	for range lines { // the end summary
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("ssemon-tail did not end within %v; stderr:\n%s", runLimit, errb.String())
	}
	if err != nil {
		t.Fatalf("tail replay: %v: %s", err, errb.String())
	}

	for _, ch := range []string{"deploy", "metrics"} {
		want, got := byChannel(recorded, ch), byChannel(replayed, ch)
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("%s: replayed %d events, recorded %d", ch, len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID || got[i].Type != want[i].Type || got[i].Data != want[i].Data {
				t.Fatalf("%s event %d: replayed %+v, recorded %+v", ch, i, got[i], want[i])
			}
		}
	}
}

// schedule is when a replay sends a recording's frames: times since the
// recording's first entry.
type schedule struct {
	times  []time.Duration          // every frame's, ascending, once each
	events []time.Duration          // every event's, ascending
	last   map[string]time.Duration // per channel, its last frame's
}

// replaySchedule is the schedule of server/replay at speed 1: events,
// comments and retry fields, at their time since the first entry.
func replaySchedule(es []record.Entry) schedule {
	s := schedule{last: map[string]time.Duration{}}
	for _, e := range es {
		at := max(e.Time.Sub(es[0].Time), 0)
		switch e.Kind {
		case record.KindEvent:
			s.events = append(s.events, at)
		case record.KindComment, record.KindRetry:
		default:
			continue
		}
		s.times = append(s.times, at)
		s.last[e.Channel] = max(s.last[e.Channel], at)
	}
	slices.Sort(s.times)
	s.times = slices.Compact(s.times)
	slices.Sort(s.events)
	return s
}

// eventsDue counts the events due by at.
func (s schedule) eventsDue(at time.Duration) int {
	n, _ := slices.BinarySearch(s.events, at+1)
	return n
}

func readRecording(t *testing.T, path string) []record.Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := record.NewReader(f, record.ReaderConfig{})
	var es []record.Entry
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	if h, ok := r.Header(); !ok || h.Tool != "ssemon-tail" {
		t.Fatalf("no recording header: %+v", h)
	}
	if es[len(es)-1].Kind != record.KindEnd || es[len(es)-1].Reason != "max-events" {
		t.Fatalf("last entry %+v, want the end entry", es[len(es)-1])
	}
	return es
}

func byChannel(es []record.Entry, ch string) []record.Entry {
	var out []record.Entry
	for _, e := range es {
		if e.Channel == ch {
			out = append(out, e)
		}
	}
	return out
}

// TestCIRecipe runs the CI check of the README and docs/tail.md against
// real loopback servers that fail each way: it must exit non-zero with one
// line on stderr saying what happened, and 0 when the event came.
func TestCIRecipe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/s"
	ln.Close()
	hold := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	silent := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	// The seed's Next.js route: headers only with the first event.
	nextjs := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "id: 1\ndata: {\"progress\":1}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	serve := func(h http.HandlerFunc) string {
		hs := httptest.NewServer(h)
		t.Cleanup(hs.Close)
		return hs.URL + "/s"
	}
	cases := []struct {
		name   string
		url    string
		code   int
		stderr string
	}{
		{"refused", refused, 3, `^ssemon-tail: s: failed: connection refused\n$`},
		{"no response headers", serve(hold), 6, `^ssemon-tail: s: 0 of 1 event in [0-9.]+ (ms|s|min): connected to 127.0.0.1:[0-9]+, no response headers after [0-9.]+ (ms|s|min)\n$`},
		{"open but silent", serve(silent), 6, `^ssemon-tail: s: 0 of 1 event in [0-9.]+ (ms|s|min): open \(HTTP/1.1 200 OK\) but silent for [0-9.]+ (ms|s|min)\n$`},
		{"streaming", serve(nextjs), 0, `^ssemon-tail: 1 event · 28 B · 0 reconnects · 0 gaps · 0 duplicates · [0-9.]+ (ms|s|min)\n$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, "--no-reconnect", "--max-events", "1", "--timeout", "1s", c.url)
			if res.code != c.code || !regexp.MustCompile(c.stderr).MatchString(res.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d, stderr %q", res.code, res.stderr, c.code, c.stderr)
			}
		})
	}
}
