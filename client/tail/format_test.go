package tail

import (
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/internal/golden"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/record"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// session covers every kind of line: states with and without errors,
// events with JSON, text, multi-line and hostile data, comments, retry.
func sessionEntries() []record.Entry {
	return []record.Entry{
		{Kind: record.KindState, Time: at(0), Channel: "deploy", State: client.Connecting, Attempt: 1, Detail: "connecting to 127.0.0.1:8080 (attempt 1)"},
		{Kind: record.KindState, Time: at(0), Channel: "logs", State: client.Connecting, Attempt: 1, Detail: "connecting to 127.0.0.1:8080 (attempt 1)"},
		{Kind: record.KindState, Time: at(2), Channel: "deploy", State: client.Open, Attempt: 1, Status: 200, Detail: "HTTP/1.1 200 OK"},
		{Kind: record.KindRetry, Time: at(2), Channel: "deploy", Retry: 3 * time.Second, Bytes: 12},
		{Kind: record.KindEvent, Time: at(45), Channel: "deploy", ID: "1", Type: "status_update", Data: `{"progress":40,"stage":"build","tags":["a","b"]}`, Bytes: 70},
		{Kind: record.KindComment, Time: at(300), Channel: "deploy", Comment: "heartbeat", Bytes: 12},
		{Kind: record.KindEvent, Time: at(545), Channel: "deploy", ID: "2", Type: "message", Data: "plain text", Bytes: 30},
		{Kind: record.KindEvent, Time: at(1750), Channel: "deploy", ID: "2", Type: "message", Data: "line one\n  line two", Bytes: 40},
		{Kind: record.KindEvent, Time: at(1800), Channel: "deploy", ID: "", Type: "evil", Data: "\x1b[2Jcleared? \u202egnp.exe\x07", Bytes: 40},
		{Kind: record.KindState, Time: at(2000), Channel: "logs", State: client.Retrying, Attempt: 3, Delay: 2 * time.Second,
			NextAttempt: at(4000), Error: "connect: dial tcp 127.0.0.1:8080: connect: connection refused", ErrorKind: record.ErrorConnect},
		{Kind: record.KindState, Time: at(2100), Channel: "deploy", State: client.Stalled, Attempt: 1, Error: "stalled: no data for 45s", ErrorKind: record.ErrorStall},
		{Kind: record.KindState, Time: at(2200), Channel: "deploy", State: client.Retrying, Attempt: 1, Delay: 3 * time.Second, Error: "stalled: no data for 45s", ErrorKind: record.ErrorStall},
		{Kind: record.KindEvent, Time: at(62000), Channel: "deploy", ID: "3", Type: "status_update", Data: `{"progress":100}`, Bytes: 40},
		{Kind: record.KindState, Time: at(63000), Channel: "logs", State: client.Failed, Status: 404, Error: "HTTP 404 Not Found", ErrorKind: record.ErrorHTTP,
			Body: "{\"error\":\"unknown channel\"}\n"},
		{Kind: record.KindState, Time: at(63000), Channel: "deploy", State: client.Failed, Status: 200, ErrorKind: record.ErrorContentType,
			Error: `response Content-Type is "text/html" (want text/event-stream)`, ContentType: "text/html", Body: "<html>\n<h1>Login</h1>"},
		{Kind: record.KindState, Time: at(64000), Channel: "deploy", State: client.Closed, Status: 204, Detail: "closed by server (HTTP 204 No Content)"},
	}
}

func TestPrinterGolden(t *testing.T) {
	names := []string{"deploy", "logs"}
	cases := []struct {
		name string
		p    printer
	}{
		{"human.golden", newHumanPrinter(names, time.UTC, false, false)},
		{"human-compact.golden", newHumanPrinter(names, time.UTC, false, true)},
		{"human-color.golden", newHumanPrinter(names, time.UTC, true, false)},
		{"human-one-channel.golden", newHumanPrinter(names[:1], time.FixedZone("UTC+2", 2*3600), false, true)},
		{"json.golden", jsonPrinter{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out []byte
			for _, e := range sessionEntries() {
				if c.name == "human-one-channel.golden" && e.Channel != "deploy" {
					continue
				}
				out = c.p.appendEntry(out, &e)
			}
			golden.Check(t, "format/"+c.name, string(out))
			if !strings.HasSuffix(c.name, "color.golden") && strings.Contains(string(out), "\x1b") {
				t.Fatal("an escape character reached the output")
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\tok", "tab\tok"},
		{"\x1b[31mred", `\x1b[31mred`},
		{"bell\x07 del\x7f", `bell\x07 del\x7f`},
		{"c1 \u009b", `c1 \u009b`},
		{"bidi \u202e \u2066", `bidi \u202e \u2066`},
		{"bad \xff", "bad \uFFFD"},
		{"日本 🎉", "日本 🎉"},
		{"cr\rlf\n", `cr\x0dlf\x0a`},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := sanitize(c.in); got != c.want {
				t.Fatalf("sanitize(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestFormatDelta(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "+0ms"},
		{512 * time.Millisecond, "+512ms"},
		{1204 * time.Millisecond, "+1.204s"},
		{123 * time.Second, "+2m03s"},
		{2*time.Hour + 5*time.Minute, "+2h05m"},
		{-3 * time.Millisecond, "-3ms"},
	}
	for _, c := range cases {
		if got := formatDelta(c.d); got != c.want {
			t.Errorf("formatDelta(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestStateTextReasons(t *testing.T) {
	cases := []struct {
		e    record.Entry
		want string
	}{
		{record.Entry{State: client.Retrying, Attempt: 2, Delay: 1500 * time.Millisecond, ErrorKind: record.ErrorConnect, Error: "connect: dial tcp: lookup nohost: no such host"},
			"retrying in 1.5 s (attempt 2): cannot resolve host"},
		{record.Entry{State: client.Retrying, Attempt: 1, Delay: 3 * time.Second, ErrorKind: record.ErrorEnded, Error: "client: stream ended by server"},
			"retrying in 3 s (attempt 1): stream ended by server"},
		{record.Entry{State: client.Retrying, Attempt: 4, Delay: 8 * time.Second, ErrorKind: record.ErrorHTTP, Error: "HTTP 503 Service Unavailable", Status: 503},
			"retrying in 8 s (attempt 4): HTTP 503 Service Unavailable"},
		{record.Entry{State: client.Failed, ErrorKind: record.ErrorLimit, Error: "event exceeds 1024 bytes"}, "failed: event exceeds 1024 bytes"},
		{record.Entry{State: client.Closed, ErrorKind: record.ErrorEnded}, "closed: stream ended by server"},
		{record.Entry{State: client.Closed}, "closed"},
		{record.Entry{State: client.Paused}, "paused"},
	}
	for _, c := range cases {
		if got := stateText(&c.e); got != c.want {
			t.Errorf("stateText = %q, want %q", got, c.want)
		}
	}
}
