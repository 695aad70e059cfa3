package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// The seed's Next.js route (app/api/stream/[channel]/route.ts), its
// framing written again in Go: pushEvent increments the counter (which
// starts at Last-Event-ID, or 0) and enqueues
//
//	`id: ${eventCounter}\n` + `event: ${type}\n` + `data: ${JSON.stringify(payload)}\n\n`
//
// with these headers.
var seedHeaders = map[string]string{
	"Content-Type":      "text/event-stream",
	"Cache-Control":     "no-cache, no-transform, must-revalidate",
	"Connection":        "keep-alive",
	"X-Accel-Buffering": "no",
}

func seedPushEvent(counter *int, typ string, payload []byte) string {
	*counter++
	return fmt.Sprintf("id: %d\n", *counter) + fmt.Sprintf("event: %s\n", typ) + fmt.Sprintf("data: %s\n\n", payload)
}

// TestSeedFraming compares, byte for byte, what the demo server writes on
// /api/stream/{channel} with what the seed's route writes for the same
// events: the same headers, the same frames (after the demo's retry:
// line, which the seed does not send), on a first connection and on a
// resume with Last-Event-ID.
func TestSeedFraming(t *testing.T) {
	ts := newTestServer(t, Config{Heartbeat: -1})
	payloads := [][]byte{
		[]byte(`{"channel":"q","timestamp":1764100000000,"progress":5}`),
		[]byte(`{"channel":"q","timestamp":1764100002000,"progress":10}`),
		[]byte(`{"channel":"q","timestamp":1764100004000,"progress":15}`),
	}
	read := func(lastEventID string, n int) (*http.Response, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.ts.URL+"/api/stream/q", nil)
		if lastEventID != "" {
			req.Header.Set("Last-Event-ID", lastEventID)
		}
		resp, err := ts.tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		pre := make([]byte, len("retry: 3000\n\n"))
		if _, err := io.ReadFull(resp.Body, pre); err != nil || string(pre) != "retry: 3000\n\n" {
			t.Fatalf("preamble %q %v", pre, err)
		}
		if lastEventID == "" {
			for _, p := range payloads {
				if _, err := ts.Publish("q", "status_update", p); err != nil {
					t.Fatal(err)
				}
			}
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			t.Fatalf("read %q: %v", b, err)
		}
		return resp, string(b)
	}

	counter := 0
	want := ""
	for _, p := range payloads {
		want += seedPushEvent(&counter, "status_update", p)
	}
	resp, got := read("", len(want))
	if got != want {
		t.Fatalf("frames differ from the seed's:\n got %q\nwant %q", got, want)
	}
	for k, v := range seedHeaders {
		if resp.Header.Get(k) != v {
			t.Errorf("%s: %q, seed %q", k, resp.Header.Get(k), v)
		}
	}

	// A resume: the seed's counter starts at Last-Event-ID; the demo
	// sends what follows it, with the same bytes.
	counter = 1
	want = seedPushEvent(&counter, "status_update", payloads[1]) + seedPushEvent(&counter, "status_update", payloads[2])
	if _, got := read("1", len(want)); got != want {
		t.Fatalf("resumed frames differ from the seed's:\n got %q\nwant %q", got, want)
	}
}
