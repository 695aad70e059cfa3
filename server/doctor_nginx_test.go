package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/doctor"
	"github.com/ssemon/ssemon/server/internal/ssetest"
)

// TestDoctorBehindNginx runs the stream doctor on the demo server through
// a real nginx in its default configuration (proxy_buffering on, HTTP/1.0
// to the upstream): the demo's X-Accel-Buffering: no gets every event
// through and the doctor finds no error; a server that does not send the
// header, and the demo with nginx told to ignore it, are reported held.
func TestDoctorBehindNginx(t *testing.T) {
	t.Parallel()
	nginx := ssetest.RequireBinary(t, "nginx-light", "nginx")
	s, err := New(Config{
		Scenarios: []Scenario{{Channel: "deploy", Kind: KindDeploy, Interval: 100 * time.Millisecond}},
		Heartbeat: time.Second,
		Clock:     clock.Real(),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(func() { _ = s.Close() }) // runs first: ends streams so hs.Close does not wait
	// watch is how long the doctor watches: a buffering nginx flushes its
	// buffer only when it fills (about every 1.6 s with these streams), so
	// a held stream is watched long enough for several flushes — one flush
	// alone looks like headers held until the first event, not bursts.
	examine := func(t *testing.T, url string, watch time.Duration) *doctor.Report {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		rep, err := doctor.Run(ctx, doctor.Config{
			Stream: client.StreamConfig{URL: url},
			Watch:  watch, Concurrent: 3, Abandon: 5,
		})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	t.Run("X-Accel-Buffering: no", func(t *testing.T) {
		t.Parallel()
		rep := examine(t, ssetest.StartNginx(t, nginx, []string{hs.Listener.Addr().String()}, "")+"/api/stream/deploy", 2*time.Second)
		if f, _ := rep.Finding(doctor.CheckBuffering); f.Severity != doctor.OK || rep.Worst() == doctor.Error {
			t.Fatalf("buffering %s %q (%s); worst %s", f.Severity, f.Summary, f.Evidence, rep.Worst())
		}
		// nginx consumes the header: the doctor says so instead of warning
		if f, _ := rep.Finding(doctor.CheckAccelBuffering); f.Severity != doctor.Info {
			t.Fatalf("x-accel-buffering %s %q", f.Severity, f.Summary)
		}
		if f, _ := rep.Finding(doctor.CheckResume); f.Severity != doctor.OK {
			t.Fatalf("resume through nginx: %s %q (%s)", f.Severity, f.Summary, f.Evidence)
		}
	})
	t.Run("a server without the header", func(t *testing.T) {
		t.Parallel()
		plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Cache-Control", "no-cache, no-transform")
			rc := http.NewResponseController(w)
			for n := 1; ; n++ {
				fmt.Fprintf(w, "id: %d\ndata: {\"n\":%d}\n\n", n, n)
				rc.Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}))
		t.Cleanup(plain.Close)
		rep := examine(t, ssetest.StartNginx(t, nginx, []string{plain.Listener.Addr().String()}, "")+"/events", 5*time.Second)
		if f, _ := rep.Finding(doctor.CheckBuffering); f.Severity != doctor.Error {
			t.Fatalf("buffering %s %q (%s)", f.Severity, f.Summary, f.Evidence)
		}
	})
	t.Run("header ignored", func(t *testing.T) {
		t.Parallel()
		rep := examine(t, ssetest.StartNginx(t, nginx, []string{hs.Listener.Addr().String()}, "proxy_ignore_headers X-Accel-Buffering;")+"/api/stream/deploy", 5*time.Second)
		if f, _ := rep.Finding(doctor.CheckBuffering); f.Severity != doctor.Error {
			t.Fatalf("buffering %s %q (%s)", f.Severity, f.Summary, f.Evidence)
		}
	})
}
