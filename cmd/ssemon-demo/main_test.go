package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ssemon/ssemon/client/record"
)

func TestHelpListsFlagsWithExamples(t *testing.T) {
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"--help"}, &out, &errOut)
	if !errors.Is(err, flag.ErrHelp) || exitCode(err, io.Discard) != 0 {
		t.Fatalf("err %v", err)
	}
	if errOut.Len() != 0 {
		t.Errorf("help asked for went to stderr: %q", errOut.String())
	}
	for _, want := range []string{"Examples:", "-listen", "-scenarios", "-token", "-cors-origin", "-log-format", "-fail-next", "curl -sN"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
		code int // exit status: 2 usage, 1 runtime failure
	}{
		{"unknown flag", []string{"--nope"}, "flag provided but not defined", 2},
		{"firehose rate out of range", []string{"--firehose-rate", "1000000"}, "--firehose-rate 1000000: want 1 to 100000", 2},
		{"listen fails", []string{"--listen", "127.0.0.1:-1"}, "listen", 1},
		{"log format", []string{"--log-format", "xml"}, "--log-format", 0},
		{"log level", []string{"--log-level", "loud"}, "--log-level", 0},
		{"ring", []string{"--ring", "-1"}, "RingSize", 0},
		{"scenarios file", []string{"--scenarios", "/nonexistent.json"}, "no such file", 0},
		{"fail-next channel", []string{"--fail-next", "nope=503"}, "--fail-next", 0},
		{"set-retry value", []string{"--set-retry", "flaky=soon"}, "--set-retry", 0},
		{"extra args", []string{"serve"}, "unexpected arguments", 0},
		{"speed without replay", []string{"--speed", "2"}, "need --replay", 0},
		{"speed zero", []string{"--replay", "x.jsonl", "--speed", "0"}, "--speed 0: want 0.01 to 10000", 0},
		{"speed too fast", []string{"--replay", "x.jsonl", "--speed", "1e6"}, "--speed 1e+06: want 0.01 to 10000", 0},
		{"speed negative", []string{"--replay", "x.jsonl", "--speed", "-2"}, "--speed -2: want", 0},
		{"drops without replay", []string{"--drops"}, "need --replay", 0},
		{"replay with faults", []string{"--replay", "x.jsonl", "--fail-next", "flaky=503"}, "do not apply", 0},
		{"replay missing file", []string{"--replay", "/nonexistent.jsonl"}, "nonexistent", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.code != 1 {
				args = append(args, "--listen", "127.0.0.1:0")
			}
			err := run(context.Background(), args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			want := tc.code
			if want == 0 {
				want = 2
				if tc.name == "scenarios file" || tc.name == "replay missing file" {
					want = 1
				}
			}
			if got := exitCode(err, io.Discard); got != want {
				t.Fatalf("exit status %d for %v, want %d", got, err, want)
			}
		})
	}
}

// TestUsageErrorIsOneLine: a usage error is one line on stderr that
// points at --help, not the whole help (as ssemon-tail's).
func TestUsageErrorIsOneLine(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"serve"}, {"publish"}} {
		var out, errOut strings.Builder
		var err error
		if args[0] == "publish" {
			err = runPublish(context.Background(), args[1:], strings.NewReader(""), &out, &errOut)
		} else {
			err = run(context.Background(), args, &out, &errOut)
		}
		code := exitCode(err, &errOut)
		if code != 2 || out.Len() != 0 || strings.Count(errOut.String(), "\n") != 1 || !strings.HasSuffix(errOut.String(), "(see --help)\n") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out.String(), errOut.String())
		}
	}
}

func TestBrowseURL(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080/"},
		{"0.0.0.0:8080", "http://127.0.0.1:8080/"},
		{"[::]:8080", "http://127.0.0.1:8080/"},
		{"[::1]:8080", "http://[::1]:8080/"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := browseURL(a); got != tc.want {
			t.Errorf("browseURL(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func TestRunServesAndShutsDown(t *testing.T) {
	line, stop := startRun(t, "--listen", "127.0.0.1:0", "--log-level", "error", "--set-retry", "flaky=1s")
	f := strings.Fields(line)
	if len(f) < 3 || !strings.HasPrefix(f[2], "http://127.0.0.1:") {
		t.Fatalf("start line %q", line)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(f[2] + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	stop()
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startRun runs the command with args and returns its first line, the
// start line. stop ends the run and fails t unless it shuts down cleanly.
func startRun(t *testing.T, args ...string) (line string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return line, func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("no shutdown")
		}
	}
}

func TestReplayFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	w := record.NewWriter(f, "test", t0)
	for _, e := range []record.Entry{
		{Kind: record.KindChannel, Time: t0, Channel: "deploy", URL: "http://127.0.0.1:1/api/stream/deploy", Method: "GET"},
		{Kind: record.KindEvent, Time: t0.Add(10 * time.Millisecond), Channel: "deploy", ID: "7", Type: "status_update", Data: `{"progress":40}`},
	} {
		if err := w.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	line, stop := startRun(t, "--replay", path, "--speed", "10", "--drops", "--listen", "127.0.0.1:0", "--log-level", "error")
	if !strings.Contains(line, "replaying") || !strings.Contains(line, "deploy") || !strings.Contains(line, "drops true") {
		t.Fatalf("start line %q", line)
	}
	i := strings.Index(line, "http://")
	base := strings.Fields(line[i:])[0]
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(base + "api/stream/deploy")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "id: 7") || !strings.Contains(string(body), `data: {"progress":40}`) {
		t.Fatalf("replayed stream %q", body)
	}
	stop()
}
