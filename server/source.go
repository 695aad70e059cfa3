package server

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/ssemon/ssemon/server/relay"
)

// source serves the channels from Redis Streams (Config.Source) through
// package relay, and publishes the scenarios' events there when
// Config.PublishScenarios is set.
type source struct {
	relay   *relay.Relay
	pub     *relay.Publisher
	failing atomic.Bool // the last publish failed (logged once per streak)
	errs    atomic.Uint64
	watched sync.Map // channel names already served by the relay
}

func newSource(c Config) (*source, error) {
	rl, err := relay.New(relay.Config{
		Source:            c.Source,
		Streams:           c.Streams,
		Heartbeat:         c.Heartbeat,
		Retry:             c.Retry,
		MaxSubscribers:    c.MaxSubscribers,
		WriteTimeout:      c.WriteTimeout,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
		ShutdownTimeout:   c.ShutdownTimeout,
		Clock:             c.Clock,
		Logger:            c.Logger,
	})
	if err != nil {
		var ce *relay.ConfigError
		if errors.As(err, &ce) {
			return nil, &ConfigError{Field: ce.Field, Err: ce.Err}
		}
		return nil, err
	}
	return &source{relay: rl, pub: rl.Publisher()}, nil
}

// channels returns the Redis streams served, as ChannelInfo.
func (src *source) channels() []ChannelInfo {
	chs := src.relay.Channels()
	out := make([]ChannelInfo, len(chs))
	for i, c := range chs {
		out[i] = ChannelInfo{Name: c.Name, Description: c.Description, Scenario: c.Scenario, Path: c.Path}
	}
	return out
}

// publish writes a scenario's events to the Redis stream of the same name
// in one round trip. Retry fields and extra comment lines (fault
// injection) have no place in a stream entry and are left out. Errors are
// logged once per streak of failures and counted; the scenario goes on.
func (src *source) publish(channel string, msgs []message) {
	batch := make([]relay.Message, len(msgs))
	for i, m := range msgs {
		data := m.data
		if len(data) == 0 {
			data = []byte("{}")
		}
		batch[i] = relay.Message{Type: m.typ, Data: data}
	}
	ctx, cancel := context.WithTimeout(context.Background(), relay.DefaultRedisTimeout)
	defer cancel()
	_, err := src.pub.PublishBatch(ctx, channel, batch)
	if err != nil {
		src.errs.Add(1)
		if !src.failing.Swap(true) {
			src.relay.Logger().Warn("cannot publish scenario events to Redis; retrying with the next ones", "channel", channel, "err", err)
		}
		return
	}
	if src.failing.Swap(false) {
		src.relay.Logger().Info("publishing scenario events to Redis again", "channel", channel)
	}
	if _, ok := src.watched.Load(channel); !ok {
		// Serve the stream at once rather than at the next discovery.
		if src.relay.Watch(ctx, channel) == nil {
			src.watched.Store(channel, true)
		}
	}
}
