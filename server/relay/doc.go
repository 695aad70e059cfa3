// Package relay serves Redis Streams as Server-Sent-Events channels: the
// demo server's HTTP surface (GET /api/stream/{channel}, /api/channels,
// /healthz, /metrics) in front of Redis, so that any number of relay
// instances behind a proxy serve the same channels with the same ids, and
// jobs publish their status with XADD (or Publish, or ssemon-demo publish).
//
// Every stream key matching Config.Streams (SCAN MATCH … TYPE stream,
// refreshed every Config.Discover) is a channel of the same name. Each
// channel has one reader — one XREAD BLOCK connection — whatever the
// number of subscribers: entries are encoded once into a bounded cache and
// every subscriber writes them from there.
//
// Wire format, as the demo server's:
//
//	retry: 3000                 first, on every connection
//
//	id: 1764100000000-0         the Redis entry id
//	event: status_update        the entry's "event" field, if any
//	data: {"progress":40}       see "Entries" below
//
//	: heartbeat                 every Config.Heartbeat, also while Redis is down
//
// # Entries
//
// An entry's "event" field is the SSE event type. If its only other field
// is "data", that value is the data, as it is (line breaks become several
// data: lines). Otherwise the data is a JSON object of every field but
// "event", keys sorted, each value embedded as JSON when it is valid JSON
// (40, true, {"a":1}) and as a JSON string otherwise. So
//
//	XADD deploy * event stage data '{"progress":40}'   → event: stage, data: {"progress":40}
//	XADD deploy * progress 40 message "tests passed"   → data: {"message":"tests passed","progress":40}
//
// An entry whose data exceeds Config.MaxEventBytes is sent as an
// "oversize" event with its id and size; an event type with a line break
// has it replaced by a space.
//
// # Resume
//
// The SSE id is the entry id, so Last-Event-ID (or ?lastEventId=) resumes
// from Redis itself: on any relay instance, after a relay restart, exactly
// after that entry. Entries still in the channel's cache are sent from
// it; older ones are read with XRANGE, then the subscriber joins the live
// stream, with nothing skipped and nothing twice. If Redis no longer has
// some of the entries after the client's id (the stream was trimmed with
// MAXLEN, or entries were deleted), the client first gets
//
//	id: <T>
//	event: lost
//	data: {"missed":<N>,"from":"<its id>","oldest":"<oldest id kept>","through":"<T>","exact":true}
//
// — the shape of the in-memory demo server's notice. T is the newest id
// that may have been removed: the id right before the oldest entry kept
// after trimming, or the newest id deleted with XDEL; the entries still
// kept up to T come before the notice, and a client reconnecting with T
// is not told twice. Redis keeps no count of what it removed between two
// ids, so each channel remembers the ids its reader read (Config.IndexSize
// of them) and N counts those after the client's id through T: exact
// ("exact": true) when the relay read every entry after that id and, with
// Redis 7.0 or later, no entry after it was deleted with XDEL
// (max-deleted-entry-id). From the start of a stream (Last-Event-ID 0-0)
// Redis 7's entries-added less the length counts every entry trimmed, on
// any relay. Otherwise (a relay started after the entries were added, an
// XDEL, or Redis before 7.0) N is a lower bound, at least 1, and "exact"
// is false. Trimming removes the oldest entries: with Redis 7.0 or
// later (XINFO STREAM's entries-added and max-deleted-entry-id) an id
// before the oldest kept entry gets the notice only if the stream ever
// lost entries, and an entry deleted with XDEL after the id is noticed
// too; before 7.0 any id older than the oldest kept entry gets it. A Last-Event-ID that is not a Redis id (such as the
// in-memory server's "42"), or one after the stream's last id (the stream
// was recreated), gets the demo server's reset notice
// {"missed":0,"reset":true,"from":…,"last":…,"reason":"invalid"|"ahead"}
// with the current last id, then live events.
//
// # Redis unavailable
//
// Subscribers stay connected and keep getting heartbeats; readers, the
// discovery and resume reads retry with backoff (Config.MinBackoff to
// MaxBackoff); /healthz answers 200 with "status":"degraded". Once Redis
// is back every reader continues from the last id it read, so nothing
// published meanwhile is lost.
//
// The package never imports a UI toolkit, nor package server; it serves
// through the same layer as the demo server (server/internal/hub), and
// ssemon-demo --source wires it as the demo server's server.Upstream.
package relay
