package main

import (
	"encoding/json"
	"testing"

	"github.com/ssemon/ssemon/client/doctor"
)

// checkReport runs ssemon-tail --check --json on url and returns the exit
// code and the report.
func checkReport(t *testing.T, url string, extra ...string) (int, map[string]doctor.Finding) {
	t.Helper()
	res := run(t, append([]string{"--check", "--json", "--check-for", "2s"}, append(extra, url)...)...)
	var rep struct {
		Findings []doctor.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("exit %d, bad report: %v\n%s\n%s", res.code, err, res.stdout, res.stderr)
	}
	out := map[string]doctor.Finding{}
	for _, f := range rep.Findings {
		out[f.Check] = f
	}
	return res.code, out
}

// TestCheckDemoServer: the demo server, as shipped, has no error finding.
func TestCheckDemoServer(t *testing.T) {
	t.Parallel()
	hs := demo(t)
	for _, ch := range []string{"deploy", "metrics"} {
		code, fs := checkReport(t, hs.URL+"/api/stream/"+ch)
		for _, f := range fs {
			if f.Severity == doctor.Error {
				t.Errorf("%s: %s %s: %s (%s)", ch, f.Severity, f.Check, f.Summary, f.Evidence)
			}
			if f.Severity == doctor.Warning {
				t.Logf("%s: warning %s: %s (%s)", ch, f.Check, f.Summary, f.Evidence)
			}
		}
		if code != 0 {
			t.Errorf("%s: exit %d, want 0", ch, code)
		}
		for _, c := range []string{doctor.CheckIDs, doctor.CheckResume, doctor.CheckBuffering, doctor.CheckCacheControl} {
			if fs[c].Severity != doctor.OK {
				t.Errorf("%s: %s: %s %q (%s)", ch, c, fs[c].Severity, fs[c].Summary, fs[c].Evidence)
			}
		}
	}
}
