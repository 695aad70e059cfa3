package tail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/doctor"
	"github.com/ssemon/ssemon/client/internal/pipenet"
)

// checkStream serves an event every 30 ms with ids, resuming after
// Last-Event-ID; good decides whether its headers are right.
func checkStream(t *testing.T, n *pipenet.Network, good bool) *httptest.Server {
	t.Helper()
	t0 := time.Now()
	return n.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		if good {
			w.Header().Set("Cache-Control", "no-cache, no-transform")
			w.Header().Set("X-Accel-Buffering", "no")
		}
		rc := http.NewResponseController(w)
		n := int(time.Since(t0)/(30*time.Millisecond)) + 1
		if last := r.Header.Get("Last-Event-ID"); last != "" {
			fmt.Sscan(last, &n)
			n++
		}
		fmt.Fprint(w, "retry: 2000\n: hello\n\n")
		rc.Flush()
		for ; ; n++ {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Until(t0.Add(time.Duration(n) * 30 * time.Millisecond))):
			}
			fmt.Fprintf(w, "id: %d\ndata: {\"n\":%d,\"timestamp\":%d}\n\n", n, n, time.Now().UnixMilli())
			if n%5 == 0 {
				fmt.Fprint(w, ": ping\n\n")
			}
			rc.Flush()
		}
	}))
}

func runMain(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var out, errb bytes.Buffer
	code := Main(ctx, args, Env{Stdout: &out, Stderr: &errb, Clock: clock.Real()})
	return result{code, out.String(), errb.String()}
}

// checkRun runs Main with args and the URL of a checkStream server in a
// synctest bubble: the doctor judges timing, and in the bubble the
// server's schedule, the watch and the stamps are on one clock that moves
// only when everything waits (the machine's load does not count).
func checkRun(t *testing.T, good bool, args ...string) result {
	t.Helper()
	var res result
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New()
		tr := n.Transport()
		defer tr.CloseIdleConnections()
		srv := checkStream(t, n, good)
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		var out, errb bytes.Buffer
		code := Main(ctx, append(args, srv.URL+"/events"), Env{Stdout: &out, Stderr: &errb, Clock: clock.Real(), Transport: tr})
		res = result{code, strings.ReplaceAll(out.String(), srv.URL, "URL"), errb.String()}
	})
	return res
}

func TestCheck(t *testing.T) {
	t.Parallel()
	t.Run("good stream", func(t *testing.T) {
		t.Parallel()
		res := checkRun(t, true, "--check", "--check-for", "500ms")
		if res.code != ExitOK || !strings.Contains(res.stdout, "Stream doctor: GET URL/events") ||
			!strings.Contains(res.stdout, "0 errors, 0 warnings") {
			t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
		}
	})
	t.Run("bad stream", func(t *testing.T) {
		t.Parallel()
		res := checkRun(t, false, "--check", "--check-for", "500ms")
		if res.code != ExitFailed || !strings.Contains(res.stdout, "ERROR   cache-control") ||
			!strings.Contains(res.stdout, "fix:  send Cache-Control: no-cache") {
			t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
		}
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		res := checkRun(t, false, "--check", "--json", "--check-for", "500ms", "--origin", "https://app.example")
		var rep struct {
			Worst    doctor.Severity  `json:"worst"`
			Findings []doctor.Finding `json:"findings"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, res.stdout)
		}
		cors := rep.Findings[len(rep.Findings)-2]
		if res.code != ExitFailed || rep.Worst != doctor.Error || cors.Check != doctor.CheckCORS || cors.Severity != doctor.Warning {
			t.Fatalf("exit %d, %+v", res.code, rep)
		}
	})
}

func TestCheckUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--check", "http://a/x", "http://b/y"}, "exactly one URL"},
		{[]string{"--check"}, "exactly one URL"},
		{[]string{"--check", "--check-for", "-1s", "http://a/x"}, "negative"},
		{[]string{"--check-for", "1s", "http://a/x"}, "go with --check"},
		{[]string{"--origin", "https://x", "http://a/x"}, "go with --check"},
		{[]string{"--check", "--record", "f.jsonl", "http://a/x"}, "no --play or --record"},
		{[]string{"--check", "ftp://a/x"}, "scheme"},
	} {
		res := runMain(t, c.args...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.args, res.code, res.stderr, ExitUsage, c.want)
		}
	}
}
