package smoke

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/ssemon/ssemon/ui"
)

// The app ID decides where Fyne keeps preferences: the one the binary uses
// must be the one packaging writes into the .desktop file.
func TestFyneAppMetadataMatchesTheApp(t *testing.T) {
	root := filepath.Join("..", "..", "..", "..")
	data, err := os.ReadFile(filepath.Join(root, "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^\s*` + name + `\s*=\s*"([^"]*)"`).FindSubmatch(data)
		if m == nil {
			t.Fatalf("FyneApp.toml has no %s", name)
		}
		return string(m[1])
	}
	tests := []struct{ field, want string }{
		{"ID", ui.AppID},
		{"Name", ui.Title},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			if got := field(tt.field); got != tt.want {
				t.Errorf("FyneApp.toml %s = %q, the app uses %q", tt.field, got, tt.want)
			}
		})
	}
	t.Run("Icon", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(root, field("Icon"))); err != nil {
			t.Errorf("icon: %v", err)
		}
	})
	t.Run("Version", func(t *testing.T) {
		if v := field("Version"); !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
			t.Errorf("Version %q is not x.y.z", v)
		}
	})
}
