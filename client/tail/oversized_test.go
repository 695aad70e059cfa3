package tail

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssemon/ssemon/client/record"
)

// TestOversizedGoesOn runs a stream with a 3 MiB event under a 1000-byte
// cap, in SSE and NDJSON: the event is reported while it is skipped (the
// first report and the last in human output, every report in --json),
// the next event arrives, the summary counts one oversized event, and a
// recording of the session plays back the same lines.
func TestOversizedGoesOn(t *testing.T) {
	const big = 3 << 20
	for _, format := range []string{"sse", "ndjson"} {
		t.Run(format, func(t *testing.T) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if format == "ndjson" {
					w.Header().Set("Content-Type", "application/x-ndjson")
					io.WriteString(w, `{"a":"`+strings.Repeat("x", big)+"\"}\n{\"n\":2}\n")
					return
				}
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "id: 1\ndata: {\"a\":\""+strings.Repeat("x", big)+"\"}\n\nid: 2\ndata: after\n\n")
			}))
			t.Cleanup(hs.Close)
			path := filepath.Join(t.TempDir(), "rec.jsonl")
			args := []string{"--no-reconnect", "--max-event-size", "1000", "--compact", hs.URL + "/s"}
			res := start(t, append([]string{"--record", path}, args...), Env{}).wait(t)
			if res.code != ExitOK {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			var over []string
			for line := range strings.Lines(res.stdout) {
				if strings.Contains(line, "▲ oversized") {
					over = append(over, strings.TrimSpace(line[strings.Index(line, "▲"):]))
				}
			}
			size := "3.0 MiB"
			if len(over) != 2 || !strings.HasPrefix(over[0], "▲ oversized: event over the 1000 B cap, skipping (") ||
				!strings.HasSuffix(over[0], `so far): {"a":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…`) ||
				over[1] != "▲ oversized: event of "+size+" skipped (cap 1000 B)" {
				t.Fatalf("oversized lines %q\nstdout:\n%s", over, res.stdout)
			}
			if !strings.Contains(res.stdout, "after") && !strings.Contains(res.stdout, `{"n":2}`) {
				t.Errorf("the event after the oversized one is missing:\n%s", res.stdout)
			}
			if !strings.Contains(res.stderr, "· 1 oversized skipped ·") {
				t.Errorf("summary %q", res.stderr)
			}

			// --json: every report, the last one with the whole size.
			res = start(t, append([]string{"--json"}, args...), Env{}).wait(t)
			var reports []record.Entry
			for line := range strings.Lines(res.stdout) {
				var e record.Entry
				if strings.Contains(line, `"kind":"oversized"`) {
					if err := e.UnmarshalJSON([]byte(line)); err != nil {
						t.Fatal(err)
					}
					reports = append(reports, e)
				}
			}
			if len(reports) < 3 || !reports[0].Oversized.More || reports[0].Oversized.Again || !strings.Contains(res.stdout, `"ongoing":true`) {
				t.Fatalf("reports %+v", reports)
			}
			last := reports[len(reports)-1]
			if last.Oversized.More || !last.Oversized.Again || last.Oversized.Bytes < big || last.Oversized.Cap != 1000 {
				t.Errorf("last report %+v", last)
			}
			if !strings.Contains(res.stdout, `"oversized":1,`) {
				t.Errorf("JSON summary does not count 1 oversized:\n%s", res.stdout[strings.LastIndex(res.stdout, `{"kind":"summary"`):])
			}

			// The recording plays back the same oversized lines.
			res = start(t, []string{"--play", path, "--compact"}, Env{}).wait(t)
			if n := strings.Count(res.stdout, "▲ oversized"); n != 2 || !strings.Contains(res.stdout, over[1]) {
				t.Errorf("played back %d oversized lines:\n%s", n, res.stdout)
			}
			if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), `"kind":"oversized"`) {
				t.Errorf("recording has no oversized entry (%v)", err)
			}
		})
	}
}
