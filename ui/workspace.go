package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/transcript"
)

// WorkspaceFile is the default workspace's file name, in the "ssemon"
// folder of the user's config directory (os.UserConfigDir: on Linux
// $XDG_CONFIG_HOME or ~/.config).
const WorkspaceFile = "workspace.json"

// DefaultWorkspacePath returns the default workspace file's path.
func DefaultWorkspacePath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no user config directory: %w", err)
	}
	return filepath.Join(dir, "ssemon", WorkspaceFile), nil
}

// workspace is where the channels persist, in every mode: whatever the
// user adds is saved at once (demo and recording channels are not). A
// workspace without a path saves nothing (NoWorkspace, or a file that
// could not be read).
type workspace struct {
	// mu guards pending: changes come from the UI goroutine, the final
	// flush may come from a signal handler's goroutine.
	mu   sync.Mutex
	path string
	// pending is set when a change could not be saved yet.
	pending bool
	configs func() []client.ChannelConfig
	// runs returns the model-stream runs to keep (workspaceruns.go).
	runs func() map[string][]transcript.Transcript
}

// openWorkspace picks the workspace file for the options and adds its
// channels to the manager. Channels that cannot be added are reported in
// the error; the others still start.
func (x *App) openWorkspace() (*workspace, error) {
	ws := &workspace{configs: x.persistentConfigs, runs: x.persistentRuns}
	switch {
	case x.opts.NoWorkspace:
		return ws, nil
	case x.opts.Workspace != "":
		ws.path = x.opts.Workspace
	default:
		p, err := DefaultWorkspacePath()
		if err != nil {
			return ws, err
		}
		ws.path = p
	}
	loaded, err := client.LoadWorkspace(ws.path)
	if errors.Is(err, fs.ErrNotExist) {
		return ws, nil // created on the first change
	}
	if err != nil {
		// Keep the broken file: saving over it would lose what the user
		// may still repair. Changes in this session are not saved.
		bad := ws.path
		ws.path = ""
		return ws, fmt.Errorf("%w (changes in this session will not be saved to %s)", err, bad)
	}
	err = x.addConfigs(loaded.Channels)
	x.restoreRuns(loaded.Runs)
	return ws, err
}

// addConfigs adds channels, renaming those whose name is taken.
func (x *App) addConfigs(cfgs []client.ChannelConfig) error {
	var errs []error
	for _, cfg := range cfgs {
		name := cfg.Name
		for i := 2; ; i++ {
			if _, taken := x.mgr.Get(cfg.Name); !taken {
				break
			}
			cfg.Name = fmt.Sprintf("%s-%d", name, i)
		}
		if _, err := x.mgr.Add(cfg); err != nil {
			errs = append(errs, err)
		}
	}
	x.ws.changed()
	return errors.Join(errs...)
}

// persistentConfigs returns the configurations worth saving: every
// channel except those of the embedded demo server and of recordings.
func (x *App) persistentConfigs() []client.ChannelConfig {
	var out []client.ChannelConfig
	for _, ch := range x.mgr.Channels() {
		cfg := ch.Config()
		if x.isDemoChannel(cfg) || ch.Offline() {
			continue
		}
		out = append(out, cfg)
	}
	return out
}

// changed saves the workspace after a change of channels.
func (w *workspace) changed() {
	if w == nil || w.path == "" {
		return
	}
	w.mu.Lock()
	w.pending = true
	w.mu.Unlock()
	_ = w.flush()
}

// flush saves pending changes.
func (w *workspace) flush() error {
	if w == nil || w.path == "" {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.pending {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(w.path), 0o700); err != nil {
		return fmt.Errorf("save workspace: %w", err)
	}
	if err := client.SaveWorkspace(w.path, &client.Workspace{Channels: w.configs(), Runs: w.runs()}); err != nil {
		return err
	}
	w.pending = false
	return nil
}

// exportWorkspace writes the current channels (demo channels excluded) to path.
func (x *App) exportWorkspace(path string) error {
	return client.SaveWorkspace(path, &client.Workspace{Channels: x.persistentConfigs(), Runs: x.persistentRuns()})
}

// importWorkspace adds the channels of the workspace file at path.
func (x *App) importWorkspace(path string) error {
	loaded, err := client.LoadWorkspace(path)
	if err != nil {
		return err
	}
	return x.addConfigs(loaded.Channels)
}
