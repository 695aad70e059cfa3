package record

import (
	"errors"
	"net/http"
	"time"

	"github.com/ssemon/ssemon/client"
)

// Version is the schema version this package writes and the newest it reads.
const Version = 1

// Kind tells what an Entry holds; it is the "kind" field of a line.
type Kind string

// The kinds of entry.
const (
	// KindRecording is the header, the first line of a recording: Time is
	// when the session started, Version the schema version, Tool the
	// program that wrote it.
	KindRecording Kind = "recording"
	// KindChannel describes a channel once, before its first other entry:
	// URL, Method, Headers and LastEventID as requested (secrets masked).
	KindChannel Kind = "channel"
	// KindEvent is a dispatched event: ID, Type, Data, Bytes.
	KindEvent Kind = "event"
	// KindComment is a comment line, such as a heartbeat: Comment, Bytes.
	KindComment Kind = "comment"
	// KindRetry is a retry field sent by the server: Retry, Bytes.
	KindRetry Kind = "retry"
	// KindState is a connection state change: State and the fields that
	// explain it.
	KindState Kind = "state"
	// KindEnd is the footer: Reason and Events.
	KindEnd Kind = "end"
	// KindOversized is a report of an event (or a comment line) over the
	// size cap, skipped by the client (client.FrameOversized): Oversized,
	// ID and Type as known, Data its first bytes, Bytes.
	KindOversized Kind = "oversized"
)

// Known reports whether k is one of the kinds of this version.
func (k Kind) Known() bool {
	switch k {
	case KindRecording, KindChannel, KindEvent, KindComment, KindRetry, KindState, KindEnd, KindOversized:
		return true
	}
	return false
}

// The values of Entry.ErrorKind: the type of the error behind a state.
const (
	// ErrorHTTP is a failed status (*client.HTTPError).
	ErrorHTTP = "http"
	// ErrorContentType is a 200 that is not text/event-stream
	// (*client.ContentTypeError).
	ErrorContentType = "content_type"
	// ErrorStall is a silent connection dropped by the watchdog
	// (*client.StallError).
	ErrorStall = "stall"
	// ErrorTimeout is a response that did not come in time
	// (*client.TimeoutError).
	ErrorTimeout = "timeout"
	// ErrorConnect is a transport failure: DNS, refused, reset, TLS
	// (*client.ConnectError).
	ErrorConnect = "connect"
	// ErrorRedirect is a redirect loop (*client.RedirectError).
	ErrorRedirect = "redirect"
	// ErrorLimit is a line or event over the size caps
	// (*client.LimitError).
	ErrorLimit = "limit"
	// ErrorEnded is a response the server ended (client.ErrStreamEnded).
	ErrorEnded = "ended"
	// ErrorConfig is an invalid request (*client.ConfigError).
	ErrorConfig = "config"
	// ErrorOther is any other error.
	ErrorOther = "other"
)

