package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ssemon/ssemon/server/relay/redistest"

	"github.com/redis/go-redis/v9"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/server"
	"github.com/ssemon/ssemon/server/relay"
)

// startRedis runs a redis-server child on a free loopback port and
// returns its URL.
func startRedis(t *testing.T) string { return redistest.Start(t).URL }

func redisClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := relay.ParseSource(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// nextEvent reads events from d until one is not a comment or retry.
func nextEvent(t *testing.T, d *client.Decoder) client.Event {
	t.Helper()
	for {
		f, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if f.Kind == client.FrameEvent {
			return f.Event
		}
	}
}

func TestRedisUpstream(t *testing.T) {
	url := startRedis(t)
	up, err := newRedisUpstream(relay.Config{Source: url, Streams: "q*", Heartbeat: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	s, err := server.New(server.Config{Scenarios: []server.Scenario{{Channel: "q", Kind: server.KindQuiet}},
		Upstream: up, PublishScenarios: true, Token: "s3cret", Heartbeat: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	if got := s.Channels(); len(got) != 0 {
		t.Fatalf("channels before any publish: %+v", got)
	}
	// Scenario events (here a burst) go to Redis, and are served from it.
	s.Burst("q", 2)
	// Served at once, without waiting for the discovery.
	if chs := s.Channels(); len(chs) != 1 || chs[0].Name != "q" || chs[0].Scenario != "redis" || chs[0].Path != "/api/stream/q" {
		t.Fatalf("channels %+v", chs)
	}
	resp, err := http.Get(ts.URL + "/api/stream/q")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without the token: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/api/stream/q?history=2&token=s3cret", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	d := client.NewDecoder(resp.Body, client.DecoderConfig{})
	for range 2 {
		ev := nextEvent(t, d)
		if _, err := relay.ParseID(ev.ID); err != nil || ev.Type != "burst" {
			t.Fatalf("event %+v: want a burst with a Redis id", ev)
		}
	}
	if _, err := s.Publish("q", "note", []byte(`{"message":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, d); ev.Type != "note" || ev.Data != `{"message":"hi"}` {
		t.Fatalf("published event %+v", ev)
	}
	if _, err := s.Publish("q", "", nil); !errors.Is(err, server.ErrInvalidEvent) {
		t.Fatalf("empty data: %v", err)
	}
	cancel()
}

func TestUpstreamConfig(t *testing.T) {
	// PublishScenarios needs an Upstream (the flags' checks are in
	// TestSourceFlags).
	_, err := server.New(server.Config{PublishScenarios: true})
	var ce *server.ConfigError
	if !errors.As(err, &ce) || ce.Field != "PublishScenarios" {
		t.Fatalf("err %v, want a ConfigError on PublishScenarios", err)
	}
}
