package relay

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestRedisRestart(t *testing.T) {
	rs := startRedis(t)
	cfg := quick(rs)
	cfg.Heartbeat = 50 * time.Millisecond
	tr := newTestRelay(t, cfg)
	var ids []ID
	for i := range 3 {
		ids = append(ids, tr.publish(t, "job", "", fmt.Sprint(i)))
	}
	c := tr.dial(t, "/api/stream/job", map[string]string{"Last-Event-ID": ids[0].String()})
	expectIDs(t, c, ids[1:]...)
	health := func() (int, string) {
		var h struct{ Status, Redis string }
		st := getJSON(t, tr.tr, tr.ts.URL+"/healthz", &h)
		return st, h.Status
	}
	if st, s := health(); st != http.StatusOK || s != "ok" {
		t.Fatalf("healthz %d %s", st, s)
	}

	rs.Stop()
	waitFor(t, "healthz degraded", func() bool { st, s := health(); return st == http.StatusOK && s == "degraded" })
	// Subscribers stay connected, with heartbeats.
	for beats := 0; beats < 3; {
		f := c.Next(t)
		if f.HasData {
			t.Fatalf("event while Redis is down: %+v", f)
		}
		if len(f.Comments) == 1 && f.Comments[0] == "heartbeat" {
			beats++
		}
	}
	// A client arriving meanwhile is served too, and resumes later.
	late := tr.dial(t, "/api/stream/job", map[string]string{"Last-Event-ID": ids[1].String()})

	rs.Start()
	// Publish at once, before the reader has reconnected: nothing is
	// missed, it is in Redis.
	rdb := rs.Client(t)
	for i := range 3 {
		s, err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: "job", Values: []any{"data", fmt.Sprint("after ", i)}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		id, _ := ParseID(s)
		ids = append(ids, id)
	}
	expectIDs(t, c, ids[3:]...)
	expectIDs(t, late, ids[2:]...)
	c.NoEvent(t, 100*time.Millisecond)
	waitFor(t, "healthz ok", func() bool { st, s := health(); return st == http.StatusOK && s == "ok" })
}
