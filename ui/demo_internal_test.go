package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
)

func TestApp_DemoModeSubscribesToEveryDemoChannel(t *testing.T) {
	start, _ := newFakeDemo(t, demoNames...)
	x, _ := newTestApp(t, Options{Demo: true, DemoServer: start})
	chans := x.mgr.Channels()
	if len(chans) != len(x.demo.srv.Channels())+len(x.demo.srv.Models()) || len(chans) < 6 {
		t.Fatalf("%d channels for %d demo channels and %d model endpoints", len(chans), len(x.demo.srv.Channels()), len(x.demo.srv.Models()))
	}
	// The demo channels reach the open state over loopback.
	deploy, ok := x.mgr.Get("deploy")
	if !ok {
		t.Fatal("no deploy channel")
	}
	deadline := time.After(20 * time.Second)
	for deploy.Status().State != client.Open {
		select {
		case <-deploy.Changed():
		case <-deadline:
			t.Fatalf("deploy never opened: %v %v", deploy.Status().State, deploy.Status().Err)
		}
	}
	x.bridge.Tick()
	if len(x.dash.items) != len(chans) {
		t.Fatalf("dashboard shows %d tiles, want %d", len(x.dash.items), len(chans))
	}
	if last := x.menu.Items[len(x.menu.Items)-1]; last.Label != "Demo" || len(last.Items) < 5 {
		t.Fatalf("no Demo fault menu: last menu is %q", last.Label)
	}
	if got := x.persistentConfigs(); len(got) != 0 {
		t.Fatalf("demo channels would be saved: %d", len(got))
	}
	if !x.demoBtn.Disabled() {
		t.Fatal("the Demo button stays enabled once the demo runs")
	}
}

func TestTestConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			if r.Header.Get("X-Token") != "s3cret" {
				http.Error(w, "missing token", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, ": hello\n\nid: 7\nevent: progress\ndata: {\"progress\":5}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>login</html>")
		default:
			http.Error(w, "no such stream", http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	hdr := []client.Header{{Name: "X-Token", Value: "s3cret"}}
	for _, tc := range []struct {
		name    string
		path    string
		headers []client.Header
		want    string
		wantErr string
	}{
		{"first event", "/ok", hdr, "First event: type progress, id 7", ""},
		{"unauthorized", "/ok", nil, "", "401"},
		{"not found", "/missing", nil, "", "404"},
		{"wrong type", "/html", nil, "", "text/html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res := testConnection(ctx, client.ChannelConfig{URL: srv.URL + tc.path, Headers: tc.headers}, clock.Real())
			if tc.wantErr != "" {
				if res.err == nil || !strings.Contains(res.err.Error(), tc.wantErr) {
					t.Fatalf("got %q / %v, want an error mentioning %q", res.text, res.err, tc.wantErr)
				}
				return
			}
			if res.err != nil || !strings.Contains(res.text, tc.want) {
				t.Fatalf("got %q / %v, want %q", res.text, res.err, tc.want)
			}
		})
	}
}

func TestApp_ImportExportWorkspace(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	pausedChannel(t, x, "orders")
	path := t.TempDir() + "/export.json"
	if err := x.exportWorkspace(path); err != nil {
		t.Fatal(err)
	}
	y, _ := newTestApp(t, Options{NoWorkspace: true})
	pausedChannel(t, y, "orders") // a name clash: the import renames
	if err := y.importWorkspace(path); err != nil {
		t.Fatal(err)
	}
	if _, ok := y.mgr.Get("orders-2"); !ok || len(y.mgr.Channels()) != 2 {
		t.Fatalf("import gave %d channels, want orders and orders-2", len(y.mgr.Channels()))
	}
	if err := y.importWorkspace(t.TempDir() + "/missing.json"); err == nil {
		t.Fatal("importing a missing file succeeded")
	}
}

