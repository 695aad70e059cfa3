package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// demoBin is the ssemon-demo binary, built once per package run.
var demoBin string

// waitLimit bounds the tests' waits: generous, for a loaded machine.
const waitLimit = 30 * time.Second

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ssemon-chaos-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	demoBin = filepath.Join(dir, "ssemon-demo")
	build := exec.Command("go", "build", "-o", demoBin, "github.com/ssemon/ssemon/cmd/ssemon-demo")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build ssemon-demo:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// startDemo runs ssemon-demo as a child process for the test.
func startDemo(t *testing.T, scenarios []ScenarioSpec, args ...string) *Demo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	d, err := StartDemo(ctx, DemoConfig{Bin: demoBin, Scenarios: scenarios, Args: args, Dir: t.TempDir(), Stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop() })
	return d
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
