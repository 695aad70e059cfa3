package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ssemon/ssemon/server/internal/ssetest"

	"github.com/redis/go-redis/v9"

	"github.com/ssemon/ssemon/client"
)

// relayProc is a relay in a child process (the test binary in child
// mode), on a fixed loopback port.
type relayProc struct {
	t      *testing.T
	source string
	port   int
	log    string
	child  *ssetest.Child
}

func startRelayProc(t *testing.T, source string, port int) *relayProc {
	p := &relayProc{t: t, source: source, port: port, log: filepath.Join(t.TempDir(), "relay.log")}
	p.start()
	t.Cleanup(func() {
		if p.child != nil {
			p.child.Stop(syscall.SIGTERM, 10*time.Second, syscall.SIGKILL)
		}
	})
	return p
}

func (p *relayProc) start() {
	t := p.t
	t.Helper()
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "SSEMON_RELAY_SOURCE="+p.source,
		fmt.Sprintf("SSEMON_RELAY_LISTEN=127.0.0.1:%d", p.port))
	cmd.Stdout, cmd.Stderr = logf, logf
	p.child = ssetest.StartChild(t, cmd, "relay", p.log, 10*time.Millisecond, func() error {
		if p.subscribers() < 0 {
			return errors.New("no answer on /healthz")
		}
		return nil
	})
}

// kill sends SIGKILL and waits for the process to end.
func (p *relayProc) kill() {
	p.child.Stop(syscall.SIGKILL, 10*time.Second, syscall.SIGKILL)
	p.child = nil
}

// subscribers asks the relay's /healthz for its subscriber count; -1 when
// it does not answer.
func (p *relayProc) subscribers() int {
	c := http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", p.port))
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var h struct{ Subscribers int }
	if json.NewDecoder(resp.Body).Decode(&h) != nil {
		return -1
	}
	return h.Subscribers
}

// collector is a client.Handler keeping the ids of the events received.
type collector struct {
	mu     sync.Mutex
	ids    []string
	opens  int
	notify chan struct{}
}

func (c *collector) HandleFrame(f client.Frame, _ time.Time) {
	if f.Kind != client.FrameEvent {
		return
	}
	c.mu.Lock()
	c.ids = append(c.ids, f.Event.ID)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *collector) HandleStatus(s client.Status) {
	if s.State == client.Open {
		c.mu.Lock()
		c.opens++
		c.mu.Unlock()
	}
}

func (c *collector) count() (events, opens int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids), c.opens
}

// TestNginxTwoRelaysKill runs the SSE engine through nginx in front of two
// relay processes and SIGKILLs the relay serving it, again and again,
// while a job publishes: every published id must arrive exactly once, in
// order.
func TestNginxTwoRelaysKill(t *testing.T) {
	const kills = 10
	rs := startRedis(t)
	relays := []*relayProc{startRelayProc(t, rs.URL, ssetest.FreePort(t)), startRelayProc(t, rs.URL, ssetest.FreePort(t))}
	nginx := ssetest.RequireBinary(t, "nginx-light", "nginx")
	base := ssetest.StartNginx(t, nginx, []string{
		fmt.Sprintf("127.0.0.1:%d", relays[0].port), fmt.Sprintf("127.0.0.1:%d", relays[1].port),
	}, "")

	// No retries: a command retried after a timeout could add an entry
	// twice and record one id.
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", rs.Port), Protocol: 2, DisableIdentity: true,
		MaxRetries: -1, ReadTimeout: wait, WriteTimeout: wait})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "kill", Values: []any{"data", "start"}}).Err(); err != nil {
		t.Fatal(err)
	}

	col := &collector{notify: make(chan struct{}, 1)}
	st, err := client.NewStream(client.StreamConfig{URL: base + "/api/stream/kill", MaxBackoff: 500 * time.Millisecond}, col)
	if err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- st.Run(sctx) }()
	t.Cleanup(func() {
		scancel()
		<-runDone
	})
	serving := func() *relayProc {
		for _, p := range relays {
			if p.subscribers() == 1 {
				return p
			}
		}
		return nil
	}
	waitFor(t, "the client connected through nginx", func() bool { return serving() != nil })

	// The job: one entry every 2 ms until stopped.
	var (
		pubMu     sync.Mutex
		published []string
	)
	pctx, pcancel := context.WithCancel(ctx)
	pubDone := make(chan error, 1)
	go func() {
		defer close(pubDone)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-pctx.Done():
				return
			case <-tick.C:
			}
			id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "kill", Values: []any{"event", "step", "data", fmt.Sprintf(`{"n":%d}`, n)}}).Result()
			if err != nil {
				pubDone <- err
				return
			}
			pubMu.Lock()
			published = append(published, id)
			pubMu.Unlock()
		}
	}()
	defer pcancel()

	for i := range kills {
		// Let some events through, then kill the relay serving the client.
		n0, _ := col.count()
		waitFor(t, "events flowing", func() bool { n, _ := col.count(); return n >= n0+20 })
		victim := serving()
		if victim == nil {
			t.Fatalf("kill %d: no relay serving the client", i)
		}
		_, opens := col.count()
		victim.kill()
		// The client reconnects through nginx to the other relay, with
		// Last-Event-ID.
		waitFor(t, "the client reconnected", func() bool {
			_, o := col.count()
			return o > opens && serving() != nil
		})
		victim.start()
	}
	pcancel()
	if err := <-pubDone; err != nil {
		t.Fatal(err)
	}
	pubMu.Lock()
	want := published
	pubMu.Unlock()
	last := want[len(want)-1]
	waitFor(t, "the last id", func() bool {
		col.mu.Lock()
		defer col.mu.Unlock()
		return len(col.ids) > 0 && col.ids[len(col.ids)-1] == last
	})
	col.mu.Lock()
	got := append([]string(nil), col.ids...)
	col.mu.Unlock()
	seen := make(map[string]int, len(got))
	for _, id := range got {
		seen[id]++
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("id %s received %d times", id, seen[id])
		}
		delete(seen, id)
	}
	for id, n := range seen {
		t.Errorf("id %s received %d times, never published", id, n)
	}
	if len(got) != len(want) {
		t.Fatalf("received %d events, published %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d: id %s, want %s (order)", i, got[i], want[i])
		}
	}
	_, opens := col.count()
	t.Logf("%d events published and received exactly once, in order, over %d kills (%d connections)", len(want), kills, opens)
}
