package alert_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/alert"
	"github.com/ssemon/ssemon/client/clock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness drives a Watch of one rule with a fake clock.
type harness struct {
	t   *testing.T
	clk *clock.Fake
	w   *alert.Watch
}

func newHarness(t *testing.T, rule string, cooldown time.Duration) *harness {
	t.Helper()
	r, err := alert.Parse(rule)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	return &harness{t: t, clk: clk, w: alert.NewWatch(alert.Config{Channel: "metrics", Rules: []alert.Rule{r}, Start: t0, Cooldown: cooldown})}
}

func (h *harness) advance(d time.Duration) {
	h.clk.Advance(d)
	h.w.Tick(h.clk.Now())
}
func (h *harness) event(typ, data string) { h.w.Event(h.clk.Now(), typ, data) }
func (h *harness) state(s client.State) {
	h.w.Status(client.Status{State: s, Since: h.clk.Now()})
}

// expect checks the transitions since the last call, written as
// "fire@30s" / "recover@45s" (offsets from t0).
func (h *harness) expect(want ...string) {
	h.t.Helper()
	var got []string
	for _, tr := range h.w.Take(nil) {
		word := "recover"
		if tr.Firing {
			word = "fire"
		}
		got = append(got, fmt.Sprintf("%s@%s", word, tr.At.Sub(t0)))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		h.t.Errorf("at %s: transitions %v, want %v", h.clk.Now().Sub(t0), got, want)
	}
}

func TestValueRule(t *testing.T) {
	h := newHarness(t, "cpu > 90 for 30s", 0)
	h.event("", `{"cpu":95}`)
	h.advance(29 * time.Second)
	h.expect()
	h.event("", `{"mem":1}`) // no cpu: the last value stands
	h.advance(time.Second)
	h.expect("fire@30s")
	h.event("", `{"cpu":"97"}`)
	h.expect()
	h.advance(5 * time.Second)
	h.event("", `{"cpu":80}`)
	h.expect("recover@35s")
	// A dip resets the duration.
	h.event("", `{"cpu":91}`)
	h.advance(20 * time.Second)
	h.event("", `{"cpu":50}`)
	h.advance(time.Second)
	h.event("", `{"cpu":99}`)
	h.advance(29 * time.Second)
	h.expect()
	h.advance(time.Second)
	h.expect("fire@1m26s")
}

func TestValueRuleAtOnceAndLateTick(t *testing.T) {
	h := newHarness(t, "queue >= 100", 0)
	h.event("", `{"queue":99}`)
	h.expect()
	h.event("", `{"queue":100}`)
	h.expect("fire@0s")
	st := h.w.States()
	if !st[0].Firing || st[0].Value != 100 {
		t.Errorf("States = %+v", st)
	}

	// A late tick fires at the moment the duration was reached.
	h = newHarness(t, "queue < 5 for 10s", 0)
	h.event("", `{"queue":1}`)
	h.advance(time.Minute)
	h.expect("fire@10s")
	tr := h.w.History(nil)
	if len(tr) != 1 || !tr[0].HasValue || tr[0].Value != 1 || !strings.Contains(tr[0].Text(), "queue < 5 for 10s firing: 1") {
		t.Errorf("history = %+v (%s)", tr, tr[0].Text())
	}
}

func TestStuckRule(t *testing.T) {
	h := newHarness(t, "progress stuck 60s", 0)
	h.state(client.Open)
	h.advance(2 * time.Minute) // no progress known: a channel without progress is not stuck
	h.expect()
	h.w.Progress(h.clk.Now(), 10)
	h.advance(30 * time.Second)
	h.w.Progress(h.clk.Now(), 10) // the same value: not a move
	h.advance(30 * time.Second)
	h.expect("fire@3m0s")
	h.w.Progress(h.clk.Now(), 11)
	h.expect("recover@3m0s")
	// Not open: not stuck (the state rules tell that).
	h.advance(10 * time.Second)
	h.state(client.Retrying)
	h.advance(5 * time.Minute)
	h.expect()
	h.state(client.Open) // the minute counts from the reopening
	h.advance(59 * time.Second)
	h.expect()
	h.advance(time.Second)
	h.expect("fire@9m10s")
	h.w.Progress(h.clk.Now(), 100)
	h.advance(5 * time.Minute)
	h.expect("recover@9m10s") // done is not stuck
}

func TestSilentRules(t *testing.T) {
	h := newHarness(t, "silent 30s", 0)
	h.state(client.Open)
	h.advance(20 * time.Second)
	h.w.Comment(h.clk.Now()) // a heartbeat is a sign of life
	h.advance(29 * time.Second)
	h.expect()
	h.advance(time.Second)
	h.expect("fire@50s")
	h.event("tick", "x")
	h.expect()
	h.advance(0)
	h.expect("recover@50s")
	// Paused on purpose: not silent.
	h.state(client.Paused)
	h.advance(time.Hour)
	h.expect()
	h.state(client.Connecting)
	h.advance(30 * time.Second)
	h.expect("fire@1h1m20s")

	n := newHarness(t, "no events 30s", 0)
	n.state(client.Open)
	for range 5 {
		n.advance(10 * time.Second)
		n.w.Comment(n.clk.Now()) // heartbeats do not count
	}
	n.expect("fire@30s")
	n.event("", "{}")
	n.advance(0)
	n.expect("recover@50s")
}

