package tail

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/record"
)

// HandleExchange receives the record of every connection attempt (see
// client.ExchangeHandler): -v prints it, and it tells the summary whether
// a connection was made.
func (h *streamHandler) HandleExchange(x client.Exchange) {
	if !h.s.opts.ShowSecrets {
		x = record.MaskExchange(x)
	}
	h.s.send(item{e: record.Entry{Channel: h.name, Time: h.s.stamp(x.Start)}, x: &x})
}

// exchangeText writes an attempt curl -v style, for stderr:
//
//   - deploy: attempt 2 · 127.0.0.1:8080 · dns 1ms · connect 2ms · first byte 5ms
//     > GET /api/stream/deploy
//     > Host: 127.0.0.1:8080
//     > Last-Event-ID: 41
//     < HTTP/1.1 200 OK
//     < Content-Type: text/event-stream
//   - deploy: attempt 2 ended after 1m3s: eof · 120 events · 20 KiB · first event after 40ms
//
// The request is written once per attempt: with the response when one
// came, else with the end.
func appendExchangeText(dst []byte, name string, x *client.Exchange, requestShown bool) []byte {
	line := func(prefix, s string) {
		dst = append(dst, prefix...)
		dst = append(dst, sanitize(s)...)
		dst = append(dst, '\n')
	}
	if !requestShown {
		head := name + ": attempt " + strconv.Itoa(x.Seq)
		if x.RemoteAddr != "" {
			head += " · " + x.RemoteAddr
		}
		if t := x.TimingText(); t != "" {
			head += " · " + t
		}
		line("* ", head)
		for _, l := range x.RequestLines() {
			line("> ", l)
		}
		for _, l := range x.ResponseLines() {
			line("< ", l)
		}
		if t := x.TLSText(); t != "" {
			line("* ", t)
		}
	}
	if !x.Ended {
		return dst
	}
	end := name + ": attempt " + strconv.Itoa(x.Seq) + " ended after " + client.FormatDuration(x.Duration) + ": " + x.EndText()
	if r := x.ResultText(); r != "" {
		end += " · " + r
	}
	line("* ", end)
	if x.Response != nil && x.Response.BodyPreview != "" {
		line("* ", "body: "+oneLine(x.Response.BodyPreview, 400))
	}
	return dst
}

// exchangeJSON is the -v --json line of an attempt, on stderr.
type exchangeJSON struct {
	Kind       string        `json:"kind"`
	Time       time.Time     `json:"time"`
	Channel    string        `json:"channel"`
	Phase      string        `json:"phase"`
	Seq        int           `json:"seq"`
	Attempt    int           `json:"attempt"`
	DurationMS float64       `json:"duration_ms"`
	Request    requestJSON   `json:"request"`
	Response   *responseJSON `json:"response,omitempty"`
	Timings    timingsJSON   `json:"timings"`
	End        string        `json:"end,omitempty"`
	Error      string        `json:"error,omitempty"`
	RemoteAddr string        `json:"remote_addr,omitempty"`
	Events     int64         `json:"events"`
	Bytes      int64         `json:"bytes"`
}

type requestJSON struct {
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	Headers     http.Header `json:"headers,omitempty"`
	LastEventID string      `json:"last_event_id,omitempty"`
	BodySize    int         `json:"body_size,omitempty"`
	BodyPreview string      `json:"body_preview,omitempty"`
}

type responseJSON struct {
	Proto       string      `json:"proto"`
	Status      int         `json:"status"`
	StatusText  string      `json:"status_text"`
	Headers     http.Header `json:"headers,omitempty"`
	TLS         *tlsJSON    `json:"tls,omitempty"`
	BodyPreview string      `json:"body_preview,omitempty"`
}

type tlsJSON struct {
	Version  string    `json:"version"`
	Cipher   string    `json:"cipher"`
	ALPN     string    `json:"alpn,omitempty"`
	Subject  string    `json:"subject,omitempty"`
	Issuer   string    `json:"issuer,omitempty"`
	NotAfter time.Time `json:"not_after,omitzero"`
}

type timingsJSON struct {
	DNS        float64 `json:"dns_ms,omitempty"`
	Connect    float64 `json:"connect_ms,omitempty"`
	TLS        float64 `json:"tls_ms,omitempty"`
	FirstByte  float64 `json:"first_byte_ms,omitempty"`
	FirstEvent float64 `json:"first_event_ms,omitempty"`
	Reused     bool    `json:"reused,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// appendExchangeJSON appends the JSON line of an attempt's phase.
func appendExchangeJSON(dst []byte, name string, at time.Time, x *client.Exchange) []byte {
	j := exchangeJSON{Kind: "exchange", Time: at.UTC(), Channel: name, Phase: "response", Seq: x.Seq, Attempt: x.Attempt,
		DurationMS: ms(x.Duration), End: string(x.End), Error: x.Err, Events: x.Events, Bytes: x.Bytes,
		RemoteAddr: x.RemoteAddr,
		Request: requestJSON{Method: x.Request.Method, URL: x.Request.URL, Headers: x.Request.Header, LastEventID: x.Request.LastEventID,
			BodySize: x.Request.BodySize, BodyPreview: x.Request.BodyPreview},
		Timings: timingsJSON{DNS: ms(x.Timings.DNS), Connect: ms(x.Timings.Connect), TLS: ms(x.Timings.TLS),
			FirstByte: ms(x.Timings.FirstByte), FirstEvent: ms(x.Timings.FirstEvent), Reused: x.Timings.Reused}}
	if x.Ended {
		j.Phase = "end"
	}
	if r := x.Response; r != nil {
		j.Response = &responseJSON{Proto: r.Proto, Status: r.StatusCode, StatusText: r.Status, Headers: r.Header,
			BodyPreview: r.BodyPreview}
		if t := r.TLS; t != nil {
			j.Response.TLS = &tlsJSON{Version: t.Version, Cipher: t.Cipher, ALPN: t.ALPN, Subject: t.Subject, Issuer: t.Issuer, NotAfter: t.NotAfter}
		}
	}
	b, err := json.Marshal(j)
	if err != nil {
		return dst
	}
	return append(append(dst, b...), '\n')
}

// takeExchange prints an attempt's record on stderr with -v (after what
// stdout has so far, so that a terminal shows both in order) and tells the
// tally.
func (w *writer) takeExchange(it *item) {
	if w.tally != nil {
		w.tally.exchange(it.e.Channel, it.x)
	}
	if !w.s.opts.Verbose {
		return
	}
	w.flush()
	if w.shown == nil {
		w.shown = make(map[string]int)
	}
	var b []byte
	if w.s.opts.JSON {
		b = appendExchangeJSON(nil, it.e.Channel, it.e.Time, it.x)
	} else {
		b = appendExchangeText(nil, it.e.Channel, it.x, w.shown[it.e.Channel] == it.x.Seq)
	}
	w.shown[it.e.Channel] = it.x.Seq
	w.s.env.Stderr.Write(b)
}
