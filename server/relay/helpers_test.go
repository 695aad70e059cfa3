package relay

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/ssemon/ssemon/server/relay/redistest"

	"github.com/ssemon/ssemon/server/internal/ssetest"

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

// redisServer is a real redis-server child (package redistest).
type redisServer = redistest.Server

// startRedis starts a redis-server that keeps an append-only file.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	return redistest.Start(t)
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
