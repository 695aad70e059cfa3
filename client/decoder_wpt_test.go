package client

import (
	"io"
	"strings"
	"testing"
	"time"
)

// The parsing tests of web-platform-tests eventsource/ (as vendored in
// nodejs/node test/fixtures/wpt/eventsource/), ported to the Decoder. The
// bodies are exactly what the tests' server scripts send:
//
//   - resources/message.py: message + ("\n\n", or "" when newline=none) + "\n"
//   - resources/message2.py: one round of its endless loop
//   - resources/last-event-id.py: "id: " + idvalue + "\nretry: 200\ndata: hello\n\n"
//     on the first request; "data: " + Last-Event-ID + "\n\n" when the
//     request carries one
//   - resources/last-event-id2.py?type=N: fixed bodies
//
// A test that needs EventSource's reconnection decodes the next response
// after Reset, choosing it as the server would from LastEventID().
//
// Not here, because they are about the connection rather than the bytes:
// format-mime-bogus, format-mime-valid-bogus, format-mime-trailing-semicolon
// (Content-Type checks) and the charset half of format-utf-8 (the decoder
// never looks at headers: it always decodes UTF-8).

// messagePy is the body resources/message.py sends for message and the
// newline parameter.
func messagePy(message string, newlineNone bool) string {
	if newlineNone {
		return message + "\n"
	}
	return message + "\n\n\n"
}

// lastEventIDPy is the body resources/last-event-id.py sends for a request
// whose Last-Event-ID header is lastEventID ("" when absent).
func lastEventIDPy(idvalue, lastEventID string) string {
	if lastEventID != "" {
		return "data: " + lastEventID + "\n\n"
	}
	return "id: " + idvalue + "\nretry: 200\ndata: hello\n\n"
}

