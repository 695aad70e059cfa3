package ui

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client"
)

// maxInspectBytes caps the text the inspector shows for one record.
const maxInspectBytes = 256 << 10

// prettyData returns a record's data for reading: indented JSON when it is
// JSON, else the text as is; and whether it was JSON.
func prettyData(data string) (string, bool) {
	trim := strings.TrimSpace(data)
	if len(trim) > 0 && (trim[0] == '{' || trim[0] == '[') && json.Valid([]byte(trim)) {
		var b bytes.Buffer
		if err := json.Indent(&b, []byte(trim), "", "  "); err == nil {
			return capText(b.String()), true
		}
	}
	return capText(data), false
}

// capText cuts s to maxInspectBytes on a line break, saying so.
func capText(s string) string {
	if len(s) <= maxInspectBytes {
		return s
	}
	cut := strings.LastIndexByte(s[:maxInspectBytes], '\n')
	if cut < 0 {
		cut = maxInspectBytes
	}
	return s[:cut] + "\n… (" + formatBytes(uint64(len(s)-cut)) + " more not shown; export the log for all of it)"
}

// rawFrame reconstructs the wire form of a record, preceded by the comment
// lines received right before it (comments, then id, event, data lines).
func rawFrame(comments []client.Record, r client.Record) string {
	var b strings.Builder
	for _, c := range comments {
		writeField(&b, "", c.Data)
	}
	switch r.Kind {
	case client.RecordEvent:
		if r.ID != "" {
			writeField(&b, "id", r.ID)
		}
		if r.Type != "" && r.Type != "message" {
			writeField(&b, "event", r.Type)
		}
		writeField(&b, "data", r.Data)
		b.WriteByte('\n')
	case client.RecordComment:
		writeField(&b, "", r.Data)
	case client.RecordRetry:
		ms := r.Data
		if d, err := time.ParseDuration(r.Data); err == nil {
			ms = strconv.FormatInt(d.Milliseconds(), 10) // as on the wire
		}
		writeField(&b, "retry", ms)
	case client.RecordOversized:
		if r.Oversized != nil {
			b.WriteString("(" + r.Oversized.String() + "; its first bytes:)\n")
		}
		if r.ID != "" {
			writeField(&b, "id", r.ID)
		}
		if r.Type != "" && r.Type != "message" {
			writeField(&b, "event", r.Type)
		}
		writeField(&b, "data", r.Data)
	case client.RecordState:
		b.WriteString("(connection " + r.Type + ": " + r.Data + ")\n")
	}
	return capText(b.String())
}

// writeField writes "name: value" once per line of value; an empty name
// writes comment lines (": value").
func writeField(b *strings.Builder, name, value string) {
	for line := range strings.SplitSeq(value, "\n") {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
}
