package soak

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ssemon/ssemon/cmd/internal/testbin"

	"github.com/ssemon/ssemon/cmd/ssemon-chaos/internal/chaos"
)

var demoBin string

func TestMain(m *testing.M) {
	testbin.Main(m, testbin.Binary{Package: "github.com/ssemon/ssemon/cmd/ssemon-demo", Path: &demoBin})
}

// soakDuration is 20 s (the long form is make chaos: 30 minutes);
// SSEMON_SOAK_DURATION overrides it (a Go duration).
func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("SSEMON_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SSEMON_SOAK_DURATION: %v", err)
		}
		return d
	}
	return 20 * time.Second
}

// TestSoak: 100 channels, flaky ones included, for 20 s: no gap and no
// duplicate on any channel (every server here can replay), RSS and
// goroutines flat once the logs are full. A short soak runs the flaky
// channels' faults faster and keeps smaller logs, so that every flaky
// channel drops and every busy log fills and evicts within it.
func TestSoak(t *testing.T) {
	dur := soakDuration(t)
	ctx, cancel := context.WithTimeout(context.Background(), dur+2*time.Minute)
	defer cancel()
	channels := chaos.SoakScenarios(100)
	ring := 0 // the default
	if dur < 10*time.Minute {
		ring = 50 // the slowest busy channel (300 ms) fills it in 15 s
		for i := range channels {
			if channels[i].Scenario == "flaky" {
				channels[i].DropEvery = (dur / 4).String()
				channels[i].StallEvery = (dur / 3).String()
				channels[i].StallFor = "1s"
				channels[i].RetryEvery = (dur / 5).String()
			}
		}
	}
	d, err := chaos.StartDemo(ctx, chaos.DemoConfig{Bin: demoBin, Scenarios: channels, Dir: t.TempDir(), Stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	sample := 10 * time.Second
	if dur < time.Minute {
		sample = dur / 10
	}
	res, err := chaos.RunSoak(ctx, chaos.SoakConfig{Demo: d, Channels: channels, Duration: dur, Sample: sample, RingSize: ring})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Samples {
		t.Logf("%6v rss %s demo %s heap %s goroutines %d events %d reconnects %d records %d evicted %d",
			s.At.Round(time.Second), chaos.MiB(s.RSS), chaos.MiB(s.DemoRSS), chaos.MiB(s.Heap), s.Goroutines, s.Events, s.Reconnects, s.Records, s.Evicted)
	}
	t.Logf("logs full after %v; gaps %d, missed %d, duplicates %d, stalls %d", res.FilledAt, res.Gaps, res.Missed, res.Duplicates, res.Stalls)
	for _, b := range res.Bad {
		t.Error(b)
	}
	last := res.Samples[len(res.Samples)-1]
	if last.Reconnects == 0 {
		t.Error("no reconnection: the flaky channels did not drop")
	}
	// Flat after the logs filled (or after the first third).
	from := max(res.FilledAt, dur/3)
	rss, gr, ok := res.Growth(from)
	if !ok {
		t.Fatal("no sample after the logs filled")
	}
	t.Logf("from %v: RSS %+d KiB, goroutines range %d", from.Round(time.Second), rss>>10, gr)
	if rss > 48<<20 {
		t.Errorf("RSS grew %s after the logs filled", chaos.MiB(rss))
	}
	// Each connection holds a few goroutines; flaky channels reconnect,
	// all at the same moment.
	if gr > 4*res.Flaky+20 {
		t.Errorf("goroutine count moved by %d after the logs filled", gr)
	}
}
