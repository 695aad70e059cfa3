package tail

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExpect runs the CI recipe of docs/tail.md (--no-reconnect
// --max-events 1 --timeout 3s) and its variants against servers that fail
// each way: the run must exit non-zero with one line on stderr that says
// what happened, and 0 with the summary when the event came.
func TestExpect(t *testing.T) {
	refused := roundTripperFunc(func(*http.Request) (*http.Response, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	})
	reached := make(chan struct{}, 2) // the no-headers server got a request
	noHeaders := func(w http.ResponseWriter, r *http.Request) {
		reached <- struct{}{}
		<-r.Context().Done()
	}
	silent := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	commentsOnly := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": ping\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	endsAtOnce := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": bye\n\n")
	}
	// The seed's Next.js route: the headers go out with the first event.
	nextjs := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "id: 1\ndata: {\"progress\":1}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	recipe := []string{"--no-reconnect", "--max-events", "1", "--timeout", "3s"}
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		transport http.RoundTripper
		args      []string
		waitFor   string // output that shows the stream waits where the case wants it
		timers    int    // armed timers then: --timeout and the engine's
		code      int
		stderr    string
	}{
		{name: "refused", transport: refused, args: recipe, code: ExitUnreachable,
			stderr: "ssemon-tail: deploy: failed: connection refused\n"},
		{name: "refused, retrying", transport: refused, args: []string{"--retry", "10s", "--max-events", "1", "--timeout", "3s"}, waitFor: "retrying", timers: 2, code: ExitExpect,
			stderr: "ssemon-tail: deploy: 0 of 1 event in 3 s: connection refused\n"},
		{name: "no response headers", handler: noHeaders, args: recipe, waitFor: "connecting", timers: 2, code: ExitExpect,
			stderr: "ssemon-tail: deploy: 0 of 1 event in 3 s: connected to 127.0.0.1:PORT, no response headers after 3 s\n"},
		{name: "open but silent", handler: silent, args: recipe, waitFor: "open", timers: 2, code: ExitExpect,
			stderr: "ssemon-tail: deploy: 0 of 1 event in 3 s: open (HTTP/1.1 200 OK) but silent for 3 s\n"},
		{name: "comments only", handler: commentsOnly, args: append([]string{"--comments"}, recipe...), waitFor: "ping", timers: 2, code: ExitExpect,
			stderr: "ssemon-tail: deploy: 0 of 1 event in 3 s: open (HTTP/1.1 200 OK) but silent for 3 s (1 comment, no event)\n"},
		{name: "ended before an event", handler: endsAtOnce, args: recipe, code: ExitExpect,
			stderr: "ssemon-tail: deploy: 0 of 1 event in 0 s: closed: stream ended by server\n"},
		{name: "expect more than came", handler: nextjs, args: []string{"--expect", "2", "--timeout", "3s"}, waitFor: "progress", timers: 2, code: ExitExpect,
			stderr: "ssemon-tail: deploy: 1 of 2 events in 3 s: 1 event, then open (HTTP/1.1 200 OK) but silent for 3 s\n"},
		{name: "the event came", handler: nextjs, args: recipe, code: ExitOK,
			stderr: "ssemon-tail: 1 event · 28 B · 0 reconnects · 0 gaps · 0 duplicates · 0 s\n"},
		{name: "the event came, silent", handler: nextjs, args: append([]string{"-s"}, recipe...), code: ExitOK},
	}
	for _, c := range cases {
		for _, format := range []string{"human", "json"} {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				args := append([]string(nil), c.args...)
				if format == "json" {
					args = append(args, "--json")
				}
				url := "http://127.0.0.1:1/api/stream/deploy"
				if c.handler != nil {
					hs := httptest.NewServer(c.handler)
					t.Cleanup(hs.Close)
					url = hs.URL + "/api/stream/deploy"
				}
				r := start(t, append(args, url), Env{Transport: c.transport})
				if c.timers > 0 {
					r.stdout.waitFor(t, c.waitFor)
					if c.name == "no response headers" {
						<-reached
					}
					r.fake.BlockUntil(c.timers)
					r.fake.Advance(3 * time.Second)
				}
				res := r.wait(t)
				if u, err := neturl.Parse(url); err == nil {
					res.stderr = normalize(res.stderr, u.Host)
				}
				if res.code != c.code || res.stderr != c.stderr {
					t.Fatalf("exit %d, stderr %q\nwant exit %d, stderr %q\nstdout:\n%s", res.code, res.stderr, c.code, c.stderr, res.stdout)
				}
				if format != "json" {
					return
				}
				lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
				var sum summaryJSON
				if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum.Kind != "summary" || sum.Exit != c.code {
					t.Fatalf("last line %q (%v), want the summary with exit %d", lines[len(lines)-1], err, c.code)
				}
			})
		}
	}
}