// wptEvents decodes body through every reader split and returns its events
// (checking that the stream ends with io.EOF), and the retry frames.
func wptEvents(t *testing.T, d *Decoder, body string) (events []Event, retries []time.Duration) {
	t.Helper()
	// Every split of the body must agree, starting from the same last
	// event ID.
	checkAllSplitsFrom(t, body, DecoderConfig{}, d.LastEventID())
	d.Reset(strings.NewReader(body))
	for {
		f, err := d.Next()
		if err == io.EOF {
			return events, retries
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		switch f.Kind {
		case FrameEvent:
			events = append(events, f.Event)
		case FrameRetry:
			retries = append(retries, f.Retry)
		}
	}
}

func wantData(t *testing.T, events []Event, data ...string) {
	t.Helper()
	if len(events) != len(data) {
		t.Fatalf("got %d events %+v, want data %q", len(events), events, data)
	}
	for i, e := range events {
		if e.Data != data[i] {
			t.Errorf("event %d: data %q, want %q", i, e.Data, data[i])
		}
		if e.Type != "message" {
			t.Errorf("event %d: type %q, want message", i, e.Type)
		}
	}
}

func TestWPT(t *testing.T) {
	newDecoder := func() *Decoder { return NewDecoder(strings.NewReader(""), DecoderConfig{}) }

	t.Run("format-bom.any.js", func(t *testing.T) {
		// %EF%BB%BFdata%3A1%0A%0A%EF%BB%BFdata%3A2%0A%0Adata%3A3
		body := messagePy("\uFEFFdata:1\n\n\uFEFFdata:2\n\ndata:3", false)
		events, _ := wptEvents(t, newDecoder(), body)
		wantData(t, events, "1", "3") // 2 is lost: only the first BOM is stripped
	})

	t.Run("format-bom-2.any.js", func(t *testing.T) {
		body := messagePy("\uFEFF\uFEFFdata:1\n\ndata:2\n\ndata:3", false)
		events, _ := wptEvents(t, newDecoder(), body)
		wantData(t, events, "2", "3") // 1 is lost: the second BOM is kept
	})

	t.Run("format-comments.any.js", func(t *testing.T) {
		long := strings.Repeat("x", 2*1024)
		body := messagePy("data:1\r:\x00\n:\r\ndata:2\n:"+long+"\rdata:3\n:data:fail\r:"+long+"\ndata:4\n", true)
		d := newDecoder()
		events, _ := wptEvents(t, d, body)
		wantData(t, events, "1\n2\n3\n4")
		// The comments are surfaced as frames too.
		d.Reset(strings.NewReader(body))
		var comments []string
		for {
			f, err := d.Next()
			if err != nil {
				break
			}
			if f.Kind == FrameComment {
				comments = append(comments, f.Comment)
			}
		}
		want := []string{"\x00", "", long, "data:fail", long}
		if strings.Join(comments, "|") != strings.Join(want, "|") {
			t.Errorf("comments %q, want %q", comments, want)
		}
	})

	t.Run("format-data-before-final-empty-line.any.js", func(t *testing.T) {
		// The second message event is test1 again, after a reconnection:
		// the unfinished event and its id are discarded.
		body := messagePy("retry:1000\ndata:test1\n\nid:test\ndata:test2", true)
		d := newDecoder()
		events, retries := wptEvents(t, d, body)
		wantData(t, events, "test1")
		if len(retries) != 1 || retries[0] != time.Second {
			t.Errorf("retries %v, want [1s]", retries)
		}
		if d.LastEventID() != "" {
			t.Fatalf("LastEventID() = %q after the first connection", d.LastEventID())
		}
		events, _ = wptEvents(t, d, body)
		wantData(t, events, "test1")
		if events[0].ID != "" {
			t.Errorf("lastEventId %q, want empty", events[0].ID)
		}
	})

	t.Run("format-field-data.any.js", func(t *testing.T) {
		body := messagePy("data:\n\ndata\ndata\n\ndata:test", false)
		events, _ := wptEvents(t, newDecoder(), body)
		wantData(t, events, "", "\n", "test")
	})

	t.Run("format-field-event.any.js", func(t *testing.T) {
		body := messagePy("event:test\ndata:x\n\ndata:x", false)
		events, _ := wptEvents(t, newDecoder(), body)
		if len(events) != 2 || events[0] != (Event{Type: "test", Data: "x"}) || events[1] != (Event{Type: "message", Data: "x"}) {
			t.Errorf("events %+v", events)
		}
	})

	t.Run("format-field-event-empty.any.js", func(t *testing.T) {
		body := messagePy("event: \ndata:data", false)
		events, _ := wptEvents(t, newDecoder(), body)
		wantData(t, events, "data")
	})

	// format-field-id: the id "…" (U+2026) is sent back as Last-Event-ID on
	// reconnection and persists for events without an id.
	lastEventIDTest := func(t *testing.T, reconnects int) {
		d := newDecoder()
		events, retries := wptEvents(t, d, lastEventIDPy("\u2026", d.LastEventID()))
		if len(events) != 1 || events[0] != (Event{ID: "\u2026", Type: "message", Data: "hello"}) {
			t.Fatalf("first connection: %+v", events)
		}
		if len(retries) != 1 || retries[0] != 200*time.Millisecond {
			t.Errorf("retries %v, want [200ms]", retries)
		}
		for range reconnects {
			if d.LastEventID() != "\u2026" {
				t.Fatalf("Last-Event-ID to send: %q", d.LastEventID())
			}
			events, _ = wptEvents(t, d, lastEventIDPy("\u2026", d.LastEventID()))
			if len(events) != 1 || events[0] != (Event{ID: "\u2026", Type: "message", Data: "\u2026"}) {
				t.Fatalf("after reconnection: %+v", events)
			}
		}
	}
	t.Run("format-field-id.any.js", func(t *testing.T) { lastEventIDTest(t, 1) })
	t.Run("format-field-id-2.any.js", func(t *testing.T) { lastEventIDTest(t, 2) })

	t.Run("format-field-id-3.window.js", func(t *testing.T) {
		type want struct{ id, data string }
		for _, tc := range []struct {
			name string
			body string // last-event-id2.py?type=N
			want []want
		}{
			{"lastEventId persists", "id: 1\ndata: 1\n\ndata: 2\n\nid: 2\ndata:3\n\ndata:4\n\n",
				[]want{{"1", "1"}, {"1", "2"}, {"2", "3"}, {"2", "4"}}},
			{"lastEventId resets", "id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n",
				[]want{{"1", "1"}, {"", "2"}, {"", "3"}}},
			{"lastEventId resets (id without colon)", "id: 1\ndata: 1\n\nid\ndata:2\n\ndata:3\n\n",
				[]want{{"1", "1"}, {"", "2"}, {"", "3"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				events, _ := wptEvents(t, newDecoder(), tc.body)
				if len(events) != len(tc.want) {
					t.Fatalf("events %+v", events)
				}
				for i, e := range events {
					if e.ID != tc.want[i].id || e.Data != tc.want[i].data {
						t.Errorf("event %d: id %q data %q, want %+v", i, e.ID, e.Data, tc.want[i])
					}
				}
			})
		}
	})

	t.Run("format-field-id-null.window.js", func(t *testing.T) {
		for _, idvalue := range []string{"\x00\x00", "x\x00", "\x00x", "x\x00x", " \x00"} {
			d := newDecoder()
			for conn := range 2 {
				// No id was set, so the reconnection carries no
				// Last-Event-ID and gets hello again.
				events, _ := wptEvents(t, d, lastEventIDPy(idvalue, d.LastEventID()))
				if len(events) != 1 || events[0] != (Event{ID: "", Type: "message", Data: "hello"}) {
					t.Fatalf("id %q, connection %d: %+v", idvalue, conn, events)
				}
			}
		}
	})

	t.Run("format-field-parsing.any.js", func(t *testing.T) {
		body := messagePy("data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n", true)
		events, _ := wptEvents(t, newDecoder(), body)
		wantData(t, events, "\x00\n 2\n1\n3\n\n4")
	})

	t.Run("format-field-retry.any.js", func(t *testing.T) {
		body := messagePy("retry:03000\ndata:x", false)
		events, retries := wptEvents(t, newDecoder(), body)
		wantData(t, events, "x")
		if len(retries) != 1 || retries[0] != 3*time.Second {
			t.Errorf("retries %v, want [3s] (03000 is decimal)", retries)
		}
	})

	t.Run("format-field-retry-bogus.any.js", func(t *testing.T) {
		body := messagePy("retry:3000\nretry:1000x\ndata:x", false)
		events, retries := wptEvents(t, newDecoder(), body)
		wantData(t, events, "x")
		if len(retries) != 1 || retries[0] != 3*time.Second {
			t.Errorf("retries %v, want [3s]", retries)
		}
	})

	t.Run("format-field-retry-empty.any.js", func(t *testing.T) {
		body := messagePy("retry\ndata:test", false)
		events, retries := wptEvents(t, newDecoder(), body)
		wantData(t, events, "test")
		if len(retries) != 0 {
			t.Errorf("retries %v, want none", retries)
		}
	})

	t.Run("format-field-unknown.any.js", func(t *testing.T) {
		body := messagePy("data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test", false)
		events, _ := wptEvents(t, newDecoder(), body)
		wantData(t, events, "test\n\ntest")
	})

	t.Run("format-leading-space.any.js", func(t *testing.T) {
		body := messagePy("data:\ttest\rdata: \ndata:test", false)
		events, _ := wptEvents(t, newDecoder(), body)
		wantData(t, events, "\ttest\n\ntest")
	})

	t.Run("format-newlines.any.js", func(t *testing.T) {
		// The final CR and message.py's LF make one CRLF.
		body := messagePy("data:test\r\ndata\ndata:test\r\n\r", true)
		events, _ := wptEvents(t, newDecoder(), body)
		wantData(t, events, "test\n\ntest")
	})

	t.Run("format-null-character.any.js", func(t *testing.T) {
		body := messagePy("data:\x00\n\n", false)
		events, _ := wptEvents(t, newDecoder(), body)
		wantData(t, events, "\x00")
	})

	t.Run("format-utf-8.any.js", func(t *testing.T) {
		// Served as text/event-stream;charset=windows-1252: still UTF-8.
		body := messagePy("data:ok\xE2\x80\xA6", false)
		events, _ := wptEvents(t, newDecoder(), body)
		wantData(t, events, "ok\u2026")
	})

	t.Run("event-data.any.js", func(t *testing.T) {
		body := "data:msg\ndata: msg\n\n:\nfalsefield:msg\n\nfalsefield:msg\nData:data\n\ndata\n\ndata:end\n\n"
		events, _ := wptEvents(t, newDecoder(), body)
		wantData(t, events, "msg\nmsg", "", "end")
	})
}
