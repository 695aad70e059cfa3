package relay

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/server/internal/defaults"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultStreams           = "*"
	DefaultDiscover          = 5 * time.Second
	DefaultMaxChannels       = 1000
	DefaultHeartbeat         = 15 * time.Second
	DefaultRetry             = 3 * time.Second
	DefaultCacheSize         = 1000
	DefaultCacheBytes        = 16 << 20
	DefaultIndexSize         = 100_000
	DefaultMaxHistory        = 1000
	DefaultBlock             = 5 * time.Second
	DefaultBatch             = 512
	DefaultMaxEventBytes     = 1 << 20
	DefaultMaxSubscribers    = 1000
	DefaultWriteTimeout      = 10 * time.Second
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultMaxHeaderBytes    = 16 << 10
	DefaultShutdownTimeout   = 5 * time.Second
	DefaultMinBackoff        = 100 * time.Millisecond
	DefaultMaxBackoff        = 5 * time.Second
	DefaultRedisTimeout      = 5 * time.Second
)

// Caps on Config values.
const (
	// MaxCacheSize caps Config.CacheSize.
	MaxCacheSize = 1_000_000
	// MaxIndexSize caps Config.IndexSize.
	MaxIndexSize = 10_000_000
	// MaxBatch caps Config.Batch.
	MaxBatch = 10_000
	// MaxChannelsCap caps Config.MaxChannels (each channel holds one Redis
	// connection).
	MaxChannelsCap = 10_000
	// MaxEventBytesCap caps Config.MaxEventBytes.
	MaxEventBytesCap = 64 << 20
)

// Config configures a Relay. Every zero field takes the default written
// next to it; New copies the Config, so changing it afterwards has no
// effect.
type Config struct {
	// Source is the Redis server: redis://[[USER]:PASSWORD@]HOST:PORT[/DB],
	// or rediss:// for TLS. Required.
	Source string

	// Streams is the pattern (Redis glob syntax, as SCAN MATCH: * ? [abc]
	// and \ to escape) of the stream keys served as channels; each key is
	// the channel name. Keys that are not streams are ignored. Default "*".
	Streams string

	// Discover is how often the relay looks for new streams (SCAN MATCH
	// TYPE stream). A stream requested before it was discovered is looked
	// up at once. Default 5 s; negative: only at start.
	Discover time.Duration

	// MaxChannels caps the channels served; each has one reader, i.e. one
	// Redis connection. Keys past the cap are skipped (counted in
	// /metrics). Default 1000, at most MaxChannelsCap.
	MaxChannels int

	// Heartbeat is the interval between ": heartbeat" comments sent to
	// every subscriber, also while Redis is unavailable. Default 15 s;
	// negative disables.
	Heartbeat time.Duration

	// Retry is the reconnection delay sent as "retry:" on every
	// connection. Default 3 s.
	Retry time.Duration

	// CacheSize is how many recent entries each channel keeps in memory,
	// so that resuming and lagging subscribers are served without asking
	// Redis. Default 1000, at most MaxCacheSize.
	CacheSize int

	// CacheBytes caps the memory of each channel's cache (encoded events).
	// Default 16 MiB.
	CacheBytes int64

	// IndexSize is how many ids of the entries read each channel
	// remembers beyond its cache (16 bytes each), so that a lost notice
	// for a trimmed range says exactly how many entries are gone when the
	// client's id is among them. Default 100 000, at most MaxIndexSize.
	IndexSize int

	// MaxHistory caps ?history=N. Default 1000.
	MaxHistory int

	// Block is the XREAD BLOCK timeout of the readers: how long one read
	// waits for new entries before it is issued again. Default 5 s.
	Block time.Duration

	// Batch is the COUNT of every XREAD and XRANGE. Default 512, at most
	// MaxBatch.
	Batch int

	// MaxEventBytes caps an event's data. A larger entry is not relayed:
	// subscribers get an "oversize" event with its id and size instead
	// (counted in /metrics). Default 1 MiB, at most MaxEventBytesCap.
	MaxEventBytes int

	// MaxSubscribers caps concurrent stream connections; past it a stream
	// request is answered 503 with Retry-After. Default 1000.
	MaxSubscribers int

	// WriteTimeout bounds every write to a subscriber (real clock); one
	// that stops reading is dropped. Default 10 s.
	WriteTimeout time.Duration

	// ReadHeaderTimeout is the http.Server's in Serve. Default 10 s.
	ReadHeaderTimeout time.Duration

	// MaxHeaderBytes is the http.Server's in Serve. Default 16 KiB.
	MaxHeaderBytes int

	// ShutdownTimeout bounds the graceful part of Shutdown (real clock);
	// streams still open after it are cut. Default 5 s.
	ShutdownTimeout time.Duration

	// MinBackoff and MaxBackoff bound the wait between attempts to reach
	// Redis after an error (doubling, with jitter). Defaults 100 ms and
	// 5 s.
	MinBackoff time.Duration
	// MaxBackoff: see MinBackoff.
	MaxBackoff time.Duration

	// RedisTimeout bounds every Redis command but the readers' blocking
	// XREAD (which waits Block plus this). Default 5 s.
	RedisTimeout time.Duration

	// MaxLen trims every stream written by Publish to about this many
	// entries (XADD MAXLEN ~). Default 10000; negative: no trimming.
	MaxLen int64

	// Clock drives heartbeats and the backoff waits. Default clock.Real().
	Clock clock.Clock

	// Logger receives the relay's logs. Default: discard.
	Logger *slog.Logger
}

