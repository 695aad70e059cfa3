package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestHelpListsFlagsWithExamples(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"--help"}, io.Discard, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v", err)
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
	}{
		{"log format", []string{"--log-format", "xml"}, "--log-format"},
		{"log level", []string{"--log-level", "loud"}, "--log-level"},
		{"ring", []string{"--ring", "-1"}, "RingSize"},
		{"scenarios file", []string{"--scenarios", "/nonexistent.json"}, "no such file"},
		{"fail-next channel", []string{"--fail-next", "nope=503"}, "--fail-next"},
		{"set-retry value", []string{"--set-retry", "flaky=soon"}, "--set-retry"},
		{"extra args", []string{"serve"}, "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), append(tc.args, "--listen", "127.0.0.1:0"), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--log-level", "error", "--set-retry", "flaky=1s"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
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

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
