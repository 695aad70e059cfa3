package client

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// BuildInfo describes the running program, from the build information the
// Go toolchain embeds (module version and, when built from a checkout,
// the version-control state).
type BuildInfo struct {
	// Version is the main module's version (a tag, or a pseudo-version
	// such as v0.0.0-20261202212540-2bcb3a3c6d9a+dirty). When the build
	// has none, it is "devel", followed by the short commit and "-dirty"
	// when those are known.
	Version string
	// Revision is the commit the program was built from ("" if unknown).
	Revision string
	// Time is the commit time, RFC 3339 ("" if unknown).
	Time string
	// Modified reports uncommitted changes in the checkout at build time.
	Modified bool
	// GoVersion is the toolchain that built the program.
	GoVersion string
}

// ReadBuildInfo returns the build information of the running program.
func ReadBuildInfo() BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return BuildInfo{Version: "devel", GoVersion: runtime.Version()}
	}
	return buildInfoOf(bi)
}

func buildInfoOf(bi *debug.BuildInfo) BuildInfo {
	b := BuildInfo{Version: bi.Main.Version, GoVersion: bi.GoVersion}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if b.Version == "" || b.Version == "(devel)" {
		b.Version = "devel"
		if b.Revision != "" {
			b.Version += "-" + shortRevision(b.Revision)
		}
		if b.Modified {
			b.Version += "-dirty"
		}
	}
	return b
}

func shortRevision(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}

// String is the one-line form printed by --version:
// "v1.2.0 (commit 2bcb3a3c6d9a, 2026-12-02T21:25:40Z, modified; go1.26.0)".
func (b BuildInfo) String() string {
	var parts []string
	if b.Revision != "" {
		parts = append(parts, "commit "+shortRevision(b.Revision))
	}
	if b.Time != "" {
		parts = append(parts, b.Time)
	}
	if b.Modified {
		parts = append(parts, "modified")
	}
	s := b.Version + " ("
	if len(parts) > 0 {
		s += strings.Join(parts, ", ") + "; "
	}
	return s + b.GoVersion + ")"
}

// UserAgent is the User-Agent of the engine's requests: "ssemon/" and the
// version.
func (b BuildInfo) UserAgent() string { return "ssemon/" + b.Version }

// DefaultUserAgent is the User-Agent sent when a stream's configuration
// names none: "ssemon/<version>" of the running program.
func DefaultUserAgent() string { return ReadBuildInfo().UserAgent() }
