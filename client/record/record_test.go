package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ssemon/ssemon/client"
)

// TestMain fails the package if any goroutine outlives the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// sample has one entry of every kind, with every field of its kind set.
func sample() []Entry {
	return []Entry{
		{Kind: KindRecording, Time: at(0), Version: Version, Tool: "ssemon-tail"},
		{Kind: KindChannel, Time: at(0), Channel: "deploy", URL: "http://127.0.0.1:8080/api/stream/deploy?token=***",
			Method: "POST", Headers: http.Header{"Authorization": {"Bearer ***"}, "X-Multi": {"a", "b"}}, LastEventID: "41"},
		{Kind: KindState, Time: at(1), Channel: "deploy", State: client.Connecting, Attempt: 1, Detail: "connecting to 127.0.0.1:8080 (attempt 1)"},
		{Kind: KindState, Time: at(3), Channel: "deploy", State: client.Open, Attempt: 1, Status: 200, Detail: "HTTP/1.1 200 OK", Insecure: true},
		{Kind: KindRetry, Time: at(3), Channel: "deploy", Retry: 2500 * time.Millisecond, Bytes: 12},
		{Kind: KindEvent, Time: at(500), Channel: "deploy", ID: "42", Type: "status_update", Data: "{\"progress\":40}\nline two", Bytes: 61},
		{Kind: KindComment, Time: at(600), Channel: "deploy", Comment: "heartbeat", Bytes: 12},
		{Kind: KindOversized, Time: at(610), Channel: "deploy", ID: "42", Type: "message", Data: `{"a":"xx`, Bytes: 67108870,
			Oversized: client.Oversized{Bytes: 67108870, Cap: 16 << 20, More: true}},
		{Kind: KindOversized, Time: at(620), Channel: "deploy", ID: "44", Type: "message", Data: `{"a":"xx`, Bytes: 1024,
			Oversized: client.Oversized{Bytes: 67109894, Cap: 16 << 20, Again: true}, Finding: client.Finding{Kind: client.FindingGap, Missed: 1, Prev: "42", ID: "44"}},
		{Kind: KindOversized, Time: at(630), Channel: "deploy", Data: "long comment", Bytes: 300, Oversized: client.Oversized{Bytes: 300, Cap: 100, Comment: true}},
		{Kind: KindState, Time: at(700), Channel: "deploy", State: client.Retrying, Attempt: 2, NextAttempt: at(2700), Delay: 2 * time.Second,
			Error: "HTTP 503 Service Unavailable", ErrorKind: ErrorHTTP, Status: 503, Body: "busy", Detail: "retry in 2s"},
		{Kind: KindState, Time: at(2800), Channel: "deploy", State: client.Failed, Error: `response Content-Type is "text/html" (want text/event-stream)`,
			ErrorKind: ErrorContentType, Status: 200, ContentType: "text/html", Body: "<html>", Detail: "failed"},
		{Kind: KindEnd, Time: at(3000), Reason: "max-events", Events: 1},
	}
}

func TestEntryJSONRoundTrip(t *testing.T) {
	for _, e := range sample() {
		t.Run(string(e.Kind)+"/"+e.State.String(), func(t *testing.T) {
			b := AppendJSON(nil, &e)
			if !json.Valid(b) {
				t.Fatalf("invalid JSON: %s", b)
			}
			var got Entry
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("Unmarshal(%s): %v", b, err)
			}
			if !got.Time.Equal(e.Time) || !got.NextAttempt.Equal(e.NextAttempt) {
				t.Fatalf("times: got %v %v, want %v %v", got.Time, got.NextAttempt, e.Time, e.NextAttempt)
			}
			got.Time, got.NextAttempt = e.Time, e.NextAttempt
			if !reflect.DeepEqual(got, e) {
				t.Fatalf("round trip:\n got %#v\nwant %#v\njson %s", got, e, b)
			}
		})
	}
}

