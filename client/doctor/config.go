package doctor

import (
	"log/slog"
	"slices"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
)

// Defaults of Config.
const (
	// DefaultWatch is the default Config.Watch.
	DefaultWatch = 20 * time.Second
	// DefaultResumeWindow is the default Config.ResumeWindow.
	DefaultResumeWindow = 5 * time.Second
	// MaxResumePause caps the pause before the deliberate reconnect.
	MaxResumePause = 5 * time.Second
	// DefaultConcurrent is the default Config.Concurrent.
	DefaultConcurrent = 10
	// DefaultAbandon is the default Config.Abandon.
	DefaultAbandon = 50
	// MaxConcurrent caps Config.Concurrent.
	MaxConcurrent = 100
	// MaxAbandon caps Config.Abandon.
	MaxAbandon = 500
	// MaxWatch caps Config.Watch.
	MaxWatch = time.Hour
	// DefaultSideWait is the default Config.SideWait.
	DefaultSideWait = 5 * time.Second
)

// Config says what to examine and how. The zero value of every field but
// Stream.URL selects the default written next to it. Run copies it.
type Config struct {
	// Stream is the request: URL (required), Method ("" GET), Headers,
	// Body, LastEventID (sent on the first connection), CAFile, Insecure,
	// MaxRedirects, ConnectTimeout (the longest wait for response headers;
	// 0: Watch), and Transport or HTTPClient (tests, or a shared
	// transport). Its other fields (retry, stall, clock) do not apply:
	// the doctor makes its own connections and never retries.
	Stream client.StreamConfig

	// Watch is how long the first connection is watched once its
	// response headers arrived. It also bounds the wait for the headers
	// unless Stream.ConnectTimeout is set: a response held longer is
	// reported as held. 0 means
	// DefaultWatch (20 s); at most MaxWatch.
	Watch time.Duration
	// ResumeWindow bounds the watch of the deliberate second connection
	// (it ends sooner after three events). 0 means DefaultResumeWindow
	// (5 s) or Watch if shorter.
	ResumeWindow time.Duration
	// ResumePause is the wait between the end of the first connection
	// and the deliberate reconnect, so that the server publishes while
	// the doctor is away and a replay can be seen. 0 means one and a half
	// times the median gap between events, at most MaxResumePause;
	// negative means no pause.
	ResumePause time.Duration
	// Concurrent is how many connections are open at once for the busy
	// loop check (the first one included): the doctor compares the 2nd
	// and the last with the first. 0 means DefaultConcurrent (10) for a
	// GET, none for another method (repeating a POST may cost or change
	// something); negative skips the check. At most MaxConcurrent.
	Concurrent int
	// Abandon is how many connections are opened and abandoned for the
	// teardown check. 0 means DefaultAbandon (50) for a GET, none for
	// another method; negative skips the check. At most MaxAbandon.
	Abandon int
	// SideWait bounds how long each side connection (busy loop and
	// teardown checks) waits for headers and a first event. 0 means
	// DefaultSideWait (5 s) or Watch if shorter.
	SideWait time.Duration
	// Origin, when set, is sent as the Origin header and the response's
	// CORS headers are checked against it. "" skips the CORS check.
	Origin string
	// LongLine is the line length above which a line counts as very
	// long. 0 means DefaultLongLine (32 KiB).
	LongLine int

	// Clock times the watch windows and the pauses, and stamps arrivals.
	// nil means clock.Real().
	Clock clock.Clock
	// Logger receives the doctor's progress at Debug level. nil discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	c.Stream.Headers = c.Stream.Headers.Clone()
	c.Stream.Body = slices.Clone(c.Stream.Body)
	if c.Watch <= 0 {
		c.Watch = DefaultWatch
	}
	c.Watch = min(c.Watch, MaxWatch)
	if c.ResumeWindow <= 0 {
		c.ResumeWindow = min(DefaultResumeWindow, c.Watch)
	}
	c.ResumeWindow = min(c.ResumeWindow, MaxWatch)
	if c.SideWait <= 0 {
		c.SideWait = min(DefaultSideWait, c.Watch)
	}
	c.SideWait = min(c.SideWait, MaxWatch)
	if c.Stream.Method == "" {
		c.Stream.Method = "GET"
	}
	if c.Concurrent == 0 {
		c.Concurrent = DefaultConcurrent
		if c.Stream.Method != "GET" {
			c.Concurrent = -1
		}
	}
	c.Concurrent = min(c.Concurrent, MaxConcurrent)
	if c.Abandon == 0 {
		c.Abandon = DefaultAbandon
		if c.Stream.Method != "GET" {
			c.Abandon = -1
		}
	}
	c.Abandon = min(c.Abandon, MaxAbandon)
	if c.LongLine <= 0 {
		c.LongLine = DefaultLongLine
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
