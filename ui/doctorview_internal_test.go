package ui

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/doctor"
)

// idStream serves an event with an id every 40 ms, without
// X-Accel-Buffering: the doctor finds that warning and no error.
func idStream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache, no-transform")
		rc := http.NewResponseController(w)
		n := 0
		fmt.Sscan(r.Header.Get("Last-Event-ID"), &n)
		for {
			n++
			fmt.Fprintf(w, "retry: 3000\nid: %d\ndata: {\"n\":%d}\n\n", n, n)
			rc.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(40 * time.Millisecond):
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// find returns the first object under o that match accepts.
func find[T fyne.CanvasObject](o fyne.CanvasObject, match func(T) bool) (T, bool) {
	if v, ok := o.(T); ok && match(v) {
		return v, true
	}
	var kids []fyne.CanvasObject
	switch c := o.(type) {
	case *fyne.Container:
		kids = c.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(c).Objects()
	}
	for _, k := range kids {
		if v, ok := find(k, match); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

func button(text string) func(*guardedButton) bool {
	return func(b *guardedButton) bool { return b.Text == text }
}

// diagnose taps the Diagnose button under root, waits for the doctor and
// returns the report the dialog shows.
func diagnose(t *testing.T, x *App, root fyne.CanvasObject) *DoctorReport {
	t.Helper()
	b, ok := find(root, button("Diagnose"))
	if !ok {
		t.Fatal("no Diagnose button")
	}
	test.Tap(b)
	top := x.win.Canvas().Overlays().Top()
	view, ok := find(top, func(*DoctorReport) bool { return true })
	if !ok {
		t.Fatal("Diagnose opened no report")
	}
	// The examination reports through fyne.Do, inline on its goroutine here.
	x.recs.wg.Wait()
	if view.Report == nil {
		t.Fatalf("no report; error %q", view.Err)
	}
	return view
}

func TestApp_DiagnoseFromDetail(t *testing.T) {
	srv := idStream(t)
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	// the responses are awaited as long as they take (a loaded machine);
	// the watch itself is short
	x.doctor = doctorOptions{watch: 400 * time.Millisecond, clk: clock.Real(), concurrent: 2, abandon: 2, connect: time.Minute}
	ch, err := x.mgr.Add(client.ChannelConfig{Name: "orders", URL: srv.URL + "/events", Paused: true})
	if err != nil {
		t.Fatal(err)
	}
	x.bridge.Tick()
	x.openDetail(x.dash.views[ch])
	view := diagnose(t, x, x.detail.content)
	rep := view.Report
	if f, _ := rep.Finding(doctor.CheckAccelBuffering); f.Severity != doctor.Warning {
		t.Errorf("x-accel-buffering: %+v", f)
	}
	if f, _ := rep.Finding(doctor.CheckResume); f.Severity != doctor.OK {
		t.Errorf("resume: %+v", f)
	}
	if rep.Worst() == doctor.Error {
		t.Errorf("an error finding on a good stream: %s", rep.Totals())
	}
	// the report is on screen: its worst finding, with its fix
	if _, ok := find(view, func(l *widget.Label) bool {
		return l.Text == "Fix: "+mustFinding(t, rep, doctor.CheckAccelBuffering).Fix
	}); !ok {
		t.Error("the warning's fix is not shown")
	}
	top := x.win.Canvas().Overlays().Top()
	copyBtn, _ := find(top, button("Copy report"))
	test.Tap(copyBtn)
	if got := x.app.Clipboard().Content(); len(got) < 100 {
		t.Errorf("copied report %q", got)
	}
	closeBtn, _ := find(top, button("Close"))
	test.Tap(closeBtn)
}

func mustFinding(t *testing.T, rep *doctor.Report, check string) doctor.Finding {
	t.Helper()
	f, ok := rep.Finding(check)
	if !ok {
		t.Fatalf("no %s finding", check)
	}
	return f
}

func TestApp_DiagnoseFromAddDialog(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	x.doctor = doctorOptions{watch: 300 * time.Millisecond, clk: clock.Real(), concurrent: -1, abandon: -1, connect: time.Minute}
	notStream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>login</html>")
	}))
	t.Cleanup(notStream.Close)
	f := x.showChannelForm(client.ChannelConfig{}, false)
	f.url.SetText(notStream.URL + "/events")
	view := diagnose(t, x, x.win.Canvas().Overlays().Top())
	if ct := mustFinding(t, view.Report, doctor.CheckContentType); ct.Severity != doctor.Error {
		t.Fatalf("content-type: %+v", ct)
	}
	if len(x.mgr.Channels()) != 0 {
		t.Fatal("diagnosing from the add dialog added a channel")
	}
}
