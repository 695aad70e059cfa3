package chaos

import (
	"testing"
	"time"
)

// TestFirehoseExactlyOnceThroughCuts: 1,000 events/s, 50 forced
// disconnects, ten in every manner; the engine and ssemon-tail --json each
// get every published id exactly once. The long form (make chaos) cuts 100
// times.
func TestFirehoseExactlyOnceThroughCuts(t *testing.T) {
	d := startDemo(t, []ScenarioSpec{{Channel: "firehose", Scenario: "firehose", Rate: 1000}},
		"--retry", "100ms", "--ring", "100000", "--heartbeat", "1s")
	const cuts = 50
	res, err := RunFirehose(testCtx(t, 5*time.Minute), FirehoseConfig{Demo: d, Cuts: cuts})
	if err != nil {
		t.Fatal(err)
	}
	// Counted at the proxy: every cut cut at least one live connection.
	// (Which client each cut reaches depends on timing: a client may be
	// reconnecting when a cut lands.)
	if res.Cuts != cuts || res.CutConns < res.Cuts {
		t.Errorf("%d cuts cut %d connections, want %d cuts of at least one connection each", res.Cuts, res.CutConns, cuts)
	}
	for _, c := range res.Clients {
		t.Logf("%s: ids 1..%d, %d missing %v, %d duplicated, %d lost notices, %d connections", c.Client, c.Checked, c.Missing, c.FirstMissing, c.Duplicated, c.LostNotices, c.Opens)
		if c.Checked < 1000 {
			t.Errorf("%s: only %d ids checked", c.Client, c.Checked)
		}
		if c.Opens < 2 {
			t.Errorf("%s: never reconnected", c.Client)
		}
	}
	if !res.OK() {
		t.Error("an id was lost or duplicated")
	}
	t.Logf("took %v", res.Duration)
}
