package tail

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/internal/golden"
)

// seedRoute serves the seed's Next.js route, Go-shaped: the headers go
// out only with the first event; the first id is parseInt(Last-Event-ID)+1
// as the route computes it (NaN for a header that is not a number); it
// sends two events, then the platform ends the response. With ignoreID it
// is the variant that always starts over at 1. After the first two
// connections it answers 204, so that the run ends.
func seedRoute(t *testing.T, ignoreID bool) *httptest.Server {
	var mu sync.Mutex
	n := 0
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		conn := n
		mu.Unlock()
		if conn > 2 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		last := r.Header.Get("Last-Event-ID")
		if last == "" || ignoreID {
			last = "0"
		}
		next := func(i int) string {
			v, err := strconv.Atoi(last)
			if err != nil {
				return "NaN" // parseInt("abc", 10) is NaN, and NaN + 1 too
			}
			return strconv.Itoa(v + i)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache, no-transform, must-revalidate")
		w.Header().Set("X-Accel-Buffering", "no")
		for i := 1; i <= 2; i++ {
			fmt.Fprintf(w, "id: %s\nevent: status_update\ndata: {\"progress\":%d}\n\n", next(i), i*5)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(hs.Close)
	return hs
}

// TestSeedRoutes: against the seed's route, -v shows the Last-Event-ID
// each reconnect sends and what the route makes of it: ids that go on
// (4, 5 after 3), "NaN" for an id that is not a number, and a restart at 1
// from the variant that ignores the header.
func TestSeedRoutes(t *testing.T) {
	for _, c := range []struct {
		name          string
		ignore        bool
		args          []string
		ids, lastSent []string
	}{
		{"resumes", false, []string{"--last-event-id", "2"}, []string{"3", "4", "5", "6"}, []string{"2", "4"}},
		{"bad id: NaN", false, []string{"--last-event-id", "abc"}, []string{"NaN", "NaN", "NaN", "NaN"}, []string{"abc", "NaN"}},
		{"ignores Last-Event-ID", true, nil, []string{"1", "2", "1", "2"}, []string{"", "2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			hs := seedRoute(t, c.ignore)
			args := append([]string{"-v", "--compact", "--retry", "1s"}, c.args...)
			r := start(t, append(args, hs.URL+"/api/stream/deploy"), Env{})
			for i := 1; i <= 2; i++ { // two connections, each ended by the route
				r.stdout.waitCount(t, "retrying", i)
				r.fake.BlockUntil(1)
				r.fake.Advance(time.Second)
			}
			res := r.wait(t)
			var ids []string
			for _, l := range strings.Split(res.stdout, "\n") {
				if _, rest, ok := strings.Cut(l, " #"); ok {
					id, _, _ := strings.Cut(rest, " ")
					ids = append(ids, id)
				}
			}
			var sent []string
			for _, block := range strings.Split(res.stderr, "* deploy: attempt ")[1:] {
				if !strings.Contains(block, "> GET") {
					continue
				}
				v := ""
				if _, rest, ok := strings.Cut(block, "> Last-Event-Id: "); ok {
					v, _, _ = strings.Cut(rest, "\n")
				}
				sent = append(sent, v)
			}
			if strings.Join(ids, " ") != strings.Join(c.ids, " ") || strings.Join(sent[:min(2, len(sent))], "|") != strings.Join(c.lastSent, "|") {
				t.Fatalf("ids %q (want %q), Last-Event-ID sent %q (want %q)\nstdout:\n%s\nstderr:\n%s", ids, c.ids, sent, c.lastSent, res.stdout, res.stderr)
			}
		})
	}
}

// waitCount blocks until the output contains s n times.
func (b *syncBuffer) waitCount(t *testing.T, s string, n int) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		ok := strings.Count(b.buf.String(), s) >= n
		ch := b.changed
		b.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("output never contained %q %d times; got:\n%s", s, n, b.String())
		}
	}
}

// TestFindings: a server that misbehaves each way — it replays an id after a
// reconnect, jumps from 4 to 10, then starts over at 1 — is marked in
// every output: a line per finding for people, a "finding" object on the
// event in JSON, and the counts in the summary.
func TestFindings(t *testing.T) {
	bodies := []string{
		"id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\nid: 4\ndata: d\n\n",
		"id: 3\ndata: c\n\nid: 4\ndata: d\n\nid: 10\ndata: j\n\n",
		"id: 1\ndata: a\n\n",
	}
	for _, format := range []string{"human", "json"} {
		t.Run(format, func(t *testing.T) {
			var mu sync.Mutex
			n := 0
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n++
				conn := n
				mu.Unlock()
				if conn > len(bodies) {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprint(w, bodies[conn-1])
			}))
			t.Cleanup(hs.Close)
			args := []string{"--compact", "--retry", "1s", hs.URL + "/api/stream/deploy"}
			if format == "json" {
				args = append(args, "--json")
			}
			r := start(t, args, Env{})
			for i := 1; i <= len(bodies); i++ {
				r.stdout.waitCount(t, "retrying", i)
				r.fake.BlockUntil(1)
				r.fake.Advance(time.Second)
			}
			res := r.wait(t)
			if res.code != ExitOK || !strings.Contains(res.stderr, "· 1 gap (5 missed) · 1 duplicate · 1 restart ·") {
				t.Fatalf("exit %d, summary %q", res.code, res.stderr)
			}
			out := normalize(res.stdout, hs.Listener.Addr().String())
			if format == "human" {
				golden.Check(t, "run/findings-human.golden", out)
				return
			}
			var got []string
			for _, l := range strings.Split(out, "\n") {
				if _, f, ok := strings.Cut(l, `"finding":`); ok {
					got = append(got, f[:strings.Index(f, "}")+1])
				}
			}
			want := []string{
				`{"kind":"duplicate","prev":"4","id":"3","text":"duplicate: id 3 again after reconnecting"}`,
				`{"kind":"gap","missed":5,"prev":"4","id":"10","text":"gap: 5 events missing (4 → 10)"}`,
				`{"kind":"restart","prev":"10","id":"1","text":"restart: ids start over at 1 after 10"}`,
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if !strings.Contains(out, `"findings":{"duplicate":1,"gap":1,"restart":1},"missed":5`) {
				t.Fatalf("summary object: %s", out[strings.LastIndex(out, `{"kind":"summary"`):])
			}
		})
	}
}

// TestPlayFindings: a recording without findings (made before the ids
// were checked, or by hand) gets them when played.
func TestPlayFindings(t *testing.T) {
	lines := []string{
		`{"kind":"state","time":"2025-03-01T12:00:00Z","channel":"c","state":"open"}`,
		`{"kind":"event","time":"2025-03-01T12:00:00Z","channel":"c","id":"4","type":"message","data":"a"}`,
		`{"kind":"state","time":"2025-03-01T12:00:01Z","channel":"c","state":"open"}`,
		`{"kind":"event","time":"2025-03-01T12:00:01Z","channel":"c","id":"10","type":"message","data":"b"}`,
	}
	res := start(t, []string{"--play", "-", "--compact"}, Env{Stdin: strings.NewReader(strings.Join(lines, "\n") + "\n")}).wait(t)
	if res.code != ExitOK || !strings.Contains(res.stdout, "▲ gap: 5 events missing (4 → 10)") {
		t.Fatalf("exit %d:\n%s", res.code, res.stdout)
	}
}
