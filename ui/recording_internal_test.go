package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/record"
)

// writeRecording writes a small two-channel recording and returns its path.
func writeRecording(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bug.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := record.NewWriter(f, "ssemon-tail", testEpoch)
	at := func(ms int) time.Time { return testEpoch.Add(time.Duration(ms) * time.Millisecond) }
	for _, e := range []record.Entry{
		{Kind: record.KindChannel, Time: at(0), Channel: "deploy", URL: "http://127.0.0.1:8080/api/stream/deploy"},
		{Kind: record.KindState, Time: at(5), Channel: "deploy", State: client.Open, Status: 200, Detail: "HTTP/1.1 200 OK"},
		{Kind: record.KindEvent, Time: at(10), Channel: "deploy", ID: "1", Type: "progress", Data: `{"progress":10,"message":"build"}`, Bytes: 50},
		{Kind: record.KindComment, Time: at(20), Channel: "deploy", Comment: "heartbeat", Bytes: 12},
		{Kind: record.KindEvent, Time: at(30), Channel: "deploy", ID: "3", Type: "progress", Data: `{"progress":30,"message":"test"}`, Bytes: 50},
		{Kind: record.KindChannel, Time: at(0), Channel: "flaky", URL: "http://127.0.0.1:8080/api/stream/flaky?token=***"},
		{Kind: record.KindState, Time: at(40), Channel: "flaky", State: client.Retrying, Attempt: 2, Status: 503, Error: "HTTP 503 Service Unavailable", Body: "try later"},
	} {
		if err := w.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestApp_OpenRecordingOffline(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	n, err := x.loadRecording(context.Background(), writeRecording(t))
	if err != nil || n != 2 {
		t.Fatalf("loadRecording = %d, %v; want 2 channels", n, err)
	}
	x.bridge.Tick()
	deploy, ok := x.mgr.Get("deploy")
	if !ok || !deploy.Offline() {
		t.Fatal("no offline deploy channel")
	}
	if g := deploy.Config().Group; g != "recording: bug.jsonl" {
		t.Fatalf("group = %q", g)
	}
	snap := deploy.Snapshot()
	if snap.Stats.Events != 2 || snap.Stats.Gaps != 1 || snap.Status.State != client.Open {
		t.Fatalf("deploy: %d events, %d gaps, state %v; want 2, 1 (id 1 → 3), open", snap.Stats.Events, snap.Stats.Gaps, snap.Status.State)
	}
	flaky, _ := x.mgr.Get("flaky")
	if st := flaky.Status(); st.State != client.Retrying || st.HTTPStatus != 503 || !strings.Contains(client.StatusReason(st), "503") {
		t.Fatalf("flaky status = %+v", st)
	}
	if got := x.persistentConfigs(); len(got) != 0 {
		t.Fatalf("recorded channels would be saved: %d", len(got))
	}

	x.openDetail(x.dash.views[deploy])
	d := x.detail
	if !d.offline {
		t.Fatal("the detail view offers stream actions for a recording")
	}
	// The log: the recorded open state, two events and a comment, with
	// their recorded times (an offline channel has no state of its own).
	var kinds []string
	for i := range d.log.Len() {
		kinds = append(kinds, d.log.At(i).Kind.String())
	}
	if strings.Join(kinds, ",") != "state,event,comment,event" {
		t.Fatalf("log kinds = %v", kinds)
	}
	if at := d.log.At(3).At; !at.Equal(testEpoch.Add(30 * time.Millisecond)) {
		t.Fatalf("last event at %v, want the recorded time", at)
	}
	// The timeline shows the recorded transitions up to the last record:
	// the snapshot is taken on the recording's clock.
	hist, end := d.v.snap.History, d.v.snap.At
	if len(hist) != 1 || hist[0].State != client.Open || !end.Equal(testEpoch.Add(30*time.Millisecond)) {
		t.Fatalf("recorded history = %+v until %v", hist, end)
	}
	// Reconnect-all leaves recordings alone.
	x.closeDetail()
	x.reconnect()
	if deploy.Status().State != client.Open {
		t.Fatalf("reconnect touched the recording: %v", deploy.Status().State)
	}
}

func TestApp_OpenRecordingErrors(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"kind\":\"recording\",\"time\":\"2025-03-01T12:00:00Z\",\"version\":1}\nnot json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.jsonl"), "no such file"},
		{"bad line", bad, "line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := x.loadRecording(context.Background(), tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestApp_OpenRecordingInTheBackground(t *testing.T) {
	x, clk := newTestApp(t, Options{NoWorkspace: true})
	x.openRecording(writeRecording(t))
	// The loader reports through fyne.Do, which this driver runs inline on
	// the loader's goroutine: wait for it before looking.
	x.recs.wg.Wait()
	if got := x.banner.Text(); got != "Opened bug.jsonl: 2 channels (offline)" {
		t.Fatalf("banner = %q", got)
	}
	if len(x.mgr.Channels()) != 2 {
		t.Fatalf("%d channels, want 2", len(x.mgr.Channels()))
	}
	// Good news passes: the notice closes by itself.
	clk.Advance(recoveredFor)
	if !x.banner.Expire(clk.Now()) || x.banner.Text() != "" {
		t.Fatalf("the notice stays: %q", x.banner.Text())
	}
}

// TestApp_RecordingShownOnItsOwnClock: an hour after a recording was
// opened, its tile still tells the ages of the recording (its last event
// came just before its end), its sparkline holds its events, and the
// detail view's state ages count to the recording's end.
func TestApp_RecordingShownOnItsOwnClock(t *testing.T) {
	x, clk := newTestApp(t, Options{NoWorkspace: true})
	if _, err := x.loadRecording(context.Background(), writeRecording(t)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	x.bridge.Tick()
	deploy, _ := x.mgr.Get("deploy")
	v := x.dash.views[deploy]
	v.refresh(true)
	d := v.tileData(clk.Now())
	if d.LastEvent != "last event just now" {
		t.Fatalf("recording's tile says %q an hour later, want the recording's own age", d.LastEvent)
	}
	var events float64
	for _, n := range d.History {
		events += n
	}
	if events != 2 {
		t.Fatalf("recording's sparkline counts %v events, want its 2", events)
	}
	if got := x.dash.summary.Text; got != "2 channels · 1 open · 1 retrying" {
		t.Fatalf("summary %q", got)
	}
	x.openDetail(v)
	if h := x.detail.history.Text; !strings.HasPrefix(h, "just now · open") {
		t.Fatalf("detail history %q, want ages on the recording's clock", h)
	}
}

// TestApp_OneChannelRecordingSaysChannel: the notice and the summary of a
// one-channel recording say "1 channel".
func TestApp_OneChannelRecordingSaysChannel(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	path := filepath.Join(t.TempDir(), "one.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := record.NewWriter(f, "ssemon-tail", testEpoch)
	for _, e := range []record.Entry{
		{Kind: record.KindChannel, Time: testEpoch, Channel: "solo", URL: "http://127.0.0.1:8080/api/stream/solo"},
		{Kind: record.KindState, Time: testEpoch, Channel: "solo", State: client.Open, Status: 200},
	} {
		if err := w.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	x.openRecording(path)
	x.recs.wg.Wait()
	if got := x.banner.Text(); got != "Opened one.jsonl: 1 channel (offline)" {
		t.Fatalf("banner = %q", got)
	}
	x.bridge.Tick()
	if got := x.dash.summary.Text; got != "1 channel · 1 open" {
		t.Fatalf("summary %q, want 1 channel", got)
	}
}

// TestApp_OpenRecordingByTypedPath: File → Open recording takes a typed
// path, starting in the folder of the last file opened; a missing file or
// a folder is said in the dialog, which stays open.
func TestApp_OpenRecordingByTypedPath(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	rec := writeRecording(t)
	dir := filepath.Dir(rec)
	x.app.Preferences().SetString(prefOpenDir, dir)
	x.openRecordingDialog()
	d := x.topDialog()
	f, ok := x.win.Canvas().Focused().(*guardedEntry)
	if d == nil || !ok || f.Text != dir+string(filepath.Separator) {
		t.Fatalf("the dialog does not start in the last folder: focus %T", x.win.Canvas().Focused())
	}
	for _, tc := range []struct{ typed, want string }{
		{"nope.jsonl", "no such file"},
		{"", "is a folder"},
	} {
		f.SetText(dir + string(filepath.Separator))
		f.CursorColumn = len([]rune(f.Text))
		test.Type(f, tc.typed)
		f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		p, _ := find(x.win.Canvas().Overlays().Top(), func(l *widget.Label) bool { return strings.Contains(l.Text, tc.want) })
		if x.topDialog() != d || p == nil {
			t.Fatalf("typed %q: dialog open %v, no %q said", tc.typed, x.topDialog() == d, tc.want)
		}
	}
	f.SetText(dir + string(filepath.Separator))
	f.CursorColumn = len([]rune(f.Text))
	test.Type(f, filepath.Base(rec))
	f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	x.recs.wg.Wait()
	if x.topDialog() != nil || len(x.mgr.Channels()) != 2 {
		t.Fatalf("typed the recording's name: dialog open %v, %d channels", x.topDialog() != nil, len(x.mgr.Channels()))
	}
}
