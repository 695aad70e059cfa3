package client

import (
	"fmt"
	"slices"
)

// Caps of ChannelConfig.Charts and ChannelConfig.Alerts.
const (
	// MaxCharts caps the charted fields of a channel.
	MaxCharts = 16
	// MaxAlerts caps the alert rules of a channel.
	MaxAlerts = 32
	// MaxWatchTextLen caps one chart path or alert rule, in bytes.
	MaxWatchTextLen = 300
)

// validateWatch checks the caps of a channel's charts and alerts.
func validateWatch(charts, alerts []string) error {
	for _, f := range []struct {
		field string
		list  []string
		max   int
	}{{"Charts", charts, MaxCharts}, {"Alerts", alerts, MaxAlerts}} {
		if len(f.list) > f.max {
			return &ConfigError{Field: f.field, Msg: fmt.Sprintf("has %d entries, at most %d", len(f.list), f.max)}
		}
		for _, s := range f.list {
			switch {
			case s == "":
				return &ConfigError{Field: f.field, Msg: "has an empty entry"}
			case len(s) > MaxWatchTextLen:
				return &ConfigError{Field: f.field, Msg: fmt.Sprintf("has an entry longer than %d bytes", MaxWatchTextLen)}
			}
		}
	}
	return nil
}

// SetCharts replaces the charted fields of the channel called name,
// without touching its connection.
func (m *Manager) SetCharts(name string, paths []string) error {
	return m.setWatch(name, func(c *ChannelConfig) { c.Charts = slices.Clone(paths) })
}

// SetAlerts replaces the alert rules of the channel called name, without
// touching its connection.
func (m *Manager) SetAlerts(name string, rules []string) error {
	return m.setWatch(name, func(c *ChannelConfig) { c.Alerts = slices.Clone(rules) })
}

func (m *Manager) setWatch(name string, set func(*ChannelConfig)) error {
	c, ok := m.Get(name)
	if !ok {
		return fmt.Errorf("channel %q: %w", name, ErrUnknownChannel)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := c.cfg.Clone()
	set(&cfg)
	if err := validateWatch(cfg.Charts, cfg.Alerts); err != nil {
		return fmt.Errorf("channel %q: %w", name, err)
	}
	c.cfg = cfg
	c.version++
	c.notify()
	return nil
}
