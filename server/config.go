package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/server/internal/defaults"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultHeartbeat is the default Config.Heartbeat.
	DefaultHeartbeat = 15 * time.Second
	// DefaultRetry is the default Config.Retry.
	DefaultRetry = 3 * time.Second
	// DefaultRingSize is the default Config.RingSize.
	DefaultRingSize = 1000
	// DefaultHistory is the default Config.History.
	DefaultHistory = time.Minute
	// DefaultHistoryBytes is the default Config.HistoryBytes.
	DefaultHistoryBytes = 32 << 20
	// DefaultQueueSize is the default Config.QueueSize.
	DefaultQueueSize = 64
	// DefaultMaxSubscribers is the default Config.MaxSubscribers.
	DefaultMaxSubscribers = 1000
	// DefaultWriteTimeout is the default Config.WriteTimeout.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultReadHeaderTimeout is the default Config.ReadHeaderTimeout.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultMaxHeaderBytes is the default Config.MaxHeaderBytes.
	DefaultMaxHeaderBytes = 16 << 10
	// DefaultShutdownTimeout is the default Config.ShutdownTimeout.
	DefaultShutdownTimeout = 5 * time.Second
)

// Caps on values accepted from configuration and fault injection.
const (
	// MaxRingSize caps Config.RingSize.
	MaxRingSize = 1_000_000
	// MaxQueueSize caps Config.QueueSize.
	MaxQueueSize = 65536
	// MaxBurst caps the n of Burst.
	MaxBurst = 100_000
	// MaxFaultDuration caps Stall durations and SetRetry values.
	MaxFaultDuration = time.Hour
	// MaxFailNext caps how many injected failures may be queued per channel.
	MaxFailNext = 100
)

// Config configures a Server. The zero Config is a working demo: every zero
// field takes the default written next to it. New copies the Config, so
// changing it (or the slices it holds) afterwards has no effect.
type Config struct {
	// Scenarios lists the channels and the generator feeding each.
	// Default: DefaultScenarios() (deploy, exports, metrics, logs, quiet,
	// firehose, flaky).
	Scenarios []Scenario

	// Seed makes the scenarios deterministic: the same Seed and the same
	// clock steps give the same events. Default 0, itself a fixed seed, so
	// the demo plays the same way every run.
	Seed uint64

	// Heartbeat is the interval between ": heartbeat" comments sent to
	// every subscriber. Default 15 s; negative disables heartbeats.
	Heartbeat time.Duration

	// Retry is the reconnection delay sent as "retry:" on every new
	// connection (SetRetry changes it per channel). Default 3 s.
	Retry time.Duration

	// RingSize is how many events each channel keeps for resuming
	// clients whatever their age (HistoryBytes permitting). Default 1000,
	// at most MaxRingSize.
	RingSize int

	// History keeps, beyond RingSize, every event published this
	// recently (HistoryBytes permitting), so that a client reconnecting
	// within it misses nothing whatever the channel's rate: the firehose
	// at 1000 events/s keeps 60 000. Default 1 min; negative: RingSize
	// only. A client older than the history gets a "lost" notice.
	History time.Duration

	// HistoryBytes caps the memory of each channel's history (encoded
	// events plus 64 bytes each); the oldest events go first. Default
	// 32 MiB, which holds a minute of the firehose up to about 3000
	// events/s.
	HistoryBytes int64

	// QueueSize is the most events a subscriber is given in one write.
	// Each subscriber reads the history from its own cursor at its own
	// pace; one that falls behind the history is told with a "lost"
	// event what it missed and goes on from the oldest event kept.
	// Default 64, at most MaxQueueSize.
	QueueSize int

	// MaxSubscribers caps concurrent stream connections over all channels;
	// past it a stream request is answered 503. Default 1000.
	MaxSubscribers int

	// WriteTimeout bounds every write to a subscriber; a subscriber whose
	// write does not complete in time (it stopped reading) is dropped.
	// Measured on the real clock, since it bounds network I/O.
	// Default 10 s.
	WriteTimeout time.Duration

	// ReadHeaderTimeout is the http.Server's ReadHeaderTimeout used by
	// Serve. Default 10 s.
	ReadHeaderTimeout time.Duration

	// MaxHeaderBytes is the http.Server's MaxHeaderBytes used by Serve.
	// Default 16 KiB.
	MaxHeaderBytes int

	// ShutdownTimeout bounds the graceful part of Serve's shutdown and of
	// Close (real clock); connections still open after it are cut.
	// Default 5 s.
	ShutdownTimeout time.Duration

	// Token, when set, is required on every request except GET /healthz,
	// as "Authorization: Bearer <token>" or "?token=<token>" (for the
	// browser's EventSource). Default "": no authentication, and the admin
	// endpoint is accepted from loopback addresses only.
	Token string

	// CORSOrigins lists the origins allowed to read the API from a browser
	// ("*" allows any). Default none: no CORS headers are sent.
	CORSOrigins []string

	// Upstream, when set, serves the channels from elsewhere instead of
	// memory (ssemon-demo --source wires a Redis relay): its Handler
	// answers the streams, /api/channels, /healthz and /metrics. The
	// scenarios run only with PublishScenarios; faults act on in-memory
	// connections only. Default nil: in memory.
	Upstream Upstream

	// PublishScenarios, with Upstream, runs the Scenarios and publishes
	// their events there. Default false.
	PublishScenarios bool

	// Clock drives scenarios, heartbeats and stall timers. Default
	// clock.Real(); tests pass a clock.Fake.
	Clock clock.Clock

	// Logger receives the server's logs. Default: discard.
	Logger *slog.Logger

	// Models configures the model endpoints (POST /v1/chat/completions,
	// /v1/messages, /api/chat). Default: see ModelsConfig.
	Models ModelsConfig
}

