package relay

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Message is one event to publish.
type Message struct {
	// Type is the SSE event type; "" for the default "message" type.
	Type string
	// Data is the event's data: 1 byte to the publisher's MaxEventBytes.
	Data []byte
}

// PublisherConfig configures a Publisher. Every zero field takes the
// default written next to it.
type PublisherConfig struct {
	// Source is the Redis server, as Config.Source. Required.
	Source string
	// MaxLen trims every stream written to about this many entries
	// (XADD MAXLEN ~, which trims whole internal nodes: cheap, and never
	// below MaxLen). Default 10000; negative: no trimming.
	MaxLen int64
	// MaxEventBytes caps the data of one event. Default 1 MiB, at most
	// MaxEventBytesCap.
	MaxEventBytes int
	// Timeout bounds every Redis command. Default 5 s.
	Timeout time.Duration
}

// Publisher writes events into Redis streams as entries the relay reads:
// field "event" (when the type is set) and field "data". Its methods are
// safe for concurrent use.
type Publisher struct {
	rdb     *redis.Client
	own     bool // rdb is the Publisher's (closed by Close)
	maxLen  int64
	maxData int
}

// NewPublisher returns a Publisher for cfg. It does not connect until the
// first Publish. Errors are *ConfigError.
func NewPublisher(cfg PublisherConfig) (*Publisher, error) {
	c := Config{Source: cfg.Source, MaxLen: cfg.MaxLen, MaxEventBytes: cfg.MaxEventBytes, RedisTimeout: cfg.Timeout}
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	opts := c.redisOptions(8)
	return &Publisher{rdb: redis.NewClient(opts), own: true, maxLen: c.MaxLen, maxData: c.MaxEventBytes}, nil
}

// Publish appends one event to the stream channel (created if needed) and
// returns its id. Errors about the arguments wrap ErrInvalidEvent.
func (p *Publisher) Publish(ctx context.Context, channel, eventType string, data []byte) (ID, error) {
	ids, err := p.PublishBatch(ctx, channel, []Message{{Type: eventType, Data: data}})
	if err != nil {
		return ID{}, err
	}
	return ids[0], nil
}

// PublishBatch appends events to the stream channel in one round trip and
// returns their ids. Every event is checked before any is written; on a
// Redis error, some of the events may have been written (the ids returned
// so far are those known to be).
func (p *Publisher) PublishBatch(ctx context.Context, channel string, msgs []Message) ([]ID, error) {
	for i, m := range msgs {
		if err := CheckEvent(channel, m.Type, m.Data, p.maxData); err != nil {
			if len(msgs) > 1 {
				return nil, fmt.Errorf("event %d: %w", i, err)
			}
			return nil, err
		}
	}
	cmds := make([]*redis.StringCmd, len(msgs))
	_, err := p.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, m := range msgs {
			values := make([]any, 0, 4)
			if m.Type != "" {
				values = append(values, FieldEvent, m.Type)
			}
			values = append(values, FieldData, m.Data)
			a := &redis.XAddArgs{Stream: channel, Values: values}
			if p.maxLen > 0 {
				a.MaxLen, a.Approx = p.maxLen, true
			}
			cmds[i] = pipe.XAdd(ctx, a)
		}
		return nil
	})
	ids := make([]ID, 0, len(msgs))
	for _, c := range cmds {
		if c.Err() != nil || (err != nil && c.Val() == "") {
			break // not known to be written; the pipeline's error says why
		}
		id, perr := ParseID(c.Val())
		if perr != nil {
			return ids, fmt.Errorf("relay: XADD returned %q: %w", c.Val(), perr)
		}
		ids = append(ids, id)
	}
	if err != nil {
		return ids, fmt.Errorf("relay: publish to Redis stream %q: %w", channel, err)
	}
	return ids, nil
}

// Close closes the Publisher's connections.
func (p *Publisher) Close() error {
	if p.own {
		return p.rdb.Close()
	}
	return nil
}

// Publish appends one event to the stream channel through the relay's
// connection pool, trimmed to Config.MaxLen, and returns its id; the
// relay's subscribers (and every other relay's) get it from Redis like any
// other entry. Errors about the arguments wrap ErrInvalidEvent.
func (r *Relay) Publish(ctx context.Context, channel, eventType string, data []byte) (ID, error) {
	return r.Publisher().Publish(ctx, channel, eventType, data)
}

// Publisher returns a Publisher that shares the relay's connections (its
// Close does nothing); it writes with the relay's MaxLen and
// MaxEventBytes.
func (r *Relay) Publisher() *Publisher {
	return &Publisher{rdb: r.rdb, maxLen: r.cfg.MaxLen, maxData: r.cfg.MaxEventBytes}
}

// MaxEventBytes returns the cap on one event's data.
func (p *Publisher) MaxEventBytes() int { return p.maxData }

// ErrIDTooSmall is returned by Add when the stream already has an entry
// at or after the id asked for (and not this event at that id); Top is
// the stream's newest id.
type ErrIDTooSmall struct {
	// Top is the stream's newest id.
	Top ID
}

func (e *ErrIDTooSmall) Error() string {
	return "relay: the stream already has entries up to " + e.Top.String()
}

// Add appends one event to the stream channel with the given id, so that
// a retry after a lost reply cannot write it twice: if an entry with that
// id and the same fields is already there, Add returns its id with
// written false. Entries at or after id that are not this event give an
// *ErrIDTooSmall. Errors about the arguments wrap ErrInvalidEvent.
func (p *Publisher) Add(ctx context.Context, channel string, m Message, id ID) (written bool, err error) {
	if err := CheckEvent(channel, m.Type, m.Data, p.maxData); err != nil {
		return false, err
	}
	values := make([]any, 0, 4)
	if m.Type != "" {
		values = append(values, FieldEvent, m.Type)
	}
	values = append(values, FieldData, m.Data)
	a := &redis.XAddArgs{Stream: channel, ID: id.String(), Values: values}
	if p.maxLen > 0 {
		a.MaxLen, a.Approx = p.maxLen, true
	}
	err = p.rdb.XAdd(ctx, a).Err()
	if err == nil {
		return true, nil
	}
	if !strings.Contains(err.Error(), "equal or smaller") {
		return false, fmt.Errorf("relay: publish to Redis stream %q: %w", channel, err)
	}
	// Written before a reply that was lost, or someone else's entries.
	got, rerr := p.rdb.XRangeN(ctx, channel, id.String(), id.String(), 1).Result()
	if rerr != nil {
		return false, fmt.Errorf("relay: publish to Redis stream %q: %w", channel, rerr)
	}
	if len(got) == 1 {
		ev := EntryEvent(id, got[0].Values)
		if ev.Type == m.Type && ev.Data == string(m.Data) {
			return false, nil
		}
	}
	top, terr := p.rdb.XRevRangeN(ctx, channel, "+", "-", 1).Result()
	if terr != nil || len(top) == 0 {
		return false, fmt.Errorf("relay: publish to Redis stream %q: %w", channel, err)
	}
	t, _ := ParseID(top[0].ID)
	return false, &ErrIDTooSmall{Top: t}
}
