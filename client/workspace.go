package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ssemon/ssemon/client/transcript"
)

// WorkspaceVersion is the workspace file format this build reads and writes.
const WorkspaceVersion = 1

// MaxWorkspaceBytes caps the size of a workspace file.
const MaxWorkspaceBytes = 16 << 20

// Workspace is the saved set of channels: the JSON document
// {"version":1,"channels":[ChannelConfig...]} described in docs/workspace.md.
type Workspace struct {
	// Version is WorkspaceVersion.
	Version int `json:"version"`
	// Channels are the channel configurations, in display order. Values
	// may reference ${ENV} variables, which stay unexpanded in the file.
	Channels []ChannelConfig `json:"channels"`
	// Runs are the model-stream runs kept per channel name (see
	// Channel.Transcripts and transcript.History.Saved), so that runs can
	// be compared across sessions. Optional.
	Runs map[string][]transcript.Transcript `json:"runs,omitempty"`
}

// WorkspaceError reports a workspace file that cannot be read or written,
// with the file path and, for syntax and type errors, the line.
type WorkspaceError struct {
	// Path is the file.
	Path string
	// Line is the 1-based line of a JSON error, 0 when unknown.
	Line int
	// Err is the cause.
	Err error
}

// Error returns "workspace <path>[:<line>]: <cause>".
func (e *WorkspaceError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("workspace %s:%d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("workspace %s: %v", e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *WorkspaceError) Unwrap() error { return e.Err }

// LoadWorkspace reads and validates a workspace file: known version, known
// fields only, well-formed channel names (non-empty, unique). URLs and
// variables are checked later, by Manager.Add, so that one bad channel
// does not hide the others.
func LoadWorkspace(path string) (*Workspace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &WorkspaceError{Path: path, Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxWorkspaceBytes+1))
	if err != nil {
		return nil, &WorkspaceError{Path: path, Err: err}
	}
	if len(data) > MaxWorkspaceBytes {
		return nil, &WorkspaceError{Path: path, Err: fmt.Errorf("file is larger than %d bytes", MaxWorkspaceBytes)}
	}
	ws, err := ParseWorkspace(data)
	if err != nil {
		var we *WorkspaceError
		if errors.As(err, &we) {
			we.Path = path
			return nil, we
		}
		return nil, &WorkspaceError{Path: path, Err: err}
	}
	return ws, nil
}

// ParseWorkspace parses the JSON form of a workspace, as LoadWorkspace.
func ParseWorkspace(data []byte) (*Workspace, error) {
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonError(data, err)
	}
	if probe.Version == nil {
		return nil, &WorkspaceError{Err: errors.New(`missing "version" (want 1)`)}
	}
	if *probe.Version != WorkspaceVersion {
		return nil, &WorkspaceError{Err: fmt.Errorf("unsupported version %d (this build reads %d)", *probe.Version, WorkspaceVersion)}
	}
	var ws Workspace
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ws); err != nil {
		return nil, jsonError(data, err)
	}
	seen := make(map[string]int, len(ws.Channels))
	for i := range ws.Channels {
		c := &ws.Channels[i]
		if err := c.validate(); err != nil {
			return nil, &WorkspaceError{Err: fmt.Errorf("channel %d (%q): %w", i+1, c.Name, err)}
		}
		if j, dup := seen[c.Name]; dup {
			return nil, &WorkspaceError{Err: fmt.Errorf("channels %d and %d are both named %q", j+1, i+1, c.Name)}
		}
		seen[c.Name] = i
	}
	return &ws, nil
}

// jsonError locates a JSON error in data.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	line := 0
	if off >= 0 && off <= int64(len(data)) {
		line = 1 + bytes.Count(data[:off], []byte{'\n'})
	}
	return &WorkspaceError{Line: line, Err: err}
}

// SaveWorkspace writes ws to path atomically (a temporary file in the same
// directory, synced, then renamed over path), readable by the owner only
// (0600): a workspace may hold tokens written without ${ENV}.
func SaveWorkspace(path string, ws *Workspace) error {
	out := Workspace{Version: WorkspaceVersion, Channels: ws.Channels, Runs: ws.Runs}
	if out.Channels == nil {
		out.Channels = []ChannelConfig{}
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return &WorkspaceError{Path: path, Err: err}
	}
	data = append(data, '\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return &WorkspaceError{Path: path, Err: err}
	}
	name := tmp.Name()
	fail := func(err error) error {
		_ = tmp.Close()
		_ = os.Remove(name)
		return &WorkspaceError{Path: path, Err: err}
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(name, path); err != nil {
		_ = os.Remove(name)
		return &WorkspaceError{Path: path, Err: err}
	}
	return nil
}
