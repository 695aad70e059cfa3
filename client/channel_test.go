package client

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// newTestChannel builds a channel fed by hand (no stream).
func newTestChannel(t *testing.T, cfg ChannelConfig) (*Channel, *clockAt) {
	t.Helper()
	clk := newFakeClock()
	if cfg.Name == "" {
		cfg.Name = "c"
	}
	return newChannel(cfg, cfg, clk), &clockAt{t: testStart}
}

// clockAt hands out increasing arrival times.
type clockAt struct{ t time.Time }

func (c *clockAt) next(d time.Duration) time.Time { c.t = c.t.Add(d); return c.t }

func evFrame(id, typ, data string) Frame {
	return Frame{Kind: FrameEvent, Event: Event{ID: id, Type: typ, Data: data}, Size: len(data) + 10}
}

// idStep is one event of an id-tracking case and the marks its record
// must carry.
type idStep struct {
	open bool // a (re)connection opens before this event
	id   string
	typ  string // "" for "message"
	data string
	gap  int64
	dup  bool
}

// idCase is a run of events and the channel's counts after it.
type idCase struct {
	name       string
	steps      []idStep
	gaps, miss uint64
	dups       uint64
}

// runIDCases feeds each case's events to a new channel and checks every
// record's gap and duplicate marks, then the channel's counts.
func runIDCases(t *testing.T, tests []idCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, at := newTestChannel(t, ChannelConfig{})
			for i, s := range tt.steps {
				if s.open {
					c.HandleStatus(Status{State: Open, Since: at.next(time.Millisecond)})
				}
				typ := s.typ
				if typ == "" {
					typ = "message"
				}
				c.HandleFrame(evFrame(s.id, typ, s.data), at.next(time.Millisecond))
				r, _ := c.ring.last()
				if r.Gap != s.gap || r.Duplicate != s.dup {
					t.Errorf("step %d (id %q): gap %d dup %v, want %d %v", i, s.id, r.Gap, r.Duplicate, s.gap, s.dup)
				}
			}
			st := c.Snapshot().Stats
			if st.Gaps != tt.gaps || st.Missed != tt.miss || st.Duplicates != tt.dups {
				t.Errorf("stats gaps %d missed %d dups %d, want %d %d %d", st.Gaps, st.Missed, st.Duplicates, tt.gaps, tt.miss, tt.dups)
			}
		})
	}
}

func TestChannelGapsAndDuplicates(t *testing.T) {
	runIDCases(t, []idCase{
		{"contiguous", []idStep{{true, "1", "", "", 0, false}, {false, "2", "", "", 0, false}, {false, "3", "", "", 0, false}}, 0, 0, 0},
		{"jump within connection", []idStep{{true, "1", "", "", 0, false}, {false, "5", "", "", 3, false}}, 1, 3, 0},
		{"id inherited by an event without id", []idStep{{true, "4", "", "", 0, false}, {false, "4", "", "", 0, false}}, 0, 0, 0},
		{"replay after reconnect", []idStep{{true, "4", "", "", 0, false}, {true, "4", "", "", 0, true}, {false, "5", "", "", 0, false}}, 0, 0, 1},
		{"lower id", []idStep{{true, "9", "", "", 0, false}, {false, "3", "", "", 0, true}, {false, "4", "", "", 0, false}}, 0, 0, 1},
		{"gap across reconnect", []idStep{{true, "10", "", "", 0, false}, {true, "13", "", "", 2, false}}, 1, 2, 0},
		{"non numeric ids ignored", []idStep{{true, "a1", "", "", 0, false}, {false, "a0", "", "", 0, false}, {false, "-3", "", "", 0, false}}, 0, 0, 0},
		{"lost notice", []idStep{{true, "1", "", "", 0, false}, {false, "", "lost", `{"missed":7}`, 7, false}}, 1, 7, 0},
		{"lost notice without count", []idStep{{true, "", "lost", `{}`, 0, false}}, 0, 0, 0},
		// The demo server's notice carries the id before its oldest kept
		// event: the ids jump, the notice's count is what was missed.
		{"lost notice with the server's id", []idStep{{true, "10", "", "", 0, false},
			{true, "99", "lost", `{"missed":89,"from":"10","oldest":"100"}`, 89, false}, {false, "100", "", "", 0, false}}, 1, 89, 0},
		// A restarted server's ids start over: history lost, not a duplicate.
		{"history lost", []idStep{{true, "5210", "", "", 0, false},
			{true, "80", "lost", `{"missed":0,"reset":true,"from":"5210","last":"80","reason":"ahead"}`, 0, false},
			{false, "81", "", "", 0, false}}, 1, 0, 0},
	})
}