// Upstream serves channels kept elsewhere (Config.Upstream).
type Upstream interface {
	// Handler answers GET /api/stream/{channel}, /api/channels, /healthz
	// and /metrics.
	Handler() http.Handler
	// Channels returns the channels served now.
	Channels() []ChannelInfo
	// Publish appends events to channel.
	Publish(ctx context.Context, channel string, events []Event) error
	// Shutdown ends the upstream's streams (Serve's shutdown).
	Shutdown(ctx context.Context) error
}

// Event is one event given to an Upstream.
type Event struct {
	// Type is the event type; "" for the default "message".
	Type string
	// Data is the event's data.
	Data []byte
}

// ErrClosed is returned by Serve when the Server was already closed.
var ErrClosed = errors.New("server: closed")

// ConfigError reports an invalid Config field or scenario file entry.
type ConfigError struct {
	// Field names the offending field, e.g. "RingSize" or "scenarios[2].interval".
	Field string
	// Err says what is wrong with it.
	Err error
}

// Error implements error.
func (e *ConfigError) Error() string { return "server: invalid " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

func configErr(field, format string, args ...any) error {
	return &ConfigError{Field: field, Err: fmt.Errorf(format, args...)}
}

// withDefaults returns a deep copy of c with defaults merged in, or the
// first invalid field.
func (c Config) withDefaults() (Config, error) {
	out := c
	out.Scenarios = nil
	out.CORSOrigins = slices.Clone(c.CORSOrigins)
	src := c.Scenarios
	if len(src) == 0 {
		src = DefaultScenarios()
	}
	seen := make(map[string]bool, len(src))
	for i, sc := range src {
		sc, err := sc.withDefaults(fmt.Sprintf("Scenarios[%d]", i))
		if err != nil {
			return Config{}, err
		}
		if seen[sc.Channel] {
			return Config{}, configErr(fmt.Sprintf("Scenarios[%d].Channel", i), "duplicate channel %q", sc.Channel)
		}
		seen[sc.Channel] = true
		out.Scenarios = append(out.Scenarios, sc)
	}
	if f, err := defaults.Durations(
		defaults.Duration{Name: "Heartbeat", V: &out.Heartbeat, Def: DefaultHeartbeat, Neg: true},
		defaults.Duration{Name: "Retry", V: &out.Retry, Def: DefaultRetry},
		defaults.Duration{Name: "WriteTimeout", V: &out.WriteTimeout, Def: DefaultWriteTimeout},
		defaults.Duration{Name: "ReadHeaderTimeout", V: &out.ReadHeaderTimeout, Def: DefaultReadHeaderTimeout},
		defaults.Duration{Name: "ShutdownTimeout", V: &out.ShutdownTimeout, Def: DefaultShutdownTimeout},
	); err != nil {
		return Config{}, &ConfigError{Field: f, Err: err}
	}
	if out.Retry > MaxFaultDuration {
		return Config{}, configErr("Retry", "%v exceeds %v", out.Retry, MaxFaultDuration)
	}
	if f, err := defaults.Ints(
		defaults.Int{Name: "RingSize", V: &out.RingSize, Def: DefaultRingSize, Max: MaxRingSize},
		defaults.Int{Name: "QueueSize", V: &out.QueueSize, Def: DefaultQueueSize, Max: MaxQueueSize},
		defaults.Int{Name: "MaxSubscribers", V: &out.MaxSubscribers, Def: DefaultMaxSubscribers, Max: 1 << 30},
		defaults.Int{Name: "MaxHeaderBytes", V: &out.MaxHeaderBytes, Def: DefaultMaxHeaderBytes, Max: 1 << 30},
	); err != nil {
		return Config{}, &ConfigError{Field: f, Err: err}
	}
	if strings.TrimSpace(out.Token) != out.Token || strings.ContainsAny(out.Token, "\r\n") {
		return Config{}, configErr("Token", "must not contain whitespace at its ends or line breaks")
	}
	for i, o := range out.CORSOrigins {
		if o == "" || strings.ContainsAny(o, " \t\r\n,") {
			return Config{}, configErr(fmt.Sprintf("CORSOrigins[%d]", i), "invalid origin %q", o)
		}
		out.CORSOrigins[i] = strings.TrimRight(o, "/")
	}
	if out.Upstream == nil && out.PublishScenarios {
		return Config{}, configErr("PublishScenarios", "needs an Upstream")
	}
	switch {
	case out.History == 0:
		out.History = DefaultHistory
	case out.History > 24*time.Hour:
		return Config{}, configErr("History", "%v exceeds 24h", out.History)
	}
	switch {
	case out.HistoryBytes == 0:
		out.HistoryBytes = DefaultHistoryBytes
	case out.HistoryBytes < 1<<10:
		return Config{}, configErr("HistoryBytes", "%d is less than 1 KiB", out.HistoryBytes)
	}
	if out.Clock == nil {
		out.Clock = clock.Real()
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	return out, nil
}
