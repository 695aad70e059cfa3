package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ssemon/ssemon/server/internal/ssetest"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	// go-redis redials in the background once a pool's dials failed
	// PoolSize times in a row (Redis stopped); that goroutine sleeps a
	// second between attempts and ends at its next attempt after Close.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// wait is the generous deadline for anything a test waits for.
const wait = 20 * time.Second

// redisServer is a real redis-server child on a loopback port, with its
// files in a temporary directory. With aof it keeps an append-only file,
// written through at every command, so a restart keeps the streams.
type redisServer struct {
	t      testing.TB
	bin    string
	dir    string
	port   int
	aof    bool
	URL    string
	cmd    *exec.Cmd
	exited chan error
}

// startRedis starts a redis-server that keeps an append-only file.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	return launchRedis(t, true)
}

// launchRedis starts a redis-server, stopped when the test ends; without
// aof it keeps nothing on disk (for measurements).
func launchRedis(t testing.TB, aof bool) *redisServer {
	t.Helper()
	rs := &redisServer{t: t, bin: ssetest.RequireBinary(t, "redis-server", "redis-server"), dir: t.TempDir(), port: ssetest.FreePort(t), aof: aof}
	rs.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", rs.port)
	rs.start()
	t.Cleanup(rs.stop)
	return rs
}

func (rs *redisServer) start() {
	t := rs.t
	t.Helper()
	aof := "no"
	if rs.aof {
		aof = "yes"
	}
	cmd := exec.Command(rs.bin,
		"--port", fmt.Sprint(rs.port), "--bind", "127.0.0.1", "--dir", rs.dir,
		"--save", "", "--appendonly", aof, "--appendfsync", "always",
		"--daemonize", "no", "--logfile", filepath.Join(rs.dir, "redis.log"), "--databases", "4")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rs.cmd = cmd
	rs.exited = make(chan error, 1)
	go func() { rs.exited <- cmd.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", rs.port)
	deadline := time.Now().Add(wait)
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		select {
		case err := <-rs.exited:
			log, _ := os.ReadFile(filepath.Join(rs.dir, "redis.log"))
			t.Fatalf("redis-server exited: %v\n%s", err, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not answer PING: %v", err)
		}
	}
}

// stop ends the server (SIGTERM, SIGKILL after a while); a no-op once
// stopped.
func (rs *redisServer) stop() {
	if rs.cmd == nil {
		return
	}
	_ = rs.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-rs.exited:
	case <-time.After(10 * time.Second):
		_ = rs.cmd.Process.Kill()
		<-rs.exited
	}
	rs.cmd = nil
}

// client returns a plain go-redis client of the server.
func (rs *redisServer) client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", rs.port), Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// testRelay is a Relay behind an httptest.Server.
type testRelay struct {
	*Relay
	ts *httptest.Server
	tr *http.Transport
}

func newTestRelay(t testing.TB, cfg Config) *testRelay {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts, tr := ssetest.Serve(t, r.Handler(), r.Close)
	return &testRelay{Relay: r, ts: ts, tr: tr}
}

// publish publishes through a Publisher of the relay and returns the id.
func (tr *testRelay) publish(t testing.TB, ch, typ, data string) ID {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	id, err := tr.Publish(ctx, ch, typ, []byte(data))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return id
}

// frame and sseConn are the independent wire reader of package ssetest.
type (
	frame   = ssetest.Frame
	sseConn = ssetest.Conn
)

// tryDial connects and, for a 200, starts reading frames.
func tryDial(t testing.TB, rt http.RoundTripper, url string, hdr map[string]string) (*sseConn, *http.Response) {
	t.Helper()
	return ssetest.Dial(t, rt, url, hdr)
}

func (tr *testRelay) dial(t testing.TB, path string, hdr map[string]string) *sseConn {
	t.Helper()
	return ssetest.DialOK(t, tr.tr, tr.ts.URL+path, hdr)
}

// expectIDs reads the next events and checks their ids, in order.
func expectIDs(t testing.TB, c *sseConn, ids ...ID) {
	t.Helper()
	for i, id := range ids {
		f := c.NextEvent(t)
		if f.ID != id.String() {
			t.Fatalf("event %d: id %q type %q data %q, want id %s", i, f.ID, f.Event, f.Data, id)
		}
	}
}

// waitFor polls cond (it must be cheap) until it holds or the deadline
// passes; used for state that has no event to wait on.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ssetest.WaitFor(t, wait, 2*time.Millisecond, what, cond)
}

func isCleanEnd(err error) bool { return errors.Is(err, io.EOF) }

// subscribers returns the number of subscribers of channel name.
func (r *Relay) subscribers(name string) int64 {
	r.mu.Lock()
	ch := r.channels[name]
	r.mu.Unlock()
	if ch == nil {
		return 0
	}
	return ch.k.Subscribers.Load()
}

// readerAt returns the reader's position on channel name.
func (r *Relay) readerAt(name string) ID {
	r.mu.Lock()
	ch := r.channels[name]
	r.mu.Unlock()
	if ch == nil {
		return ID{}
	}
	last, _, _ := ch.position()
	return last
}
