package client

import (
	"errors"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/transcript"
)

func TestTranscriptFeed(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	h := transcript.NewHistory(transcript.Config{}, 0)
	f := NewTranscriptFeed(h)
	// Run 1: a 529 with Anthropic's error body.
	f.HandleStatus(Status{State: Connecting, Since: at(0)})
	f.HandleStatus(Status{State: Retrying, Since: at(40), HTTPStatus: 529,
		Err: &HTTPError{Status: 529, Body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`}})
	// Run 2: a full answer, then the clean end of the response.
	f.HandleStatus(Status{State: Connecting, Since: at(1000)})
	f.HandleStatus(Status{State: Open, Since: at(1020), HTTPStatus: 200})
	f.HandleFrame(Frame{Kind: FrameComment, Comment: "keep-alive"}, at(1025))
	f.HandleFrame(Frame{Kind: FrameEvent, Event: Event{Type: "message", Data: `{"model":"m","response":"Hi","done":false}`}}, at(1030))
	f.HandleFrame(Frame{Kind: FrameEvent, Event: Event{Type: "message", Data: `{"model":"m","response":"","done":true,"done_reason":"stop"}`}}, at(1040))
	f.HandleStatus(Status{State: Closed, Since: at(1050), Err: ErrStreamEnded})
	// Run 3: the network fails before any response.
	f.HandleStatus(Status{State: Connecting, Since: at(2000)})
	f.HandleStatus(Status{State: Retrying, Since: at(2010), Err: &ConnectError{Op: "connect", Err: errors.New("connection refused")}})
	// Run 4: dropped by Reconnect mid-answer; run 5 begins at once.
	f.HandleStatus(Status{State: Connecting, Since: at(3000)})
	f.HandleStatus(Status{State: Open, Since: at(3010), HTTPStatus: 200})
	f.HandleFrame(Frame{Kind: FrameEvent, Event: Event{Type: "message", Data: `{"model":"m","response":"Hel","done":false}`}}, at(3020))
	f.HandleStatus(Status{State: Connecting, Since: at(3500)})

	runs := h.Runs()
	if len(runs) != 5 {
		t.Fatalf("%d runs", len(runs))
	}
	if r := runs[0]; r.Error != "HTTP 529 overloaded_error: Overloaded" || r.HTTPStatus != 529 || r.Numbers.Total != 40*time.Millisecond {
		t.Errorf("run 1: %+v", r)
	}
	if r := runs[1]; r.Text != "Hi" || r.Finish != "stop" || !r.Done || !r.Ended || r.Error != "" ||
		r.Numbers.TTFB != 20*time.Millisecond || r.Numbers.TTFT != 30*time.Millisecond || r.Numbers.Total != 50*time.Millisecond {
		t.Errorf("run 2: %+v", r)
	}
	if r := runs[2]; r.Error == "" || r.HTTPStatus != 0 || !r.Ended {
		t.Errorf("run 3: %+v", r)
	}
	if r := runs[3]; r.Text != "Hel" || !r.Ended || r.Done || r.Numbers.Total != 500*time.Millisecond {
		t.Errorf("run 4 (dropped by the next connection): %+v", r)
	}
	if r := runs[4]; r.Run != 5 || r.Ended {
		t.Errorf("run 5: %+v", r)
	}
}
