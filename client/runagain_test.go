package client

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/ssemon/ssemon/client/transcript"
)

// runAgainMoment is when a test presses Run again (Channel.Reconnect) on a
// request channel.
type runAgainMoment uint8

const (
	beforeFirst     runAgainMoment = iota // the channel exists, its Run has not begun
	whileConnecting                       // request 1 sent, no response headers yet
	whileStreaming                        // request 1's first chunk read, more to come
	afterEnd                              // request 1 complete, the stream ended
	whilePaused                           // the channel was added paused
)

// gate is a channel closed once, to let a test server go on.
type gate struct {
	once sync.Once
	ch   chan struct{}
}

func newGate() *gate { return &gate{ch: make(chan struct{})} }

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

// wait blocks until the gate opens or the request goes away.
func (g *gate) wait(r *http.Request) {
	select {
	case <-g.ch:
	case <-r.Context().Done():
	}
}

// endedRuns returns the runs of c's transcript history that have ended.
func endedRuns(c *Channel) []transcript.Transcript {
	var out []transcript.Transcript
	for _, r := range c.Transcripts().Runs() {
		if r.Ended {
			out = append(out, r)
		}
	}
	return out
}

// Run again on a request (Channel.Reconnect on a ModeRequest channel)
// yields exactly one more run whenever it is pressed: before the channel's
// Run has begun, while the request connects, while its answer streams,
// after it ended. The run on its way is never cut (each run reads its two
// chunks), and presses before the further run starts coalesce into it.
func TestChannelRunAgainIsNeverLost(t *testing.T) {
	tests := []struct {
		name    string
		presses []runAgainMoment
		runs    int
	}{
		{"before the first attempt", []runAgainMoment{beforeFirst}, 2},
		{"while connecting", []runAgainMoment{whileConnecting}, 2},
		{"while streaming", []runAgainMoment{whileStreaming}, 2},
		{"after completion", []runAgainMoment{afterEnd}, 2},
		{"twice while streaming", []runAgainMoment{whileStreaming, whileStreaming}, 2},
		{"while connecting and while streaming", []runAgainMoment{whileConnecting, whileStreaming}, 2},
		{"before the first attempt and while streaming", []runAgainMoment{beforeFirst, whileStreaming}, 2},
		{"on a channel added paused", []runAgainMoment{whilePaused}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			connect, stream := newGate(), newGate()
			srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					connect.wait(r)
				}
				sseHeaders(w)
				writeFlush(w, fmt.Sprintf("data: %d-a\n\n", n))
				if n == 1 {
					stream.wait(r)
				}
				writeFlush(w, fmt.Sprintf("data: %d-b\n\n", n))
			})
			clk := newFakeClock() // no connect timeout or stall ever fires
			m := NewManager(ManagerConfig{Clock: clk})
			t.Cleanup(func() { _ = m.Close() })
			p, err := m.prepare(ChannelConfig{Name: "model", URL: srv.URL, Method: http.MethodPost, Body: `{"q":1}`, Mode: ModeRequest})
			if err != nil {
				t.Fatal(err)
			}
			c := newChannel(p.raw, p.eff, clk)
			st, err := NewStream(p.stream, c)
			if err != nil {
				t.Fatal(err)
			}
			c.mu.Lock()
			c.stream = st // as Manager.Add leaves it for a press before the Run begins
			c.mu.Unlock()
			for _, at := range tt.presses {
				switch at {
				case beforeFirst:
					c.Reconnect()
				case whilePaused:
					st.Pause() // as Manager.Add does for ChannelConfig.Paused
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c.lifeMu.Lock()
			c.start(ctx, st)
			c.lifeMu.Unlock()
			t.Cleanup(func() {
				c.lifeMu.Lock()
				c.stop()
				c.lifeMu.Unlock()
			})

			for _, at := range tt.presses {
				switch at {
				case whileConnecting:
					srv.waitRequests(t, 1)
					if s := c.Status(); s.State != Connecting {
						t.Fatalf("request 1 held before its headers, but the state is %v", s.State)
					}
				case whileStreaming:
					connect.open()
					waitChannel(t, c, "the first chunk of run 1", func() bool {
						r, ok := c.Transcripts().Latest()
						return ok && r.Events >= 1
					})
				case afterEnd:
					connect.open()
					stream.open()
					waitChannel(t, c, "run 1 complete", func() bool {
						return len(endedRuns(c)) == 1 && c.Status().State == Closed
					})
				case whilePaused:
					waitChannel(t, c, "paused", func() bool { return c.Status().State == Paused })
				default:
					continue // pressed before the start
				}
				c.Reconnect()
				// Queued while a run is on its way; a paused or ended
				// request runs at once.
				if want := at == whileConnecting || at == whileStreaming; c.RunAgainPending() != want {
					t.Errorf("pressed %s: RunAgainPending() = %v, want %v", tt.name, !want, want)
				}
			}
			connect.open()
			stream.open()

			waitChannel(t, c, fmt.Sprintf("%d runs complete", tt.runs), func() bool {
				return len(endedRuns(c)) >= tt.runs && c.Status().State == Closed
			})
			// The last run's end was decided before it was announced: no
			// Run again is pending and nothing restarts the channel, so no
			// further run can come.
			st.mu.Lock()
			pending, accepting := st.reconnectReq, st.accepting
			st.mu.Unlock()
			if pending || accepting || len(c.restart) != 0 {
				t.Fatalf("after %d runs: pending %v, accepting %v, restart queued %d", tt.runs, pending, accepting, len(c.restart))
			}
			runs := c.Transcripts().Runs()
			if len(runs) != tt.runs {
				t.Fatalf("%d runs, want %d: %+v", len(runs), tt.runs, runs)
			}
			for i, r := range runs {
				if !r.Ended || r.Events != 2 || r.Error != "" || r.HTTPStatus != http.StatusOK {
					t.Errorf("run %d: ended %v, %d events, error %q, HTTP %d; want a complete run of 2 chunks",
						i+1, r.Ended, r.Events, r.Error, r.HTTPStatus)
				}
			}
			reqs := srv.requests()
			if len(reqs) != tt.runs {
				t.Fatalf("%d requests, want %d", len(reqs), tt.runs)
			}
			for i, rq := range reqs {
				if rq.Method != http.MethodPost || rq.Body != `{"q":1}` {
					t.Errorf("request %d: %s %q", i+1, rq.Method, rq.Body)
				}
			}
		})
	}
}

// Pause drops a pending Run again: the run is cut, the stream holds
// paused, and Resume sends the request once.
func TestStreamPauseDropsPendingRunAgain(t *testing.T) {
	first := newGate()
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		writeFlush(w, fmt.Sprintf("data: %d-a\n\n", n))
		if n == 1 {
			first.wait(r)
		}
	})
	t.Cleanup(first.open)
	run := startStream(t, StreamConfig{URL: srv.URL, Method: http.MethodPost, Once: true, Clock: newFakeClock()})
	run.rec.waitEvents(t, 1)
	if !run.s.Reconnect() {
		t.Fatal("Reconnect reported no active Run")
	}
	run.s.Pause()
	run.rec.waitState(t, Paused, 1)
	if !run.s.Resume() {
		t.Fatal("Resume reported no active Run")
	}
	if err := run.result(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := fmt.Sprint(run.rec.states()); got != "[connecting open paused connecting open closed]" {
		t.Errorf("states = %s", got)
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("%d requests, want 2 (the paused one and the resumed one)", n)
	}
}
