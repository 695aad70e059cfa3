package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ssemon/ssemon/client"
)

// AppendJSON appends the JSON form of e, one line without its line end, to
// dst: "kind", "time", "channel" first, then the fields of e's kind, zero
// values left out except the event fields "id", "type" and "data", which
// are always written. Invalid UTF-8 in strings is written as U+FFFD.
func AppendJSON(dst []byte, e *Entry) []byte {
	dst = append(dst, `{"kind":`...)
	dst = appendString(dst, string(e.Kind))
	dst = append(dst, `,"time":`...)
	dst = appendTime(dst, e.Time)
	if e.Channel != "" {
		dst = appendStringField(dst, "channel", e.Channel)
	}
	switch e.Kind {
	case KindRecording:
		dst = appendIntField(dst, "version", int64(e.Version))
		dst = appendStringField(dst, "tool", e.Tool)
	case KindChannel:
		dst = appendStringField(dst, "url", e.URL)
		dst = appendStringField(dst, "method", e.Method)
		if len(e.Headers) > 0 {
			dst = append(dst, `,"headers":{`...)
			keys := make([]string, 0, len(e.Headers))
			for k := range e.Headers {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for i, k := range keys {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendString(dst, k)
				dst = append(dst, ":["...)
				for j, v := range e.Headers[k] {
					if j > 0 {
						dst = append(dst, ',')
					}
					dst = appendString(dst, v)
				}
				dst = append(dst, ']')
			}
			dst = append(dst, '}')
		}
		if e.LastEventID != "" {
			dst = appendStringField(dst, "last_event_id", e.LastEventID)
		}
	case KindEvent:
		dst = appendEventFields(dst, e)
		dst = appendFinding(dst, e.Finding)
	case KindOversized:
		o := &e.Oversized
		dst = appendEventFields(dst, e)
		dst = appendIntField(dst, "size", o.Bytes)
		dst = appendIntField(dst, "cap", int64(o.Cap))
		if o.More {
			dst = append(dst, `,"ongoing":true`...)
		}
		if o.Again {
			dst = append(dst, `,"again":true`...)
		}
		if o.Comment {
			dst = append(dst, `,"comment_line":true`...)
		}
		dst = appendStringField(dst, "text", o.String())
		dst = appendFinding(dst, e.Finding)
	case KindComment:
		dst = append(dst, `,"comment":`...)
		dst = appendString(dst, e.Comment)
	case KindRetry:
		dst = appendIntField(dst, "retry", e.Retry.Milliseconds())
	case KindState:
		dst = appendStringField(dst, "state", e.State.String())
		if e.Attempt != 0 {
			dst = appendIntField(dst, "attempt", int64(e.Attempt))
		}
		if !e.NextAttempt.IsZero() {
			dst = append(dst, `,"next_attempt":`...)
			dst = appendTime(dst, e.NextAttempt)
		}
		if e.Delay != 0 {
			dst = appendIntField(dst, "delay_ms", e.Delay.Milliseconds())
		}
		if e.Error != "" {
			dst = appendStringField(dst, "error", e.Error)
		}
		if e.ErrorKind != "" {
			dst = appendStringField(dst, "error_kind", e.ErrorKind)
		}
		if e.Status != 0 {
			dst = appendIntField(dst, "status", int64(e.Status))
		}
		if e.ContentType != "" {
			dst = appendStringField(dst, "content_type", e.ContentType)
		}
		if e.Body != "" {
			dst = appendStringField(dst, "body", e.Body)
		}
		if e.Detail != "" {
			dst = appendStringField(dst, "detail", e.Detail)
		}
		if e.Insecure {
			dst = append(dst, `,"insecure":true`...)
		}
	case KindEnd:
		if e.Reason != "" {
			dst = appendStringField(dst, "reason", e.Reason)
		}
		dst = appendIntField(dst, "events", e.Events)
	}
	switch e.Kind {
	case KindEvent, KindComment, KindRetry, KindOversized:
		if e.Bytes != 0 {
			dst = appendIntField(dst, "bytes", int64(e.Bytes))
		}
	}
	return append(dst, '}')
}

// appendEventFields appends "id", "type" and "data", always written.
func appendEventFields(dst []byte, e *Entry) []byte {
	dst = append(dst, `,"id":`...)
	dst = appendString(dst, e.ID)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, e.Type)
	dst = append(dst, `,"data":`...)
	return appendString(dst, e.Data)
}

