package ui

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
)

// troubledChannel adds a recording of a channel that stalled, reconnected
// resuming from id 5, got id 5 again, missed ids 7 and 8, then got an id
// that cannot serve to resume; it waits until every record is in.
func troubledChannel(t *testing.T, x *App) *client.Channel {
	t.Helper()
	at := func(ms int) time.Time { return testEpoch.Add(time.Duration(ms) * time.Millisecond) }
	ev := func(id string) client.Frame {
		return client.Frame{Kind: client.FrameEvent, Event: client.Event{ID: id, Type: "tick", Data: "n" + id}, Size: 12}
	}
	ch, err := x.mgr.AddOffline(client.ChannelConfig{Name: "troubled", URL: "http://127.0.0.1:9/troubled"}, func(_ context.Context, h client.Handler) error {
		h.HandleStatus(client.Status{State: client.Connecting, Since: at(0)})
		h.HandleStatus(client.Status{State: client.Open, Since: at(100), Detail: "HTTP/1.1 200 OK"})
		for i := 1; i <= 5; i++ {
			h.HandleFrame(ev(strconv.Itoa(i)), at(1000*i))
		}
		h.HandleStatus(client.Status{State: client.Stalled, Since: at(50_000), Detail: "no data for 45 s"})
		h.HandleStatus(client.Status{State: client.Retrying, Since: at(50_001)})
		h.HandleStatus(client.Status{State: client.Connecting, Since: at(51_000)})
		h.HandleStatus(client.Status{State: client.Open, Since: at(51_100), Detail: "HTTP/1.1 200 OK", LastEventID: "5"})
		for i, id := range []string{"5", "6", "9", "NaN"} {
			h.HandleFrame(ev(id), at(52_000+1000*i))
		}
		h.HandleFrame(client.Frame{Kind: client.FrameOversized, Event: client.Event{ID: "NaN", Type: "tick", Data: "[1,2,"},
			Oversized: client.Oversized{Bytes: 20 << 20, Cap: 16 << 20}, Size: 20 << 20}, at(57_000))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for ch.Len() < 14 { // 3 states, 9 events, 1 stall (connecting is not logged), 1 oversized
		select {
		case <-ch.Changed():
		case <-deadline:
			t.Fatalf("the recording has %d records", ch.Len())
		}
	}
	return ch
}

// troubledDetail opens the detail view of troubledChannel.
func troubledDetail(t *testing.T) *detailView {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	ch := troubledChannel(t, x)
	x.bridge.Tick()
	x.openDetail(x.dash.views[ch])
	return x.detail
}

func TestDetail_AnomaliesCounterFiltersAndJumps(t *testing.T) {
	d := troubledDetail(t)
	if got := d.anom.counter.Text; got != "4 anomalies" {
		t.Fatalf("counter says %q, want 4 anomalies (a duplicate, a gap, an invalid id, an oversized event)", got)
	}
	all := d.list.Length()
	// The counter's box does not change width with its count.
	var widths []float32
	for _, n := range []uint64{4, 0, 1234, 4} {
		d.setAnomalyCount(n)
		widths = append(widths, d.anom.box.MinSize().Width)
	}
	if widths[0] != widths[1] || widths[0] != widths[2] {
		t.Errorf("the counter's widths for 4, 0, 1234 anomalies: %v", widths)
	}

	// The counter shows only the anomalies and selects the newest.
	test.Tap(d.anom.counter)
	if d.types.Selected != anomaliesFilter || d.list.Length() != 4 {
		t.Fatalf("after tapping the counter: filter %q, %d rows; want the 4 anomalies", d.types.Selected, d.list.Length())
	}
	want := []string{"5", "9", "NaN", "NaN"} // duplicate, gap, invalid id, oversized
	for i, id := range want {
		if r := d.log.At(i); r.ID != id || !isAnomaly(&r) {
			t.Errorf("row %d: id %q (anomaly %v), want %q", i, r.ID, isAnomaly(&r), id)
		}
	}
	if d.selRec.Kind != client.RecordOversized || d.autoscroll {
		t.Fatalf("selected %+v (autoscroll %v), want the newest anomaly and no autoscroll", d.selRec, d.autoscroll)
	}
	if !strings.Contains(d.kindLb.Text, "oversized: event of 20 MiB skipped (cap 16 MiB)") {
		t.Errorf("inspector title %q does not say what is wrong", d.kindLb.Text)
	}
	test.Tap(d.anom.prev)
	if !strings.Contains(d.kindLb.Text, `invalid id "NaN": looks like a JavaScript bug`) {
		t.Errorf("inspector title %q does not say what is wrong", d.kindLb.Text)
	}

	// Back to every record, the selection kept: previous/next walk the
	// anomalies in context, and stop at the oldest.
	test.Tap(d.anom.counter)
	if d.types.Selected != allTypes || d.list.Length() != all {
		t.Fatalf("tapping the counter again: filter %q, %d rows, want all %d", d.types.Selected, d.list.Length(), all)
	}
	var walked []string
	for range 3 {
		test.Tap(d.anom.prev)
		walked = append(walked, d.selRec.ID)
	}
	test.Tap(d.anom.next)
	walked = append(walked, d.selRec.ID)
	if got := strings.Join(walked, ","); got != "9,5,5,9" {
		t.Errorf("from the invalid id, previous ×3 and next: %s, want 9,5,5,9", got)
	}
	if !strings.Contains(d.kindLb.Text, "gap: 2 events missing (6 → 9)") {
		t.Errorf("inspector title %q", d.kindLb.Text)
	}
	if !strings.Contains(d.stats.Text, "gaps 1 (missed 2) dups 1 bad ids 1") {
		t.Errorf("stats say %q", d.stats.Text)
	}
}

func TestDetail_TimelineShowsAttemptsStallsGapsDuplicates(t *testing.T) {
	d := troubledDetail(t)
	tl := d.timeline

	if len(tl.attempts) != 2 || tl.attempts[0].Number != 1 || tl.attempts[1].Number != 2 ||
		!tl.attempts[1].Start.Equal(testEpoch.Add(51*time.Second)) || !tl.attempts[0].End.Equal(testEpoch.Add(50*time.Second)) {
		t.Fatalf("attempts = %+v, want #1 0–50 s and #2 from 51 s", tl.attempts)
	}
	kinds := map[TimelineMarkKind]TimelineMark{}
	for _, m := range tl.allMarks() {
		kinds[m.Kind] = m
	}
	for _, k := range []TimelineMarkKind{MarkStall, MarkGap, MarkDuplicate, MarkInvalidID, MarkOversized} {
		if _, ok := kinds[k]; !ok {
			t.Errorf("no %s mark on the timeline (marks %+v)", k, tl.allMarks())
		}
	}
	// The reconnect is in the log, with the id it resumed from.
	found := false
	for i := 0; i < d.log.Len(); i++ {
		if r := d.log.At(i); isOpen(&r) && r.ID == "5" {
			if mark, _ := recordMark(&r); mark != "resumed" {
				t.Errorf("reconnect row marked %q", mark)
			}
			found = true
		}
	}
	if !found {
		t.Error("the log has no reconnect row carrying Last-Event-ID 5")
	}

	// Tapping the gap's mark selects its record in the log, even when the
	// filter hid it.
	d.types.SetSelected("tick")
	d.search.SetText("n5")
	tl.Resize(fyne.NewSize(600, tl.MinSize().Height))
	gap := kinds[MarkGap]
	g := tl.geometry()
	test.TapAt(tl, fyne.NewPos(tl.frac(gap.At)*600, g.markY+2))
	if d.selRec.ID != "9" || d.types.Selected != allTypes || d.search.Text != "" {
		t.Fatalf("tapping the gap's mark selected %q (filter %q, search %q)", d.selRec.ID, d.types.Selected, d.search.Text)
	}
}

func TestAnomalyTotal_CountsWireFormatToo(t *testing.T) {
	st := client.Stats{Gaps: 2, Duplicates: 1, InvalidIDs: 1, Oversized: 3,
		Framing: client.FramingCounts{LoneCR: 4, Unknown: 1}}
	if got := anomalyTotal(&st); got != 12 {
		t.Fatalf("anomalyTotal = %d, want 12", got)
	}
}