// Entry is one line of a recording. Kind tells which fields are set; the
// others are zero. Its JSON form is written by AppendJSON and read by
// UnmarshalJSON; docs/tail.md lists every field.
type Entry struct {
	// Kind tells what the entry holds ("kind").
	Kind Kind
	// Time is when it happened: the arrival of a frame, the start of a
	// state, the start or end of the session ("time", RFC 3339 in UTC with
	// up to nanoseconds). Times of one session come from one monotonic
	// clock, so their differences are true intervals.
	Time time.Time
	// Channel names the channel ("channel"); empty for KindRecording and
	// KindEnd.
	Channel string

	// Version is the schema version (KindRecording, "version").
	Version int
	// Tool names the program that wrote the recording (KindRecording,
	// "tool").
	Tool string

	// URL is the channel's URL, secrets masked (KindChannel, "url").
	URL string
	// Method is the HTTP method (KindChannel, "method").
	Method string
	// Headers are the request headers, secrets masked (KindChannel,
	// "headers": an object of arrays).
	Headers http.Header
	// LastEventID is the Last-Event-ID sent on the first connection
	// (KindChannel, "last_event_id").
	LastEventID string

	// ID is the event's last event ID (KindEvent, "id").
	ID string
	// Type is the event type, "message" by default (KindEvent, "type").
	Type string
	// Data is the event data, lines joined with LF (KindEvent, "data").
	Data string
	// Comment is the comment text (KindComment, "comment").
	Comment string
	// Retry is the reconnection time the server set (KindRetry, "retry",
	// in milliseconds).
	Retry time.Duration
	// Bytes is how many stream bytes the frame took, line ends included
	// (KindEvent, KindComment, KindRetry, KindOversized; "bytes").
	Bytes int
	// Oversized describes a skipped oversized event (KindOversized):
	// "size" its bytes so far, "cap" the cap, "ongoing" while it goes on
	// (a later report follows, "again": true), "comment_line" for a
	// comment line; "text" words it. ID, Type and Data ("data": its first bytes) go with it.
	Oversized client.Oversized
	// Finding is what the client's Sequencer found about the event's id:
	// a gap, a duplicate, ids going backwards or starting over, a server's
	// lost or reset notice (KindEvent, "finding": an object with "kind",
	// "missed", "prev", "id" and the words in "text"; absent when none).
	Finding client.Finding

	// State is the state entered (KindState, "state": "connecting",
	// "open", "retrying", "stalled", "failed", "closed", "paused").
	State client.State
	// Attempt counts connection attempts since the last healthy
	// connection (KindState, "attempt").
	Attempt int
	// NextAttempt is when the next attempt starts (retrying,
	// "next_attempt").
	NextAttempt time.Time
	// Delay is the wait before the next attempt (retrying, "delay_ms").
	Delay time.Duration
	// Error is the reason of a retrying, stalled, failed or closed state
	// (KindState, "error").
	Error string
	// ErrorKind classifies Error: one of the Error* constants (KindState,
	// "error_kind").
	ErrorKind string
	// Status is the HTTP status of the last response, 0 if none
	// (KindState, "status").
	Status int
	// ContentType is the Content-Type of a response refused for it
	// (KindState with ErrorKind ErrorContentType, "content_type").
	ContentType string
	// Body is the start of an error response's body (KindState, "body").
	Body string
	// Detail is a one-line description of the change (KindState,
	// "detail").
	Detail string
	// Insecure reports that TLS verification was off (KindState,
	// "insecure").
	Insecure bool

	// Reason says why the session ended (KindEnd, "reason"): "max-events",
	// "timeout", "interrupted", "done" (every channel ended) or "error".
	Reason string
	// Events counts the events of the session (KindEnd, "events").
	Events int64
}

// FromFrame returns the entry of frame f of channel ch, received at at.
func FromFrame(ch string, f client.Frame, at time.Time) Entry {
	e := Entry{Time: at, Channel: ch, Bytes: f.Size}
	switch f.Kind {
	case client.FrameEvent:
		e.Kind = KindEvent
		e.ID, e.Type, e.Data = f.Event.ID, f.Event.Type, f.Event.Data
	case client.FrameComment:
		e.Kind = KindComment
		e.Comment = f.Comment
	case client.FrameRetry:
		e.Kind = KindRetry
		e.Retry = f.Retry
	case client.FrameOversized:
		e.Kind = KindOversized
		e.ID, e.Type, e.Data, e.Oversized = f.Event.ID, f.Event.Type, f.Event.Data, f.Oversized
	}
	return e
}

