package chaos

import (
	"strings"
	"testing"
	"time"
)

// TestPressure: a healthy subscriber keeps receiving, without gap or
// duplicate, while the server takes 10k abandoned connections, slow-loris
// clients and 1,000 simultaneous resumes; the server's memory stays
// bounded and every abandoned subscriber is released.
func TestPressure(t *testing.T) {
	d := startDemo(t, []ScenarioSpec{{Channel: "pulse", Scenario: "firehose", Rate: 100}},
		"--max-subscribers", "2000", "--ring", "1000", "--heartbeat", "1s")
	res, err := RunPressure(testCtx(t, 3*time.Minute), PressureConfig{Demo: d, Phase: 2 * time.Second, LorisHold: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Phases {
		t.Logf("%-45s %5d events p50 %-8v p99 %-8v max %-8v server RSS %s (%v) %s",
			p.Name, p.Events, p.P50, p.P99, p.Max, MiB(p.DemoRSS), p.Took.Round(time.Millisecond), p.Note)
		if p.Events == 0 {
			t.Errorf("%s: the healthy subscriber received nothing", p.Name)
		}
		// A generous bound: far below the 45 s stall timeout, on a loaded box.
		if p.P99 > 10*time.Second { // generous: the load runs in this process, under -race
			t.Errorf("%s: p99 latency %v", p.Name, p.P99)
		}
		if p.DemoRSS > 512<<20 {
			t.Errorf("%s: server RSS %s", p.Name, MiB(p.DemoRSS))
		}
	}
	if res.Gaps != 0 || res.Duplicates != 0 {
		t.Errorf("healthy subscriber: %d gaps, %d duplicates", res.Gaps, res.Duplicates)
	}
	if res.SubscribersAfter != 1 {
		t.Errorf("%d subscribers after the load, want the healthy one", res.SubscribersAfter)
	}
	if n := res.Phases[3].Note; !strings.HasPrefix(n, "1000 got all") {
		t.Errorf("resumes: %s", n)
	}
}
