package relay

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/server/internal/ssetest"
)

// TestSlowSubscriberCatchesUpFromRedis stops reading while far more than
// the cache is published: once it reads again it gets every entry, in
// order, the older ones read back from Redis.
func TestSlowSubscriberCatchesUpFromRedis(t *testing.T) {
	rs := startRedis(t)
	cfg := quick(rs)
	cfg.CacheSize = 5
	cfg.Batch = 16
	tr := newTestRelay(t, cfg)
	tr.publish(t, "slow", "", "start")

	conn, err := ssetest.DialStuck(tr.ts.URL + "/api/stream/slow")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The response headers, then no more reading: the connection has its
	// position once they are out, so it gets every entry published next.
	conn.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/stream/slow: %s", resp.Status)
	}
	waitFor(t, "subscriber", func() bool { return tr.subscribers("slow") == 1 })

	// 300 entries of 32 KiB: far more than the socket buffers and the cache.
	var ids []ID
	payload := strings.Repeat("x", 32<<10)
	for i := range 300 {
		ids = append(ids, tr.publish(t, "slow", "", fmt.Sprintf("%d %s", i, payload)))
	}

	conn.SetReadDeadline(time.Now().Add(wait))
	c := ssetest.NewReader(resp.Body)
	c.Resp = resp
	defer func() { conn.Close(); <-c.End }()
	expectIDs(t, c, ids...)
	tr.mu.Lock()
	fromRedis := tr.channels["slow"].stats.fromRedis.Load()
	tr.mu.Unlock()
	if fromRedis == 0 {
		t.Fatal("nothing was read back from Redis: the test did not make the subscriber lag")
	}
	t.Logf("%d of %d entries read back from Redis", fromRedis, len(ids))
}
