package client

import (
	"errors"
	"net/http"
	"time"

	"github.com/ssemon/ssemon/client/transcript"
)

// TranscriptFeed is a Handler that turns what a Stream reads into the runs
// of a transcript.History: every connection attempt is a run (for a
// model API, one request), its events are assembled, its response status,
// error body or end close it. Use it beside another Handler (the terminal
// client does) or through a Channel, which keeps one (Channel.Transcripts).
type TranscriptFeed struct {
	// History receives the runs. Required.
	History *transcript.History

	opened bool // the current run got its response headers
}

// NewTranscriptFeed returns a feed into h.
func NewTranscriptFeed(h *transcript.History) *TranscriptFeed { return &TranscriptFeed{History: h} }

// HandleFrame feeds an event to the current run; comments and retry
// fields carry no answer.
func (t *TranscriptFeed) HandleFrame(f Frame, at time.Time) {
	if f.Kind == FrameEvent {
		t.History.Event(f.Event.Type, f.Event.Data, at)
	}
}

// HandleStatus starts a run on Connecting, records the response on Open,
// and ends the run on any other state: with the error body of an HTTP
// error (a 429, a 529), with a connection failure's message, or cleanly.
// A run still going when the next one starts (a subscription's connection
// dropped by Reconnect) ends there.
func (t *TranscriptFeed) HandleStatus(s Status) {
	switch s.State {
	case Connecting:
		t.History.End(s.Since)
		t.History.Begin(s.Since)
		t.opened = false
	case Open:
		t.opened = true
		t.History.Response(s.Since, s.HTTPStatus)
	case Retrying, Failed, Stalled, Closed, Paused:
		var he *HTTPError
		switch {
		case errors.As(s.Err, &he):
			t.History.Fail(s.Since, he.Status, he.Body)
		case !t.opened && s.Err != nil:
			t.History.Fail(s.Since, 0, s.Err.Error())
		case s.HTTPStatus != 0 && s.HTTPStatus != http.StatusOK && !t.opened:
			t.History.Fail(s.Since, s.HTTPStatus, s.BodyPreview)
		default:
			t.History.End(s.Since)
		}
		t.opened = false
	}
}

// newChannelFeed returns the feed a Channel keeps: DefaultMaxRuns runs.
func newChannelFeed() *TranscriptFeed {
	return NewTranscriptFeed(transcript.NewHistory(transcript.Config{}, 0))
}

// Transcripts returns the channel's runs as model-stream transcripts: one
// per connection (for a model API, per request), the last
// transcript.DefaultMaxRuns kept. Runs whose stream has no known shape
// stay Unknown; History.Recognised tells whether any run is a model
// stream.
func (c *Channel) Transcripts() *transcript.History { return c.feed.History }