// TestEntryJSONSchema pins the exact bytes of every kind: the schema is
// documented in docs/tail.md and consumed by other tools.
func TestEntryJSONSchema(t *testing.T) {
	want := []string{
		`{"kind":"recording","time":"2025-03-01T12:00:00Z","version":1,"tool":"ssemon-tail"}`,
		`{"kind":"channel","time":"2025-03-01T12:00:00Z","channel":"deploy","url":"http://127.0.0.1:8080/api/stream/deploy?token=***","method":"POST","headers":{"Authorization":["Bearer ***"],"X-Multi":["a","b"]},"last_event_id":"41"}`,
		`{"kind":"state","time":"2025-03-01T12:00:00.001Z","channel":"deploy","state":"connecting","attempt":1,"detail":"connecting to 127.0.0.1:8080 (attempt 1)"}`,
		`{"kind":"state","time":"2025-03-01T12:00:00.003Z","channel":"deploy","state":"open","attempt":1,"status":200,"detail":"HTTP/1.1 200 OK","insecure":true}`,
		`{"kind":"retry","time":"2025-03-01T12:00:00.003Z","channel":"deploy","retry":2500,"bytes":12}`,
		`{"kind":"event","time":"2025-03-01T12:00:00.5Z","channel":"deploy","id":"42","type":"status_update","data":"{\"progress\":40}\nline two","bytes":61}`,
		`{"kind":"comment","time":"2025-03-01T12:00:00.6Z","channel":"deploy","comment":"heartbeat","bytes":12}`,
		`{"kind":"oversized","time":"2025-03-01T12:00:00.61Z","channel":"deploy","id":"42","type":"message","data":"{\"a\":\"xx","size":67108870,"cap":16777216,"ongoing":true,"text":"oversized: event over the 16 MiB cap, skipping (64 MiB so far)","bytes":67108870}`,
		`{"kind":"oversized","time":"2025-03-01T12:00:00.62Z","channel":"deploy","id":"44","type":"message","data":"{\"a\":\"xx","size":67109894,"cap":16777216,"again":true,"text":"oversized: event of 64 MiB skipped (cap 16 MiB)","finding":{"kind":"gap","missed":1,"prev":"42","id":"44","text":"gap: 1 event missing (42 → 44)"},"bytes":1024}`,
		`{"kind":"oversized","time":"2025-03-01T12:00:00.63Z","channel":"deploy","id":"","type":"","data":"long comment","size":300,"cap":100,"comment_line":true,"text":"oversized: comment line of 300 B skipped (cap 100 B)","bytes":300}`,
		`{"kind":"state","time":"2025-03-01T12:00:00.7Z","channel":"deploy","state":"retrying","attempt":2,"next_attempt":"2025-03-01T12:00:02.7Z","delay_ms":2000,"error":"HTTP 503 Service Unavailable","error_kind":"http","status":503,"body":"busy","detail":"retry in 2s"}`,
		`{"kind":"state","time":"2025-03-01T12:00:02.8Z","channel":"deploy","state":"failed","error":"response Content-Type is \"text/html\" (want text/event-stream)","error_kind":"content_type","status":200,"content_type":"text/html","body":"<html>","detail":"failed"}`,
		`{"kind":"end","time":"2025-03-01T12:00:03Z","reason":"max-events","events":1}`,
	}
	for i, e := range sample() {
		if got := string(AppendJSON(nil, &e)); got != want[i] {
			t.Errorf("entry %d:\n got %s\nwant %s", i, got, want[i])
		}
	}
	// An event with empty fields still carries id, type and data.
	e := Entry{Kind: KindEvent, Time: t0, Channel: "c", Type: "message"}
	if got, w := string(AppendJSON(nil, &e)), `{"kind":"event","time":"2025-03-01T12:00:00Z","channel":"c","id":"","type":"message","data":""}`; got != w {
		t.Errorf("empty event:\n got %s\nwant %s", got, w)
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "plain", `quote " and \ backslash`, "nl\ncr\rtab\t", "\x00\x01\x1f\x7f",
		"é ü 日本 🎉", "bad \xff utf8 \xc3", "\u2028 and \u2029", "<html>&amp;</html>",
		strings.Repeat("x", 100) + "\n",
	}
	for _, s := range cases {
		t.Run(fmt.Sprintf("%q", s), func(t *testing.T) {
			b := appendString(nil, s)
			var got string
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("Unmarshal(%s): %v", b, err)
			}
			want := strings.ToValidUTF8(s, "\uFFFD")
			if !utf8Equal(got, want, s) {
				t.Fatalf("decoded %q, want %q (json %s)", got, want, b)
			}
		})
	}
}

// utf8Equal compares decoded strings; encoding/json replaces each invalid
// byte with U+FFFD, strings.ToValidUTF8 a run of them, so compare against
// the per-byte form.
func utf8Equal(got, want, orig string) bool {
	var b strings.Builder
	for _, r := range orig {
		b.WriteRune(r)
	}
	return got == b.String() || got == want
}

