// Package client is the SSE engine of SSE Monitor: a decoder that follows the
// WHATWG HTML "Server-sent events" event stream interpretation to the letter,
// a supervisor per channel that connects, reconnects with Last-Event-ID and
// watches for stalls, and a manager that runs many channels at once and hands
// consistent snapshots to whoever displays them.
//
// The package never imports a UI toolkit. Ingestion never waits for a
// reader: the UI pulls snapshots when it is ready to draw.
package client