// DefaultMaxLen is the default of Config.MaxLen.
const DefaultMaxLen = 10_000

// ConfigError reports an invalid Config field.
type ConfigError struct {
	// Field names the offending field, e.g. "Source".
	Field string
	// Err says what is wrong with it.
	Err error
}

// Error implements error.
func (e *ConfigError) Error() string { return "relay: invalid " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

func configErr(field, format string, args ...any) error {
	return &ConfigError{Field: field, Err: fmt.Errorf(format, args...)}
}

// ParseSource checks a Redis URL as Config.Source takes it and returns the
// go-redis options it stands for.
func ParseSource(source string) (*redis.Options, error) {
	if source == "" {
		return nil, configErr("Source", "empty: want redis://HOST:PORT[/DB]")
	}
	u, err := url.Parse(source)
	if err != nil {
		return nil, &ConfigError{Field: "Source", Err: errors.New("not a URL: want redis://HOST:PORT[/DB]")}
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, configErr("Source", "scheme %q: want redis:// or rediss://", u.Scheme)
	}
	if u.Host == "" {
		return nil, configErr("Source", "no host: want redis://HOST:PORT[/DB]")
	}
	opts, err := redis.ParseURL(source)
	if err != nil {
		return nil, &ConfigError{Field: "Source", Err: err}
	}
	return opts, nil
}

// RedactSource returns source without its password, for logs and /healthz.
func RedactSource(source string) string {
	u, err := url.Parse(source)
	if err != nil {
		return "(invalid)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// withDefaults returns a copy of c with defaults merged in, or the first
// invalid field.
func (c Config) withDefaults() (Config, error) {
	out := c
	if _, err := ParseSource(out.Source); err != nil {
		return Config{}, err
	}
	if out.Streams == "" {
		out.Streams = DefaultStreams
	}
	if strings.ContainsAny(out.Streams, "\r\n\x00") || len(out.Streams) > 1024 {
		return Config{}, configErr("Streams", "pattern %q: at most 1024 bytes, no line breaks", out.Streams)
	}
	if f, err := defaults.Durations(
		defaults.Duration{Name: "Discover", V: &out.Discover, Def: DefaultDiscover, Neg: true},
		defaults.Duration{Name: "Heartbeat", V: &out.Heartbeat, Def: DefaultHeartbeat, Neg: true},
		defaults.Duration{Name: "Retry", V: &out.Retry, Def: DefaultRetry},
		defaults.Duration{Name: "Block", V: &out.Block, Def: DefaultBlock},
		defaults.Duration{Name: "WriteTimeout", V: &out.WriteTimeout, Def: DefaultWriteTimeout},
		defaults.Duration{Name: "ReadHeaderTimeout", V: &out.ReadHeaderTimeout, Def: DefaultReadHeaderTimeout},
		defaults.Duration{Name: "ShutdownTimeout", V: &out.ShutdownTimeout, Def: DefaultShutdownTimeout},
		defaults.Duration{Name: "MinBackoff", V: &out.MinBackoff, Def: DefaultMinBackoff},
		defaults.Duration{Name: "MaxBackoff", V: &out.MaxBackoff, Def: DefaultMaxBackoff},
		defaults.Duration{Name: "RedisTimeout", V: &out.RedisTimeout, Def: DefaultRedisTimeout},
	); err != nil {
		return Config{}, &ConfigError{Field: f, Err: err}
	}
	if out.Retry > time.Hour {
		return Config{}, configErr("Retry", "%v exceeds 1h", out.Retry)
	}
	if out.Block < time.Millisecond {
		return Config{}, configErr("Block", "%v is under 1ms (0 would block forever)", out.Block)
	}
	if out.MaxBackoff < out.MinBackoff {
		return Config{}, configErr("MaxBackoff", "%v is under MinBackoff %v", out.MaxBackoff, out.MinBackoff)
	}
	if f, err := defaults.Ints(
		defaults.Int{Name: "MaxChannels", V: &out.MaxChannels, Def: DefaultMaxChannels, Max: MaxChannelsCap},
		defaults.Int{Name: "CacheSize", V: &out.CacheSize, Def: DefaultCacheSize, Max: MaxCacheSize},
		defaults.Int{Name: "IndexSize", V: &out.IndexSize, Def: DefaultIndexSize, Max: MaxIndexSize},
		defaults.Int{Name: "MaxHistory", V: &out.MaxHistory, Def: DefaultMaxHistory, Max: MaxCacheSize},
		defaults.Int{Name: "Batch", V: &out.Batch, Def: DefaultBatch, Max: MaxBatch},
		defaults.Int{Name: "MaxEventBytes", V: &out.MaxEventBytes, Def: DefaultMaxEventBytes, Max: MaxEventBytesCap},
		defaults.Int{Name: "MaxSubscribers", V: &out.MaxSubscribers, Def: DefaultMaxSubscribers, Max: 1 << 30},
		defaults.Int{Name: "MaxHeaderBytes", V: &out.MaxHeaderBytes, Def: DefaultMaxHeaderBytes, Max: 1 << 30},
	); err != nil {
		return Config{}, &ConfigError{Field: f, Err: err}
	}
	switch {
	case out.CacheBytes == 0:
		out.CacheBytes = DefaultCacheBytes
	case out.CacheBytes < 0:
		return Config{}, configErr("CacheBytes", "negative value %d", out.CacheBytes)
	}
	if out.MaxLen == 0 {
		out.MaxLen = DefaultMaxLen
	}
	if out.Clock == nil {
		out.Clock = clock.Real()
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	return out, nil
}

// redisOptions returns the go-redis options for a client of poolSize
// connections.
func (c *Config) redisOptions(poolSize int) *redis.Options {
	opts, _ := ParseSource(c.Source) // validated by withDefaults
	opts.Protocol = 2                // plain replies; no push notifications needed
	opts.DisableIdentity = true      // no CLIENT SETINFO (unknown before Redis 7.2)
	opts.PoolSize = poolSize
	opts.MinIdleConns = 0
	opts.MaxRetries = -1   // the relay retries with its own backoff, and says so
	opts.DialerRetries = 1 // (go-redis would dial 5 times per command)
	opts.DialTimeout = c.RedisTimeout
	opts.ReadTimeout = c.RedisTimeout
	opts.WriteTimeout = c.RedisTimeout
	opts.PoolTimeout = c.RedisTimeout
	opts.ContextTimeoutEnabled = true
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return opts
}

// ValidName reports whether a stream key can be served as a channel name:
// 1 to 128 bytes of A-Z a-z 0-9 . _ - : (it becomes a URL path segment and
// a metric label as it is).
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > 128 {
		return false
	}
	return !slices.ContainsFunc([]byte(name), func(b byte) bool {
		return !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-' || b == ':')
	})
}
