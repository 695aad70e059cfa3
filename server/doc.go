// Package server is the demo server bundled with SSE Monitor: a set of
// Server-Sent-Events channels driven by deterministic scenarios (a deploy
// pipeline, export jobs, live metrics, a log tail, a quiet channel, a
// firehose and a flaky channel), with resumable streams, fault injection
// and a small browser page.
//
// The HTTP streaming layer is github.com/r3labs/sse/v2, fenced: this package
// owns event ids, the bounded replay ring, routing, headers, heartbeats and
// subscriber isolation. Every connection gets a private r3labs stream fed
// without blocking from the channel's fan-out; a subscriber that falls
// behind is caught up from the ring (or told what it lost), and one that
// stops reading is dropped after the write timeout without delaying anyone
// else.
//
// Wire format of GET /api/stream/{channel}:
//
//	retry: 3000          sent first on every connection
//
//	id: 42               numeric, monotonic per channel
//	event: status_update
//	data: {"channel":"deploy","timestamp":1764100000000,"progress":40,...}
//
//	: heartbeat          a comment every Config.Heartbeat
//
// A client resuming with Last-Event-ID (or ?lastEventId=) gets exactly the
// events it missed; if some already left the ring it first gets
//
//	id: <oldest kept - 1>
//	event: lost
//	data: {"missed":N,"from":"<its id>","oldest":"<oldest id kept>"}
//
// The package never imports a UI toolkit. See docs/demo-server.md for the
// full reference.
package server
