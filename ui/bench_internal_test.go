package ui

import (
	"strconv"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ssemon/ssemon/client"
)

// BenchmarkBridge_10kEventsPerSecond100Channels measures what the bridge
// and the widgets spend to absorb 10 000 events/s spread over 100 channels,
// the whole window built (dashboard, notifications) at 1920×1080 so that 30
// tiles are visible: one iteration is one 25 ms tick carrying 250 events
// (2–3 per channel). Feeding the engine is excluded, and so is the real
// driver's painting (see the Xvfb figures in docs/BENCHMARKS.md).
// Reported: ns/event, and allocs/op = allocations per tick.
func BenchmarkBridge_10kEventsPerSecond100Channels(b *testing.B) {
	benchApp(b, false)
}

// BenchmarkBridge_10kEventsPerSecondWithDetail is the same load with the
// detail view open on one of the channels: its log list follows the stream.
func BenchmarkBridge_10kEventsPerSecondWithDetail(b *testing.B) {
	benchApp(b, true)
}

func benchApp(b *testing.B, detail bool) {
	const channels, perTick = 100, 250
	x, clk := newTestApp(b, Options{NoWorkspace: true})
	x.win.Resize(fyne.NewSize(1920, 1080))
	chans := make([]*client.Channel, channels)
	ids := make([]int, channels)
	for i := range chans {
		chans[i] = pausedChannel(b, x, "ch"+strconv.Itoa(i))
	}
	x.bridge.Tick()
	if detail {
		x.openDetail(x.dash.views[chans[0]])
	}
	const payload = `{"progress":42.5,"message":"processing batch 17 of 40"}`
	frames := make([]client.Frame, 1000)
	for i := range frames {
		frames[i] = event(i+1, "progress", payload)
	}
	feed := func() {
		for i := range perTick {
			c := i % channels
			ids[c]++
			f := frames[ids[c]%len(frames)]
			f.Event.ID = "" // keep ids out of the gap detector's way
			chans[c].HandleFrame(f, clk.Now())
		}
	}
	feed()
	x.bridge.Tick()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		clk.Advance(25 * time.Millisecond)
		feed()
		b.StartTimer()
		x.bridge.Tick()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perTick), "ns/event")
	if got := len(x.dash.bound); got < 30 {
		b.Fatalf("only %d tiles visible, want at least 30", got)
	}
	if detail && x.detail.log.Len() == 0 {
		b.Fatal("the detail view shows no records")
	}
}
