package chaos

import (
	"testing"
	"time"
)

// TestFaults: each fault between monitor and server shows the right state
// within the configured stall and retry settings, and recovers to open;
// the stream stays exactly-once through all of them; a server restart
// that lost its ring is shown as lost history.
func TestFaults(t *testing.T) {
	d := startDemo(t, []ScenarioSpec{{Channel: "firehose", Scenario: "firehose", Rate: 1000}},
		"--retry", "100ms", "--ring", "100000", "--heartbeat", "500ms")
	res, err := RunFaults(testCtx(t, 5*time.Minute), FaultsConfig{Demo: d})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Faults) != 6 {
		t.Fatalf("%d faults ran, want 6", len(res.Faults))
	}
	for _, f := range res.Faults {
		t.Run(f.Fault, func(t *testing.T) {
			t.Logf("%v %q after %v; open %v after recovery (%s); %s", f.Shown, f.Err, f.ToState, f.ToOpen, f.Bound, f.Note)
			if f.Problem != "" {
				t.Fatal(f.Problem)
			}
		})
	}
	c := res.IDs
	t.Logf("ids 1..%d: %d missing %v, %d duplicated", c.Checked, c.Missing, c.FirstMissing, c.Duplicated)
	if c.Checked == 0 || c.Missing != 0 || c.Duplicated != 0 {
		t.Error("events lost or duplicated through the faults")
	}
}
