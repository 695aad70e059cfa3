// Package record is SSE Monitor's recording format: a session of one or
// more event streams (channels, events, comments, retry fields and
// connection state changes, each with its arrival time) as JSON Lines.
//
// ssemon-tail writes it (--record FILE, and the same objects with --json),
// the demo server replays it (ssemon-demo --replay FILE) and the GUI opens
// it for offline browsing.
//
// A recording is UTF-8 text, one JSON object per line, in arrival order:
//
//	{"kind":"recording","time":"2025-03-01T12:00:00Z","version":1,"tool":"ssemon-tail"}
//	{"kind":"channel","time":"2025-03-01T12:00:00Z","channel":"deploy","url":"http://127.0.0.1:8080/api/stream/deploy","method":"GET"}
//	{"kind":"state","time":"2025-03-01T12:00:00Z","channel":"deploy","state":"connecting","attempt":1,"detail":"connecting to 127.0.0.1:8080 (attempt 1)"}
//	{"kind":"state","time":"2025-03-01T12:00:00.004Z","channel":"deploy","state":"open","attempt":1,"status":200,"detail":"HTTP/1.1 200 OK"}
//	{"kind":"retry","time":"2025-03-01T12:00:00.004Z","channel":"deploy","retry":3000,"bytes":12}
//	{"kind":"event","time":"2025-03-01T12:00:00.5Z","channel":"deploy","id":"1","type":"status_update","data":"{\"progress\":5}","bytes":58}
//	{"kind":"comment","time":"2025-03-01T12:00:15Z","channel":"deploy","comment":"heartbeat","bytes":12}
//	{"kind":"end","time":"2025-03-01T12:00:20Z","reason":"max-events","events":40}
//
// The first line is the "recording" header; the last is the "end" footer,
// absent when the writer was killed. Every field is described on Entry and
// in docs/tail.md. Version is the schema version: fields may be added to
// version 1 (readers ignore fields they do not know, and skip, counting
// them, lines of a kind they do not know); removing or changing the meaning
// of a field makes a new version, which older readers refuse with a
// *VersionError. A file without the header (the output of ssemon-tail
// --json) is read as version 1.
package record
