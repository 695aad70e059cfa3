package client

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWorkspaceRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ws.json")
	ws := &Workspace{Channels: []ChannelConfig{
		{
			Name: "deploy", Group: "prod", URL: "https://${HOST}/api/stream/deploy",
			Headers:      []Header{{"Authorization", "Bearer ${TOKEN}"}},
			Retry:        1500 * time.Millisecond,
			StallTimeout: -1,
			EventTypes:   []string{"progress", "lost"},
			RingSize:     500,
		},
		{Name: "llm", URL: "http://127.0.0.1:8080/v1/chat", Method: "POST", Body: `{"stream":true}`, Paused: true},
	}}
	if err := SaveWorkspace(path, ws); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	for _, want := range []string{`"version": 1`, `"retry": "1.5s"`, `"stallTimeout": "off"`, `"Bearer ${TOKEN}"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("file lacks %s:\n%s", want, raw)
		}
	}
	if strings.Contains(string(raw), "connectTimeout") {
		t.Errorf("zero durations must be omitted:\n%s", raw)
	}
	got, err := LoadWorkspace(path)
	if err != nil {
		t.Fatal(err)
	}
	ws.Version = 1
	if !reflect.DeepEqual(got, ws) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, ws)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestWorkspaceErrors(t *testing.T) {
	tests := []struct {
		name string
		json string
		want string
	}{
		{"unknown top field", `{"version":1,"channels":[],"extra":1}`, `unknown field "extra"`},
		{"unknown channel field", `{"version":1,"channels":[{"name":"a","url":"http://x","ur":"y"}]}`, `unknown field "ur"`},
		{"missing version", `{"channels":[]}`, `missing "version"`},
		{"future version", `{"version":2,"channels":[]}`, "unsupported version 2"},
		{"syntax error line", "{\"version\":1,\n\"channels\":[\n{\"name\":\"a\",}]}", "ws.json:3:"},
		{"bad duration", `{"version":1,"channels":[{"name":"a","url":"http://x","retry":"soon"}]}`, `"soon" is not a duration`},
		{"numeric duration", `{"version":1,"channels":[{"name":"a","url":"http://x","retry":3000}]}`, "want a duration string"},
		{"duplicate names", `{"version":1,"channels":[{"name":"a","url":"http://x"},{"name":"a","url":"http://y"}]}`, `channels 1 and 2 are both named "a"`},
		{"empty name", `{"version":1,"channels":[{"url":"http://x"}]}`, "channel 1 (\"\"): Name: is empty"},
		{"trailing data", `{"version":1,"channels":[]} {}`, "after top-level value"},
		{"wrong type", `{"version":1,"channels":{}}`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ws.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadWorkspace(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			var we *WorkspaceError
			if !errors.As(err, &we) || we.Path != path {
				t.Errorf("err %T is not a *WorkspaceError with the path", err)
			}
		})
	}
	if _, err := LoadWorkspace(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestSaveWorkspaceFailureLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ws.json")
	if err := SaveWorkspace(path, &Workspace{Channels: []ChannelConfig{{Name: "a", URL: "http://x"}}}); err != nil {
		t.Fatal(err)
	}
	// Renaming onto a directory fails: the old file must stay intact.
	bad := filepath.Join(dir, "sub")
	if err := os.Mkdir(bad, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := SaveWorkspace(bad, &Workspace{}); err == nil {
		t.Fatal("saving onto a non-empty directory succeeded")
	}
	if ws, err := LoadWorkspace(path); err != nil || len(ws.Channels) != 1 {
		t.Errorf("old workspace damaged: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary file left behind: %v", entries)
	}
}

func TestExpandVars(t *testing.T) {
	env := testEnv(map[string]string{"A": "1", "B_2": "two", "EMPTY": ""})
	tests := []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${A}", "1", ""},
		{"x${A}y${B_2}z", "x1ytwoz", ""},
		{"${EMPTY}!", "!", ""},
		{"$A and $filter stay", "$A and $filter stay", ""},
		{"$${A} is literal", "${A} is literal", ""},
		{"${MISSING}", "", "environment variable MISSING is not set"},
		{"${A", "", "unterminated"},
		{"${1A}", "", "not a valid variable reference"},
		{"${}", "", "not a valid variable reference"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := expandVars(tt.in, env)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("= %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestChannelConfigStreamConfig(t *testing.T) {
	env := testEnv(map[string]string{"HOST": "127.0.0.1:9", "TOKEN": "t0k"})
	cfg := ChannelConfig{
		Name: "c", URL: "http://${HOST}/s", Method: "POST", Body: `{"k":"${TOKEN}"}`,
		Headers:       []Header{{"Authorization", "Bearer ${TOKEN}"}, {"X-A", "1"}, {"X-A", "2"}},
		LastEventID:   "9",
		Retry:         2 * time.Second,
		StallTimeout:  -1,
		MaxEventBytes: 1 << 10,
	}
	sc, err := cfg.StreamConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	if sc.URL != "http://127.0.0.1:9/s" || string(sc.Body) != `{"k":"t0k"}` || sc.Method != "POST" || sc.LastEventID != "9" {
		t.Errorf("request = %s %s %q id %q", sc.Method, sc.URL, sc.Body, sc.LastEventID)
	}
	if sc.Headers.Get("Authorization") != "Bearer t0k" || len(sc.Headers.Values("X-A")) != 2 || sc.Headers.Get("Accept") != "" {
		t.Errorf("headers = %v (defaults must stay for NewStream to fill)", sc.Headers)
	}
	if sc.Retry != 2*time.Second || sc.StallTimeout != -1 || sc.ConnectTimeout != 0 || sc.Decoder.MaxEventBytes != 1<<10 {
		t.Errorf("timeouts/caps = %+v", sc)
	}
	if cfg.URL != "http://${HOST}/s" {
		t.Error("the channel config was modified")
	}
	bad := []struct {
		name string
		cfg  ChannelConfig
		want string
	}{
		{"unset", ChannelConfig{URL: "http://${NOPE}/"}, "NOPE is not set"},
		{"scheme", ChannelConfig{URL: "ftp://x/"}, `scheme "ftp"`},
		{"method", ChannelConfig{URL: "http://x/", Method: "A B"}, "Method"},
		{"header", ChannelConfig{URL: "http://x/", Headers: []Header{{"Bad Name", "v"}}}, "header name"},
		{"ca", ChannelConfig{URL: "https://x/", CAFile: "/nonexistent.pem"}, "CAFile"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.cfg.StreamConfig(env); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
