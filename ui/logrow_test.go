package ui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/ui"
)

func TestLogRow_Markup(t *testing.T) {
	test.NewTempApp(t)
	at := time.Date(2025, 3, 1, 14, 5, 9, 123_000_000, time.UTC)
	for _, tc := range []struct {
		name  string
		rec   client.Record
		delta time.Duration
	}{
		{"empty", client.Record{}, -1},
		{"event", client.Record{Seq: 7, At: at, Kind: client.RecordEvent, ID: "1042", Type: "progress", Data: `{"progress":42,"message":"step 3"}`}, 12 * time.Millisecond},
		{"multiline", client.Record{Seq: 8, At: at, Kind: client.RecordEvent, ID: "1043", Type: "message", Data: "first line\nsecond line\n\tthird"}, 1500 * time.Millisecond},
		{"gap", client.Record{Seq: 9, At: at, Kind: client.RecordEvent, ID: "1050", Type: "tick", Data: "50", Gap: 6}, 2 * time.Second},
		{"duplicate", client.Record{Seq: 10, At: at, Kind: client.RecordEvent, ID: "1049", Type: "tick", Data: "49", Duplicate: true}, 0},
		{"comment", client.Record{Seq: 11, At: at, Kind: client.RecordComment, Data: "heartbeat"}, 15 * time.Second},
		{"retry", client.Record{Seq: 12, At: at, Kind: client.RecordRetry, Data: "1.5s"}, 0},
		{"state", client.Record{Seq: 13, At: at, Kind: client.RecordState, Type: "retrying", Data: "connection reset by peer"}, 3 * time.Minute},
		{"gap_finding", client.Record{Seq: 15, At: at, Kind: client.RecordEvent, ID: "1050", Type: "tick", Data: "50", Gap: 6, Finding: client.Finding{Kind: client.FindingGap, Missed: 6, Prev: "1043", ID: "1050"}}, 996 * time.Millisecond},
		{"lost", client.Record{Seq: 16, At: at, Kind: client.RecordEvent, ID: "99", Type: "lost", Data: `{"missed":12}`, Gap: 12, Finding: client.Finding{Kind: client.FindingLost, Missed: 12, Prev: "87"}}, 0},
		{"backwards", client.Record{Seq: 17, At: at, Kind: client.RecordEvent, ID: "3", Type: "tick", Data: "3", Duplicate: true, Finding: client.Finding{Kind: client.FindingBackwards, Prev: "9", ID: "3"}}, 0},
		{"bad_id", client.Record{Seq: 18, At: at, Kind: client.RecordEvent, ID: "NaN", Type: "tick", Data: "x", InvalidID: true}, 0},
		{"connected", client.Record{Seq: 19, At: at, Kind: client.RecordState, Type: "open", Data: "HTTP/1.1 200 OK"}, 0},
		{"reconnected", client.Record{Seq: 20, At: at, Kind: client.RecordState, Type: "open", ID: "1049", Data: "HTTP/1.1 200 OK"}, 2 * time.Minute},
		{"oversized", client.Record{Seq: 21, At: at, Kind: client.RecordOversized, ID: "77", Type: "export", Data: `{"rows":[[1,2,3],[4,5,6]`,
			Size: 52 << 20, Oversized: &client.Oversized{Bytes: 52 << 20, Cap: 16 << 20}}, 0},
		{"long", client.Record{Seq: 14, At: at, Kind: client.RecordEvent, ID: "a-very-long-event-identifier", Type: "an-unusually-long-type", Data: "x " + string(make([]byte, 0)) + "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ui.NewLogRow(time.UTC)
			r.Set(tc.rec, tc.delta)
			r.Resize(fyne.NewSize(640, r.MinSize().Height))
			test.AssertObjectRendersToMarkup(t, "logrow/"+tc.name+".xml", r)
			if r.Record() != tc.rec {
				t.Fatalf("Record() = %+v, want %+v", r.Record(), tc.rec)
			}
		})
	}
}

func TestLogRow_UniformHeight(t *testing.T) {
	test.NewTempApp(t)
	a, b := ui.NewLogRow(time.UTC), ui.NewLogRow(time.UTC)
	b.Set(client.Record{Kind: client.RecordEvent, Type: "x", Data: "many\nlines\nof\ndata"}, 0)
	if a.MinSize().Height != b.MinSize().Height {
		t.Fatalf("row heights differ: %v vs %v", a.MinSize().Height, b.MinSize().Height)
	}
}
