package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/server/internal/hub"
	"github.com/ssemon/ssemon/server/internal/ssetest"

	"github.com/ssemon/ssemon/client/clock"
)

// playScenario runs sc's generator for steps ticks on a detached channel
// and returns what it published, one "type data" line per event.
func playScenario(t *testing.T, sc Scenario, seed uint64, steps int) []string {
	t.Helper()
	s, err := New(Config{Scenarios: []Scenario{{Channel: "idle", Kind: KindQuiet}}, Clock: clock.NewFake(epoch), RingSize: MaxRingSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	sc, err = sc.withDefaults("test")
	if err != nil {
		t.Fatal(err)
	}
	ch := newChannel(s, sc)
	g := newGen(s, ch, seed)
	st := newStepper(sc, epoch)
	for i := 1; i <= steps; i++ {
		st.step(g, epoch.Add(time.Duration(i)*sc.Interval))
	}
	var out []string
	ch.log.Each(hub.Key{}, MaxRingSize, func(_ hub.Key, frame []byte) bool {
		typ, data := frameFields(string(frame))
		out = append(out, typ+" "+data)
		return true
	})
	if len(out) != int(ch.last) {
		t.Fatalf("%d events kept of %d", len(out), ch.last)
	}
	return out
}

// frameFields returns the event type and data of one encoded frame.
func frameFields(frame string) (typ, data string) {
	var lines []string
	for l := range strings.SplitSeq(strings.TrimSuffix(frame, "\n\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "event: "):
			typ = l[len("event: "):]
		case strings.HasPrefix(l, "data: "):
			lines = append(lines, l[len("data: "):])
		}
	}
	return typ, strings.Join(lines, "\n")
}

func TestScenariosDeterministic(t *testing.T) {
	for _, sc := range DefaultScenarios() {
		if sc.Kind == KindQuiet {
			continue
		}
		t.Run(sc.Kind, func(t *testing.T) {
			a := playScenario(t, sc, 7, 300)
			b := playScenario(t, sc, 7, 300)
			if len(a) == 0 {
				t.Fatal("no events")
			}
			if strings.Join(a, "\n") != strings.Join(b, "\n") {
				t.Fatal("same seed, different events")
			}
			if sc.Kind == KindFirehose || sc.Kind == KindFlaky {
				return // no randomness in these
			}
			if c := playScenario(t, sc, 8, 300); strings.Join(a, "\n") == strings.Join(c, "\n") {
				t.Fatal("different seeds, same events")
			}
		})
	}
}

// decode parses one "type data" line.
func decode(t *testing.T, line string) (string, map[string]any) {
	t.Helper()
	typ, data, _ := strings.Cut(line, " ")
	var m map[string]any
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		t.Fatalf("%s: data %q: %v", typ, data, err)
	}
	return typ, m
}

func TestScenarioDeploy(t *testing.T) {
	events := playScenario(t, Scenario{Channel: "deploy", Kind: KindDeploy}, 1, 2000)
	runs, results := 0, map[string]int{}
	lastProgress := -1
	stage := ""
	for _, e := range events {
		typ, m := decode(t, e)
		switch typ {
		case "status_update":
			// The seed's shape, plus our fields.
			if m["channel"] != "deploy" || m["timestamp"] == nil {
				t.Fatalf("status_update %v", m)
			}
			p := int(m["progress"].(float64))
			if p < lastProgress || p > 100 {
				t.Fatalf("progress %d after %d", p, lastProgress)
			}
			lastProgress = p
			if m["stage"] != stage {
				t.Fatalf("status_update for stage %v while %q runs", m["stage"], stage)
			}
		case "stage":
			if m["status"] == "started" {
				stage = m["stage"].(string)
			}
		case "done":
			results[m["result"].(string)]++
			lastProgress, stage = -1, ""
			runs++
		}
	}
	if runs < 5 || results["success"] == 0 || results["failure"] == 0 {
		t.Fatalf("%d runs, results %v", runs, results)
	}
}

func TestScenarioExports(t *testing.T) {
	events := playScenario(t, Scenario{Channel: "exports", Kind: KindExports, Jobs: 3}, 1, 1000)
	active := map[string]bool{}
	ended := map[string]int{}
	for _, e := range events {
		typ, m := decode(t, e)
		job, _ := m["job"].(string)
		switch typ {
		case "job_started":
			active[job] = true
			if len(active) > 3 {
				t.Fatalf("%d jobs at once", len(active))
			}
		case "status_update":
			if !active[job] || m["progress"] == nil || m["channel"] != "exports" {
				t.Fatalf("status_update %v", m)
			}
		case "job_done", "job_failed":
			delete(active, job)
			ended[typ]++
		default:
			t.Fatalf("unexpected type %s", typ)
		}
	}
	if ended["job_done"] == 0 || ended["job_failed"] == 0 {
		t.Fatalf("ended %v", ended)
	}
}

func TestScenarioMetricsLogsFlaky(t *testing.T) {
	for _, e := range playScenario(t, Scenario{Channel: "m", Kind: KindMetrics}, 1, 100) {
		typ, m := decode(t, e)
		if typ != "metrics" || m["cpu"] == nil || m["memory_mb"] == nil || m["requests_per_s"] == nil {
			t.Fatalf("metrics event %s", e)
		}
	}
	levels := map[string]int{}
	for _, e := range playScenario(t, Scenario{Channel: "l", Kind: KindLogs}, 1, 500) {
		if !strings.HasPrefix(e, " ") { // no event type: "message"
			t.Fatalf("log line with a type: %q", e)
		}
		f := strings.Fields(e)
		levels[f[1]]++
	}
	for _, l := range []string{"DEBUG", "INFO", "WARN", "ERROR"} {
		if levels[l] == 0 {
			t.Errorf("no %s lines: %v", l, levels)
		}
	}
	for i, e := range playScenario(t, Scenario{Channel: "f", Kind: KindFlaky}, 1, 42) {
		_, m := decode(t, e)
		if int(m["progress"].(float64)) != (i%21)*5 {
			t.Fatalf("event %d: %v", i, m)
		}
	}
}

func TestScenarioFirehoseRate(t *testing.T) {
	for _, rate := range []int{1, 999, 20000} {
		t.Run(strconv.Itoa(rate), func(t *testing.T) {
			// 100 ticks of 10 ms: exactly one second's worth.
			events := playScenario(t, Scenario{Channel: "f", Kind: KindFirehose, Rate: rate}, 1, 100)
			if len(events) != rate {
				t.Fatalf("%d events in one second at %d/s", len(events), rate)
			}
			for i, e := range events {
				_, m := decode(t, e)
				if int(m["seq"].(float64)) != i+1 {
					t.Fatalf("event %d: %s", i, e)
				}
			}
		})
	}
}

func TestScenariosRunOnTheClock(t *testing.T) {
	clk := clock.NewFake(epoch)
	sc := DefaultScenarios()
	for i := range sc {
		if sc[i].Kind == KindFlaky {
			sc[i].DropEvery, sc[i].StallEvery, sc[i].RetryEvery = 3*time.Second, -1, 2*time.Second
		}
	}
	ts := newTestServer(t, Config{Scenarios: sc, Clock: clk, Heartbeat: -1})
	// deploy, exports, metrics, logs, firehose: 1 ticker each; flaky: 3.
	clk.BlockUntil(8)
	c := ts.dial(t, "/api/stream/flaky", nil)
	c.Next(t)
	for range 20 {
		clk.Advance(100 * time.Millisecond)
	}
	for _, ch := range ts.channels {
		if ch.sc.Kind != KindQuiet {
			waitFor(t, ch.info.Name+" to publish", func() bool { last, _, _, _ := ch.state(); return last > 0 })
		}
	}
	// The flaky channel changes retry at 2 s…
	for {
		if f := c.NextEvent(t); f.Event == "retry" {
			if f.Retry != "1000" {
				t.Fatalf("retry event %+v", f)
			}
			break
		}
	}
	// … and drops its connection at 3 s.
	for range 10 {
		clk.Advance(100 * time.Millisecond)
	}
	if _, err := c.ExpectEnd(t); isCleanEnd(err) {
		t.Errorf("flaky drop ended the stream cleanly")
	}
	if last, _, _, _ := ts.byName["quiet"].state(); last != 0 {
		t.Errorf("quiet published %d events", last)
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	s, err := New(Config{Scenarios: quietScenarios(), Clock: clock.NewFake(epoch)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	base := "http://" + ln.Addr().String()
	req, _ := http.NewRequest("GET", base+"/api/stream/q", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	c := ssetest.NewReader(resp.Body)
	defer resp.Body.Close()
	c.Next(t)
	s.Burst("q", 1)
	readIDs(t, c, 1, 1)

	cancel()
	rest, err := c.ExpectEnd(t)
	if !isCleanEnd(err) || len(rest) != 1 || rest[0].Comments[0] != "server shutting down" {
		t.Fatalf("end %v after %+v", err, rest)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Serve did not return")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("listener still open")
	}
	if err := s.Serve(context.Background(), ln); err == nil {
		t.Error("Serve on a closed listener succeeded")
	}
	_ = s.Close()
	if err := s.Serve(context.Background(), ln); err != ErrClosed {
		t.Errorf("Serve after Close: %v", err)
	}
}

func TestPublishSendsEmptyDataAsIs(t *testing.T) {
	ts := newTestServer(t, Config{})
	c := ts.dial(t, "/api/stream/q", nil)
	c.Next(t)
	ts.byName["q"].publish(message{typ: "x"}, message{data: []byte("a\nb")})
	if f := c.NextEvent(t); f.Data != "" || f.Event != "x" || f.ID != "1" {
		t.Fatalf("empty data published as %+v", f)
	}
	if f := c.NextEvent(t); f.Data != "a\nb" || f.ID != "2" {
		t.Fatalf("multi-line data: %+v", f)
	}
}

func TestScenarioPayloadsHaveAMessage(t *testing.T) {
	for _, sc := range DefaultScenarios() {
		if sc.Kind == KindQuiet || sc.Kind == KindLogs {
			continue // logs are plain text lines
		}
		t.Run(sc.Kind, func(t *testing.T) {
			for _, e := range playScenario(t, sc, 3, 400) {
				_, m := decode(t, e)
				if msg, _ := m["message"].(string); msg == "" {
					t.Fatalf("no message in %s", e)
				}
			}
		})
	}
	for _, e := range playScenario(t, Scenario{Channel: "m", Kind: KindMetrics}, 1, 1) {
		_, m := decode(t, e)
		if msg := m["message"].(string); !strings.HasPrefix(msg, "cpu ") || !strings.Contains(msg, "req/s") {
			t.Fatalf("metrics message %q", msg)
		}
	}
}
