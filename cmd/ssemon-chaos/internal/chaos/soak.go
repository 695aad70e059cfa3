package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client"
)

// SoakScenarios returns n demo channels cycling through every scenario
// kind (deploy, exports, metrics, logs, quiet, firehose at 100 events/s,
// flaky with its default drops, stalls and retry changes).
func SoakScenarios(n int) []ScenarioSpec {
	kinds := []ScenarioSpec{
		{Scenario: "flaky"},
		{Scenario: "deploy", Interval: "200ms"},
		{Scenario: "exports", Interval: "300ms"},
		{Scenario: "metrics", Interval: "250ms"},
		{Scenario: "logs", Interval: "100ms"},
		{Scenario: "quiet"},
		{Scenario: "firehose", Rate: 100},
	}
	out := make([]ScenarioSpec, n)
	for i := range out {
		out[i] = kinds[i%len(kinds)]
		out[i].Channel = fmt.Sprintf("%s-%03d", out[i].Scenario, i)
	}
	return out
}

// SoakConfig configures RunSoak. Zero fields take the default written next
// to them.
type SoakConfig struct {
	// Demo serves Channels (SoakScenarios).
	Demo *Demo
	// Channels are the demo channels to watch, one monitor channel each.
	Channels []ScenarioSpec
	// Duration is the length of the soak. Default 2 min.
	Duration time.Duration
	// Sample is the sampling interval. Default 10 s.
	Sample time.Duration
	// RingSize is the monitor's log size per channel, small enough for
	// the logs to fill early. Default 200.
	RingSize int
	// Logger receives the monitor's logs. Default: discard.
	Logger *slog.Logger
}

// SoakSample is one sample of the soak.
type SoakSample struct {
	// At is the time since the start.
	At time.Duration
	// RSS is the monitor process's resident set; DemoRSS the server's.
	RSS, DemoRSS int64
	// Heap is the monitor's in-use heap.
	Heap int64
	// Goroutines is the monitor's goroutine count.
	Goroutines int
	// Events, Reconnects, Records and Evicted are totals over the
	// channels.
	Events, Reconnects, Evicted uint64
	// Records is the number of log records held.
	Records int
}

// SoakResult is the outcome of RunSoak.
type SoakResult struct {
	// Samples are taken every Sample, the first at the start.
	Samples []SoakSample
	// Channels is the number of channels watched.
	Channels int
	// Gaps, Missed and Duplicates sum the channels' counters: all zero
	// when every server could replay.
	Gaps, Missed, Duplicates uint64
	// Stalls counts the monitor's stall-watchdog drops.
	Stalls uint64
	// Flaky counts the flaky channels (each reconnects now and then).
	Flaky int
	// Bad lists channels with a gap or duplicate, or failed or closed at
	// the end.
	Bad []string
	// FilledAt is when the log of every channel but the quiet and flaky
	// ones was full (0: never).
	FilledAt time.Duration
}

// Growth returns how much RSS and goroutines moved between the first
// sample at or after from and the last sample: the RSS increase, and the
// goroutine count's range over those samples.
func (r SoakResult) Growth(from time.Duration) (rss int64, goroutines int, ok bool) {
	var first *SoakSample
	lo, hi := 0, 0
	for i := range r.Samples {
		s := &r.Samples[i]
		if s.At < from {
			continue
		}
		if first == nil {
			first, lo, hi = s, s.Goroutines, s.Goroutines
		}
		lo, hi = min(lo, s.Goroutines), max(hi, s.Goroutines)
	}
	if first == nil {
		return 0, 0, false
	}
	last := r.Samples[len(r.Samples)-1]
	return last.RSS - first.RSS, hi - lo, true
}

// RunSoak watches every channel of the demo for Duration, sampling memory
// and goroutines, then checks the channels' gap and duplicate counters.
func RunSoak(ctx context.Context, cfg SoakConfig) (SoakResult, error) {
	var res SoakResult
	if cfg.Demo == nil || len(cfg.Channels) == 0 {
		return res, errors.New("chaos: SoakConfig needs Demo and Channels")
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 2 * time.Minute
	}
	if cfg.Sample <= 0 {
		cfg.Sample = 10 * time.Second
	}
	if cfg.RingSize <= 0 {
		cfg.RingSize = 200
	}
	m := client.NewManager(client.ManagerConfig{Logger: cfg.Logger, Defaults: client.ChannelConfig{RingSize: cfg.RingSize}})
	defer m.Close()
	for _, sc := range cfg.Channels {
		if _, err := m.Add(client.ChannelConfig{Name: sc.Channel, URL: cfg.Demo.StreamURL(sc.Channel)}); err != nil {
			return res, err
		}
	}
	res.Channels = len(cfg.Channels)
	for _, sc := range cfg.Channels {
		if sc.Scenario == "flaky" {
			res.Flaky++
		}
	}
	start := time.Now()
	var snaps []client.Snapshot
	sample := func() {
		snaps = m.Snapshots(snaps)
		s := SoakSample{At: time.Since(start), Goroutines: runtime.NumGoroutine()}
		s.RSS, _ = RSS(0)
		s.DemoRSS, _ = RSS(cfg.Demo.PID())
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.Heap = int64(ms.HeapInuse)
		full := true
		for _, sn := range snaps {
			s.Events += sn.Stats.Events
			s.Reconnects += sn.Stats.Reconnects
			s.Evicted += sn.Stats.Evicted
			s.Records += sn.Len
			if sn.Stats.Evicted == 0 && !slow(sn.Name) {
				full = false
			}
		}
		if full && res.FilledAt == 0 {
			res.FilledAt = s.At
		}
		res.Samples = append(res.Samples, s)
	}
	sample()
	tick := time.NewTicker(cfg.Sample)
	defer tick.Stop()
	end := time.NewTimer(cfg.Duration)
	defer end.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-end.C:
			break loop
		case <-tick.C:
			sample()
		}
	}
	sample()
	for _, sn := range m.Snapshots(nil) {
		res.Gaps += sn.Stats.Gaps
		res.Missed += sn.Stats.Missed
		res.Duplicates += sn.Stats.Duplicates
		res.Stalls += sn.Stats.Stalls
		if sn.Stats.Gaps > 0 || sn.Stats.Duplicates > 0 {
			res.Bad = append(res.Bad, fmt.Sprintf("%s: %d gaps (%d missed), %d duplicates", sn.Name, sn.Stats.Gaps, sn.Stats.Missed, sn.Stats.Duplicates))
		}
		if st := sn.Status.State; st == client.Failed || st == client.Closed {
			res.Bad = append(res.Bad, fmt.Sprintf("%s: %v (%s)", sn.Name, st, sn.Status.Detail))
		}
	}
	return res, nil
}

// slow reports whether a SoakScenarios channel is too slow to fill its log
// in a short soak: quiet (heartbeats only) and flaky (one event a second).
func slow(name string) bool {
	return strings.HasPrefix(name, "quiet") || strings.HasPrefix(name, "flaky")
}
