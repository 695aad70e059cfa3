// Package wire holds the words SSE Monitor's servers and its engine agree
// on beyond the SSE format itself: the type of the notice a server sends
// when it cannot deliver events, and that notice's payload. It has no
// dependencies, so that the servers (package server and below) and the
// engine (package client) share it without depending on each other.
package wire

// LostType is the event type of a server's notice that events are gone:
// the client's Last-Event-ID is older than the history the server keeps
// (Missed events were lost), or it cannot be resumed at all (Reset).
const LostType = "lost"

// Lost is the data of a LostType event, as JSON. Fields left empty are
// not sent.
//
// A gap the server counted:
//
//	{"missed":12,"from":"30","oldest":"43"}
//
// A gap a Redis relay cannot count exactly (Exact false, Missed a lower
// bound):
//
//	{"missed":1,"from":"1-0","oldest":"9-0","through":"8-0","exact":false}
//
// A Last-Event-ID that cannot be resumed (ahead of the stream after a
// restart, or not an id of this server): the client starts over from Last.
//
//	{"missed":0,"reset":true,"from":"abc","last":"42","reason":"invalid"}
type Lost struct {
	// Missed is how many events are gone (a lower bound when Exact is
	// false); 0 with Reset.
	Missed uint64 `json:"missed"`
	// Reset is true when the client's id cannot be resumed: its position
	// is unknown, and it continues from Last.
	Reset bool `json:"reset,omitempty"`
	// From is the id the client resumed from (its Last-Event-ID), or its
	// position when it fell behind while connected.
	From string `json:"from"`
	// Oldest is the oldest id the server still has.
	Oldest string `json:"oldest,omitempty"`
	// Last is, with Reset, the id the client continues from.
	Last string `json:"last,omitempty"`
	// Through is the newest id that may be gone, when it is not the
	// notice's own id's predecessor (Redis relays).
	Through string `json:"through,omitempty"`
	// Exact is false when Missed is a lower bound; absent means exact.
	Exact *bool `json:"exact,omitempty"`
	// Reason says why a Reset: ReasonInvalid or ReasonAhead.
	Reason string `json:"reason,omitempty"`
}

// Reasons of a Reset notice.
const (
	// ReasonInvalid: the Last-Event-ID is not an id of this server.
	ReasonInvalid = "invalid"
	// ReasonAhead: the Last-Event-ID is after the newest event (the
	// server lost its history, e.g. restarted).
	ReasonAhead = "ahead"
)
