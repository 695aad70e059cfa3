package ui

import (
	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/transcript"
)

// persistentRuns returns the model-stream runs worth saving with the
// workspace, by channel name: those of the channels that are saved.
func (x *App) persistentRuns() map[string][]transcript.Transcript {
	var out map[string][]transcript.Transcript
	for _, ch := range x.mgr.Channels() {
		cfg := ch.Config()
		if x.isDemoChannel(cfg) || ch.Offline() {
			continue
		}
		if runs := ch.Transcripts().Saved(); len(runs) > 0 {
			if out == nil {
				out = make(map[string][]transcript.Transcript)
			}
			out[cfg.Name] = runs
		}
	}
	return out
}

// restoreRuns gives the channels of a loaded workspace their saved runs.
func (x *App) restoreRuns(runs map[string][]transcript.Transcript) {
	for name, rs := range runs {
		if ch, ok := x.mgr.Get(name); ok {
			ch.Transcripts().Restore(rs)
		}
	}
}

// saveRunsOnEnd saves the workspace when a run of a changed channel ended
// (a request answered, or refused): the runs are remembered across
// sessions. Called once per tick, on the UI goroutine.
func (x *App) saveRunsOnEnd(c *change) {
	if x.ws == nil || x.ws.path == "" {
		return
	}
	if x.runsSeen == nil {
		x.runsSeen = make(map[*client.Channel]uint64)
	}
	save := false
	for _, ch := range c.dirty {
		if n := ch.Transcripts().Finished(); n != x.runsSeen[ch] {
			x.runsSeen[ch] = n
			save = true
		}
	}
	if save {
		x.ws.changed()
	}
}
