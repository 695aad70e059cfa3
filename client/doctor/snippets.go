package doctor

// The fixes' snippets, shared by the checks that suggest them.
var (
	snipHeadersNext = Snippet{Lang: "Next.js", Code: `return new Response(stream, {
  headers: {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  },
});`}
	snipHeadersNode = Snippet{Lang: "Node", Code: `res.writeHead(200, {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
});
res.flushHeaders();`}
	snipHeadersGo = Snippet{Lang: "Go", Code: `h := w.Header()
h.Set("Content-Type", "text/event-stream; charset=utf-8")
h.Set("Cache-Control", "no-cache, no-transform")
h.Set("X-Accel-Buffering", "no")
w.WriteHeader(http.StatusOK)
http.NewResponseController(w).Flush()`}
	snipNginxStream = Snippet{Lang: "nginx", Code: `location /events/ {
    proxy_pass http://backend;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_buffering off;          # or X-Accel-Buffering: no from the app
    proxy_cache off;
    gzip off;
    proxy_read_timeout 1h;
}`}
	snipNginxTimeout = Snippet{Lang: "nginx", Code: `proxy_read_timeout 1h;   # default 60s closes a quiet stream`}
	snipNginxGzip    = Snippet{Lang: "nginx", Code: `location /events/ {
    gzip off;    # or leave text/event-stream out of gzip_types
}`}
	snipFlushGo = Snippet{Lang: "Go", Code: `fmt.Fprintf(w, "id: %d\ndata: %s\n\n", id, payload)
http.NewResponseController(w).Flush() // after every event`}
	snipFlushNode = Snippet{Lang: "Node", Code: `res.flushHeaders();          // send the headers at once
res.write(': connected\n\n'); // and a first comment`}
	snipHeartbeatNext = Snippet{Lang: "Next.js", Code: `const ping = setInterval(() => {
  controller.enqueue(encoder.encode(': ping\n\n'));
}, 15000);
req.signal.addEventListener('abort', () => clearInterval(ping));`}
	snipHeartbeatGo = Snippet{Lang: "Go", Code: `ping := time.NewTicker(15 * time.Second)
defer ping.Stop()
for {
    select {
    case <-r.Context().Done():
        return
    case <-ping.C:
        io.WriteString(w, ": ping\n\n")
        http.NewResponseController(w).Flush()
    case ev := <-events:
        writeEvent(w, ev)
    }
}`}
	snipIDsNext = Snippet{Lang: "Next.js", Code: `const last = Number(req.headers.get('last-event-id'));
let id = Number.isSafeInteger(last) && last > 0 ? last : 0;
// replay what the client missed, then go on:
for (const ev of history.after(id)) send(ev);
const send = (ev) => controller.enqueue(encoder.encode(
  'id: ' + ev.id + '\ndata: ' + JSON.stringify(ev.data) + '\n\n'));`}
	snipIDsGo = Snippet{Lang: "Go", Code: `last, _ := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64)
for _, ev := range history.After(last) { // replay what the client missed
    fmt.Fprintf(w, "id: %d\ndata: %s\n\n", ev.ID, ev.Data)
}`}
	snipRetry    = Snippet{Lang: "SSE", Code: `retry: 3000`}
	snipBusyNode = Snippet{Lang: "Node", Code: `// never block the event loop in the stream's callbacks:
const { Worker } = require('node:worker_threads');
const w = new Worker('./heavy.js');     // heavy work off the loop
w.on('message', (ev) => send(ev));`}
	snipTeardownNext = Snippet{Lang: "Next.js", Code: `req.signal.addEventListener('abort', () => {
  clearInterval(timer);
  unsubscribe();
  controller.close();
});`}
	snipTeardownGo = Snippet{Lang: "Go", Code: `for {
    select {
    case <-r.Context().Done(): // the client went away
        unsubscribe()
        return
    case ev := <-events:
        writeEvent(w, ev)
    }
}`}
	snipCORSGo = Snippet{Lang: "Go", Code: `w.Header().Set("Access-Control-Allow-Origin", "https://app.example.com")
w.Header().Set("Access-Control-Allow-Credentials", "true") // with withCredentials`}
	snipCORSNext = Snippet{Lang: "Next.js", Code: `headers: {
  'Access-Control-Allow-Origin': 'https://app.example.com',
  'Access-Control-Allow-Credentials': 'true',
}`}
	snipHTTP2 = Snippet{Lang: "nginx", Code: `listen 443 ssl;
http2 on;   # nginx >= 1.25.1; older: listen 443 ssl http2;`}
)