func TestStateRule(t *testing.T) {
	h := newHarness(t, "state retrying for 30s", 0)
	h.state(client.Open)
	h.advance(time.Second)
	h.state(client.Retrying)
	h.advance(3 * time.Second)
	h.state(client.Connecting) // the attempt between waits keeps the episode
	h.advance(time.Second)
	h.state(client.Retrying)
	h.advance(25 * time.Second)
	h.expect()
	h.advance(time.Second)
	h.expect("fire@31s")
	h.state(client.Open)
	h.expect("recover@31s")

	f := newHarness(t, "state failed|stalled", 0)
	f.state(client.Stalled)
	f.expect("fire@0s")
	f.advance(time.Second)
	f.state(client.Connecting) // a stalled episode goes on through the attempt
	f.state(client.Open)
	f.expect("recover@1s")
}

func TestTypeRule(t *testing.T) {
	h := newHarness(t, "type error", 0)
	h.event("message", `{}`)
	h.expect()
	h.advance(5 * time.Second)
	h.event("error", `{"msg":"disk full"}`)
	h.expect("fire@5s")
	h.advance(50 * time.Second)
	h.event("error", `{}`) // another one holds it
	h.advance(59 * time.Second)
	h.expect()
	h.advance(10 * time.Second)
	h.expect("recover@1m55s")
}

func TestCooldownLimitsNotices(t *testing.T) {
	h := newHarness(t, "cpu > 90", time.Minute)
	var notices []string
	take := func() {
		for _, tr := range h.w.Take(nil) {
			if tr.Notify {
				notices = append(notices, tr.Text())
			}
		}
	}
	for range 5 { // flapping every 10 s
		h.event("", `{"cpu":95}`)
		h.advance(5 * time.Second)
		h.event("", `{"cpu":50}`)
		h.advance(5 * time.Second)
	}
	take()
	h.advance(15 * time.Second)
	h.event("", `{"cpu":99}`) // 65 s after the first notice
	take()
	want := []string{"cpu > 90 firing: 95", "cpu > 90 recovered after 5s: 50", "cpu > 90 firing: 99 (4 more since the last notice)"}
	if strings.Join(notices, "|") != strings.Join(want, "|") {
		t.Errorf("notices:\n %q\nwant\n %q", notices, want)
	}
	// The history has every transition.
	if n := len(h.w.History(nil)); n != 11 {
		t.Errorf("history has %d transitions, want 11", n)
	}
}

func TestHistoryAndPendingAreBounded(t *testing.T) {
	r, _ := alert.Parse("cpu > 90")
	w := alert.NewWatch(alert.Config{Rules: []alert.Rule{r}, History: 4, Cooldown: -1})
	at := t0
	for i := range 2 * alert.MaxPending {
		v := 95
		if i%2 == 1 {
			v = 10
		}
		w.Event(at, "", fmt.Sprintf(`{"cpu":%d}`, v))
		at = at.Add(time.Second)
	}
	h := w.History(nil)
	if len(h) != 4 || !h[3].At.Equal(at.Add(-time.Second)) || h[0].At.After(h[1].At) {
		t.Errorf("history = %+v, want the newest 4, oldest first", h)
	}
	if got := len(w.Take(nil)); got != alert.MaxPending || w.Dropped() != alert.MaxPending {
		t.Errorf("pending %d, dropped %d; want %d each", got, w.Dropped(), alert.MaxPending)
	}
	if w.Firing() != 0 {
		t.Errorf("Firing = %d after a recovery", w.Firing())
	}
}

func TestRecordAndSnapshotFeed(t *testing.T) {
	rs := []alert.Rule{}
	for _, s := range []string{"type done", "silent 10s", "progress stuck 10s"} {
		r, _ := alert.Parse(s)
		rs = append(rs, r)
	}
	w := alert.NewWatch(alert.Config{Rules: rs, Start: t0})
	w.Record(&client.Record{Kind: client.RecordEvent, Type: "done", At: t0.Add(time.Second)})
	w.Record(&client.Record{Kind: client.RecordComment, At: t0.Add(5 * time.Second)})
	snap := client.Snapshot{Status: client.Status{State: client.Open, Since: t0}, Progress: client.Progress{Known: true, Percent: 40, At: t0.Add(2 * time.Second)}}
	w.Snapshot(&snap)
	w.Tick(t0.Add(12 * time.Second))
	var got []string
	for _, tr := range w.Take(nil) {
		got = append(got, fmt.Sprintf("%s@%s", tr.Rule, tr.At.Sub(t0)))
	}
	want := "type done@1s progress stuck 10s@12s"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q (the heartbeat at 5 s keeps silent quiet)", strings.Join(got, " "), want)
	}
}