// appendFinding appends an event's "finding" object, if it has one.
func appendFinding(dst []byte, f client.Finding) []byte {
	if f.Kind == client.FindingNone {
		return dst
	}
	dst = append(dst, `,"finding":{"kind":`...)
	dst = appendString(dst, f.Kind.String())
	if f.Missed != 0 {
		dst = appendIntField(dst, "missed", f.Missed)
	}
	if f.Prev != "" {
		dst = appendStringField(dst, "prev", f.Prev)
	}
	if f.ID != "" {
		dst = appendStringField(dst, "id", f.ID)
	}
	dst = appendStringField(dst, "text", f.String())
	return append(dst, '}')
}

// MarshalJSON returns AppendJSON(nil, e).
func (e Entry) MarshalJSON() ([]byte, error) {
	return AppendJSON(nil, &e), nil
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

func appendStringField(dst []byte, name, v string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendString(dst, v)
}

func appendIntField(dst []byte, name string, v int64) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return strconv.AppendInt(dst, v, 10)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. It escapes what JSON requires
// (quote, backslash, control characters), plus U+2028 and U+2029 (as
// encoding/json does) and replaces invalid UTF-8 with U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// wireEntry is the JSON form of an Entry, as read.
type wireEntry struct {
	Kind        string              `json:"kind"`
	Time        *time.Time          `json:"time"`
	Channel     string              `json:"channel"`
	Version     *int                `json:"version"`
	Tool        string              `json:"tool"`
	URL         string              `json:"url"`
	Method      string              `json:"method"`
	Headers     map[string][]string `json:"headers"`
	LastEventID string              `json:"last_event_id"`
	ID          string              `json:"id"`
	Type        string              `json:"type"`
	Data        string              `json:"data"`
	Comment     string              `json:"comment"`
	Retry       *int64              `json:"retry"`
	Bytes       int                 `json:"bytes"`
	State       string              `json:"state"`
	Attempt     int                 `json:"attempt"`
	NextAttempt *time.Time          `json:"next_attempt"`
	DelayMS     int64               `json:"delay_ms"`
	Error       string              `json:"error"`
	ErrorKind   string              `json:"error_kind"`
	Status      int                 `json:"status"`
	ContentType string              `json:"content_type"`
	Body        string              `json:"body"`
	Detail      string              `json:"detail"`
	Insecure    bool                `json:"insecure"`
	Reason      string              `json:"reason"`
	Events      int64               `json:"events"`
	Finding     *wireFinding        `json:"finding"`
	Size        int64               `json:"size"`
	Cap         int                 `json:"cap"`
	Ongoing     bool                `json:"ongoing"`
	Again       bool                `json:"again"`
	CommentLine bool                `json:"comment_line"`
}

// wireFinding is the JSON form of an event's Finding.
type wireFinding struct {
	Kind   string `json:"kind"`
	Missed int64  `json:"missed"`
	Prev   string `json:"prev"`
	ID     string `json:"id"`
}

// parseFinding reads a finding; a kind this version does not know reads as
// none (readers ignore what they do not know).
func parseFinding(w *wireFinding) client.Finding {
	if w == nil {
		return client.Finding{}
	}
	for k := client.FindingNone + 1; k.String() != "" && !strings.HasPrefix(k.String(), "finding("); k++ {
		if k.String() == w.Kind {
			return client.Finding{Kind: k, Missed: w.Missed, Prev: w.Prev, ID: w.ID}
		}
	}
	return client.Finding{}
}

// ErrUnknownKind is returned (wrapped) by UnmarshalJSON for a line whose
// kind this version does not know; a Reader skips such lines.
var ErrUnknownKind = errors.New("record: unknown kind")

// maxRetryMS bounds a retry or delay value read, in milliseconds (a
// duration that still fits time.Duration).
const maxRetryMS = int64(1<<63-1) / int64(time.Millisecond)

// UnmarshalJSON reads one line of a recording into e and checks it: a
// known kind, a time, a channel where the kind needs one, a known state, a
// valid version, no line break where the event stream cannot carry one. An
// event without a type gets "message". A line of a kind this version does
// not know returns an error wrapping ErrUnknownKind.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var w wireEntry
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	k := Kind(w.Kind)
	if w.Kind == "" {
		return errors.New(`missing "kind"`)
	}
	if !k.Known() {
		return fmt.Errorf("%w %q", ErrUnknownKind, w.Kind)
	}
	if w.Time == nil || w.Time.IsZero() {
		return fmt.Errorf(`%s: missing "time"`, k)
	}
	out := Entry{Kind: k, Time: *w.Time, Channel: w.Channel}
	switch k {
	case KindRecording, KindEnd:
	default:
		if w.Channel == "" {
			return fmt.Errorf(`%s: missing "channel"`, k)
		}
	}
	switch k {
	case KindRecording:
		if w.Version == nil {
			return errors.New(`recording: missing "version"`)
		}
		if *w.Version < 1 {
			return fmt.Errorf("recording: invalid version %d", *w.Version)
		}
		out.Version, out.Tool = *w.Version, w.Tool
	case KindChannel:
		out.URL, out.Method, out.LastEventID = w.URL, w.Method, w.LastEventID
		if len(w.Headers) > 0 {
			out.Headers = make(http.Header, len(w.Headers))
			for name, vs := range w.Headers {
				out.Headers[name] = vs
			}
		}
	case KindEvent:
		if strings.ContainsAny(w.ID, "\r\n\x00") {
			return errors.New("event: id contains a line break or NUL, which an event stream cannot carry")
		}
		if strings.ContainsAny(w.Type, "\r\n") {
			return errors.New("event: type contains a line break, which an event stream cannot carry")
		}
		if strings.ContainsRune(w.Data, '\r') {
			return errors.New("event: data contains a CR, which an event stream cannot carry (lines are joined with LF)")
		}
		out.ID, out.Type, out.Data, out.Bytes = w.ID, w.Type, w.Data, w.Bytes
		out.Finding = parseFinding(w.Finding)
		if out.Type == "" {
			out.Type = "message"
		}
	case KindOversized:
		if w.Size < 0 || w.Cap < 0 {
			return fmt.Errorf("oversized: size %d or cap %d is negative", w.Size, w.Cap)
		}
		out.ID, out.Type, out.Data, out.Bytes = w.ID, w.Type, w.Data, w.Bytes
		out.Oversized = client.Oversized{Bytes: w.Size, Cap: w.Cap, More: w.Ongoing, Again: w.Again, Comment: w.CommentLine}
		out.Finding = parseFinding(w.Finding)
	case KindComment:
		if strings.ContainsAny(w.Comment, "\r\n") {
			return errors.New("comment: contains a line break, which an event stream cannot carry")
		}
		out.Comment, out.Bytes = w.Comment, w.Bytes
	case KindRetry:
		if w.Retry == nil {
			return errors.New(`retry: missing "retry"`)
		}
		if *w.Retry < 0 || *w.Retry > maxRetryMS {
			return fmt.Errorf("retry: %d ms is out of range", *w.Retry)
		}
		out.Retry, out.Bytes = time.Duration(*w.Retry)*time.Millisecond, w.Bytes
	case KindState:
		st, ok := ParseState(w.State)
		if !ok {
			return fmt.Errorf("state: unknown state %q", w.State)
		}
		if w.DelayMS < 0 || w.DelayMS > maxRetryMS {
			return fmt.Errorf("state: delay_ms %d is out of range", w.DelayMS)
		}
		out.State, out.Attempt = st, w.Attempt
		if w.NextAttempt != nil {
			out.NextAttempt = *w.NextAttempt
		}
		out.Delay = time.Duration(w.DelayMS) * time.Millisecond
		out.Error, out.ErrorKind, out.Status = w.Error, w.ErrorKind, w.Status
		out.ContentType, out.Body, out.Detail, out.Insecure = w.ContentType, w.Body, w.Detail, w.Insecure
	case KindEnd:
		out.Reason, out.Events = w.Reason, w.Events
	}
	*e = out
	return nil
}
