package chaos

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/tail"
	"github.com/ssemon/ssemon/server"
)

// The secrets used below; none may show where they were not asked for.
const (
	secretToken  = "tok-8f3a1c9e5b"
	secretCookie = "ck-77d2e04aa1"
	secretQuery  = "qs-5e6f0b2c3d"
)

func assertNoSecret(t *testing.T, where, s string) {
	t.Helper()
	for _, sec := range []string{secretToken, secretCookie, secretQuery} {
		if strings.Contains(s, sec) {
			i := strings.Index(s, sec)
			t.Errorf("%s shows a secret: …%s…", where, s[max(i-60, 0):min(i+len(sec)+20, len(s))])
		}
	}
}

// eventMark matches an event in ssemon-tail's output: "#<id>" in a human
// line, a record of kind event in JSON.
var eventMark = regexp.MustCompile(`#[0-9]|"kind":"event"`)

// TestTailMasksSecrets runs ssemon-tail against a demo server that needs a
// token: stdout (human and JSON), stderr (-v) and the recording mask the
// Authorization header, the cookie and the URL token, unless
// --show-secrets.
func TestTailMasksSecrets(t *testing.T) {
	d := startDemo(t, []ScenarioSpec{{Channel: "fh", Scenario: "firehose", Rate: 200}}, "--token", secretToken)
	streamURL := d.StreamURL("fh") + "?token=" + secretToken + "&api_key=" + secretQuery
	tests := []struct {
		name string
		args []string
		show bool
	}{
		{"human", nil, false},
		{"json", []string{"--json"}, false},
		{"json shown on request", []string{"--json", "--show-secrets"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := filepath.Join(t.TempDir(), "rec.jsonl")
			args := append([]string{"-v", "--max-events", "5", "--timeout", "20s", "--record", rec,
				"-H", "Authorization: Bearer " + secretToken, "-H", "Cookie: session=" + secretCookie}, tt.args...)
			args = append(args, streamURL)
			var stdout, stderr bytes.Buffer
			code := tail.Main(testCtx(t, waitLimit), args, tail.Env{Stdout: &stdout, Stderr: &stderr})
			if code != tail.ExitOK {
				t.Fatalf("exit %d; stderr %s", code, stderr.String())
			}
			recording, err := os.ReadFile(rec)
			if err != nil {
				t.Fatal(err)
			}
			// Five events: five "#<id>" in human lines (and more in their
			// data), or five JSON event records.
			if n := len(eventMark.FindAllString(stdout.String(), -1)); n < 5 {
				t.Fatalf("%d events in the output, want 5:\n%s", n, stdout.String())
			}
			all := stdout.String() + stderr.String() + string(recording)
			if tt.show {
				for _, sec := range []string{secretToken, secretCookie, secretQuery} {
					if !strings.Contains(string(recording), sec) {
						t.Errorf("--show-secrets: the recording lacks %q", sec)
					}
				}
				return
			}
			assertNoSecret(t, "stdout", stdout.String())
			assertNoSecret(t, "stderr", stderr.String())
			assertNoSecret(t, "recording", string(recording))
			if !strings.Contains(all, "***") {
				t.Error("nothing shown masked: the request was not printed or recorded")
			}
		})
	}
}

