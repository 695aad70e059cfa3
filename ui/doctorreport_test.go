package ui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client/doctor"
	"github.com/ssemon/ssemon/ui"
)

func TestDoctorReport_Markup(t *testing.T) {
	test.NewTempApp(t)
	rep := &doctor.Report{
		URL: "http://127.0.0.1:8080/api/stream/deploy", Method: "GET",
		Watch: 20 * time.Second, Duration: 27 * time.Second,
		Findings: []doctor.Finding{
			{Check: doctor.CheckConnect, Severity: doctor.OK, Summary: "connected", Evidence: "connected to 127.0.0.1:8080 in 1ms"},
			{Check: doctor.CheckBuffering, Severity: doctor.Error, Summary: "no response at all in 20s: something holds the whole response",
				Evidence: "connected and sent the request, then no response byte for 20s",
				Fix:      "make every hop flush each event.",
				Snippets: []doctor.Snippet{{Lang: "nginx", Code: "proxy_buffering off;"}}},
			{Check: doctor.CheckRetry, Severity: doctor.Info, Summary: "no retry: field", Evidence: "clients reconnect after their own default"},
			{Check: doctor.CheckAccelBuffering, Severity: doctor.Warning, Summary: "X-Accel-Buffering: no missing",
				Evidence: "no X-Accel-Buffering header", Fix: "send X-Accel-Buffering: no."},
		},
	}
	for _, tc := range []struct {
		name string
		set  func(r *ui.DoctorReport)
	}{
		{"running", func(*ui.DoctorReport) {}},
		{"error", func(r *ui.DoctorReport) { r.SetError("Cannot examine this channel: URL: no host") }},
		{"report", func(r *ui.DoctorReport) { r.SetReport(rep) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ui.NewDoctorReport("GET http://127.0.0.1:8080/api/stream/deploy", 20*time.Second)
			tc.set(r)
			w := test.NewTempWindow(t, r)
			w.Resize(fyne.NewSize(720, 640))
			test.AssertRendersToMarkup(t, "doctorreport/"+tc.name+".xml", w.Canvas())
		})
	}
}
