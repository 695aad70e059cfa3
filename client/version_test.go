package client

import (
	"runtime/debug"
	"testing"
)

func TestBuildInfo(t *testing.T) {
	set := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, c := range []struct {
		name        string
		bi          debug.BuildInfo
		version, ua string
		line        string
	}{
		{"tagged", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.0"},
			Settings: set("vcs.revision", "2bcb3a3c6d9a1f4718f4ce4829f5a583ac705965", "vcs.time", "2026-12-02T21:25:40Z", "vcs.modified", "false")},
			"v1.2.0", "ssemon/v1.2.0", "v1.2.0 (commit 2bcb3a3c6d9a, 2026-12-02T21:25:40Z; go1.26.0)"},
		{"checkout, modified", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: set("vcs.revision", "2bcb3a3c6d9a1f4718f4ce4829f5a583ac705965", "vcs.modified", "true")},
			"devel-2bcb3a3c6d9a-dirty", "ssemon/devel-2bcb3a3c6d9a-dirty", "devel-2bcb3a3c6d9a-dirty (commit 2bcb3a3c6d9a, modified; go1.26.0)"},
		{"nothing known", debug.BuildInfo{GoVersion: "go1.26.0"}, "devel", "ssemon/devel", "devel (go1.26.0)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := buildInfoOf(&c.bi)
			if b.Version != c.version || b.UserAgent() != c.ua || b.String() != c.line {
				t.Fatalf("got %q %q %q, want %q %q %q", b.Version, b.UserAgent(), b.String(), c.version, c.ua, c.line)
			}
		})
	}
}
