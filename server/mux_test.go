package server

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestMultiplexedStream(t *testing.T) {
	ts := newTestServer(t, Config{RingSize: 10})
	c := ts.dial(t, "/api/stream?channels=q,r", nil)
	if f := c.Next(t); f.Retry != "3000" {
		t.Fatalf("first frame %+v", f)
	}
	waitFor(t, "a subscriber of both", func() bool {
		_, _, _, nq := ts.byName["q"].state()
		_, _, _, nr := ts.byName["r"].state()
		return nq == 1 && nr == 1
	})
	// Ids: the event's channel first, then where every other one stands.
	ts.Burst("q", 2)
	for _, want := range []string{"q=1,r=0", "q=2,r=0"} {
		if f := c.NextEvent(t); f.ID != want || f.Event != "burst" {
			t.Fatalf("event %+v, want id %s", f, want)
		}
	}
	ts.Burst("r", 1)
	if f := c.NextEvent(t); f.ID != "r=1,q=2" {
		t.Fatalf("event %+v, want id r=1,q=2", f)
	}

	// Resume: each channel exactly after its own id; a channel missing
	// from the id starts live; one whose id is gone gets a lost notice.
	ts.Burst("q", 15) // q: 3..17, the history keeps 8..17
	ts.Burst("r", 1)  // r: 2
	c2 := ts.dial(t, "/api/stream?channels=q,r", map[string]string{"Last-Event-ID": "r=2,q=5"})
	c2.Next(t)
	f := c2.NextEvent(t)
	if f.Event != "lost" || f.ID != "q=7,r=2" || f.Data != `{"missed":2,"from":"5","oldest":"8"}` {
		t.Fatalf("lost %+v", f)
	}
	for i := 8; i <= 17; i++ {
		if f := c2.NextEvent(t); f.Event != "burst" || f.ID != "q="+strconv.Itoa(i)+",r=2" {
			t.Fatalf("replay %+v, want q=%d", f, i)
		}
	}
	ts.Burst("r", 1)
	if f := c2.NextEvent(t); f.ID != "r=3,q=17" {
		t.Fatalf("r's event %+v", f)
	}

	// An id ahead of a channel, or not a number: reset for that channel.
	c3 := ts.dial(t, "/api/stream?channels=r&lastEventId=r%3D99", nil)
	c3.Next(t)
	if f := c3.NextEvent(t); f.Event != "lost" || f.ID != "r=3" || f.Data != `{"missed":0,"reset":true,"from":"99","last":"3","reason":"ahead"}` {
		t.Fatalf("reset %+v", f)
	}

	// Every channel when the list is empty; unknown channels are a 404.
	c4 := ts.dial(t, "/api/stream", nil)
	c4.Next(t)
	ts.Burst("r", 1)
	if f := c4.NextEvent(t); f.ID != "r=4,q=17" {
		t.Fatalf("all channels: %+v", f)
	}
	if _, resp := ts.tryDial(t, "/api/stream?channels=q,nope", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown channel: %d", resp.StatusCode)
	}
}

func TestMultiplexedStallHoldsOneChannel(t *testing.T) {
	ts := newTestServer(t, Config{})
	c := ts.dial(t, "/api/stream?channels=q,r", nil)
	c.Next(t)
	waitFor(t, "the subscriber", func() bool { _, _, _, n := ts.byName["r"].state(); return n == 1 })
	ts.Stall("q", 10*time.Second)
	ts.clk.BlockUntil(2) // the heartbeat ticker and the stall timer
	ts.Burst("q", 3)
	ts.Burst("r", 1)
	if f := c.NextEvent(t); f.ID != "r=1,q=0" {
		t.Fatalf("while q is stalled: %+v, want r's event", f)
	}
	ts.clk.Advance(10 * time.Second)
	for i := 1; i <= 3; i++ {
		if f := c.NextEvent(t); f.ID != "q="+strconv.Itoa(i)+",r=1" {
			t.Fatalf("after the stall: %+v", f)
		}
	}
}
