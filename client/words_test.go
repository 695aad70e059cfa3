package client

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/internal/golden"
)

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{-time.Second, "0 s"}, {0, "0 s"}, {time.Microsecond, "1 ms"},
		{250*time.Millisecond + 400*time.Microsecond, "250 ms"}, {999 * time.Millisecond, "999 ms"},
		{999996374 * time.Nanosecond, "1 s"}, {1504 * time.Millisecond, "1.5 s"}, {3 * time.Second, "3 s"},
		{4 * time.Second, "4 s"}, {18583660067 * time.Nanosecond, "18.6 s"}, {59970 * time.Millisecond, "1 min"},
		{90 * time.Second, "1 min 30 s"}, {125 * time.Second, "2 min 5 s"}, {11 * time.Minute, "11 min"},
		{3*time.Hour + 20*time.Minute, "3 h 20 min"}, {2 * time.Hour, "2 h"}, {52 * time.Hour, "2 d 4 h"}, {48 * time.Hour, "2 d"},
	} {
		if got := FormatDuration(tc.in); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatCountdown(t *testing.T) {
	for _, tc := range []struct {
		left time.Duration
		want string
	}{
		{-time.Second, "0 s"}, {0, "0 s"}, {time.Millisecond, "1 s"}, {3500 * time.Millisecond, "4 s"},
		{4 * time.Second, "4 s"}, {59*time.Second + time.Millisecond, "1 min"}, {125 * time.Second, "2 min 5 s"},
	} {
		if got := FormatCountdown(tc.left); got != tc.want {
			t.Errorf("FormatCountdown(+%v) = %q, want %q", tc.left, got, tc.want)
		}
	}
}

// TestStatusWordsGolden pins the words of every state, as a badge
// (StatusLabel), as a line (StatusText, at the change and 1.4 s later)
// and as a reason (StatusReason).
func TestStatusWordsGolden(t *testing.T) {
	at := testStart
	refused := &ConnectError{Op: "connect", Err: errors.New("dial tcp 127.0.0.1:8080: connect: connection refused")}
	tests := []struct {
		name string
		st   Status
	}{
		{"idle", Status{State: Idle, Detail: "created"}},
		{"connecting first", Status{State: Connecting, Attempt: 1, Detail: "connecting to 127.0.0.1:8080 (attempt 1)"}},
		{"connecting again", Status{State: Connecting, Attempt: 2, Detail: "connecting to 127.0.0.1:8080 (attempt 2)"}},
		{"connecting without detail", Status{State: Connecting, Attempt: 3}},
		{"open", Status{State: Open, Attempt: 1, HTTPStatus: 200, Detail: "HTTP/1.1 200 OK"}},
		{"open insecure", Status{State: Open, Attempt: 1, HTTPStatus: 200, Insecure: true, Detail: "HTTP/2.0 200 OK"}},
		{"retrying refused", Status{State: Retrying, Attempt: 3, NextAttempt: at.Add(18583660067), Err: refused}},
		{"retrying 503", Status{State: Retrying, Attempt: 1, HTTPStatus: 503, NextAttempt: at.Add(time.Second), Err: &HTTPError{Status: 503}, BodyPreview: "busy"}},
		{"retrying ended", Status{State: Retrying, Attempt: 1, NextAttempt: at.Add(3 * time.Second), Err: ErrStreamEnded}},
		{"retrying no host", Status{State: Retrying, Attempt: 2, NextAttempt: at.Add(1500 * time.Millisecond),
			Err: &ConnectError{Op: "connect", Err: errors.New("dial tcp: lookup nohost: no such host")}}},
		{"retrying long", Status{State: Retrying, Attempt: 9, NextAttempt: at.Add(125 * time.Second), Err: &ConnectError{Op: "read", Err: errors.New("unexpected EOF")}}},
		{"stalled", Status{State: Stalled, Attempt: 1, Err: &StallError{Timeout: 45 * time.Second}}},
		{"failed 404", Status{State: Failed, HTTPStatus: 404, Err: &HTTPError{Status: 404}, BodyPreview: "{\"error\":\"unknown channel\"}\n"}},
		{"failed content type", Status{State: Failed, HTTPStatus: 200, Err: &ContentTypeError{ContentType: "text/html"}, BodyPreview: "<html>\n<h1>Login</h1>"}},
		{"failed limit", Status{State: Failed, HTTPStatus: 200, Err: &LimitError{What: "event", Limit: 1024}}},
		{"failed timeout", Status{State: Failed, Err: &TimeoutError{Limit: 30 * time.Second}}},
		{"closed 204", Status{State: Closed, HTTPStatus: 204, Detail: "closed by server (HTTP 204 No Content)"}},
		{"closed ended", Status{State: Closed, Err: ErrStreamEnded}},
		{"closed stopped", Status{State: Closed, Detail: "stopped"}},
		{"paused", Status{State: Paused, Detail: "paused"}},
	}
	var b strings.Builder
	for _, tt := range tests {
		st := tt.st
		st.Since = at
		b.WriteString(tt.name + "\n")
		b.WriteString("  label:  " + StatusLabel(st, at) + "\n")
		b.WriteString("  text:   " + StatusText(st, at) + "\n")
		b.WriteString("  later:  " + StatusText(st, at.Add(1400*time.Millisecond)) + "\n")
		b.WriteString("  reason: " + StatusReason(st) + "\n")
	}
	golden.Check(t, "words/status.golden", b.String())
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"channel":"metrics","timestamp":1795638450873,"cpu":43.5,"memory":61,"rps":1200}`, "cpu 43.5 · memory 61 · rps 1200"},
		{`{"channel":"metrics","timestamp":1700000000,"seq":4,"cpu":43,"memory":61.5,"rps":1200}`, "cpu 43 · memory 61.5 · rps 1200"},
		{`{"seq":7900,"timestamp":1795638450873}`, "seq 7900 · timestamp 1.796e+12"},
		{`{"nested":{"a":1}}`, `{"nested":{"a":1}}`},
		{`{"job":"export-3","state":"running","ok":true,"detail":{"x":1},"tags":["a"]}`, "job export-3 · state running · ok true"},
		{`{"state":"running\n  now","ok":true,"nested":{"a":1},"list":[1],"none":null}`, "state running now · ok true"},
		{`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7}`, "a 1 · b 2 · c 3 · d 4 · e 5 · f 6"},
		{`{"big":123456789012.5}`, "big 1.235e+11"},
		{`{"progress":40,"message":"copying"}`, "message copying"},
		{"INFO plain text", "INFO plain text"},
		{`not json`, "not json"},
		{`{}`, "{}"},
		{`{"broken":`, `{"broken":`},
	} {
		if got := Summarize(tc.in); got != tc.want {
			t.Errorf("Summarize(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, long := range []string{`{"a":"` + strings.Repeat("é", 200) + `"}`, strings.Repeat("é", 200)} {
		if got := Summarize(long); len(got) > SummaryBytes || !utf8Valid(got) {
			t.Errorf("long summary: %d bytes", len(got))
		}
	}
}
