package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/ssemon/ssemon/server"
	"github.com/ssemon/ssemon/server/relay"
)

// redisUpstream serves the demo server's channels from Redis Streams
// through a relay (--source), and publishes the scenarios' events there
// (--publish-scenarios): the server.Upstream that ssemon-demo wires, so
// that package server does not depend on Redis.
type redisUpstream struct {
	relay   *relay.Relay
	pub     *relay.Publisher
	watched sync.Map // channel names already served by the relay
}

func newRedisUpstream(cfg relay.Config) (*redisUpstream, error) {
	rl, err := relay.New(cfg)
	if err != nil {
		return nil, err
	}
	return &redisUpstream{relay: rl, pub: rl.Publisher()}, nil
}

func (u *redisUpstream) Handler() http.Handler { return u.relay.Handler() }

func (u *redisUpstream) Channels() []server.ChannelInfo {
	chs := u.relay.Channels()
	out := make([]server.ChannelInfo, len(chs))
	for i, c := range chs {
		out[i] = server.ChannelInfo{Name: c.Name, Description: c.Description, Scenario: c.Scenario, Path: c.Path}
	}
	return out
}

// Publish writes events to the Redis stream channel in one round trip and
// serves the stream at once rather than at the next discovery.
func (u *redisUpstream) Publish(ctx context.Context, channel string, events []server.Event) error {
	batch := make([]relay.Message, len(events))
	for i, e := range events {
		batch[i] = relay.Message{Type: e.Type, Data: e.Data}
	}
	if _, err := u.pub.PublishBatch(ctx, channel, batch); err != nil {
		if errors.Is(err, relay.ErrInvalidEvent) {
			return fmt.Errorf("%w: %w", server.ErrInvalidEvent, err)
		}
		return err
	}
	if _, ok := u.watched.Load(channel); !ok && u.relay.Watch(ctx, channel) == nil {
		u.watched.Store(channel, true)
	}
	return nil
}

func (u *redisUpstream) Shutdown(ctx context.Context) error { return u.relay.Shutdown(ctx) }

func (u *redisUpstream) Close() error { return u.relay.Close() }
