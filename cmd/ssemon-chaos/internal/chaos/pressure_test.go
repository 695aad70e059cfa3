package chaos

import (
	"strings"
	"testing"
	"time"
)

// TestPressure: a healthy subscriber keeps receiving, without gap or
// duplicate, while the server takes 3,000 abandoned connections (more
// than it admits at once: they must be released), slow-loris clients and
// 500 simultaneous resumes from 200 events back; the server's memory
// stays bounded and every abandoned subscriber is released. The long form
// (make chaos) abandons 10,000 and resumes 1,000 from 900 back.
func TestPressure(t *testing.T) {
	d := startDemo(t, []ScenarioSpec{{Channel: "pulse", Scenario: "firehose", Rate: 100}},
		"--max-subscribers", "2000", "--ring", "1000", "--heartbeat", "1s")
	res, err := RunPressure(testCtx(t, 5*time.Minute), PressureConfig{Demo: d, Phase: 2 * time.Second, LorisHold: 2 * time.Second,
		Abandon: 3000, Resumes: 500, ResumeBack: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Phases {
		t.Logf("%-45s %5d events p50 %-8v p99 %-8v max %-8v server RSS %s (%v) %s",
			p.Name, p.Events, p.P50, p.P99, p.Max, MiB(p.DemoRSS), p.Took.Round(time.Millisecond), p.Note)
		if p.Events == 0 {
			t.Errorf("%s: the healthy subscriber received nothing", p.Name)
		}
		if p.DemoRSS > 512<<20 {
			t.Errorf("%s: server RSS %s", p.Name, MiB(p.DemoRSS))
		}
	}
	// Latency is reported, not bounded (a loaded machine would miss any
	// fixed bound): the healthy subscriber's connection was never dropped,
	// by its stall watchdog or by the server, whatever the load did.
	if res.Reconnects != 0 {
		t.Errorf("the healthy subscriber reconnected %d times under the load", res.Reconnects)
	}
	if res.Gaps != 0 || res.Duplicates != 0 {
		t.Errorf("healthy subscriber: %d gaps, %d duplicates", res.Gaps, res.Duplicates)
	}
	if res.SubscribersAfter != 1 {
		t.Errorf("%d subscribers after the load, want the healthy one", res.SubscribersAfter)
	}
	if n := res.Phases[3].Note; !strings.HasPrefix(n, "500 got all 200 events") {
		t.Errorf("resumes: %s", n)
	}
}
