// Package doctor examines an event-stream endpoint and says what is wrong
// with it: it connects with the channel's request, watches the stream for
// a bounded time, opens concurrent and abandoned connections, reconnects
// once on purpose with the last event ID, and reports one Finding per
// check — its severity, the evidence it saw and the fix, with nginx,
// Next.js, Node or Go snippets.
//
// It makes its own connections (net/http with httptrace for timings) and
// reads the raw bytes with its own scanner, so that it sees what the
// engine's decoder forgives: line ends, malformed lines, arrival times.
// docs/doctor.md describes every check and its limits.
package doctor
