package client

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// goid identifies the calling goroutine (for tests only).
func goid() string {
	var b [64]byte
	n := runtime.Stack(b[:], false)
	return string(b[:n])[:len("goroutine ")+8]
}

// goidHandler forwards to a channel and notes which goroutine called it.
type goidHandler struct {
	*Channel
	ids map[string]bool
}

func (h goidHandler) HandleFrame(f Frame, at time.Time) {
	h.ids[goid()] = true
	h.Channel.HandleFrame(f, at)
}
func (h goidHandler) HandleStatus(s Status) { h.ids[goid()] = true; h.Channel.HandleStatus(s) }

func TestManagerAddOffline(t *testing.T) {
	clk := newFakeClock()
	m := NewManager(ManagerConfig{Clock: clk})
	t.Cleanup(func() { _ = m.Close() })
	rec := testStart.Add(-72 * time.Hour) // recorded three days before "now"
	at := func(ms int) time.Time { return rec.Add(time.Duration(ms) * time.Millisecond) }
	ids := map[string]bool{}
	fed := make(chan string, 1)
	ch, err := m.AddOffline(ChannelConfig{Name: "rec", URL: ""}, func(ctx context.Context, h Handler) error {
		fed <- goid()
		g := goidHandler{h.(*Channel), ids}
		g.HandleStatus(Status{State: Open, Since: at(0), Attempt: 1, Detail: "HTTP/1.1 200 OK"})
		for i := 1; i <= 5; i++ {
			g.HandleFrame(Frame{Kind: FrameEvent, Event: Event{ID: string(rune('0' + i)), Type: "message", Data: "x"}, Size: 10}, at(i*1000))
		}
		g.HandleStatus(Status{State: Retrying, Since: at(5500), Attempt: 1, NextAttempt: at(8500), Err: ErrStreamEnded, Detail: "retry in 3 s"})
		return errors.New("recording truncated")
	})
	if err != nil {
		t.Fatal(err)
	}
	feeder := <-fed
	waitChannel(t, ch, "feed ended", func() bool { return ch.Err() != nil })
	if len(ids) != 1 || !ids[feeder] {
		t.Errorf("handler called from %v, want only the feed's goroutine %q", ids, feeder)
	}
	if !ch.Offline() || ch.Err().Error() != "recording truncated" {
		t.Fatalf("Offline %v, Err %v", ch.Offline(), ch.Err())
	}
	s := ch.Snapshot()
	if !s.Offline || !s.At.Equal(at(5500)) {
		t.Errorf("snapshot at %v (offline %v), want the recording's last time %v", s.At, s.Offline, at(5500))
	}
	if len(s.History) != 2 || s.History[0].State != Open || s.History[1].State != Retrying {
		t.Errorf("history = %+v, want the fed transitions", s.History)
	}
	if s.Stats.Events != 5 || !s.Stats.Started.Equal(at(0)) || s.Stats.Retry != DefaultRetry {
		t.Errorf("stats: %d events, started %v, retry %v", s.Stats.Events, s.Stats.Started, s.Stats.Retry)
	}
	// Rates and the sparkline are on the recording's clock: the events of
	// seconds 1..5 show as 1/s (a recording's last second is complete:
	// nothing more comes, so its events count too).
	sum := 0.0
	for _, v := range s.Stats.Sparkline {
		sum += v
	}
	if sum != 5 || s.Stats.PerSecond != 1 {
		t.Errorf("sparkline sum %v, per second %v; want 5 and 1 on the recording's clock", sum, s.Stats.PerSecond)
	}
	// No stream: the commands do nothing; Update is refused.
	ch.Pause()
	ch.Resume()
	ch.Reconnect()
	if st := ch.Status(); st.State != Retrying {
		t.Errorf("state after commands = %v, want the recorded retrying", st.State)
	}
	if err := m.Update("rec", ChannelConfig{Name: "rec", URL: "http://127.0.0.1:1/"}); !errors.Is(err, ErrOffline) {
		t.Errorf("Update = %v, want ErrOffline", err)
	}
	if _, err := m.AddOffline(ChannelConfig{Name: "rec"}, nil); !errors.Is(err, ErrDuplicateName) {
		t.Errorf("duplicate AddOffline = %v", err)
	}
	if _, err := m.AddOffline(ChannelConfig{Name: " "}, nil); err == nil {
		t.Error("AddOffline accepted an empty name")
	}
}

func TestManagerRemoveStopsOfflineFeed(t *testing.T) {
	m := NewManager(ManagerConfig{Clock: newFakeClock()})
	started := make(chan struct{})
	ch, err := m.AddOffline(ChannelConfig{Name: "rec"}, func(ctx context.Context, h Handler) error {
		close(started)
		<-ctx.Done() // a feed waiting for more of the recording
		return ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if err := m.Remove("rec"); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(ch.Err(), context.Canceled) {
		t.Errorf("Err after Remove = %v, want context.Canceled", ch.Err())
	}
	_ = m.Close()
	if _, err := m.AddOffline(ChannelConfig{Name: "late"}, nil); !errors.Is(err, ErrManagerClosed) {
		t.Errorf("AddOffline after Close = %v", err)
	}
}
