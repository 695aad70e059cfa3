package client

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSetChartsAndAlertsKeepTheConnection(t *testing.T) {
	m := NewManager(ManagerConfig{})
	defer m.Close()
	ch, err := m.Add(ChannelConfig{Name: "metrics", URL: "http://127.0.0.1:1/x", Paused: true})
	if err != nil {
		t.Fatal(err)
	}
	st := ch.currentStream()
	if err := m.SetCharts("metrics", []string{"cpu", "mem"}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetAlerts("metrics", []string{"cpu > 90 for 30s"}); err != nil {
		t.Fatal(err)
	}
	cfg := ch.Config()
	if !slices.Equal(cfg.Charts, []string{"cpu", "mem"}) || !slices.Equal(cfg.Alerts, []string{"cpu > 90 for 30s"}) {
		t.Errorf("config = %+v", cfg)
	}
	if ch.currentStream() != st {
		t.Error("the stream was replaced")
	}
	if err := m.SetAlerts("nope", nil); !errors.Is(err, ErrUnknownChannel) {
		t.Errorf("unknown channel: %v", err)
	}
	var ce *ConfigError
	if err := m.SetCharts("metrics", make([]string, MaxCharts+1)); !errors.As(err, &ce) || ce.Field != "Charts" {
		t.Errorf("too many charts: %v", err)
	}
	if err := m.SetAlerts("metrics", []string{strings.Repeat("x", MaxWatchTextLen+1)}); !errors.As(err, &ce) || ce.Field != "Alerts" {
		t.Errorf("long rule: %v", err)
	}
	if got := ch.Config().Alerts; len(got) != 1 {
		t.Errorf("a refused change was applied: %v", got)
	}
}

func TestWorkspaceKeepsChartsAndAlerts(t *testing.T) {
	ws, err := ParseWorkspace([]byte(`{"version":1,"channels":[{"name":"m","url":"http://127.0.0.1/x","charts":["cpu","mem.used"],"alerts":["cpu > 90 for 30s","silent 30s"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := ws.Channels[0]
	if !slices.Equal(c.Charts, []string{"cpu", "mem.used"}) || !slices.Equal(c.Alerts, []string{"cpu > 90 for 30s", "silent 30s"}) {
		t.Errorf("channel = %+v", c)
	}
	if _, err := ParseWorkspace([]byte(`{"version":1,"channels":[{"name":"m","url":"http://127.0.0.1/x","alerts":[""]}]}`)); err == nil || !strings.Contains(err.Error(), "Alerts") {
		t.Errorf("empty rule: %v", err)
	}
}
