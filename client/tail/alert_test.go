package tail

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAlertExitOnAlert(t *testing.T) {
	hs := sseServer(t, "data: {\"cpu\":40}\n\ndata: {\"cpu\":95}\n\ndata: {\"cpu\":99}\n\n")
	r := start(t, []string{"--json", "--alert", "cpu>90", "--alert", "type error", "--exit-on-alert", hs.URL + "/metrics"}, Env{})
	res := r.wait(t)
	if res.code != ExitAlert {
		t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", res.code, ExitAlert, res.stdout, res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if strings.HasPrefix(lines[len(lines)-1], `{"kind":"summary"`) {
		lines = lines[:len(lines)-1] // the run's summary comes last
	}
	last := lines[len(lines)-1]
	want := `{"kind":"alert","time":"2025-03-01T12:00:00Z","channel":"metrics","rule":"cpu > 90","firing":true,"value":95,"since":"2025-03-01T12:00:00Z","text":"cpu > 90 firing: 95"}`
	if last != want {
		t.Errorf("last line\n %s\nwant\n %s", last, want)
	}
	if !strings.Contains(lines[len(lines)-2], `"data":"{\"cpu\":95}"`) {
		t.Errorf("the event that fired should come just before the alert: %s", lines[len(lines)-2])
	}
	if strings.Contains(res.stdout, `"cpu\":99`) {
		t.Error("events after the alert were printed")
	}
	if !strings.Contains(res.stderr, "metrics: alert: cpu > 90 firing: 95") {
		t.Errorf("stderr = %q", res.stderr)
	}
}

func TestAlertSilentFiresOnTick(t *testing.T) {
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(": hello\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(silent.Close)
	r := start(t, []string{"--color", "never", "--comments", "--alert", "silent 30s", "--alert", "no events 20s", silent.URL + "/quiet"}, Env{})
	// The comment is the last sign of life: the silence is counted from
	// its time, so the clock moves only once it was read.
	r.stdout.waitFor(t, ": hello")
	r.fake.BlockUntil(2) // the stall watchdog and the alert tick
	// One step to each moment a rule is due, and the next step only once
	// its alert is out: the ticker keeps one tick, which its reader
	// evaluates at the clock's time, so each step is evaluated exactly at
	// its end (stepping a second at a time would drop ticks the reader has
	// not taken yet).
	r.fake.Advance(20 * time.Second)
	r.stdout.waitFor(t, "ALERT no events 20s firing")
	r.fake.Advance(10 * time.Second)
	r.stdout.waitFor(t, "ALERT silent 30s firing")
	out := r.stdout.String()
	if !strings.Contains(out, "12:00:20.000            ALERT no events 20s firing") ||
		!strings.Contains(out, "12:00:30.000            ALERT silent 30s firing") {
		t.Errorf("output:\n%s", out)
	}
}

func TestAlertUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--alert", "cpu >> 3", "http://127.0.0.1:1/x"}, `alert rules: --alert: alert rule "cpu >> 3": threshold ">" is not a number`},
		{[]string{"--exit-on-alert", "http://127.0.0.1:1/x"}, "--exit-on-alert needs an --alert rule"},
	}
	for _, tc := range tests {
		r := start(t, tc.args, Env{})
		res := r.wait(t)
		if res.code != ExitUsage || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d stderr %q, want %d and %q", tc.args, res.code, res.stderr, ExitUsage, tc.want)
		}
	}
}

func TestAlertPlay(t *testing.T) {
	rec := strings.Join([]string{
		`{"kind":"recording","time":"2025-03-01T12:00:00Z","version":1,"tool":"ssemon-tail"}`,
		`{"kind":"channel","time":"2025-03-01T12:00:00Z","channel":"jobs","url":"http://127.0.0.1/x"}`,
		`{"kind":"state","time":"2025-03-01T12:00:00Z","channel":"jobs","state":"open"}`,
		`{"kind":"event","time":"2025-03-01T12:00:01Z","channel":"jobs","type":"message","data":"{\"progress\":10}","bytes":20}`,
		`{"kind":"event","time":"2025-03-01T12:01:30Z","channel":"jobs","type":"message","data":"{\"progress\":10}","bytes":20}`,
		`{"kind":"event","time":"2025-03-01T12:01:40Z","channel":"jobs","type":"message","data":"{\"progress\":20}","bytes":20}`,
	}, "\n") + "\n"
	r := start(t, []string{"--play", "-", "--color", "never", "--alert", "progress stuck 60s"}, Env{Stdin: strings.NewReader(rec)})
	res := r.wait(t)
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{"12:01:01.000            ALERT progress stuck 1m firing", "12:01:40.000            RECOVERED progress stuck 1m recovered after 39s"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
}
