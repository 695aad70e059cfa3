package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/ring"
)

// DefaultMaxChannels caps the channels of a Manager.
const DefaultMaxChannels = 1000

// Errors of the Manager, wrapped with the channel name.
var (
	// ErrUnknownChannel: no channel has that name.
	ErrUnknownChannel = errors.New("no such channel")
	// ErrDuplicateName: another channel has that name.
	ErrDuplicateName = errors.New("a channel with this name already exists")
	// ErrTooManyChannels: the Manager's MaxChannels is reached.
	ErrTooManyChannels = errors.New("too many channels")
	// ErrManagerClosed: Close was called.
	ErrManagerClosed = errors.New("manager is closed")
	// ErrOffline: the channel is offline (a recording) and cannot be
	// reconfigured.
	ErrOffline = errors.New("channel is offline (a recording)")
)

// Feed supplies an offline channel (see Manager.AddOffline): it calls h's
// methods with the frames and statuses to show, in order, with their
// recorded times, and returns when it has nothing more or ctx is done.
type Feed func(ctx context.Context, h Handler) error

// ManagerConfig configures a Manager. Zero fields select their defaults.
type ManagerConfig struct {
	// Clock drives every channel's timers and timestamps.
	// nil means clock.Real().
	Clock clock.Clock
	// Logger receives the channels' logs, with a "channel" attribute.
	// nil discards.
	Logger *slog.Logger
	// Defaults fills the zero fields of every added channel: Method,
	// Retry, MaxBackoff, StallTimeout, ConnectTimeout, MaxRedirects,
	// CAFile, ring and size caps, progress fields; Headers are prepended;
	// Insecure is or-ed. Name, URL, Body and the other fields are ignored.
	Defaults ChannelConfig
	// LookupEnv resolves ${NAME} references in URLs, header values and
	// bodies. nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// Transport is shared by every channel (CAFile and Insecure are then
	// ignored). nil gives each channel a transport of its own.
	Transport http.RoundTripper
	// MaxChannels caps the number of channels; 0 means
	// DefaultMaxChannels (1000).
	MaxChannels int
}

// Manager runs many channels at once. Its methods are safe for concurrent
// use; Close stops every channel and waits for all their goroutines.
type Manager struct {
	cfg    ManagerConfig
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	list    []*Channel // in order of addition
	byName  map[string]*Channel
	version uint64
	closed  bool
}

// NewManager returns a Manager with no channels.
func NewManager(cfg ManagerConfig) *Manager {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.LookupEnv == nil {
		cfg.LookupEnv = os.LookupEnv
	}
	if cfg.MaxChannels <= 0 {
		cfg.MaxChannels = DefaultMaxChannels
	}
	cfg.Defaults = cfg.Defaults.Clone()
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{cfg: cfg, ctx: ctx, cancel: cancel, byName: make(map[string]*Channel)}
}

// prepared is a validated channel configuration.
type prepared struct {
	raw, eff ChannelConfig
	stream   StreamConfig
}

// prepare validates cfg: name, caps, variables, URL, method, headers,
// CA file. Errors name the channel and wrap a *ConfigError or *EnvError.
func (m *Manager) prepare(cfg ChannelConfig) (prepared, error) {
	p := prepared{raw: cfg.Clone()}
	p.eff = p.raw.withDefaults(m.cfg.Defaults)
	fail := func(err error) (prepared, error) {
		return prepared{}, fmt.Errorf("channel %q: %w", cfg.Name, err)
	}
	if err := p.eff.validate(); err != nil {
		return fail(err)
	}
	exp, err := p.eff.expand(m.cfg.LookupEnv)
	if err != nil {
		return fail(err)
	}
	p.stream = exp.streamConfig()
	p.stream.Clock = m.cfg.Clock
	p.stream.Logger = m.cfg.Logger.With("channel", cfg.Name)
	p.stream.Transport = m.cfg.Transport
	return p, nil
}

// Add validates cfg, adds the channel and starts it (paused if
// cfg.Paused).
func (m *Manager) Add(cfg ChannelConfig) (*Channel, error) {
	p, err := m.prepare(cfg)
	if err != nil {
		return nil, err
	}
	c := newChannel(p.raw, p.eff, m.cfg.Clock)
	st, err := NewStream(p.stream, c)
	if err != nil {
		return nil, fmt.Errorf("channel %q: %w", cfg.Name, err)
	}
	if cfg.Paused {
		st.Pause()
	}
	return m.insert(cfg.Name, c, func() { c.start(m.ctx, st) })
}

// AddOffline adds a channel that never connects, such as one opened from a
// recording: feed supplies everything it shows. cfg's URL, method and
// connection settings are kept for display only (an empty or invalid URL
// is allowed); its name, log caps, type filter and progress fields apply.
//
// feed runs on the channel's own goroutine, the only one that calls the
// channel's Handler methods, with a context that ends on Remove or Close;
// what it fed stays after it returns. The channel's time is the
// recording's: snapshots are taken as of the newest time fed
// (Snapshot.At), its transitions are those fed (Snapshot.History). Pause,
// Resume and Reconnect do nothing to it and Update fails with ErrOffline.
// Err reports feed's error once it returned.
func (m *Manager) AddOffline(cfg ChannelConfig, feed Feed) (*Channel, error) {
	raw := cfg.Clone()
	eff := raw.withDefaults(m.cfg.Defaults)
	if err := eff.validate(); err != nil {
		return nil, fmt.Errorf("channel %q: %w", cfg.Name, err)
	}
	c := newChannel(raw, eff, m.cfg.Clock)
	c.offline = true
	c.hist = ring.New[Transition](HistorySize)
	return m.insert(cfg.Name, c, func() { c.startOffline(m.ctx, feed) })
}

