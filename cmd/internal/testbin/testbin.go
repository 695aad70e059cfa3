// Package testbin is the TestMain shared by the test packages that run
// SSE Monitor's real binaries as child processes: it builds each binary
// once per package run into a temporary folder, runs the tests, removes
// the folder and fails the run if a goroutine outlives the tests.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// Binary is one binary to build: the import path of its main package, and
// where to store the path of the built file.
type Binary struct {
	Package string
	Path    *string
}

// Main builds the binaries, runs m and exits with its code (1 when the
// build fails or a goroutine leaked). It never returns.
func Main(m *testing.M, bins ...Binary) {
	os.Exit(run(m, bins))
}

func run(m *testing.M, bins []Binary) int {
	dir, err := os.MkdirTemp("", "ssemon-test-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	for _, b := range bins {
		*b.Path = filepath.Join(dir, path.Base(b.Package))
		build := exec.Command("go", "build", "-o", *b.Path, b.Package)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", b.Package, err)
			return 1
		}
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	return code
}
