package client

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSequencer(t *testing.T) {
	type step struct {
		open     bool // a connection opens before this event
		id, typ  string
		data     string
		want     string // Finding.String()
		wantKind FindingKind
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"contiguous", []step{{true, "1", "", "", "", FindingNone}, {false, "2", "", "", "", FindingNone}}},
		{"gap", []step{{true, "4", "", "", "", FindingNone}, {false, "10", "", "", "gap: 5 events missing (4 → 10)", FindingGap}}},
		{"gap of one", []step{{true, "4", "", "", "", FindingNone}, {false, "6", "", "", "gap: 1 event missing (4 → 6)", FindingGap}}},
		{"inherited id", []step{{true, "4", "", "", "", FindingNone}, {false, "4", "", "", "", FindingNone}}},
		{"replay after reconnect", []step{{true, "3", "", "", "", FindingNone}, {true, "2", "", "", "duplicate: id 2 again after reconnecting", FindingDuplicate},
			{false, "3", "", "", "", FindingNone}, {false, "4", "", "", "", FindingNone}}},
		{"backwards", []step{{true, "9", "", "", "", FindingNone}, {false, "3", "", "", "backwards: id 3 after 9", FindingBackwards}}},
		{"restart", []step{{true, "9", "", "", "", FindingNone}, {true, "1", "", "", "restart: ids start over at 1 after 9", FindingRestart},
			{false, "2", "", "", "", FindingNone}}},
		{"restart at 0", []step{{true, "9", "", "", "", FindingNone}, {true, "0", "", "", "restart: ids start over at 0 after 9", FindingRestart}}},
		{"redis ids", []step{{true, "1700-0", "", "", "", FindingNone}, {false, "1700-1", "", "", "", FindingNone}, {false, "1800-0", "", "", "", FindingNone},
			{false, "1700-5", "", "", "backwards: id 1700-5 after 1800-0", FindingBackwards}, {true, "1700-5", "", "", "duplicate: id 1700-5 again after reconnecting", FindingDuplicate}}},
		{"opaque ids", []step{{true, "a1", "", "", "", FindingNone}, {false, "a0", "", "", "", FindingNone}}},
		{"lost notice", []step{{true, "30", "", "", "", FindingNone},
			{true, "42", "lost", `{"missed":12,"from":"30","oldest":"43"}`, "lost: the server lost 12 events (after 30)", FindingLost}, {false, "43", "", "", "", FindingNone}}},
		{"reset notice", []step{{true, "5210", "", "", "", FindingNone},
			{true, "80", "lost", `{"missed":0,"reset":true,"from":"5210","last":"80","reason":"ahead"}`, "reset: the server cannot resume from 5210", FindingReset},
			{false, "81", "", "", "", FindingNone}}},
		{"lost notice without count", []step{{true, "", "lost", `{}`, "", FindingNone}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sequencer
			for i, st := range tt.steps {
				if st.open {
					s.Reconnected()
				}
				typ := st.typ
				if typ == "" {
					typ = "message"
				}
				f := s.Next(st.id, typ, st.data)
				if f.Kind != st.wantKind || f.String() != st.want {
					t.Errorf("step %d (id %q): %v %q, want %v %q", i, st.id, f.Kind, f.String(), st.wantKind, st.want)
				}
			}
		})
	}
	if FindingGap.String() != "gap" || FindingReset.String() != "reset" || FindingKind(99).String() != "finding(99)" {
		t.Error("FindingKind names")
	}
	var s Sequencer
	s.Next("1", "message", "")
	best := 1.0
	for range 5 { // best of several runs: other goroutines may allocate
		best = min(best, testing.AllocsPerRun(100, func() { s.Next("2", "message", "") }))
	}
	if best != 0 {
		t.Errorf("Next allocates %v times per event", best)
	}
}

// seqHandler runs a Sequencer over a stream, as a front end does, and
// keeps the findings' words.
type seqHandler struct {
	mu       sync.Mutex
	seq      Sequencer
	ids      []string
	findings []string
	changed  chan struct{}
}

func (h *seqHandler) HandleStatus(s Status) {
	if s.State == Open {
		h.seq.Reconnected()
	}
}

func (h *seqHandler) HandleFrame(f Frame, _ time.Time) {
	if f.Kind != FrameEvent {
		return
	}
	fd := h.seq.Next(f.Event.ID, f.Event.Type, f.Event.Data)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ids = append(h.ids, f.Event.ID)
	if fd.Kind != FindingNone {
		h.findings = append(h.findings, fd.String())
	}
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

// TestSequencerAgainstMisbehavingServers runs the engine against servers
// written to misbehave, each way, over real connections.
func TestSequencerAgainstMisbehavingServers(t *testing.T) {
	send := func(w http.ResponseWriter, ids ...string) {
		for _, id := range ids {
			writeFlush(w, "id: "+id+"\ndata: x\n\n")
		}
	}
	tests := []struct {
		name  string
		conns [][]string // the ids each connection sends, then it ends (the last one holds)
		want  []string
	}{
		{"resends 2,3 after reconnect then jumps 4 → 10", [][]string{{"1", "2", "3"}, {"2", "3", "4", "10"}},
			[]string{"duplicate: id 2 again after reconnecting", "gap: 5 events missing (4 → 10)"}},
		{"ignores Last-Event-ID and restarts at 1", [][]string{{"1", "2", "3"}, {"1", "2"}},
			[]string{"restart: ids start over at 1 after 3"}},
		{"ids go backwards", [][]string{{"5", "6", "3", "4"}}, []string{"backwards: id 3 after 6"}},
		{"Redis ids", [][]string{{"1700-0", "1700-1"}, {"1700-1", "1800-0", "1750-0"}},
			[]string{"duplicate: id 1700-1 again after reconnecting", "backwards: id 1750-0 after 1800-0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total := 0
			for _, c := range tt.conns {
				total += len(c)
			}
			srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				sseHeaders(w)
				if n > len(tt.conns) {
					hold(r)
					return
				}
				send(w, tt.conns[n-1]...)
				if n == len(tt.conns) {
					hold(r)
				}
			})
			h := &seqHandler{changed: make(chan struct{}, 1)}
			s, err := NewStream(StreamConfig{URL: srv.URL, Retry: time.Millisecond, MinRetry: -1}, h)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = s.Run(ctx) }()
			defer func() { cancel(); <-done }()
			deadline := time.After(waitLimit)
			for {
				h.mu.Lock()
				n := len(h.ids)
				h.mu.Unlock()
				if n >= total {
					break
				}
				select {
				case <-h.changed:
				case <-deadline:
					t.Fatalf("timed out: %d of %d events", n, total)
				}
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if fmt.Sprint(h.findings) != fmt.Sprint(tt.want) {
				t.Errorf("ids %s: findings\n%s\nwant\n%s", strings.Join(h.ids, ","), strings.Join(h.findings, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
