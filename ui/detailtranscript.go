package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// transcriptTab is the detail view's Transcript tab: it appears beside the
// Events tab once a run of the channel is recognised as a model stream.
type transcriptTab struct {
	panel *TranscriptPanel
	tabs  *container.AppTabs
	item  *container.TabItem
	shown bool
	ver   uint64
}

// withTranscript puts the events pane in an Events tab, beside which the
// Transcript tab appears when the stream is recognised.
func (d *detailView) withTranscript(events fyne.CanvasObject) fyne.CanvasObject {
	t := &transcriptTab{panel: NewTranscriptPanel()}
	t.panel.keys = d.x.windowKey
	t.panel.OnCopy = func(s string) { d.x.app.Clipboard().SetContent(s) }
	if !d.offline {
		// A model request is a request, not a subscription: run it again.
		t.panel.OnRunAgain = d.runAgain
	}
	t.item = container.NewTabItem("Transcript", t.panel)
	t.tabs = container.NewAppTabs(container.NewTabItem("Events", events))
	d.tt = t
	d.applyTranscript()
	return t.tabs
}

// runAgain is the Reconnect (Run again) action of the header and the
// Transcript tab: a request's Run again pressed while a run is on its way
// is queued, which the tab shows at once.
func (d *detailView) runAgain() {
	d.v.ch.Reconnect()
	d.applyTranscript()
}

// applyTranscript brings the Transcript tab up to date; it shows (and
// selects) the tab the first time a run is recognised.
func (d *detailView) applyTranscript() {
	t := d.tt
	h := d.v.ch.Transcripts()
	v, queued := h.Version(), d.v.ch.RunAgainPending()
	if v == t.ver && queued == t.panel.Queued {
		return
	}
	t.ver = v
	t.panel.Queued = queued
	if !h.Recognised() {
		return
	}
	if !t.shown {
		t.shown = true
		t.tabs.Append(t.item)
		t.tabs.Select(t.item)
	}
	t.panel.Set(h.Runs())
}

// showTranscript shows and selects the Transcript tab, before the stream
// is recognised too (a channel known to send a model request).
func (d *detailView) showTranscript() {
	t := d.tt
	if !t.shown {
		t.shown = true
		t.tabs.Append(t.item)
	}
	t.tabs.Select(t.item)
}
