package ui

import (
	"context"
	"net/http"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ssemon/ssemon/client"
)

// DemoModelsGroup is the dashboard group of the channels sending the demo
// server's model requests. Like the demo group, they are never saved.
const DemoModelsGroup = "models"

// demoModelScenario marks a DemoChannel of the app that stands for a model
// endpoint (DemoChannel.Scenario): its faults are the model endpoints'.
const demoModelScenario = "model"

// Waiting for a model answer to stream before a fault that acts on the
// answers in flight: how often the transcript is looked at, how many words
// of the answer's text make it "streaming" (the audience sees the text
// begin, then break), and how long it may take to get there.
const (
	answerPoll     = 20 * time.Millisecond
	answerWords    = 3
	answerDeadline = 15 * time.Second
)

// sendMode says when a fault on a model channel sends the channel's
// request. The model endpoints' faults act on the answers being streamed
// (drop, stall) or on the next request (fail, malformed), so each comes
// with the request that shows it.
type sendMode uint8

const (
	// sendNone: a fault on an SSE channel, nothing to send.
	sendNone sendMode = iota
	// sendAfter: inject, then send (the fault waits for the request).
	sendAfter
	// sendBefore: send, then inject once the answer streams.
	sendBefore
)

// demoModelActions are the faults offered for a model channel, in menu
// order. A stall without a duration is worked out to outlast the stall
// timeout.
func demoModelActions() []demoAction {
	return []demoAction{
		{"Drop the connection mid-answer", "Drop mid-answer", DemoFault{Kind: FaultDrop}, sendBefore},
		{"Pause the answer for 3 s", "Pause 3 s", DemoFault{Kind: FaultStall, Duration: 3 * time.Second}, sendBefore},
		{"Stall the answer past the stall timeout", "Stall", DemoFault{Kind: FaultStall}, sendBefore},
		{"Rate-limit the request (429)", "429", DemoFault{Kind: FaultFailNext, Status: http.StatusTooManyRequests}, sendAfter},
		{"Overload the request (529)", "529", DemoFault{Kind: FaultFailNext, Status: 529}, sendAfter},
		{"Truncated chunk in the answer", "Malformed chunk", DemoFault{Kind: FaultMalformed}, sendAfter},
	}
}

// demoActionsFor returns the faults offered for the demo channel dc.
func demoActionsFor(dc DemoChannel) []demoAction {
	if dc.Scenario == demoModelScenario {
		return demoModelActions()
	}
	return demoActions()
}

// addDemoModels adds a request channel for each model endpoint of the
// demo server (group "models"); each sends its request once at once, so
// that the dashboard shows an answer from the start.
func (x *App) addDemoModels(stall time.Duration) []error {
	var errs []error
	for _, dm := range x.demo.srv.Models() {
		if _, err := x.addDemoModel(dm, stall); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// addDemoModel adds the request channel of the model endpoint dm.
func (x *App) addDemoModel(dm DemoModel, stall time.Duration) (*client.Channel, error) {
	x.demo.byURL[dm.URL] = DemoChannel{Name: dm.FaultChannel, Description: dm.Title, Scenario: demoModelScenario, URL: dm.URL}
	name := dm.Name
	if _, taken := x.mgr.Get(name); taken {
		name = "demo-" + name
	}
	return x.mgr.Add(client.ChannelConfig{
		Name: name, Group: DemoModelsGroup, URL: dm.URL,
		Method: http.MethodPost, Headers: dm.Headers, Body: dm.Body, Mode: client.ModeRequest,
		StallTimeout: stall,
	})
}

// demoModelChannel returns the channel sending dm's request, if any.
func (x *App) demoModelChannel(dm DemoModel) (*client.Channel, bool) {
	for _, ch := range x.mgr.Channels() {
		if cfg := ch.Config(); cfg.URL == dm.URL && cfg.IsRequest() {
			return ch, true
		}
	}
	return nil, false
}

// runDemoModel is the Demo → Model streams action: it opens the channel
// of dm (adding it again if it was removed) on its Transcript tab and
// sends its request, unless the request is on its way already (the answer
// is shown as it streams).
func (x *App) runDemoModel(dm DemoModel) {
	if x.demo == nil {
		return
	}
	ch, ok := x.demoModelChannel(dm)
	if !ok {
		var err error
		// A new channel sends its request as it starts.
		if ch, err = x.addDemoModel(dm, demoStallTimeout(x.demo.srv.Heartbeat())); err != nil {
			x.banner.Notify("Model stream "+dm.Title+": "+err.Error(), PillError)
			return
		}
	} else if requestFinished(ch) {
		ch.Reconnect() // Run again
	}
	v := x.dash.views[ch]
	if v == nil { // added now: the dashboard gets its tile on the next tick
		v = &chanView{ch: ch, stale: true}
	}
	x.setPresentation(false)
	x.openDetail(v)
	if x.detail != nil {
		x.detail.showTranscript()
	}
}

// requestFinished reports whether ch's request has ended (or is paused),
// so that Run again (Reconnect) sends it now. Otherwise it is on its way
// (Idle: the channel sends it as it starts) and Run again would queue one
// more run after it: the demo actions show the answer on its way instead.
func requestFinished(ch *client.Channel) bool {
	switch ch.Status().State {
	case client.Closed, client.Failed, client.Paused:
		return true
	}
	return false
}

// demoModelItems are the Demo menu's Model streams entries.
func (x *App) demoModelItems() []*fyne.MenuItem {
	var items []*fyne.MenuItem
	for _, dm := range x.demo.srv.Models() {
		items = append(items, fyne.NewMenuItem(dm.Title, func() { x.runDemoModel(dm) }))
	}
	return items
}

// awaitAnswer sends ch's request (unless it is on its way) and waits until
// its answer streams: a run with a few words of text that has not ended. It
// reports false with the reason when the answer did not start (or ended
// first) before ctx.
func awaitAnswer(ctx context.Context, ch *client.Channel) (bool, string) {
	h := ch.Transcripts()
	prev := 0
	if t, ok := h.Latest(); ok {
		prev = t.Run
	}
	if requestFinished(ch) {
		ch.Reconnect()
	} else if t, ok := h.Latest(); ok && !t.Ended {
		prev = t.Run - 1 // the run on its way
	}
	tick := time.NewTicker(answerPoll)
	defer tick.Stop()
	for {
		if t, ok := h.Latest(); ok && t.Run > prev {
			switch {
			case t.Ended:
				return false, "the answer ended before the fault (" + t.ShortOutcome() + ")"
			case len(strings.Fields(t.Text)) >= answerWords:
				return true, ""
			}
		}
		select {
		case <-ctx.Done():
			return false, "the answer did not start streaming"
		case <-tick.C:
		}
	}
}
