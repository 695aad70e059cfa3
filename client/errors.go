package client

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ErrStreamEnded reports that the server ended the response cleanly; the
// stream reconnects after the reconnection time, as the SSE spec requires.
var ErrStreamEnded = errors.New("client: stream ended by server")

// ErrRunning is returned by Stream.Run when the stream is already running.
var ErrRunning = errors.New("client: stream is already running")

// BodyPreviewBytes caps the part of an error response's body that is kept
// for display.
const BodyPreviewBytes = 512

// HTTPError reports a response status that is not an event stream: 4xx and
// other 2xx fail the stream, 429 and 5xx make it retry.
type HTTPError struct {
	// Status is the HTTP status code.
	Status int
	// Body is the start of the response body (valid UTF-8, at most
	// BodyPreviewBytes bytes).
	Body string
	// RetryAfter is the server's Retry-After delay on 429 and 503, 0 when
	// absent or unparsable.
	RetryAfter time.Duration
}

// Error returns "HTTP <status> <text>", e.g. "HTTP 404 Not Found".
func (e *HTTPError) Error() string {
	s := "HTTP " + strconv.Itoa(e.Status)
	if t := http.StatusText(e.Status); t != "" {
		s += " " + t
	}
	return s
}

// Temporary reports whether the stream retries after this status (429, 5xx).
func (e *HTTPError) Temporary() bool { return retryableStatus(e.Status) }

// ContentTypeError reports a 200 response whose Content-Type is not
// text/event-stream (a missing header included). The stream fails: a
// monitor must not parse an HTML error page as events.
type ContentTypeError struct {
	// ContentType is the header as received ("" when missing).
	ContentType string
	// Body is the start of the response body, as in HTTPError.
	Body string
}

// Error says which Content-Type arrived and which was expected.
func (e *ContentTypeError) Error() string {
	if e.ContentType == "" {
		return "response has no Content-Type (want text/event-stream)"
	}
	return fmt.Sprintf("response Content-Type is %q (want text/event-stream)", e.ContentType)
}

// StallError reports that an open connection received no byte at all (no
// event, no comment) for Timeout; the watchdog closed it.
type StallError struct {
	// Timeout is the stall timeout that expired.
	Timeout time.Duration
}

// Error returns "stalled: no data for <timeout>".
func (e *StallError) Error() string {
	return "stalled: no data for " + FormatDuration(e.Timeout)
}

// TimeoutError reports that the response headers did not arrive within the
// connect timeout.
type TimeoutError struct {
	// Limit is the connect timeout that expired.
	Limit time.Duration
}

// Error returns "no response headers within <timeout>".
func (e *TimeoutError) Error() string {
	return "no response headers within " + FormatDuration(e.Limit)
}

// Timeout reports true, as net.Error does.
func (e *TimeoutError) Timeout() bool { return true }

// ConnectError wraps a transport failure: DNS, dial, TLS, a reset
// connection, or a read error on an open stream.
type ConnectError struct {
	// Op is "connect" before the response headers arrived, "read" after.
	Op string
	// Err is the underlying error.
	Err error
}

// Error returns "<op>: <cause>".
func (e *ConnectError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ConnectError) Unwrap() error { return e.Err }

// RedirectError reports that the server redirected more than the configured
// maximum number of times (a redirect loop, usually).
type RedirectError struct {
	// Max is the configured redirect cap.
	Max int
	// URL is the redirect target that was refused.
	URL string
}

// Error says how many redirects were followed and where the next led.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("stopped after %d redirects (last to %s)", e.Max, e.URL)
}

// ConfigError reports an invalid configuration value.
type ConfigError struct {
	// Field names the configuration field ("URL", "Method", ...).
	Field string
	// Msg says what is wrong, in words a user can act on.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error returns "<field>: <what is wrong>[: <cause>]".
func (e *ConfigError) Error() string {
	s := e.Field + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// retryableStatus reports whether a monitor keeps retrying after status.
// Browsers fail on 5xx; a monitor watching a service through a restart must
// keep trying, and shows the status meanwhile.
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || (code >= 500 && code <= 599)
}
