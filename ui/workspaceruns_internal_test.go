package ui

import (
	"path/filepath"
	"testing"

	"github.com/ssemon/ssemon/client"
)

// TestApp_RunsPersistAcrossRestarts: a model request's runs are saved in
// the workspace when a run ends, and come back with the channel.
func TestApp_RunsPersistAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ws.json")
	x, clk := newTestApp(t, Options{Workspace: path})
	ch := pausedChannel(t, x, "chat")
	x.ws.changed() // the channel is in the file
	now := clk.Now()
	// One answered request, fed as the engine would.
	ch.HandleStatus(client.Status{State: client.Connecting, Since: now})
	ch.HandleStatus(client.Status{State: client.Open, Since: now, HTTPStatus: 200})
	ch.HandleFrame(client.Frame{Kind: client.FrameEvent, Event: client.Event{Type: "message",
		Data: `{"model":"m","message":{"role":"assistant","content":"Hello"},"done":true,"done_reason":"stop","eval_count":1}`}}, now)
	ch.HandleStatus(client.Status{State: client.Closed, Since: now, Err: client.ErrStreamEnded})
	x.saveRunsOnEnd(&change{now: now, dirty: []*client.Channel{ch}})
	x.Close()

	loaded, err := client.LoadWorkspace(path)
	if err != nil {
		t.Fatal(err)
	}
	if rs := loaded.Runs["chat"]; len(rs) != 1 || rs[0].Text != "Hello" || rs[0].Finish != "stop" {
		t.Fatalf("saved runs %+v", loaded.Runs)
	}
	y, _ := newTestApp(t, Options{Workspace: path})
	yc, ok := y.mgr.Get("chat")
	if !ok {
		t.Fatal("channel not restored")
	}
	if r, ok := yc.Transcripts().Latest(); !ok || r.Text != "Hello" || r.Run != 1 {
		t.Fatalf("restored run %+v", r)
	}
}