// TestEngineLogsHideSecrets: the engine's logs (what the GUI writes to its
// log file) never show a header value or a URL token.
func TestEngineLogsHideSecrets(t *testing.T) {
	d := startDemo(t, []ScenarioSpec{{Channel: "fh", Scenario: "firehose", Rate: 200}}, "--token", secretToken)
	var logs bytes.Buffer
	lh := slog.NewJSONHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug})
	m := client.NewManager(client.ManagerConfig{Logger: slog.New(lh)})
	// One channel that works, one that fails (unknown channel: 404).
	for _, c := range []struct{ name, path string }{{"ok", "fh"}, {"bad", "nope"}} {
		_, err := m.Add(client.ChannelConfig{
			Name: c.name, URL: d.StreamURL(c.path) + "?token=" + secretToken + "&api_key=" + secretQuery,
			Headers: []client.Header{{Name: "Authorization", Value: "Bearer " + secretToken}, {Name: "Cookie", Value: "s=" + secretCookie}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx := testCtx(t, waitLimit)
	bad, _ := m.Get("bad")
	ok, _ := m.Get("ok")
	for bad.Status().State != client.Failed || ok.Snapshot().Stats.Events < 3 {
		select {
		case <-ctx.Done():
			t.Fatalf("states: ok %v, bad %v", ok.Status().State, bad.Status().State)
		case <-time.After(10 * time.Millisecond):
		}
	}
	_ = m.Close()
	if logs.Len() == 0 {
		t.Fatal("the engine logged nothing at Debug level")
	}
	for _, s := range m.Snapshots(nil) {
		assertNoSecret(t, "status of "+s.Name, s.Status.Detail)
		for _, h := range s.History {
			assertNoSecret(t, "history of "+s.Name, h.Detail)
		}
	}
	assertNoSecret(t, "engine log", logs.String())
}

// syncWriter serialises writes from the streams' goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestWorkspaceFileMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ws.json")
	// A file that exists with wider permissions is replaced by a 0600 one.
	if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	ws := &client.Workspace{Channels: []client.ChannelConfig{{
		Name: "secret", URL: "http://127.0.0.1:1/s?token=" + secretToken,
		Headers: []client.Header{{Name: "Authorization", Value: "Bearer " + secretToken}},
	}}}
	for i := 0; i < 2; i++ { // create, then overwrite
		if err := client.SaveWorkspace(path, ws); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("save %d: workspace mode %v, want 0600", i+1, fi.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// fakePeer makes every accepted connection report a non-loopback remote
// address, as if the client were on another host (the traffic itself stays
// on 127.0.0.1).
type fakePeer struct{ net.Listener }

type fakePeerConn struct{ net.Conn }

func (l fakePeer) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return fakePeerConn{c}, nil
}

func (fakePeerConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.ParseIP("192.0.2.10"), Port: 40000}
}

// TestAdminLoopbackOnly sends real fault requests to the demo server: from
// loopback they work, through a proxy or from another origin they are
// refused, from a non-loopback peer they are refused unless a token is
// configured and sent.
func TestAdminLoopbackOnly(t *testing.T) {
	d := startDemo(t, []ScenarioSpec{{Channel: "quiet", Scenario: "quiet"}})
	ctx := testCtx(t, waitLimit)
	form := url.Values{"action": {"drop"}, "channel": {"quiet"}}
	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"loopback", nil, http.StatusOK},
		{"through a proxy (X-Forwarded-For)", http.Header{"X-Forwarded-For": {"203.0.113.5"}}, http.StatusForbidden},
		{"through a proxy (Forwarded)", http.Header{"Forwarded": {"for=203.0.113.5"}}, http.StatusForbidden},
		{"cross-origin page", http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run("child process: "+tt.name, func(t *testing.T) {
			code, body, err := d.Post(ctx, "/admin/fault", form, tt.header)
			if err != nil {
				t.Fatal(err)
			}
			if code != tt.want {
				t.Errorf("status %d (%s), want %d", code, body, tt.want)
			}
		})
	}

	remote := []struct {
		name  string
		token string
		auth  string
		want  int
	}{
		{"non-loopback peer, no token configured", "", "", http.StatusForbidden},
		{"non-loopback peer, token configured, none sent", secretToken, "", http.StatusUnauthorized},
		{"non-loopback peer, wrong token", secretToken, "Bearer nope", http.StatusUnauthorized},
		{"non-loopback peer, token sent", secretToken, "Bearer " + secretToken, http.StatusOK},
	}
	for _, tt := range remote {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := server.New(server.Config{Token: tt.token, Scenarios: []server.Scenario{{Channel: "quiet", Kind: server.KindQuiet}}})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			sctx, cancel := context.WithCancel(context.Background())
			served := make(chan struct{})
			go func() {
				defer close(served)
				_ = srv.Serve(sctx, fakePeer{ln})
			}()
			t.Cleanup(func() {
				cancel()
				<-served
				_ = srv.Close()
			})
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+ln.Addr().String()+"/admin/fault", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
