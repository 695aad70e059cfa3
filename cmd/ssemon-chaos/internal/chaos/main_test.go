package chaos

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ssemon/ssemon/cmd/internal/testbin"
)

// demoBin is the ssemon-demo binary, built once per package run.
var demoBin string

// waitLimit bounds the tests' waits: generous, for a loaded machine.
const waitLimit = 30 * time.Second

func TestMain(m *testing.M) {
	testbin.Main(m, testbin.Binary{Package: "github.com/ssemon/ssemon/cmd/ssemon-demo", Path: &demoBin})
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
