package client

import (
	"strconv"
	"time"
)

// State is the condition of a channel's connection, as the user should see it.
type State uint8

// The connection states. A stream starts Idle, moves to Connecting for every
// attempt, to Open once the server answered 200 with an event stream, and
// between attempts to Retrying (with a countdown in Status.NextAttempt).
// Stalled is shown when the watchdog dropped a silent connection; Failed and
// Closed are terminal for one Run; Paused is held until Resume.
const (
	Idle State = iota
	Connecting
	Open
	Retrying
	Stalled
	Failed
	Closed
	Paused
)

// stateNames is a constant table indexed by State.
var stateNames = [...]string{
	Idle:       "idle",
	Connecting: "connecting",
	Open:       "open",
	Retrying:   "retrying",
	Stalled:    "stalled",
	Failed:     "failed",
	Closed:     "closed",
	Paused:     "paused",
}

// String returns the lower-case name of the state ("open", "retrying", ...).
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Terminal reports whether a Run ends in this state (Failed or Closed).
func (s State) Terminal() bool { return s == Failed || s == Closed }

// Status is the latest state of a stream with everything needed to show it
// truthfully. It is a value: holding one never blocks the stream.
type Status struct {
	// State is the current state.
	State State
	// Since is when the stream entered State.
	Since time.Time
	// Attempt counts connection attempts since the last healthy connection:
	// 1 for the first attempt, 2 for the first retry after a failure, ...
	Attempt int
	// NextAttempt is when the next connection attempt starts; set only
	// while Retrying.
	NextAttempt time.Time
	// Err is why the stream is Retrying, Stalled, Failed or Closed; nil
	// when the reason is not an error (Open, Paused, closed by the caller or
	// by a 204). Its dynamic type tells the reason: *HTTPError,
	// *ContentTypeError, *StallError, *TimeoutError, *ConnectError,
	// *RedirectError, *LimitError or ErrStreamEnded.
	Err error
	// HTTPStatus is the status code of the last response, 0 when none
	// arrived (network error, timeout).
	HTTPStatus int
	// BodyPreview holds the first bytes (at most BodyPreviewBytes, valid
	// UTF-8) of an error response's body, for display.
	BodyPreview string
	// Insecure reports that TLS certificate verification is switched off
	// for this https stream (never set for plain HTTP).
	Insecure bool
	// Retry is the reconnection time in effect: the server's last retry:
	// field, else the configured default.
	Retry time.Duration
	// Detail is a one-line human description of the transition.
	Detail string
	// LastEventID is the Last-Event-ID header the connection sent (Open
	// only; "" when it sent none): where a reconnect resumed from.
	LastEventID string
}

// Transition is one entry of a stream's state history.
type Transition struct {
	// At is when the state was entered.
	At time.Time
	// State is the state entered.
	State State
	// Detail says why, in one line.
	Detail string
}

// HistorySize is how many transitions a stream remembers.
const HistorySize = 64
