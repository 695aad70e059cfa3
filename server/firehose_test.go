package server

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/wire"
)

// TestFirehoseResumeWithDefaults is the short form of the firehose proof
// (the long one, 100 faults of each kind, runs in make chaos): the
// firehose at 1000 events/s with the server's default settings (retry 3
// s, history of a minute) and the engine's, cut once and stalled once:
// the engine gets every id exactly once, without a lost notice. With the
// history of 1000 events the demo kept before, the 3 s of the reconnect
// were reported lost every time.
func TestFirehoseResumeWithDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("real time: about 10 s")
	}
	s, err := New(Config{Scenarios: []Scenario{{Channel: "firehose", Kind: KindFirehose}}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	tr := &http.Transport{}
	t.Cleanup(func() {
		_ = s.Close()
		tr.CloseIdleConnections()
		hs.Close()
	})
	h := runEngine(t, hs.URL+"/api/stream/firehose", tr, 100000)
	var last uint64
	read := func(until func() bool) {
		t.Helper()
		deadline := time.After(60 * time.Second) // hang guard
		for !until() {
			select {
			case f := <-h.frames:
				if f.Kind != client.FrameEvent {
					continue
				}
				if f.Event.Type == wire.LostType {
					t.Fatalf("lost notice after id %d: %s", last, f.Event.Data)
				}
				id, _ := strconv.ParseUint(f.Event.ID, 10, 64)
				if id != last+1 && last != 0 {
					t.Fatalf("id %d after %d", id, last)
				}
				last = id
			case <-deadline:
				t.Fatalf("stuck at id %d", last)
			}
		}
	}
	lastAt := func() uint64 { l, _, _, _ := s.byName["firehose"].state(); return l }
	read(func() bool { return last > 500 })
	s.Drop("firehose") // the engine reconnects after retry: (3 s): 3000 events later
	mark := lastAt()
	read(func() bool { return h.opens.Load() >= 2 && last > mark+3500 })
	s.Stall("firehose", 2*time.Second)
	mark = lastAt()
	read(func() bool { return last > mark+2500 })
	if got := s.byName["firehose"].k.Lost.Load(); got != 0 {
		t.Fatalf("%d lost notices", got)
	}
	t.Logf("every id up to %d exactly once through a cut and a stall", last)
}