// insert adds c under name, if the manager admits it, and starts it.
func (m *Manager) insert(name string, c *Channel, start func()) (*Channel, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.admit(name); err != nil {
		return nil, err
	}
	m.list = append(m.list, c)
	m.byName[name] = c
	m.version++
	c.lifeMu.Lock()
	start()
	c.lifeMu.Unlock()
	return c, nil
}

// admit checks that a channel called name may be added. Callers hold mu.
func (m *Manager) admit(name string) error {
	switch {
	case m.closed:
		return ErrManagerClosed
	case m.byName[name] != nil:
		return fmt.Errorf("channel %q: %w", name, ErrDuplicateName)
	case len(m.list) >= m.cfg.MaxChannels:
		return fmt.Errorf("channel %q: %w (limit %d)", name, ErrTooManyChannels, m.cfg.MaxChannels)
	}
	return nil
}

// Update replaces the configuration of the channel called name (cfg.Name
// may rename it) and restarts its connection. When the expanded URL is
// unchanged, the log, counters and last event ID are kept; otherwise the
// channel starts afresh from cfg.LastEventID.
func (m *Manager) Update(name string, cfg ChannelConfig) error {
	p, err := m.prepare(cfg)
	if err != nil {
		return err
	}
	m.mu.Lock()
	c := m.byName[name]
	switch {
	case m.closed:
		m.mu.Unlock()
		return ErrManagerClosed
	case c == nil:
		m.mu.Unlock()
		return fmt.Errorf("channel %q: %w", name, ErrUnknownChannel)
	case c.Offline():
		m.mu.Unlock()
		return fmt.Errorf("channel %q: %w", name, ErrOffline)
	case cfg.Name != name && m.byName[cfg.Name] != nil:
		m.mu.Unlock()
		return fmt.Errorf("channel %q: %w", cfg.Name, ErrDuplicateName)
	}
	m.mu.Unlock()
	st, err := NewStream(p.stream, c)
	if err != nil {
		return fmt.Errorf("channel %q: %w", cfg.Name, err)
	}
	m.mu.Lock()
	if m.byName[name] != c || (cfg.Name != name && m.byName[cfg.Name] != nil) {
		m.mu.Unlock()
		return fmt.Errorf("channel %q: changed concurrently, try again", name)
	}
	if cfg.Name != name {
		delete(m.byName, name)
		m.byName[cfg.Name] = c
	}
	m.version++
	m.mu.Unlock()

	c.lifeMu.Lock()
	defer c.lifeMu.Unlock()
	c.stop()
	c.mu.Lock()
	old := c.stream
	sameURL := old != nil && old.cfg.URL == p.stream.URL
	if sameURL {
		if id := old.stoppedLastEventID(); id != "" {
			st.setStoppedLastEventID(id)
		}
		c.reconfigure(p.raw, p.eff)
	} else {
		c.reset(p.raw, p.eff)
	}
	c.mu.Unlock()
	if cfg.Paused {
		st.Pause()
	}
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if !closed && !c.removed {
		c.start(m.ctx, st)
	}
	return nil
}

// Remove stops the channel called name and forgets it.
func (m *Manager) Remove(name string) error {
	m.mu.Lock()
	c := m.byName[name]
	if c == nil {
		m.mu.Unlock()
		return fmt.Errorf("channel %q: %w", name, ErrUnknownChannel)
	}
	delete(m.byName, name)
	for i, x := range m.list {
		if x == c {
			m.list = append(m.list[:i], m.list[i+1:]...)
			break
		}
	}
	m.version++
	m.mu.Unlock()
	c.lifeMu.Lock()
	c.removed = true
	c.stop()
	c.lifeMu.Unlock()
	return nil
}

// Get returns the channel called name.
func (m *Manager) Get(name string) (*Channel, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.byName[name]
	return c, ok
}

// Channels returns the channels in the order they were added.
func (m *Manager) Channels() []*Channel {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Channel(nil), m.list...)
}

// Pause pauses the channel called name.
func (m *Manager) Pause(name string) error { return m.with(name, (*Channel).Pause) }

// Resume resumes the channel called name.
func (m *Manager) Resume(name string) error { return m.with(name, (*Channel).Resume) }

// Reconnect reconnects the channel called name at once.
func (m *Manager) Reconnect(name string) error { return m.with(name, (*Channel).Reconnect) }

func (m *Manager) with(name string, f func(*Channel)) error {
	c, ok := m.Get(name)
	if !ok {
		return fmt.Errorf("channel %q: %w", name, ErrUnknownChannel)
	}
	f(c)
	return nil
}

// Snapshots fills dst with a snapshot of every channel, in order, reusing
// dst's elements and their slices, and returns it.
func (m *Manager) Snapshots(dst []Snapshot) []Snapshot {
	chans := m.Channels()
	dst = dst[:0]
	for i, c := range chans {
		if i < cap(dst) {
			dst = dst[:i+1]
		} else {
			dst = append(dst, Snapshot{})
		}
		c.SnapshotInto(&dst[i])
	}
	return dst
}

// Version changes whenever the set of channels changes (add, remove,
// rename); channel contents have their own Channel.Version.
func (m *Manager) Version() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version
}

// Close stops every channel and waits until all their goroutines ended.
// Later calls do nothing; Add then fails with ErrManagerClosed.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	chans := append([]*Channel(nil), m.list...)
	m.mu.Unlock()
	m.cancel()
	for _, c := range chans {
		c.lifeMu.Lock()
		c.stop()
		c.lifeMu.Unlock()
	}
	return nil
}
