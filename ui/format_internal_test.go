package ui

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
)

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{-time.Second, "0 s"}, {0, "0 s"}, {time.Millisecond, "1 s"}, {4 * time.Second, "4 s"},
		{59*time.Second + time.Millisecond, "1 min"}, {125 * time.Second, "2 min 5 s"}, {11 * time.Minute, "11 min"},
		{3*time.Hour + 20*time.Minute, "3 h 20 min"}, {2 * time.Hour, "2 h"}, {52 * time.Hour, "2 d 4 h"},
	} {
		if got := client.FormatCountdown(tc.in); got != tc.want {
			t.Errorf("client.FormatCountdown(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatAgeRateCountBytesDelta(t *testing.T) {
	now := testEpoch
	for _, tc := range []struct{ got, want string }{
		{formatAge(time.Time{}, now), "never"},
		{formatAge(now.Add(-300*time.Millisecond), now), "just now"},
		{formatAge(now.Add(-2500*time.Millisecond), now), "2 s ago"},
		{formatAge(now.Add(-3*time.Minute), now), "3 min ago"},
		{formatAge(now.Add(-3*time.Minute-59*time.Second), now), "3 min ago"},
		{formatAge(now.Add(-125*time.Minute), now), "2 h 5 min ago"},
		{formatRate(0), "0/s"}, {formatRate(4.25), "4.2/s"}, {formatRate(87), "87/s"},
		{formatRate(1234), "1.2k/s"}, {formatRate(15000), "15k/s"},
		{formatCount(999), "999"}, {formatCount(1234), "1.2k"}, {formatCount(34_567), "34k"}, {formatCount(5_600_000), "5.6M"},
		{formatBytes(512), "512 B"}, {formatBytes(4300), "4.2 KiB"}, {formatBytes(17 << 20), "17 MiB"},
		{formatDelta(-1), ""}, {formatDelta(12 * time.Millisecond), "+12 ms"}, {formatDelta(1500 * time.Millisecond), "+1.5 s"},
		{formatDelta(42 * time.Second), "+42 s"}, {formatDelta(3 * time.Minute), "+3 min"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 0, "plain"},
		{"  two\nlines\t\tand  tabs  ", 0, "two lines and tabs"},
		{"abcdefgh", 5, "abcde…"},
		{"héllo wörld", 7, "héllo w…"},
		{"ctrl\x01char", 0, "ctrl\uFFFDchar"},
		{"bad \xff byte", 0, "bad \uFFFD byte"},
		{strings.Repeat("x", 10_000), 10, "xxxxxxxxxx…"},
	} {
		if got := oneLine(tc.in, tc.max); got != tc.want {
			t.Errorf("oneLine(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestStatusText(t *testing.T) {
	now := testEpoch
	for _, tc := range []struct {
		st   client.Status
		want string
	}{
		{client.Status{State: client.Idle}, "idle"},
		{client.Status{State: client.Connecting, Attempt: 1}, "connecting"},
		{client.Status{State: client.Connecting, Attempt: 2}, "connecting (attempt 2)"},
		{client.Status{State: client.Open}, "open"},
		{client.Status{State: client.Open, Insecure: true}, "open · TLS unverified"},
		{client.Status{State: client.Retrying, Attempt: 3, NextAttempt: now.Add(3500 * time.Millisecond)}, "retrying in 4 s (attempt 3)"},
		{client.Status{State: client.Retrying, Attempt: 1, HTTPStatus: 503, NextAttempt: now.Add(time.Second)}, "retrying in 1 s (attempt 1, HTTP 503)"},
		{client.Status{State: client.Stalled}, "stalled"},
		{client.Status{State: client.Failed, HTTPStatus: 404}, "failed 404"},
		{client.Status{State: client.Failed, Err: errors.New("x")}, "failed"},
		{client.Status{State: client.Closed}, "closed"},
		{client.Status{State: client.Paused}, "paused"},
	} {
		if got := client.StatusLabel(tc.st, now); got != tc.want {
			t.Errorf("StatusLabel(%+v) = %q, want %q", tc.st, got, tc.want)
		}
	}
}

func TestProgressLabel(t *testing.T) {
	for _, tc := range []struct {
		pc   float64
		eta  time.Duration
		want string
	}{
		{math.NaN(), 0, "—"}, {-1, 0, "—"}, {0, 0, "0 %"}, {2.5, 0, "2.5 %"}, {42.9, 12 * time.Second, "42 % · ETA 12 s"},
		{100, 5 * time.Second, "100 %"}, {250, 0, "100 %"},
	} {
		if got := progressLabel(tc.pc, tc.eta); got != tc.want {
			t.Errorf("progressLabel(%v, %v) = %q, want %q", tc.pc, tc.eta, got, tc.want)
		}
	}
}

func TestPrettyDataAndRawFrame(t *testing.T) {
	if got, isJSON := prettyData(`{"a":1,"b":[2]}`); !isJSON || got != "{\n  \"a\": 1,\n  \"b\": [\n    2\n  ]\n}" {
		t.Errorf("prettyData(JSON) = %q, %v", got, isJSON)
	}
	if got, isJSON := prettyData("{not json"); isJSON || got != "{not json" {
		t.Errorf("prettyData(text) = %q, %v", got, isJSON)
	}
	if got, _ := prettyData(strings.Repeat("line\n", maxInspectBytes/4)); len(got) > maxInspectBytes+100 || !strings.Contains(got, "more not shown") {
		t.Errorf("prettyData did not cap a huge record (%d bytes)", len(got))
	}
	got := rawFrame([]client.Record{{Kind: client.RecordComment, Data: "heartbeat"}},
		client.Record{Kind: client.RecordEvent, ID: "7", Type: "progress", Data: "a\nb"})
	if want := ": heartbeat\nid: 7\nevent: progress\ndata: a\ndata: b\n\n"; got != want {
		t.Errorf("rawFrame = %q, want %q", got, want)
	}
	if got := rawFrame(nil, client.Record{Kind: client.RecordRetry, Data: "1.5s"}); got != "retry: 1500\n" {
		t.Errorf("retry in wire form: %q", got)
	}
	if got := rawFrame(nil, client.Record{Kind: client.RecordOversized, ID: "7", Data: "abc", Oversized: &client.Oversized{Bytes: 20 << 20, Cap: 16 << 20}}); !strings.HasPrefix(got, "(oversized: event of 20 MiB skipped (cap 16 MiB); its first bytes:)\nid: 7\ndata: abc\n") {
		t.Errorf("oversized raw frame: %q", got)
	}
	if got := rawFrame(nil, client.Record{Kind: client.RecordEvent, Type: "message", Data: "x"}); got != "data: x\n\n" {
		t.Errorf("rawFrame(message) = %q", got)
	}
}

func TestValidateURLAndTimeout(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{"http://127.0.0.1:8080/x", ""}, {"https://example.test/s", ""}, {"${BASE}/stream", ""},
		{"http://${HOST}/x", ""}, {"", "enter"}, {"example.test/x", "scheme"}, {"ws://h/x", "not supported"}, {"http:///x", "no host"},
	} {
		err := validateURL(tc.in)
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("validateURL(%q) = %v, want error containing %q", tc.in, err, tc.err)
		}
	}
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, true}, {"off", -1, true}, {"30s", 30 * time.Second, true}, {"2m", 2 * time.Minute, true}, {"-3s", 0, false}, {"soon", 0, false},
	} {
		got, err := parseTimeout(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("parseTimeout(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"channel":"metrics","timestamp":1795638450873,"cpu":43.5,"memory":61,"rps":1200}`, "cpu 43.5 · memory 61 · rps 1200"},
		{`{"seq":7900,"timestamp":1795638450873}`, "seq 7900 · timestamp 1.796e+12"},
		{`{"nested":{"a":1}}`, `{"nested":{"a":1}}`},
		{`{"job":"export-3","state":"running","ok":true,"detail":{"x":1},"tags":["a"]}`, "job export-3 · state running · ok true"},
		{`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7}`, "a 1 · b 2 · c 3 · d 4 · e 5 · f 6"},
		{`{"big":123456789012.5}`, "big 1.235e+11"},
		{"INFO plain text", "INFO plain text"},
		{`{"broken":`, `{"broken":`},
	} {
		if got := client.Summarize(tc.in); got != tc.want {
			t.Errorf("Summarize(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPreviewOf(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"channel":"deploy","timestamp":1,"progress":40,"message":"run 3: build 47 %"}`, "run 3: build 47 %"},
		{`{"channel":"deploy","stage":"test","status":"running"}`, "running"},
		{`{"channel":"metrics","cpu":43,"mem":61}`, "cpu 43 · mem 61"},
		{"plain text line", "plain text line"},
		{`{"message":""}`, `{"message":""}`},
	} {
		if got := previewOf(tc.in); got != tc.want {
			t.Errorf("previewOf(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLiveness(t *testing.T) {
	now := testEpoch
	for _, tc := range []struct {
		event, beat time.Time
		want        string
	}{
		{time.Time{}, time.Time{}, "no events yet"},
		{time.Time{}, now.Add(-4 * time.Second), "no events yet · heartbeat < 30 s ago"},
		{time.Time{}, now.Add(-150 * time.Second), "no events yet · heartbeat 2 min ago"},
		{now.Add(-2 * time.Second), now.Add(-30 * time.Second), "last event 2 s ago"},
		{now.Add(-90 * time.Second), now.Add(-5 * time.Second), "last event 1 min ago · heartbeat < 30 s ago"},
	} {
		if got := liveness(tc.event, tc.beat, now); got != tc.want {
			t.Errorf("liveness(%v, %v) = %q, want %q", tc.event, tc.beat, got, tc.want)
		}
	}
}