func TestChannelFilterCountsAndLog(t *testing.T) {
	c, at := newTestChannel(t, ChannelConfig{EventTypes: []string{"progress"}, RingSize: 3})
	c.HandleStatus(Status{State: Open, Since: at.next(0), Detail: "HTTP/1.1 200 OK"})
	c.HandleFrame(Frame{Kind: FrameComment, Comment: "ping", Size: 7}, at.next(time.Millisecond))
	c.HandleFrame(evFrame("1", "progress", `{"progress":10}`), at.next(time.Millisecond))
	c.HandleFrame(evFrame("2", "log", "noise"), at.next(time.Millisecond))
	c.HandleFrame(Frame{Kind: FrameRetry, Retry: 1500 * time.Millisecond, Size: 12}, at.next(time.Millisecond))
	c.HandleFrame(evFrame("3", "progress", `{"progress":20}`), at.next(time.Millisecond))

	s := c.Snapshot()
	if s.Stats.Events != 3 || s.Stats.Filtered != 1 || s.Stats.Comments != 1 {
		t.Errorf("events %d filtered %d comments %d", s.Stats.Events, s.Stats.Filtered, s.Stats.Comments)
	}
	if s.Stats.Retry != 1500*time.Millisecond || s.Stats.LastEventID != "3" {
		t.Errorf("retry %v last id %q", s.Stats.Retry, s.Stats.LastEventID)
	}
	wantBytes := uint64(7 + 12 + 3*10 + len(`{"progress":10}`) + len("noise") + len(`{"progress":20}`))
	if s.Stats.Bytes != wantBytes {
		t.Errorf("bytes %d, want %d", s.Stats.Bytes, wantBytes)
	}
	// Records: state, comment, event 1, retry, event 3 → ring of 3 keeps the last 3.
	if s.Len != 3 || s.Stats.Evicted != 2 || s.FirstSeq != 3 || s.LastSeq != 5 {
		t.Errorf("len %d evicted %d seqs %d..%d", s.Len, s.Stats.Evicted, s.FirstSeq, s.LastSeq)
	}
	var kinds []string
	for i := 0; i < c.Len(); i++ {
		r, _ := c.At(i)
		kinds = append(kinds, r.Kind.String()+":"+r.Data)
	}
	if got := strings.Join(kinds, " "); got != `event:{"progress":10} retry:1.5s event:{"progress":20}` {
		t.Errorf("log = %s", got)
	}
	if recs := c.Records(nil, 5); len(recs) != 1 || recs[0].ID != "3" {
		t.Errorf("Records(5) = %v", recs)
	}
	if !s.Progress.Known || s.Progress.Percent != 20 {
		t.Errorf("progress = %+v", s.Progress)
	}
	c.Clear()
	if c.Len() != 0 || c.Snapshot().Stats.Events != 3 {
		t.Error("Clear must empty the log and keep the counters")
	}
}

