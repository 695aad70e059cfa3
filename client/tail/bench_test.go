package tail

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/record"
)

func benchEvent() record.Entry {
	return record.Entry{Kind: record.KindEvent, Time: t0, Channel: "deploy", ID: "12345", Type: "status_update",
		Data: `{"channel":"deploy","timestamp":1764100000000,"progress":40,"stage":"build","status":"running"}`, Bytes: 140}
}

// BenchmarkPrinter formats one event per iteration in each output mode.
func BenchmarkPrinter(b *testing.B) {
	cases := []struct {
		name string
		p    printer
	}{
		{"json", jsonPrinter{}},
		{"human-compact", newHumanPrinter([]string{"deploy", "logs"}, time.UTC, false, true)},
		{"human-pretty", newHumanPrinter([]string{"deploy", "logs"}, time.UTC, false, false)},
		{"human-color", newHumanPrinter([]string{"deploy", "logs"}, time.UTC, true, true)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e := benchEvent()
			buf := make([]byte, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				e.Time = e.Time.Add(time.Millisecond)
				buf = c.p.appendEntry(buf[:0], &e)
			}
		})
	}
}

// BenchmarkSession runs whole sessions: a local server sends n events as
// fast as it can, ssemon-tail decodes, formats and writes them to a
// discarding output, and stops at --max-events n. It reports events/s.
func BenchmarkSession(b *testing.B) {
	const n = 20000
	var body strings.Builder
	for i := range n {
		fmt.Fprintf(&body, "id: %d\nevent: status_update\ndata: {\"channel\":\"deploy\",\"timestamp\":1764100000000,\"progress\":%d,\"status\":\"running\"}\n\n", i, i%100)
	}
	payload := body.String()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, payload)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer hs.Close()
	for _, mode := range []string{"--json", "--compact"} {
		b.Run(strings.TrimPrefix(mode, "--"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				code := Main(context.Background(), []string{mode, "--max-events", fmt.Sprint(n), hs.URL + "/s"},
					Env{Stdout: io.Discard, Location: time.UTC})
				if code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
