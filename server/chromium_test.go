package server

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
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
	FirstID   *int   `json:"firstId"`
	State     string `json:"state"`
}

// browser opens a headless Chromium tab for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin := ssetest.RequireBinary(t, "chromium", "chromium", "chromium-browser", "google-chrome")
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
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second) // hang guard
	t.Cleanup(cancelTimeout)
	return ctx
}

// pageStatsAll returns window.ssemonStats.
func pageStatsAll(t *testing.T, ctx context.Context) map[string]pageStats {
	t.Helper()
	st, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]pageStats](`window.ssemonStats ? JSON.parse(JSON.stringify(window.ssemonStats, (k, v) => k === "source" || k === "render" ? undefined : v)) : {}`))
	if err != nil {
		t.Fatalf("read stats: %v", err)
	}
	return st
}

// waitPageAll polls the page until cond holds (bounded by what the page
// shows; the deadline is a hang guard).
func waitPageAll(t *testing.T, ctx context.Context, what string, cond func(map[string]pageStats) bool) map[string]pageStats {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		st := pageStatsAll(t, ctx)
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

// TestChromiumMultiplexed opens the page on the seven demo channels plus
// ten more in real Chromium: every channel opens on one multiplexed
// connection (which counts as a subscriber of each), a fault clicked on
// one card is seen on the page, a drop resumes every channel exactly, and
// so does a page reload.
func TestChromiumMultiplexed(t *testing.T) {
	scs := DefaultScenarios()
	for i := range 10 {
		scs = append(scs, Scenario{Channel: "extra" + strconv.Itoa(i), Kind: KindQuiet})
	}
	ts := newTestServer(t, Config{Scenarios: scs, Retry: 200 * time.Millisecond})
	ctx := browser(t)
	if _, err := chromedp.Run(ctx, chromedp.Navigate(ts.ts.URL+"/")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	waitPageAll(t, ctx, "17 open channels", func(m map[string]pageStats) bool {
		n := 0
		for _, s := range m {
			if s.State == "open" {
				n++
			}
		}
		return n == len(scs)
	})
	for _, sc := range scs {
		ch := ts.byName[sc.Channel]
		waitFor(t, sc.Channel+"'s subscriber", func() bool { _, _, _, n := ch.state(); return n == 1 })
	}
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, sc := range scs {
		if !strings.Contains(rec.Body.String(), `ssemon_demo_subscribers{channel="`+sc.Channel+`"} 1`) {
			t.Fatalf("/metrics does not count the page as a subscriber of %s", sc.Channel)
		}
	}

	// A fault from the page's own button, on one card, while every
	// channel streams: its answer and its events reach the page.
	start := time.Now()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('section[data-channel="extra3"] .faults button:nth-child(3)').click(), true`)); err != nil {
		t.Fatalf("click burst: %v", err)
	}
	waitPageAll(t, ctx, "the burst on extra3", func(m map[string]pageStats) bool { return m["extra3"].Events == 100 })
	t.Logf("burst clicked on extra3 seen on the page after %v", time.Since(start).Round(time.Millisecond))
	var msg string
	for time.Since(start) < 30*time.Second && !strings.Contains(msg, "burst on extra3") {
		var err error
		if msg, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("msg").textContent`)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(msg, "burst on extra3") {
		t.Fatalf("fault answer on the page: %q", msg)
	}

	// A drop cuts the one connection: every channel resumes exactly.
	ts.Burst("extra0", 30)
	waitPageAll(t, ctx, "30 events on extra0", func(m map[string]pageStats) bool { return m["extra0"].Events == 30 })
	if n := ts.Drop("extra0"); n != 1 {
		t.Fatalf("dropped %d connections", n)
	}
	ts.Burst("extra0", 20)
	ts.Burst("extra1", 7)
	st := waitPageAll(t, ctx, "the resume", func(m map[string]pageStats) bool {
		return m["extra0"].Opens >= 2 && m["extra0"].Events >= 50 && m["extra1"].Events >= 7
	})
	for _, name := range []string{"extra0", "extra1", "extra3"} {
		if s := st[name]; s.Gaps != 0 || s.Dups != 0 || s.Lost != 0 {
			t.Fatalf("%s after the drop: %+v", name, s)
		}
	}
	if s := st["extra0"]; s.Events != 50 || *s.LastID != 50 {
		t.Fatalf("extra0 after the drop: %+v, want 50 events, last id 50", s)
	}

	// A reload resumes from the last id the page saw: what was published
	// meanwhile arrives, once.
	if _, err := chromedp.Run(ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	ts.Burst("extra0", 20)
	waitPageAll(t, ctx, "the reloaded page", func(m map[string]pageStats) bool {
		return m["extra0"].State == "open" && m["extra0"].Events >= 20
	})
	ts.Burst("extra0", 5)
	st = waitPageAll(t, ctx, "25 events after the reload", func(m map[string]pageStats) bool { return m["extra0"].Events >= 25 })
	if s := st["extra0"]; s.Events != 25 || s.FirstID == nil || *s.FirstID != 51 || *s.LastID != 75 || s.Gaps != 0 || s.Dups != 0 || s.Lost != 0 {
		t.Fatalf("extra0 after the reload: %+v, want ids 51..75 once", s)
	}
	if s := st["extra3"]; s.Events != 0 || s.Gaps != 0 || s.Dups != 0 {
		t.Fatalf("extra3 after the reload: %+v, want nothing again", s)
	}
}

// TestChromiumPage opens the page in headless Chromium, sees events arrive
// through the browser's EventSource, drops the connection, and checks that
// Chromium reconnected with Last-Event-ID: every event seen once, no gap,
// no duplicate.
func TestChromiumPage(t *testing.T) {
	ts := newTestServer(t, Config{Retry: 200 * time.Millisecond})
	ctx := browser(t)

	if _, err := chromedp.Run(ctx, chromedp.Navigate(ts.ts.URL+"/?channels=q")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	waitPage := func(what string, cond func(pageStats) bool) pageStats {
		t.Helper()
		return waitPageAll(t, ctx, what, func(m map[string]pageStats) bool { return cond(m["q"]) })["q"]
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