func TestChannelRatesAndSparkline(t *testing.T) {
	clk := newFakeClock()
	c := newChannel(ChannelConfig{Name: "r"}, ChannelConfig{Name: "r"}, clk)
	// 5 events in each of 3 seconds.
	for s := 0; s < 3; s++ {
		for i := 0; i < 5; i++ {
			c.HandleFrame(evFrame("", "message", "x"), testStart.Add(time.Duration(s)*time.Second+time.Duration(i)*100*time.Millisecond))
		}
	}
	clk.Advance(3*time.Second + 500*time.Millisecond)
	s := c.Snapshot()
	if s.Stats.PerSecond != 5 {
		t.Errorf("PerSecond = %v", s.Stats.PerSecond)
	}
	if s.Stats.PerMinute != 5 { // 15 events over the 3 s the channel has lived
		t.Errorf("PerMinute = %v", s.Stats.PerMinute)
	}
	if len(s.Stats.Sparkline) != RateWindow || fmt.Sprint(s.Stats.Sparkline[RateWindow-4:]) != "[0 5 5 5]" {
		t.Errorf("sparkline tail = %v", s.Stats.Sparkline[RateWindow-4:])
	}
	clk.Advance(2 * time.Minute)
	s = c.Snapshot()
	if s.Stats.PerSecond != 0 || s.Stats.PerMinute != 0 {
		t.Errorf("rates after silence = %v %v", s.Stats.PerSecond, s.Stats.PerMinute)
	}
}

func TestChannelVersionAndSnapshotReuse(t *testing.T) {
	c, at := newTestChannel(t, ChannelConfig{})
	v0 := c.Version()
	c.HandleFrame(evFrame("1", "message", `{"progress":50}`), at.next(time.Second))
	v1 := c.Version()
	if v1 == v0 {
		t.Error("version did not move on an event")
	}
	var s Snapshot
	c.SnapshotInto(&s)
	if s.Version != v1 || c.Version() != v1 {
		t.Error("a snapshot must not move the version")
	}
	spark := &s.Stats.Sparkline[0]
	c.SnapshotInto(&s)
	if &s.Stats.Sparkline[0] != spark {
		t.Error("SnapshotInto did not reuse the sparkline")
	}
	c.HandleStatus(Status{State: Retrying, Since: at.next(time.Second)})
	if c.Version() == v1 {
		t.Error("version did not move on a transition")
	}
}

func TestChannelIngestDoesNotAllocate(t *testing.T) {
	c, _ := newTestChannel(t, ChannelConfig{RingSize: 100})
	f := evFrame("7", "message", `{"progress":1}`)
	at := testStart
	for i := 0; i < 200; i++ { // fill the ring
		c.HandleFrame(f, at)
	}
	// The count is process-wide (a runtime or test goroutine may allocate
	// meanwhile): take the least of five measurements.
	allocs := math.Inf(1)
	for range 5 {
		allocs = min(allocs, testing.AllocsPerRun(1000, func() {
			at = at.Add(time.Millisecond)
			c.HandleFrame(f, at)
		}))
	}
	if allocs != 0 {
		t.Errorf("HandleFrame allocates %v per event", allocs)
	}
}

func TestChannelEndToEnd(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		writeFlush(w, "trace: 7\nid: 1\nevent: job\ndata: {\"progress\":40,\"message\":\"copying\"}\n\n")
		hold(r)
	})
	m := NewManager(ManagerConfig{Clock: newFakeClock()})
	t.Cleanup(func() { _ = m.Close() })
	c, err := m.Add(ChannelConfig{Name: "job", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	waitChannel(t, c, "an event", func() bool { return c.Snapshot().Stats.Events == 1 })
	s := c.Snapshot()
	if s.Status.State != Open || s.Progress.Percent != 40 || s.Progress.Message != "copying" || s.Stats.Connects != 1 {
		t.Errorf("snapshot = %+v", s)
	}
	if s.Stats.Framing != (FramingCounts{Unknown: 1}) {
		t.Errorf("framing = %+v, want the unknown field counted", s.Stats.Framing)
	}
	if s.Progress.Summary != "message copying" {
		t.Errorf("summary = %q", s.Progress.Summary)
	}
	if len(s.History) < 3 || s.History[len(s.History)-1].State != Open {
		t.Errorf("history = %v", s.History)
	}
}

// waitChannel waits, on the channel's change notifications, until cond
// holds.
func waitChannel(t testing.TB, c *Channel, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-c.Changed():
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; status %+v", what, c.Status())
		}
	}
}