func TestApp_DemoFaultButtonsBreakTheStream(t *testing.T) {
	start, fake := newFakeDemo(t, demoNames...)
	x, _ := newTestApp(t, Options{Demo: true, DemoServer: start})
	ch, _ := x.mgr.Get("metrics")
	waitState := func(want client.State) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for ch.Status().State != want {
			select {
			case <-ch.Changed():
			case <-deadline:
				t.Fatalf("metrics never reached %v (now %v)", want, ch.Status().State)
			}
		}
	}
	waitState(client.Open)
	x.bridge.Tick()
	x.openDetail(x.dash.views[ch])
	row, ok := x.detail.faults.(*fyne.Container)
	if !ok {
		t.Fatal("no demo fault row in the detail view of a demo channel")
	}
	var drop *guardedButton
	for _, o := range row.Objects {
		if b, ok := o.(*guardedButton); ok && b.Text == "Drop" {
			drop = b
		}
	}
	if drop == nil {
		t.Fatal("no Drop button")
	}
	test.Tap(drop)
	// The server cuts the connection: the engine retries (the fake clock
	// holds it there).
	waitState(client.Retrying)
	x.recs.wg.Wait()
	if got := fake.injected(); len(got) != 1 || got[0] != (DemoFault{Kind: FaultDrop, Channel: "metrics"}) {
		t.Fatalf("injected %+v, want one drop of metrics", got)
	}
}

func TestApp_TestConnectionButton(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "id: 1\nevent: hello\ndata: world\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	f := x.showChannelForm(client.ChannelConfig{}, false)
	test.Type(f.url, "ftp://nope")
	test.Tap(f.test)
	if !strings.Contains(f.status.Text, "not supported") {
		t.Fatalf("testing a bad URL says %q", f.status.Text)
	}
	f.url.SetText(srv.URL + "/events")
	test.Tap(f.test)
	// The probe reports through fyne.Do, inline on its goroutine here.
	x.recs.wg.Wait()
	if !strings.Contains(f.status.Text, "First event: type hello, id 1") || f.test.Disabled() {
		t.Fatalf("status = %q (button disabled: %v)", f.status.Text, f.test.Disabled())
	}
	if len(x.mgr.Channels()) != 0 {
		t.Fatal("testing a connection added a channel")
	}
}

func TestStallFor_OutlastsTheStallTimeout(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	add := func(name string, stall time.Duration) *client.Channel {
		ch, err := x.mgr.Add(client.ChannelConfig{Name: name, URL: "http://127.0.0.1:9/" + name, Paused: true, StallTimeout: stall})
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	short, def, off, huge := add("short", 10*time.Second), add("default", 0), add("off", -1), add("huge", 2*time.Hour)
	for _, tc := range []struct {
		name    string
		chans   []*client.Channel
		want    time.Duration
		wantWhy string
	}{
		{"one channel", []*client.Channel{short}, 15 * time.Second, ""},
		{"the longest wins", []*client.Channel{short, def}, client.DefaultStallTimeout + stallMargin, ""},
		{"detection off", []*client.Channel{short, off}, 15 * time.Second, "stall detection is off for off"},
		{"past the server's cap", []*client.Channel{huge}, maxDemoStall, "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, why := stallFor(tc.chans)
			if d != tc.want || (tc.wantWhy == "") != (why == "") || !strings.Contains(why, tc.wantWhy) {
				t.Fatalf("stallFor = %v, %q; want %v, %q", d, why, tc.want, tc.wantWhy)
			}
		})
	}
}

func TestApp_DemoStallFaultOutlastsTheDemoStallTimeout(t *testing.T) {
	start, fake := newFakeDemo(t, demoNames...)
	x, _ := newTestApp(t, Options{Demo: true, DemoServer: start})
	ch, _ := x.mgr.Get("flaky")
	if got, want := ch.Config().StallTimeout, demoStallTimeout(fake.hb); got != want || got < 3*fake.hb {
		t.Fatalf("demo stall timeout %v, want %v (3 heartbeats at least)", got, want)
	}
	var stall demoAction
	for _, a := range demoActions() {
		if a.fault.Kind == FaultStall {
			stall = a
		}
	}
	x.inject(stall, "flaky", ch)
	x.recs.wg.Wait()
	got := fake.injected()
	if len(got) != 1 || got[0].Kind != FaultStall || got[0].Channel != "flaky" || got[0].Duration <= ch.Config().StallTimeout {
		t.Fatalf("injected %+v, want a stall of flaky longer than %v", got, ch.Config().StallTimeout)
	}
}

func TestApp_RunQuitsOnTheUIGoroutineWhenTheContextEnds(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a signal arrived
	x.Run(ctx)
	select {
	case <-x.recs.ctx.Done():
	default:
		t.Fatal("Run returned without closing the app")
	}
}
