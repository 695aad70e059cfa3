package demoserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/ssemon/ssemon/ui"
)

// processHeartbeat is the heartbeat asked of a child ssemon-demo, as for
// the built-in server.
const processHeartbeat = embeddedHeartbeat

// DemoBinary returns the ssemon-demo next to this executable, else the one
// on PATH.
func DemoBinary() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "ssemon-demo")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("ssemon-demo")
	if err != nil {
		return "", errors.New("ssemon-demo was not found next to ssemon nor on PATH: it serves the demo from " +
			"Redis (ssemon does not link Redis); build it with `make binaries`")
	}
	return p, nil
}

// Process returns a starter of an ssemon-demo child process serving the
// demo scenarios through the Redis at source ("redis://HOST:PORT[/DB]"),
// on 127.0.0.1 and a free port. Faults go through its admin endpoint.
func Process(bin, source string) ui.DemoStarter {
	return func(ctx context.Context) (ui.DemoServer, error) {
		cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--source", source, "--publish-scenarios",
			"--heartbeat", processHeartbeat.String())
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start %s: %w", bin, err)
		}
		p := &process{cmd: cmd, source: source, done: make(chan error, 1), client: &http.Client{Timeout: 10 * time.Second}}
		base := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if m := serving.FindStringSubmatch(sc.Text()); m != nil {
					select {
					case base <- strings.TrimSuffix(m[1], "/"):
					default:
					}
				}
			}
			_, _ = io.Copy(io.Discard, out)
		}()
		go func() { p.done <- cmd.Wait() }()
		select {
		case p.base = <-base:
		case err := <-p.done:
			return nil, fmt.Errorf("%s --source %s exited: %v", bin, source, err)
		case <-ctx.Done():
			p.Close()
			return nil, fmt.Errorf("%s --source %s: no address: %w", bin, source, ctx.Err())
		}
		if err := p.loadChannels(ctx); err != nil {
			p.Close()
			return nil, err
		}
		return p, nil
	}
}

// serving matches ssemon-demo's start line and captures its URL.
var serving = regexp.MustCompile(`^ssemon-demo: (?:serving|relaying Redis streams on) (http://\S+)`)

// process is an ssemon-demo child process.
type process struct {
	cmd      *exec.Cmd
	source   string
	base     string
	client   *http.Client
	channels []ui.DemoChannel
	done     chan error
}

func (p *process) loadChannels(ctx context.Context) error {
	// The scenarios publish their first events within a second; the
	// relay lists a stream once it exists.
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/api/channels", nil)
		resp, err := p.client.Do(req)
		if err == nil {
			var body struct {
				Channels []struct {
					Name, Description, Scenario, Path string
				} `json:"channels"`
			}
			err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
			resp.Body.Close()
			// Streams appear in Redis as the scenarios publish their
			// first events: take the list once it stops growing.
			if err == nil && len(body.Channels) > 0 && len(body.Channels) == len(p.channels) {
				return nil
			}
			if err == nil && len(body.Channels) > len(p.channels) {
				p.channels = p.channels[:0]
				for _, c := range body.Channels {
					p.channels = append(p.channels, ui.DemoChannel{Name: c.Name, Description: c.Description, Scenario: c.Scenario, URL: p.base + c.Path})
				}
			}
		}
		if time.Now().After(deadline) {
			if len(p.channels) > 0 {
				return nil
			}
			return fmt.Errorf("ssemon-demo --source %s lists no channels: %v", p.source, err)
		}
		time.Sleep(1500 * time.Millisecond)
	}
}

func (p *process) Name() string { return "ssemon-demo --source " + p.source }

func (p *process) Channels() []ui.DemoChannel { return p.channels }

func (p *process) Heartbeat() time.Duration { return processHeartbeat }

func (p *process) Models() []ui.DemoModel { return models(p.base) }

// Inject posts the fault to the child's admin endpoint.
func (p *process) Inject(ctx context.Context, f ui.DemoFault) error {
	return postFault(ctx, p.client, p.base, f)
}

// Close stops the child (SIGTERM, then SIGKILL after 5 s) and waits.
func (p *process) Close() error {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	return nil
}
