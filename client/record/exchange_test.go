package record

import (
	"net/http"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
)

func TestMaskExchange(t *testing.T) {
	x := client.Exchange{
		Request: client.ExchangeRequest{URL: "http://bob:pw@h/s?token=abc&x=1", Header: http.Header{"Authorization": {"Bearer s3cret"}, "Accept": {"text/event-stream"}},
			BodyPreview: `api_key=k3y&q=1`},
		Response: &client.ExchangeResponse{Header: http.Header{"Set-Cookie": {"sid=abc; Path=/"}}, BodyPreview: "token=zzz"},
		Err:      "GET http://h/s?token=abc failed",
	}
	m := MaskExchange(x)
	if m.Request.URL != "http://bob:***@h/s?token=***&x=1" || m.Request.Header.Get("Authorization") != "Bearer ***" ||
		m.Request.Header.Get("Accept") != "text/event-stream" || m.Request.BodyPreview != "api_key=***&q=1" ||
		m.Response.Header.Get("Set-Cookie") != "sid=***; Path=/" || m.Response.BodyPreview != "token=***" || m.Err != "GET http://h/s?token=*** failed" {
		t.Fatalf("masked %+v\nrequest %+v\nresponse %+v", m, m.Request, m.Response)
	}
	if x.Request.Header.Get("Authorization") != "Bearer s3cret" || x.Response.Header.Get("Set-Cookie") != "sid=abc; Path=/" {
		t.Fatal("the original was changed")
	}
}

func TestFindingJSON(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	e := Entry{Kind: KindEvent, Time: at, Channel: "c", ID: "10", Type: "message", Data: "x",
		Finding: client.Finding{Kind: client.FindingGap, Missed: 5, Prev: "4", ID: "10"}}
	line := string(AppendJSON(nil, &e))
	want := `{"kind":"event","time":"2025-03-01T12:00:00Z","channel":"c","id":"10","type":"message","data":"x","finding":{"kind":"gap","missed":5,"prev":"4","id":"10","text":"gap: 5 events missing (4 → 10)"}}`
	if line != want {
		t.Fatalf("got  %s\nwant %s", line, want)
	}
	var back Entry
	if err := back.UnmarshalJSON([]byte(line)); err != nil || back.Finding != e.Finding {
		t.Fatalf("read back %+v (%v)", back.Finding, err)
	}
	if err := back.UnmarshalJSON([]byte(`{"kind":"event","time":"2025-03-01T12:00:00Z","channel":"c","id":"1","type":"m","data":"","finding":{"kind":"sideways"}}`)); err != nil || back.Finding.Kind != client.FindingNone {
		t.Fatalf("unknown finding kind: %+v (%v)", back.Finding, err)
	}
}
