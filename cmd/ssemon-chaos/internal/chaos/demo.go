package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ScenarioSpec is one entry of a demo server scenario file (see
// docs/demo-server.md); empty fields take the server's defaults.
type ScenarioSpec struct {
	Channel    string   `json:"channel"`
	Scenario   string   `json:"scenario"`
	Interval   string   `json:"interval,omitempty"`
	Rate       int      `json:"rate,omitempty"`
	DropEvery  string   `json:"drop_every,omitempty"`
	StallEvery string   `json:"stall_every,omitempty"`
	StallFor   string   `json:"stall_for,omitempty"`
	RetryEvery string   `json:"retry_every,omitempty"`
	RetryCycle []string `json:"retry_cycle,omitempty"`
}

// DemoConfig configures a demo server child process.
type DemoConfig struct {
	// Bin is the ssemon-demo binary. Required.
	Bin string
	// Addr is the 127.0.0.1 host:port to listen on, kept across restarts.
	// Default: a free port.
	Addr string
	// Scenarios, when set, are written to a scenario file passed with
	// --scenarios. Default: the built-in channel set.
	Scenarios []ScenarioSpec
	// Args are extra flags (--retry, --ring, --heartbeat, ...).
	Args []string
	// Dir holds the scenario file. Default: a new temporary directory,
	// removed by Stop.
	Dir string
	// Stderr receives the server's logs. Default: discarded.
	Stderr io.Writer
	// StartTimeout bounds the wait for /healthz. Default 30 s.
	StartTimeout time.Duration
}

// Demo is an ssemon-demo child process on a fixed loopback port.
type Demo struct {
	cfg     DemoConfig
	args    []string
	tempDir string
	client  *http.Client

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// FreePort returns a 127.0.0.1 address with a port free right now.
func FreePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// StartDemo starts the child and waits until it answers /healthz.
func StartDemo(ctx context.Context, cfg DemoConfig) (*Demo, error) {
	if cfg.Bin == "" {
		return nil, errors.New("chaos: DemoConfig.Bin is required")
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	d := &Demo{cfg: cfg, client: &http.Client{Timeout: 10 * time.Second}}
	if d.cfg.Addr == "" {
		addr, err := FreePort()
		if err != nil {
			return nil, err
		}
		d.cfg.Addr = addr
	}
	d.args = []string{"--listen", d.cfg.Addr, "--log-level", "warn"}
	if len(cfg.Scenarios) > 0 {
		dir := cfg.Dir
		if dir == "" {
			var err error
			if dir, err = os.MkdirTemp("", "ssemon-chaos-demo"); err != nil {
				return nil, err
			}
			d.tempDir = dir
		}
		b, err := json.Marshal(map[string]any{"scenarios": cfg.Scenarios})
		if err != nil {
			return nil, err
		}
		file := filepath.Join(dir, "scenarios.json")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			return nil, err
		}
		d.args = append(d.args, "--scenarios", file)
	}
	d.args = append(d.args, cfg.Args...)
	if err := d.Start(ctx); err != nil {
		d.cleanup()
		return nil, err
	}
	return d, nil
}

// Start starts the process (again, after Kill or Stop) on the same address
// and waits until it answers /healthz. Extra flags are added to the
// configured ones for this start only (a later flag wins).
func (d *Demo) Start(ctx context.Context, extra ...string) error {
	cmd := exec.Command(d.cfg.Bin, append(slices.Clone(d.args), extra...)...)
	cmd.Stdout = io.Discard
	cmd.Stderr = d.cfg.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	d.mu.Lock()
	d.cmd, d.exited = cmd, exited
	d.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, d.cfg.StartTimeout)
	defer cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.Base()+"/healthz", nil)
		if resp, err := d.client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("chaos: ssemon-demo exited at start (%v)", cmd.ProcessState)
		case <-ctx.Done():
			_ = d.Kill()
			return fmt.Errorf("chaos: ssemon-demo did not answer /healthz on %s: %w", d.cfg.Addr, ctx.Err())
		case <-t.C:
		}
	}
}

// Kill sends SIGKILL and waits for the process to end.
func (d *Demo) Kill() error { return d.signal(syscall.SIGKILL, 0) }

// Stop sends SIGTERM, waits up to 10 s (then kills) and removes the
// temporary directory.
func (d *Demo) Stop() error {
	err := d.signal(syscall.SIGTERM, 10*time.Second)
	d.cleanup()
	return err
}

func (d *Demo) cleanup() {
	if d.tempDir != "" {
		_ = os.RemoveAll(d.tempDir)
	}
}

func (d *Demo) signal(sig syscall.Signal, grace time.Duration) error {
	d.mu.Lock()
	cmd, exited := d.cmd, d.exited
	d.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
		return nil
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	if grace > 0 {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-exited:
			return nil
		case <-t.C:
			_ = cmd.Process.Kill()
		}
	}
	<-exited
	return nil
}

// PID returns the process id of the running child (0 when none).
func (d *Demo) PID() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil || d.cmd.Process == nil {
		return 0
	}
	return d.cmd.Process.Pid
}

// Addr returns the host:port the server listens on.
func (d *Demo) Addr() string { return d.cfg.Addr }

// Base returns "http://" + Addr.
func (d *Demo) Base() string { return "http://" + d.cfg.Addr }

// StreamURL returns the stream URL of channel on the server itself.
func (d *Demo) StreamURL(channel string) string { return d.Base() + "/api/stream/" + channel }

// LastID returns the id of the last event published on channel.
func (d *Demo) LastID(ctx context.Context, channel string) (uint64, error) {
	var v struct {
		Channels []struct {
			Name   string `json:"name"`
			LastID string `json:"last_id"`
		} `json:"channels"`
	}
	if err := d.getJSON(ctx, "/api/channels", &v); err != nil {
		return 0, err
	}
	for _, c := range v.Channels {
		if c.Name == channel {
			return strconv.ParseUint(c.LastID, 10, 64)
		}
	}
	return 0, fmt.Errorf("chaos: no channel %q", channel)
}

// getJSON decodes the JSON answer to GET path into v.
func (d *Demo) getJSON(ctx context.Context, path string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.Base()+path, nil)
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// Post sends a form POST to path (e.g. /admin/fault) with extra headers,
// and returns the status and body.
func (d *Demo) Post(ctx context.Context, path string, form url.Values, header http.Header) (int, string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, d.Base()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(b), nil
}
