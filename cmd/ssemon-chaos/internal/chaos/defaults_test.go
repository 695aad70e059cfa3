package chaos

import (
	"testing"
	"time"
)

// TestDefaultsEveryIDOnceThroughEachFault is the short form of the
// defaults run (make chaos makes 100 faults of each kind against the
// server's defaults): one cut, one stall and one slow drip between
// ssemon-tail and the firehose at 1,000 events/s; the tail gets every id
// exactly once and reconnects after the cut.
func TestDefaultsEveryIDOnceThroughEachFault(t *testing.T) {
	d := startDemo(t, []ScenarioSpec{{Channel: "firehose", Scenario: "firehose", Rate: 1000}}, "--retry", "100ms")
	res, err := RunDefaults(testCtx(t, 2*time.Minute), DefaultsConfig{
		Demo: d, Faults: 1, EventsBetween: 200,
		Stalls: []time.Duration{300 * time.Millisecond}, Drips: []time.Duration{300 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Tail
	t.Logf("ids 1..%d, %d missing %v, %d duplicated, %d lost notices, %d connections, took %v", c.Checked, c.Missing, c.FirstMissing, c.Duplicated, c.LostNotices, c.Opens, res.Duration)
	if res.Cuts != 1 || res.Stalls != 1 || res.Drips != 1 || res.CutConns < 1 {
		t.Errorf("faults: %d cuts (%d connections), %d stalls, %d drips; want one of each", res.Cuts, res.CutConns, res.Stalls, res.Drips)
	}
	if c.Opens < 2 {
		t.Errorf("%d connections: the cut did not make the tail reconnect", c.Opens)
	}
	if c.Checked < 600 || !res.OK() {
		t.Errorf("want every id of at least 600 exactly once, without a lost notice")
	}
}
