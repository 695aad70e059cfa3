package ui

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/transcript"
)

// waitRun waits until run n of ch's requests has ended and returns it.
func waitRun(t *testing.T, ch *client.Channel, n int) transcript.Transcript {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if tr, ok := ch.Transcripts().Latest(); ok && tr.Run >= n && tr.Ended {
			if tr.Run != n {
				t.Fatalf("run %d ended, want run %d", tr.Run, n)
			}
			return tr
		}
		select {
		case <-ch.Changed():
		case <-deadline:
			tr, _ := ch.Transcripts().Latest()
			t.Fatalf("run %d of %s never ended: latest %+v, state %v", n, ch.Name(), tr, ch.Status().State)
		}
	}
}

// menuItem returns the item labelled label in items, or fails.
func menuItem(t *testing.T, items []*fyne.MenuItem, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range items {
		if it.Label == label {
			return it
		}
	}
	var have []string
	for _, it := range items {
		have = append(have, it.Label)
	}
	t.Fatalf("no menu item %q in %q", label, have)
	return nil
}

func TestApp_DemoModelStreamFromTheMenu(t *testing.T) {
	start, fake := newFakeDemo(t, demoNames...)
	x, _ := newTestApp(t, Options{Demo: true, DemoServer: start})
	dm := fake.Models()[0]
	ch, ok := x.mgr.Get("openai-chat")
	if !ok {
		t.Fatal("demo mode added no channel for the model endpoint")
	}
	cfg := ch.Config()
	if cfg.Method != http.MethodPost || cfg.Body != dm.Body || !cfg.IsRequest() || cfg.Group != DemoModelsGroup ||
		!slices.Contains(cfg.Headers, client.Header{Name: "Content-Type", Value: "application/json"}) {
		t.Fatalf("model channel config %+v: want a POST request of the endpoint's body with a JSON Content-Type in group %q", cfg, DemoModelsGroup)
	}
	if got := x.persistentConfigs(); len(got) != 0 {
		t.Fatalf("demo model channels would be saved: %+v", got)
	}
	// It sent its request at start.
	waitRun(t, ch, 1)

	var demo *fyne.Menu
	for _, m := range x.menu.Items {
		if m.Label == "Demo" {
			demo = m
		}
	}
	if demo == nil {
		t.Fatal("no Demo menu")
	}
	models := menuItem(t, demo.Items, "Model streams")
	menuItem(t, models.ChildMenu.Items, dm.Title).Action()

	if x.detail == nil || x.detail.v.ch != ch {
		t.Fatal("the menu item did not open the model channel's detail view")
	}
	if tt := x.detail.tt; tt.tabs.Selected() != tt.item {
		t.Fatalf("the detail view opened on %q, want the Transcript tab", tt.tabs.Selected().Text)
	}
	// The menu sent the request again: run 2 assembles the answer.
	tr := waitRun(t, ch, 2)
	if tr.Text != "Sunny in Paris." || len(tr.ToolCalls) != 1 || tr.ToolCalls[0].Name != "get_weather" ||
		tr.ToolCalls[0].Arguments != `{"city": "Paris"}` || !tr.Usage.Known || tr.Usage.OutputTokens != 7 || !tr.Done {
		t.Fatalf("run 2 transcript %+v", tr)
	}
	x.bridge.Tick()
	if shown, ok := x.detail.tt.panel.Selected(); !ok || shown.Run != 2 || shown.Text != tr.Text {
		t.Fatalf("the Transcript tab shows %+v, want run 2", shown)
	}
	// The tile quotes the answer, not the last chunk ("[DONE]").
	if v := x.dash.views[ch]; v == nil || v.message != "Sunny in Paris. → get_weather · tool_calls" {
		t.Fatalf("the tile says %q", v.message)
	}
	if got := fake.modelBodies(); len(got) != 2 || got[0] != dm.Body || got[1] != dm.Body {
		t.Fatalf("model requests %q, want the endpoint's body twice", got)
	}

	// Removed, the channel comes back from the menu.
	if err := x.mgr.Remove(ch.Name()); err != nil {
		t.Fatal(err)
	}
	x.closeDetail()
	menuItem(t, models.ChildMenu.Items, dm.Title).Action()
	again, ok := x.mgr.Get("openai-chat")
	if !ok || x.detail == nil || x.detail.v.ch != again || x.detail.tt.tabs.Selected() != x.detail.tt.item {
		t.Fatal("the menu item did not add the removed model channel back on its Transcript tab")
	}
	waitRun(t, again, 1)
}

func TestApp_DemoModelFaultsComeWithTheirRequest(t *testing.T) {
	start, fake := newFakeDemo(t, demoNames...)
	fake.holdAnswer = true // answers stop after their first pieces until cut
	x, _ := newTestApp(t, Options{Demo: true, DemoServer: start})
	ch, _ := x.mgr.Get("openai-chat")
	x.bridge.Tick()
	v := x.dash.views[ch]
	if v == nil {
		t.Fatal("no tile for the model channel")
	}
	menu := x.tileMenu(v)
	menuItem(t, menu.Items, "Run again")

	// Drop mid-answer: the answer on its way (run 1, sent at start) is
	// dropped once it streams; with none on its way, the menu sends the
	// request first (run 2).
	drop := DemoFault{Kind: FaultDrop, Channel: fakeModels}
	for run := 1; run <= 2; run++ {
		menuItem(t, menu.Items, "Drop the connection mid-answer").Action()
		x.recs.wg.Wait()
		if got := fake.injected(); len(got) != run || got[run-1] != drop {
			t.Fatalf("injected %+v, want %d drops of the model endpoints", got, run)
		}
		tr := waitRun(t, ch, run)
		if tr.Text != "Sunny in Paris." || tr.Done {
			t.Fatalf("dropped run %+v: want the answer's start, without its end", tr)
		}
		deadline := time.After(20 * time.Second)
		for ch.Status().State != client.Failed { // a request is not retried
			select {
			case <-ch.Changed():
			case <-deadline:
				t.Fatalf("state %v after the drop, want failed", ch.Status().State)
			}
		}
	}

	// 429: the fault waits for the request the menu then sends.
	fake.mu.Lock()
	fake.holdAnswer = false
	fake.mu.Unlock()
	menuItem(t, menu.Items, "Rate-limit the request (429)").Action()
	x.recs.wg.Wait()
	if tr := waitRun(t, ch, 3); tr.HTTPStatus != http.StatusTooManyRequests {
		t.Fatalf("run 3 %+v, want HTTP 429", tr)
	}
	x.bridge.Tick()
	if !strings.HasPrefix(v.message, "error 429: ") {
		t.Fatalf("after a 429 the channel's message is %q", v.message)
	}
	if got := fake.injected(); len(got) != 3 || got[2] != (DemoFault{Kind: FaultFailNext, Channel: fakeModels, Status: http.StatusTooManyRequests}) {
		t.Fatalf("injected %+v, want a 429 of the model endpoints last", got)
	}
}

// The detail header's action of a request is Run again (Reconnect for a
// subscription), like the tile menu's; tapped while the first request may
// still be on its way, it runs the request once more after it.
func TestApp_DetailRunAgainForRequests(t *testing.T) {
	start, _ := newFakeDemo(t, demoNames...)
	x, _ := newTestApp(t, Options{Demo: true, DemoServer: start})
	ch, ok := x.mgr.Get("openai-chat")
	if !ok {
		t.Fatal("no model channel")
	}
	sub, ok := x.mgr.Get("deploy")
	if !ok {
		t.Fatal("no deploy channel")
	}
	x.bridge.Tick()

	x.openDetail(x.dash.views[sub])
	if _, ok := find(x.detail.content, button("Reconnect")); !ok {
		t.Fatal("a subscription's detail has no Reconnect button")
	}
	x.closeDetail()

	x.openDetail(x.dash.views[ch])
	root := x.detail.content
	if _, ok := find(root, button("Reconnect")); ok {
		t.Fatal("a request's detail offers Reconnect")
	}
	again := x.detail.againBtn
	if _, shown := find(root, func(b *guardedButton) bool { return b == again }); !shown || again.Text != "Run again" {
		t.Fatalf("a request's detail header shows %q (in the view: %v), want Run again", again.Text, shown)
	}
	test.Tap(again)
	if tr := waitRun(t, ch, 2); !tr.Done || tr.Text != "Sunny in Paris." {
		t.Fatalf("run 2 %+v, want the whole answer", tr)
	}
	menuItem(t, x.tileMenu(x.dash.views[ch]).Items, "Run again")
}
