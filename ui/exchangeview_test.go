package ui_test

import (
	"net/http"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/ui"
)

func TestExchangeView_Markup(t *testing.T) {
	test.NewTempApp(t)
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	req := func(id string) client.ExchangeRequest {
		h := http.Header{"Host": {"127.0.0.1:8080"}, "Accept": {"text/event-stream"}, "Authorization": {"Bearer ***"}, "User-Agent": {"ssemon/v1.2.0"}}
		if id != "" {
			h.Set("Last-Event-ID", id)
		}
		return client.ExchangeRequest{Method: "GET", URL: "http://127.0.0.1:8080/api/stream/deploy", Header: h, LastEventID: id}
	}
	xs := []client.Exchange{
		{Seq: 1, Attempt: 1, Start: t0, Duration: 2 * time.Millisecond, Request: req(""), Ended: true, End: client.EndError,
			Err: "connect: dial tcp 127.0.0.1:8080: connect: connection refused"},
		{Seq: 2, Attempt: 2, Start: t0.Add(3 * time.Second), Duration: 4 * time.Millisecond, Request: req(""), RemoteAddr: "127.0.0.1:8080",
			Response: &client.ExchangeResponse{Proto: "HTTP/1.1", StatusCode: 503, Status: "503 Service Unavailable",
				Header: http.Header{"Content-Type": {"text/plain"}, "Retry-After": {"2"}}, BodyPreview: "busy\n"},
			Timings: client.ExchangeTimings{Connect: time.Millisecond, FirstByte: 3 * time.Millisecond}, Ended: true, End: client.EndHTTP, Err: "HTTP 503 Service Unavailable"},
		{Seq: 3, Attempt: 3, Start: t0.Add(6 * time.Second), Duration: 80 * time.Second, Request: req("41"), RemoteAddr: "127.0.0.1:8080",
			Response: &client.ExchangeResponse{Proto: "HTTP/2.0", StatusCode: 200, Status: "200 OK",
				Header: http.Header{"Content-Type": {"text/event-stream"}, "Cache-Control": {"no-cache"}},
				TLS:    &client.ExchangeTLS{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ALPN: "h2", Subject: "CN=stream.example.com", NotAfter: t0.AddDate(0, 3, 0)}},
			Timings: client.ExchangeTimings{DNS: time.Millisecond, Connect: 2 * time.Millisecond, TLS: 9 * time.Millisecond, FirstByte: 14 * time.Millisecond, FirstEvent: 40 * time.Millisecond},
			Events:  120, Bytes: 20 << 10},
	}
	for _, tc := range []struct {
		name string
		xs   []client.Exchange
	}{
		{"empty", nil},
		{"attempts", xs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := ui.NewExchangeView()
			v.Location = time.UTC
			v.Set(tc.xs)
			w := test.NewTempWindow(t, v)
			w.Resize(fyne.NewSize(720, 900))
			test.AssertRendersToMarkup(t, "exchangeview/"+tc.name+".xml", w.Canvas())
		})
	}
}
