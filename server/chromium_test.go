package server

import (
	"context"
	"testing"
	"time"

	"github.com/ssemon/ssemon/server/internal/ssetest"

	"github.com/chromedp/chromedp"
)

// pageStats is what the page's window.ssemonStats holds for one channel.
type pageStats struct {
	Events    int    `json:"events"`
	Gaps      int    `json:"gaps"`
	Dups      int    `json:"dups"`
	Lost      int    `json:"lost"`
	Opens     int    `json:"opens"`
	Errors    int    `json:"errors"`
	Malformed int    `json:"malformed"`
	LastID    *int   `json:"lastId"`
	State     string `json:"state"`
}

// TestChromiumPage opens the page in headless Chromium, sees events arrive
// through the browser's EventSource, drops the connection, and checks that
// Chromium reconnected with Last-Event-ID: every event seen once, no gap,
// no duplicate.
func TestChromiumPage(t *testing.T) {
	bin := ssetest.RequireBinary(t, "chromium", "chromium", "chromium-browser", "google-chrome")
	ts := newTestServer(t, Config{Retry: 200 * time.Millisecond})

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	if _, err := chromedp.Run(ctx, chromedp.Navigate(ts.ts.URL+"/?channels=q")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	stats := func() pageStats {
		t.Helper()
		st, err := chromedp.Run(ctx, chromedp.Evaluate[pageStats](`window.ssemonStats && window.ssemonStats.q ? JSON.parse(JSON.stringify(window.ssemonStats.q, (k, v) => k === "source" || k === "render" ? undefined : v)) : {}`))
		if err != nil {
			t.Fatalf("read stats: %v", err)
		}
		return st
	}
	waitPage := func(what string, cond func(pageStats) bool) pageStats {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			st := stats()
			if cond(st) {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("page never showed %s: %+v", what, st)
			}
			select {
			case <-time.After(20 * time.Millisecond):
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			}
		}
	}
	waitPage("an open stream", func(s pageStats) bool { return s.State == "open" })
	waitFor(t, "the browser's subscriber", func() bool { _, _, _, n := ts.byName["q"].state(); return n == 1 })

	ts.Burst("q", 30)
	waitPage("30 events", func(s pageStats) bool { return s.Events == 30 })

	// Drop the browser's connection and publish while it is away.
	if n := ts.Drop("q"); n != 1 {
		t.Fatalf("dropped %d connections", n)
	}
	ts.Burst("q", 20)
	st := waitPage("reconnect and 50 events", func(s pageStats) bool { return s.Opens >= 2 && s.Events >= 50 })
	ts.Burst("q", 5)
	st = waitPage("55 events", func(s pageStats) bool { return s.Events >= 55 })

	if st.Events != 55 || st.Gaps != 0 || st.Dups != 0 || st.Lost != 0 || st.LastID == nil || *st.LastID != 55 {
		t.Fatalf("page saw %+v, want 55 events, no gap, no duplicate, last id 55", st)
	}
	if got := ts.byName["q"].stats.replayed.Load(); got != 20 {
		t.Fatalf("server replayed %d events on the reconnect, want the 20 missed (Last-Event-ID: 30)", got)
	}
	t.Logf("Chromium: %+v", st)
}
