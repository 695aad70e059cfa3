package demoserver_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/transcript"
	"github.com/ssemon/ssemon/cmd/ssemon/internal/demoserver"
	"github.com/ssemon/ssemon/server"
	"github.com/ssemon/ssemon/ui"
)

// fastConfig is the built-in demo server's configuration with model answers
// streamed fast, so that a test waits for states, not for tokens, and one
// quiet scenario channel (the busy ones have nothing to do with models).
func fastConfig() server.Config {
	cfg := demoserver.EmbeddedConfig(slog.New(slog.DiscardHandler))
	cfg.Models.TokenRate = 2000
	cfg.Scenarios = slices.DeleteFunc(cfg.Scenarios, func(sc server.Scenario) bool { return sc.Kind != server.KindQuiet })
	return cfg
}

// titles maps the demo's model channels to their menu titles.
var titles = map[string]string{"openai-chat": "OpenAI", "anthropic-messages": "Anthropic", "ollama-chat": "Ollama"}

// waitRun waits until run n of ch's requests has ended and returns it.
func waitRun(t *testing.T, ch *client.Channel, n int) transcript.Transcript {
	t.Helper()
	deadline := time.After(30 * time.Second)
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

// findPanel returns the Transcript panel shown in o's tree, if any.
func findPanel(o fyne.CanvasObject) *ui.TranscriptPanel {
	if o == nil || !o.Visible() {
		return nil
	}
	if p, ok := o.(*ui.TranscriptPanel); ok {
		return p
	}
	var kids []fyne.CanvasObject
	switch v := o.(type) {
	case *fyne.Container:
		kids = v.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(v).Objects()
	}
	for _, k := range kids {
		if p := findPanel(k); p != nil {
			return p
		}
	}
	return nil
}

// TestModelStreamsFromTheDemoMenu drives Demo → Model streams against the
// built-in demo server: each item opens its channel's Transcript tab and
// sends the request; the transcript assembles the canned answer (reasoning,
// text, the tool call with its arguments, usage).
func TestModelStreamsFromTheDemoMenu(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	x, err := ui.New(a, w, ui.Options{Demo: true, DemoServer: demoserver.Embedded(fastConfig()), NoWorkspace: true, ManualTick: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Close)
	w.Resize(fyne.NewSize(1200, 800))

	var models *fyne.MenuItem
	for _, m := range w.MainMenu().Items {
		if m.Label != "Demo" {
			continue
		}
		for _, it := range m.Items {
			if it.Label == "Model streams" {
				models = it
			}
		}
	}
	if models == nil || len(models.ChildMenu.Items) != 3 {
		t.Fatalf("no Demo → Model streams submenu with three APIs: %+v", models)
	}
	for _, it := range models.ChildMenu.Items {
		t.Run(it.Label, func(t *testing.T) {
			// Run 1 is sent at start; once it is done, the menu sends run 2.
			var ch *client.Channel
			for _, c := range x.Manager().Channels() {
				if cfg := c.Config(); cfg.IsRequest() && strings.Contains(it.Label, titles[c.Name()]) {
					ch = c
				}
			}
			if ch == nil {
				t.Fatalf("no request channel for %q", it.Label)
			}
			waitRun(t, ch, 1)
			it.Action()
			if x.DetailChannel() != ch.Name() {
				t.Fatalf("the detail view shows %q, want %q", x.DetailChannel(), ch.Name())
			}
			tr := waitRun(t, ch, 2)
			if tr.Text != "Let me check the current weather in Paris for you." ||
				!strings.Contains(tr.Reasoning, "call the weather tool") ||
				len(tr.ToolCalls) != 1 || tr.ToolCalls[0].Name != "get_weather" ||
				!strings.Contains(tr.ToolCalls[0].PrettyArguments(), `"city": "Paris"`) ||
				!tr.Usage.Known || tr.Usage.OutputTokens != 29 || tr.Error != "" {
				t.Fatalf("transcript %+v", tr)
			}
			x.Bridge().Tick()
			p := findPanel(w.Content())
			if p == nil {
				t.Fatal("the Transcript tab is not shown")
			}
			if shown, ok := p.Selected(); !ok || shown.Run != tr.Run || shown.Text != tr.Text {
				t.Fatalf("the Transcript tab shows run %d %q, want run %d", shown.Run, shown.Text, tr.Run)
			}
		})
	}
}

// TestModelFaultsReachTheModelEndpoints: the built-in server takes the
// model endpoints' faults through its admin endpoint.
func TestModelFaultsReachTheModelEndpoints(t *testing.T) {
	srv, err := demoserver.Embedded(fastConfig())(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ms := srv.Models()
	if len(ms) != 3 {
		t.Fatalf("%d model endpoints, want 3", len(ms))
	}
	ctx := context.Background()
	if err := srv.Inject(ctx, ui.DemoFault{Kind: ui.FaultFailNext, Channel: ms[0].FaultChannel, Status: http.StatusTooManyRequests}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Inject(ctx, ui.DemoFault{Kind: ui.FaultBurst, Channel: ms[0].FaultChannel, N: 5}); err == nil {
		t.Fatal("a burst on the model endpoints was accepted")
	}
	for i, want := range []int{http.StatusTooManyRequests, http.StatusOK} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ms[1].URL, strings.NewReader(ms[1].Body))
		for _, h := range ms[1].Headers {
			req.Header.Set(h.Name, h.Value)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("request %d: %s, want %d", i+1, resp.Status, want)
		}
	}
}
