package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssemon/ssemon/server/internal/ssetest"

	"github.com/ssemon/ssemon/server/relay"
)

// startRedis runs a redis-server child on a free loopback port and
// returns its URL.
func startRedis(t *testing.T) string {
	t.Helper()
	bin := ssetest.RequireBinary(t, "redis-server", "redis-server")
	dir := t.TempDir()
	port := ssetest.FreePort(t)
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--appendonly", "no", "--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	})
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	pub, err := relay.NewPublisher(relay.PublisherConfig{Source: url})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	waitFor(t, "redis-server", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := pub.Publish(ctx, "ready", "", []byte("x"))
		return err == nil
	})
	return url
}

func TestSourceRedis(t *testing.T) {
	url := startRedis(t)
	ts := newTestServer(t, Config{Source: url, Streams: "q*", PublishScenarios: true, Token: "s3cret", Heartbeat: -1})
	if got := ts.Channels(); len(got) != 0 {
		t.Fatalf("channels before any publish: %+v", got)
	}
	// Scenario events (here a burst) go to Redis, and are served from it.
	ts.Burst("q", 2)
	// Served at once, although the fake clock holds the discovery.
	if chs := ts.Channels(); len(chs) != 1 || chs[0].Name != "q" || chs[0].Scenario != "redis" || chs[0].Path != "/api/stream/q" {
		t.Fatalf("channels %+v", chs)
	}
	if _, resp := ts.tryDial(t, "/api/stream/q", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without the token: %d", resp.StatusCode)
	}
	c := ts.dial(t, "/api/stream/q?history=2&token=s3cret", nil)
	for range 2 {
		f := c.NextEvent(t)
		if _, err := relay.ParseID(f.ID); err != nil || f.Event != "burst" {
			t.Fatalf("event %+v: want a burst with a Redis id", f)
		}
	}
	if _, err := ts.Publish("q", "note", []byte(`{"message":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	if f := c.NextEvent(t); f.Event != "note" || f.Data != `{"message":"hi"}` {
		t.Fatalf("published event %+v", f)
	}
	if _, err := ts.Publish("q", "", nil); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("empty data: %v", err)
	}
}

func TestSourceConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"streams without source", Config{Streams: "x*"}, "Source"},
		{"publish without source", Config{PublishScenarios: true}, "Source"},
		{"bad source", Config{Source: "http://127.0.0.1:1"}, "Source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("err %v, want a ConfigError on %s", err, tc.field)
			}
		})
	}
}
