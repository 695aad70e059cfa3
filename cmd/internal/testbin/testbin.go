// Package testbin is the TestMain shared by the test packages that run
// SSE Monitor's real binaries as child processes: it builds each binary
// once per package run into a temporary folder, runs the tests, removes
// the folder and fails the run if a goroutine outlives the tests.
//
// When the environment variable BinDirEnv names a folder, the binaries
// are taken from it instead (make test builds them once, in bin/, for
// every package and the GUI tests); a binary missing there is built.
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

// BinDirEnv names the environment variable of a folder of prebuilt
// binaries (each named as the last element of its package path).
const BinDirEnv = "SSEMON_TEST_BIN"

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
	prebuilt := os.Getenv(BinDirEnv)
	for _, b := range bins {
		if prebuilt != "" {
			p, err := filepath.Abs(filepath.Join(prebuilt, path.Base(b.Package)))
			if fi, serr := os.Stat(p); err == nil && serr == nil && fi.Mode().IsRegular() {
				*b.Path = p
				continue
			}
		}
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