func TestUnmarshalJSONErrors(t *testing.T) {
	cases := []struct {
		name, line, want string
	}{
		{"not json", `{"kind":`, "unexpected end"},
		{"no kind", `{"time":"2025-03-01T12:00:00Z"}`, `missing "kind"`},
		{"no time", `{"kind":"event","channel":"c"}`, `missing "time"`},
		{"no channel", `{"kind":"event","time":"2025-03-01T12:00:00Z"}`, `missing "channel"`},
		{"bad time", `{"kind":"event","time":"yesterday","channel":"c"}`, "cannot parse"},
		{"unknown state", `{"kind":"state","time":"2025-03-01T12:00:00Z","channel":"c","state":"dancing"}`, `unknown state "dancing"`},
		{"retry missing", `{"kind":"retry","time":"2025-03-01T12:00:00Z","channel":"c"}`, `missing "retry"`},
		{"retry negative", `{"kind":"retry","time":"2025-03-01T12:00:00Z","channel":"c","retry":-1}`, "out of range"},
		{"data with CR", `{"kind":"event","time":"2025-03-01T12:00:00Z","channel":"c","data":"a\rb"}`, "CR"},
		{"id with LF", `{"kind":"event","time":"2025-03-01T12:00:00Z","channel":"c","id":"a\nb"}`, "id contains"},
		{"comment with LF", `{"kind":"comment","time":"2025-03-01T12:00:00Z","channel":"c","comment":"a\nb"}`, "line break"},
		{"header without version", `{"kind":"recording","time":"2025-03-01T12:00:00Z"}`, `missing "version"`},
		{"header version 0", `{"kind":"recording","time":"2025-03-01T12:00:00Z","version":0}`, "invalid version"},
		{"wrong type", `{"kind":"event","time":"2025-03-01T12:00:00Z","channel":"c","data":5}`, "cannot unmarshal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e Entry
			err := e.UnmarshalJSON([]byte(c.line))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
	var e Entry
	err := e.UnmarshalJSON([]byte(`{"kind":"hologram","time":"2025-03-01T12:00:00Z"}`))
	if !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("unknown kind: err = %v, want ErrUnknownKind", err)
	}
	if err := e.UnmarshalJSON([]byte(`{"kind":"event","time":"2025-03-01T12:00:00Z","channel":"c","extra":{"x":1}}`)); err != nil {
		t.Fatalf("unknown field: %v (must be ignored)", err)
	}
	if e.Type != "message" {
		t.Fatalf("event without type: Type = %q, want message", e.Type)
	}
}

func TestFromFrame(t *testing.T) {
	cases := []struct {
		name string
		f    client.Frame
		want Entry
	}{
		{"event", client.Frame{Kind: client.FrameEvent, Event: client.Event{ID: "1", Type: "t", Data: "d"}, Size: 20},
			Entry{Kind: KindEvent, Time: t0, Channel: "c", ID: "1", Type: "t", Data: "d", Bytes: 20}},
		{"comment", client.Frame{Kind: client.FrameComment, Comment: "hb", Size: 5},
			Entry{Kind: KindComment, Time: t0, Channel: "c", Comment: "hb", Bytes: 5}},
		{"retry", client.Frame{Kind: client.FrameRetry, Retry: time.Second, Size: 12},
			Entry{Kind: KindRetry, Time: t0, Channel: "c", Retry: time.Second, Bytes: 12}},
		{"oversized", client.Frame{Kind: client.FrameOversized, Event: client.Event{ID: "1", Type: "t", Data: "d"}, Size: 20,
			Oversized: client.Oversized{Bytes: 300, Cap: 100, More: true}},
			Entry{Kind: KindOversized, Time: t0, Channel: "c", ID: "1", Type: "t", Data: "d", Bytes: 20, Oversized: client.Oversized{Bytes: 300, Cap: 100, More: true}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := FromFrame("c", c.f, t0); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %#v, want %#v", got, c.want)
			}
		})
	}
}

