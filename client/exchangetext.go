package client

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The words of an Exchange, shared by ssemon-tail -v and the GUI's
// Connection view.

// RequestLines are the request as curl -v shows it, without the "> ":
// the method and request target, the header fields (Host first, then by
// name), and the body's size and start.
func (x *Exchange) RequestLines() []string {
	target := x.Request.URL
	if u, err := url.Parse(x.Request.URL); err == nil && u.Host != "" {
		target = u.RequestURI()
	}
	lines := append([]string{x.Request.Method + " " + target}, HeaderLines(x.Request.Header)...)
	if x.Request.BodySize > 0 {
		b := "(body: " + strconv.Itoa(x.Request.BodySize) + " bytes)"
		if p := cutLine(x.Request.BodyPreview, 120); p != "" {
			b += " " + p
		}
		lines = append(lines, b)
	}
	return lines
}

// ResponseLines are the response as curl -v shows it, without the "< ":
// the status line and the header fields; nil without a response.
func (x *Exchange) ResponseLines() []string {
	r := x.Response
	if r == nil {
		return nil
	}
	return append([]string{r.Proto + " " + r.Status}, HeaderLines(r.Header)...)
}

// TLSText describes the TLS connection: "TLS 1.3 TLS_AES_128_GCM_SHA256
// (h2) · certificate CN=example.com, expires 2027-01-31"; "" for plain HTTP.
func (x *Exchange) TLSText() string {
	if x.Response == nil || x.Response.TLS == nil {
		return ""
	}
	t := x.Response.TLS
	s := t.Version + " " + t.Cipher
	if t.ALPN != "" {
		s += " (" + t.ALPN + ")"
	}
	if t.Subject != "" {
		s += " · certificate " + t.Subject + ", expires " + t.NotAfter.UTC().Format(time.DateOnly)
	}
	return s
}

// TimingText is "dns 1 ms · connect 2 ms · tls 8 ms · first byte 12 ms";
// phases that did not happen are left out (the first event is in
// ResultText).
func (x *Exchange) TimingText() string {
	t := &x.Timings
	var parts []string
	add := func(name string, d time.Duration) {
		if d > 0 {
			parts = append(parts, name+" "+FormatDuration(d))
		}
	}
	if t.Reused {
		parts = append(parts, "reused connection")
	}
	add("dns", t.DNS)
	add("connect", t.Connect)
	add("tls", t.TLS)
	add("first byte", t.FirstByte)
	return strings.Join(parts, " · ")
}

// EndText says how an attempt ended: "stream ended by server", "204 No
// Content: the server says stop", or the error; "" while it goes on.
func (x *Exchange) EndText() string {
	if !x.Ended {
		return ""
	}
	switch x.End {
	case EndEOF:
		return "stream ended by server"
	case EndNoContent:
		return "204 No Content: the server says stop"
	case EndStopped:
		return "stopped"
	}
	if x.Err != "" {
		return cutLine(x.Err, 300)
	}
	return string(x.End)
}

// ResultText is what the connection brought: "120 events · 20 KiB · first
// event after 40 ms"; "" when no stream opened.
func (x *Exchange) ResultText() string {
	if x.Response == nil || x.Response.StatusCode != http.StatusOK || x.End == EndContentType {
		return ""
	}
	s := strconv.FormatInt(x.Events, 10) + " event"
	if x.Events != 1 {
		s += "s"
	}
	s += " · " + FormatBytes(x.Bytes)
	if x.Events > 0 {
		s += " · first event after " + FormatDuration(x.Timings.FirstEvent)
	}
	return s
}

// HeaderLines are "Name: value" lines, Host first, then by name.
func HeaderLines(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "Host":
			return -1
		case b == "Host":
			return 1
		}
		return strings.Compare(a, b)
	})
	var out []string
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, k+": "+v)
		}
	}
	return out
}

// FormatBytes writes a byte count for people: "512 B", "3.4 KiB".
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64) + " " + suffix
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + " " + suffix
}

// FailureText is the one-line reason a retrying, stalled or failed
// channel shows on its tile: "connection refused", "404 Not Found",
// "text/html, not text/event-stream", "no data for 45 s"; "" for other
// states.
func FailureText(st Status) string {
	switch st.State {
	case Retrying, Stalled, Failed:
	default:
		return ""
	}
	var he *HTTPError
	if errors.As(st.Err, &he) {
		return strings.TrimPrefix(he.Error(), "HTTP ")
	}
	var ct *ContentTypeError
	if errors.As(st.Err, &ct) {
		mt, _, _ := strings.Cut(ct.ContentType, ";")
		if mt = strings.TrimSpace(mt); mt == "" {
			return "no Content-Type, not text/event-stream"
		}
		return cutLine(mt, 60) + ", not text/event-stream"
	}
	return StatusReason(st)
}