// FromStatus returns the entry of status s of channel ch; its time is
// s.Since.
func FromStatus(ch string, s client.Status) Entry {
	e := Entry{
		Kind:     KindState,
		Time:     s.Since,
		Channel:  ch,
		State:    s.State,
		Attempt:  s.Attempt,
		Status:   s.HTTPStatus,
		Body:     s.BodyPreview,
		Detail:   s.Detail,
		Insecure: s.Insecure,
	}
	if s.State == client.Retrying && !s.NextAttempt.IsZero() {
		e.NextAttempt = s.NextAttempt
		e.Delay = max(s.NextAttempt.Sub(s.Since), 0).Round(time.Millisecond)
	}
	if s.Err != nil {
		e.Error = s.Err.Error()
		e.ErrorKind = ErrorKindOf(s.Err)
		var ct *client.ContentTypeError
		if errors.As(s.Err, &ct) {
			e.ContentType = ct.ContentType
			if e.Body == "" {
				e.Body = ct.Body
			}
		}
	}
	return e
}

// ToStatus is the inverse of FromStatus: the status a state entry
// describes, for the engine's words (client.StatusText, StatusLabel,
// StatusReason). Its Err says the entry's Error and unwraps to an error of
// the type ErrorKind names, so that the words are the same for a live
// stream and a recording.
func (e *Entry) ToStatus() client.Status {
	s := client.Status{
		State:       e.State,
		Since:       e.Time,
		Attempt:     e.Attempt,
		NextAttempt: e.NextAttempt,
		HTTPStatus:  e.Status,
		BodyPreview: e.Body,
		Insecure:    e.Insecure,
		Detail:      e.Detail,
	}
	if s.NextAttempt.IsZero() && e.Delay > 0 {
		s.NextAttempt = e.Time.Add(e.Delay)
	}
	var typed error
	switch e.ErrorKind {
	case ErrorHTTP:
		typed = &client.HTTPError{Status: e.Status, Body: e.Body}
	case ErrorContentType:
		typed = &client.ContentTypeError{ContentType: e.ContentType, Body: e.Body}
	case ErrorStall:
		typed = &client.StallError{}
	case ErrorTimeout:
		typed = &client.TimeoutError{}
	case ErrorConnect:
		typed = &client.ConnectError{Err: errors.New(e.Error)}
	case ErrorRedirect:
		typed = &client.RedirectError{}
	case ErrorLimit:
		typed = &client.LimitError{}
	case ErrorEnded:
		typed = client.ErrStreamEnded
	case ErrorConfig:
		typed = &client.ConfigError{}
	}
	if e.Error != "" || typed != nil {
		s.Err = &entryError{msg: e.Error, typed: typed}
	}
	return s
}

// entryError is a recorded error: its message as recorded, unwrapping to
// an error of the recorded kind.
type entryError struct {
	msg   string
	typed error
}

func (e *entryError) Error() string { return e.msg }
func (e *entryError) Unwrap() error { return e.typed }

// ErrorKindOf classifies an error of the engine: one of the Error*
// constants, "" for nil.
func ErrorKindOf(err error) string {
	var (
		he  *client.HTTPError
		cte *client.ContentTypeError
		se  *client.StallError
		te  *client.TimeoutError
		ce  *client.ConnectError
		re  *client.RedirectError
		le  *client.LimitError
		cfe *client.ConfigError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &he):
		return ErrorHTTP
	case errors.As(err, &cte):
		return ErrorContentType
	case errors.As(err, &se):
		return ErrorStall
	case errors.As(err, &te):
		return ErrorTimeout
	case errors.As(err, &re):
		return ErrorRedirect
	case errors.As(err, &le):
		return ErrorLimit
	case errors.Is(err, client.ErrStreamEnded):
		return ErrorEnded
	case errors.As(err, &ce):
		return ErrorConnect
	case errors.As(err, &cfe):
		return ErrorConfig
	}
	return ErrorOther
}

// ParseState returns the State called name ("open", "retrying", ...).
func ParseState(name string) (client.State, bool) {
	for s := client.Idle; s <= client.Paused; s++ {
		if s.String() == name {
			return s, true
		}
	}
	return 0, false
}