func TestFromStatus(t *testing.T) {
	st := client.Status{State: client.Retrying, Since: t0, Attempt: 3, NextAttempt: t0.Add(2 * time.Second),
		Err: &client.HTTPError{Status: 503, Body: "busy"}, HTTPStatus: 503, BodyPreview: "busy", Retry: time.Second, Detail: "d"}
	got := FromStatus("c", st)
	want := Entry{Kind: KindState, Time: t0, Channel: "c", State: client.Retrying, Attempt: 3, NextAttempt: t0.Add(2 * time.Second),
		Delay: 2 * time.Second, Error: "HTTP 503 Service Unavailable", ErrorKind: ErrorHTTP, Status: 503, Body: "busy", Detail: "d"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("retrying:\n got %#v\nwant %#v", got, want)
	}
	ct := client.Status{State: client.Failed, Since: t0, Err: &client.ContentTypeError{ContentType: "text/html", Body: "<p>"}, HTTPStatus: 200}
	got = FromStatus("c", ct)
	if got.ContentType != "text/html" || got.Body != "<p>" || got.ErrorKind != ErrorContentType || got.Delay != 0 || !got.NextAttempt.IsZero() {
		t.Fatalf("content type: %#v", got)
	}
}

func TestErrorKindOf(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&client.HTTPError{Status: 404}, ErrorHTTP},
		{&client.ContentTypeError{}, ErrorContentType},
		{&client.StallError{}, ErrorStall},
		{&client.TimeoutError{}, ErrorTimeout},
		{&client.ConnectError{Op: "connect", Err: io.ErrUnexpectedEOF}, ErrorConnect},
		{&client.RedirectError{}, ErrorRedirect},
		{&client.LimitError{What: "event"}, ErrorLimit},
		{client.ErrStreamEnded, ErrorEnded},
		{&client.ConfigError{Field: "URL"}, ErrorConfig},
		{fmt.Errorf("wrapped: %w", &client.HTTPError{Status: 500}), ErrorHTTP},
		{errors.New("other"), ErrorOther},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.err), func(t *testing.T) {
			if got := ErrorKindOf(c.err); got != c.want {
				t.Fatalf("ErrorKindOf(%v) = %q, want %q", c.err, got, c.want)
			}
		})
	}
}

func TestParseState(t *testing.T) {
	for s := client.Idle; s <= client.Paused; s++ {
		got, ok := ParseState(s.String())
		if !ok || got != s {
			t.Errorf("ParseState(%q) = %v, %v", s.String(), got, ok)
		}
	}
	if _, ok := ParseState("state(99)"); ok {
		t.Error("ParseState accepted an unknown name")
	}
}

func TestWriterReaderRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, "ssemon-tail", t0)
	entries := sample()[1:]
	for i := range entries {
		if err := w.Write(&entries[i]); err != nil {
			t.Fatal(err)
		}
	}
	if buf.Len() != 0 {
		t.Fatalf("Writer wrote %d bytes before Flush", buf.Len())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Entries() != int64(len(entries)+1) || w.Bytes() != int64(buf.Len()) {
		t.Fatalf("Entries %d Bytes %d, want %d %d", w.Entries(), w.Bytes(), len(entries)+1, buf.Len())
	}
	r := NewReader(&buf, ReaderConfig{})
	var got []Entry
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	want := sample()
	if len(got) != len(want) {
		t.Fatalf("read %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if string(AppendJSON(nil, &got[i])) != string(AppendJSON(nil, &want[i])) {
			t.Errorf("entry %d: got %s, want %s", i, AppendJSON(nil, &got[i]), AppendJSON(nil, &want[i]))
		}
	}
	h, ok := r.Header()
	if !ok || h.Version != 1 || h.Tool != "ssemon-tail" || !h.Time.Equal(t0) {
		t.Fatalf("Header() = %#v, %v", h, ok)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after EOF: %v", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriterError(t *testing.T) {
	boom := errors.New("disk full")
	w := NewWriter(failWriter{boom}, "t", t0)
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Fatalf("Flush: %v, want %v", err, boom)
	}
	e := sample()[5]
	if err := w.Write(&e); !errors.Is(err, boom) {
		t.Fatalf("Write after failure: %v, want %v", err, boom)
	}
}

const hdr = `{"kind":"recording","time":"2025-03-01T12:00:00Z","version":1,"tool":"t"}`
const ev = `{"kind":"event","time":"2025-03-01T12:00:01Z","channel":"c","id":"1","type":"message","data":"x"}`

func readAll(in string, cfg ReaderConfig) ([]Entry, *Reader, error) {
	r := NewReader(strings.NewReader(in), cfg)
	var out []Entry
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out, r, nil
		}
		if err != nil {
			return out, r, err
		}
		out = append(out, e)
	}
}

