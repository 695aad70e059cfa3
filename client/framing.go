package client

import (
	"fmt"
	"mime"
	"strings"
)

// Format is how a response body is cut into events.
type Format string

// The formats of a stream.
const (
	// FormatAuto picks the format from the response's Content-Type:
	// text/event-stream is SSE; application/x-ndjson, application/ndjson,
	// application/jsonl, application/x-jsonlines, application/json-lines
	// and application/json-seq are NDJSON. Another type fails the stream.
	FormatAuto Format = ""
	// FormatSSE reads Server-Sent Events; the response must be
	// text/event-stream.
	FormatSSE Format = "sse"
	// FormatNDJSON reads one event per line (NDJSON, JSON Lines, JSON text
	// sequences), whatever the Content-Type.
	FormatNDJSON Format = "ndjson"
)

// String returns "auto", "sse" or "ndjson".
func (f Format) String() string {
	if f == FormatAuto {
		return "auto"
	}
	return string(f)
}

// ParseFormat reads a format name: "auto" (or ""), "sse", "ndjson" (or
// "jsonl", "json-lines", "jsonlines"), case-insensitively.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FormatAuto, nil
	case "sse":
		return FormatSSE, nil
	case "ndjson", "jsonl", "json-lines", "jsonlines":
		return FormatNDJSON, nil
	}
	return FormatAuto, &ConfigError{Field: "Format", Msg: fmt.Sprintf("%q is not one of auto, sse, ndjson", s)}
}

// FormatOf returns the format a Content-Type announces: FormatSSE,
// FormatNDJSON, or FormatAuto when it announces neither.
func FormatOf(contentType string) Format {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	switch mt {
	case "text/event-stream":
		return FormatSSE
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonl",
		"application/x-jsonlines", "application/jsonlines", "application/json-lines", "application/json-seq":
		return FormatNDJSON
	}
	return FormatAuto
}
