// Package server is the demo server bundled with SSE Monitor: a set of
// Server-Sent-Events channels driven by deterministic scenarios (a deploy
// pipeline, export jobs, live metrics, a log tail, a quiet channel, a
// firehose and a flaky channel), with resumable streams, fault injection
// and a small browser page.
//
// It serves through the one serving layer of SSE Monitor's servers
// (server/internal/hub), whose HTTP streaming is github.com/r3labs/sse/v2,
// fenced. Each channel is one bounded history (at least RingSize events and
// every event of the last History) that every connection reads from its own
// cursor at its own pace: publishing appends and wakes the readers and
// never walks them; a subscriber that falls behind the history is told
// what it lost, and one that stops reading is dropped after the write
// timeout without delaying anyone else. GET /api/stream?channels=a,b
// carries several channels on one connection (see mux.go).
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
// events it missed; if some already left the history it first gets
//
//	id: <oldest kept - 1>
//	event: lost
//	data: {"missed":N,"from":"<its id>","oldest":"<oldest id kept>"}
//
// The package never imports a UI toolkit. See docs/demo-server.md for the
// full reference.
package server