func TestReader(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		cfg     ReaderConfig
		entries int
		header  bool
		skipped int
		errIs   error
		errLine int
		errText string
	}{
		{name: "header and event", in: hdr + "\n" + ev + "\n", entries: 2, header: true},
		{name: "headerless (--json output)", in: ev + "\n" + ev + "\n", entries: 2},
		{name: "blank lines and CRLF", in: "\n" + hdr + "\r\n\r\n" + ev + "\r\n  \n", entries: 2, header: true},
		{name: "empty", in: "", entries: 0},
		{name: "last line without LF", in: hdr + "\n" + ev, entries: 2, header: true},
		{name: "truncated last line", in: hdr + "\n" + ev + "\n" + ev[:40], entries: 2, header: true, errIs: ErrTruncated, errLine: 3},
		{name: "bad middle line", in: hdr + "\n" + "{oops}\n" + ev + "\n", entries: 1, header: true, errLine: 2, errText: "invalid character"},
		{name: "unknown kind skipped", in: hdr + "\n" + `{"kind":"bookmark","time":"2025-03-01T12:00:00Z"}` + "\n" + ev + "\n", entries: 2, header: true, skipped: 1},
		{name: "newer version", in: strings.Replace(hdr, `"version":1`, `"version":2`, 1) + "\n" + ev + "\n", errText: "version 2 is newer"},
		{name: "header not first", in: ev + "\n" + hdr + "\n", entries: 1, errLine: 2, errText: "first line"},
		{name: "line too long", in: hdr + "\n" + ev + "\n", cfg: ReaderConfig{MaxLineBytes: 80}, entries: 1, header: true, errIs: ErrLineTooLong, errLine: 2},
		{name: "line exactly at cap", in: ev + "\n", cfg: ReaderConfig{MaxLineBytes: len(ev)}, entries: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, r, err := readAll(c.in, c.cfg)
			if len(got) != c.entries {
				t.Errorf("read %d entries, want %d", len(got), c.entries)
			}
			if _, ok := r.Header(); ok != c.header {
				t.Errorf("Header ok = %v, want %v", ok, c.header)
			}
			if r.Skipped() != c.skipped {
				t.Errorf("Skipped = %d, want %d", r.Skipped(), c.skipped)
			}
			wantErr := c.errIs != nil || c.errText != ""
			if (err != nil) != wantErr {
				t.Fatalf("err = %v, want error %v", err, wantErr)
			}
			if err == nil {
				return
			}
			if c.errIs != nil && !errors.Is(err, c.errIs) {
				t.Errorf("err = %v, want %v", err, c.errIs)
			}
			if c.errText != "" && !strings.Contains(err.Error(), c.errText) {
				t.Errorf("err = %v, want it to contain %q", err, c.errText)
			}
			var le *LineError
			if c.errLine > 0 && (!errors.As(err, &le) || le.Line != c.errLine) {
				t.Errorf("err = %#v, want a *LineError at line %d", err, c.errLine)
			}
			var ve *VersionError
			if strings.Contains(c.errText, "newer") && !errors.As(err, &ve) {
				t.Errorf("err = %T, want *VersionError", err)
			}
			if _, again := r.Next(); again == nil || again.Error() != err.Error() {
				t.Errorf("error not sticky: %v then %v", err, again)
			}
		})
	}
}

// TestReaderLongLines reads lines longer than the read buffer.
func TestReaderLongLines(t *testing.T) {
	big := strings.Repeat("0123456789", 30000) // 300 kB, over the 64 KiB buffer
	e := Entry{Kind: KindEvent, Time: t0, Channel: "c", Type: "message", Data: big}
	in := string(AppendJSON(nil, &e)) + "\n" + ev + "\n"
	got, _, err := readAll(in, ReaderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Data != big || got[1].Data != "x" {
		t.Fatalf("got %d entries", len(got))
	}
}

func FuzzEntryRoundTrip(f *testing.F) {
	f.Add("1", "message", "hello\nworld", "hb")
	f.Add("", "", "\x00\xff\u2028", "")
	f.Fuzz(func(t *testing.T, id, typ, data, comment string) {
		if strings.ContainsAny(id, "\r\n\x00") || strings.ContainsAny(typ, "\r\n") || strings.ContainsRune(data, '\r') {
			t.Skip()
		}
		e := Entry{Kind: KindEvent, Time: t0, Channel: "c", ID: id, Type: typ, Data: data}
		b := AppendJSON(nil, &e)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON %q", b)
		}
		var got Entry
		if err := got.UnmarshalJSON(b); err != nil {
			t.Fatalf("UnmarshalJSON(%s): %v", b, err)
		}
		if utf8Valid(data) && got.Data != data {
			t.Fatalf("data %q -> %q", data, got.Data)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }
