package ui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
)

// TestConnectionTab: a channel whose endpoint answers 404 says so on its
// tile; its Connection tab shows the attempt with the secrets masked,
// shows them on request, and "Copy as curl" puts a command reproducing
// the request on the clipboard.
func TestConnectionTab(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"unknown channel"}`)
	}))
	t.Cleanup(srv.Close)
	x, clk := newTestApp(t, Options{NoWorkspace: true})
	ch, err := x.mgr.Add(client.ChannelConfig{Name: "api", URL: srv.URL + "/api/stream/nope",
		Headers: []client.Header{{Name: "Authorization", Value: "Bearer s3cret"}}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for ch.Status().State != client.Failed {
		select {
		case <-ch.Changed():
		case <-deadline:
			t.Fatalf("channel never failed: %v", ch.Status())
		}
	}
	x.bridge.Tick()
	v := x.dash.views[ch]
	v.refresh(true)
	if msg := v.tileData(clk.Now()).Message; msg != "404 Not Found" {
		t.Fatalf("tile message %q, want the reason", msg)
	}

	x.openDetail(v)
	p := x.detail.conn
	p.tabs.Select(p.tab)
	xs := p.view.Exchanges
	if len(xs) != 1 || xs[0].Response == nil || xs[0].Response.StatusCode != 404 || xs[0].Request.Header.Get("Authorization") != "Bearer ***" ||
		xs[0].Response.BodyPreview != `{"error":"unknown channel"}` {
		t.Fatalf("shown exchanges %+v", xs)
	}
	p.reveal.SetChecked(true)
	if got := p.view.Exchanges[0].Request.Header.Get("Authorization"); got != "Bearer s3cret" {
		t.Fatalf("Show secrets: Authorization %q", got)
	}
	p.reveal.SetChecked(false)
	test.Tap(p.copyXs)
	if clip := x.app.Clipboard().Content(); !strings.HasPrefix(clip, "Attempt 1 · ") || !strings.Contains(clip, "> Authorization: Bearer ***") ||
		!strings.Contains(clip, "< HTTP/1.1 404 Not Found") || strings.Contains(clip, "s3cret") {
		t.Fatalf("Copy attempts: clipboard %q", clip)
	}
	test.Tap(p.copy)
	clip := x.app.Clipboard().Content()
	if !strings.HasPrefix(clip, "curl -N") || !strings.Contains(clip, "Bearer $AUTHORIZATION") || !strings.Contains(clip, srv.URL+"/api/stream/nope") {
		t.Fatalf("clipboard %q", clip)
	}
}
