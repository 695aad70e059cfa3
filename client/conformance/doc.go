// Package conformance runs SSE Monitor's engine and r3labs/sse/v2's client
// side by side through the same Server-Sent Events cases — the WHATWG
// parsing and reconnection rules plus what a stream monitor must notice
// (comments, stalls, oversized events) — and reports a table of who does
// what. Our engine must pass every case; r3labs' results are reported, not
// asserted, since they document why SSE Monitor does not use that client.
//
//	go test -run TestConformance -v ./client/conformance/
package conformance
