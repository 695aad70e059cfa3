package record

import (
	"net/http"
	"testing"

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
