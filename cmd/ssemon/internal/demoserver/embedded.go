// Package demoserver gives ssemon its demo servers behind ui.DemoServer:
// the demo server built into the binary (package server, in memory), and
// an ssemon-demo child process for the demos this binary does not link
// (a Redis-backed one). Package ui knows only the interface.
package demoserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ssemon/ssemon/server"
	"github.com/ssemon/ssemon/ui"
)

// Embedded demo server settings: heartbeats often enough that the app's
// stall timeout for demo channels stays short, and a flaky channel whose
// own stalls outlast that timeout before its next drop, so the audience
// sees "stalled"; a firehose that sends its 1 000 events a second in 10
// batches, not 100: the window shows it the same (values once a second,
// the log twice), and the server, connection and decoder inside the app
// wake a tenth as often (about 2.5 points of a core less, measured).
const (
	embeddedHeartbeat  = 3 * time.Second
	flakyStallFor      = 15 * time.Second
	flakyDropEvery     = 40 * time.Second
	flakyStallEvery    = 60 * time.Second
	firehoseBatchEvery = 100 * time.Millisecond
)

// EmbeddedConfig returns the demo server configuration ssemon runs
// in-process: the default scenarios, tuned for watching (see the
// constants above), logging to log.
func EmbeddedConfig(log *slog.Logger) server.Config {
	scs := server.DefaultScenarios()
	for i := range scs {
		if scs[i].Kind == server.KindFirehose {
			scs[i].Interval = firehoseBatchEvery
		}
		if scs[i].Kind == server.KindFlaky {
			scs[i].StallFor = flakyStallFor
			scs[i].DropEvery = flakyDropEvery
			scs[i].StallEvery = flakyStallEvery
		}
	}
	return server.Config{
		Scenarios:       scs,
		Heartbeat:       embeddedHeartbeat,
		ShutdownTimeout: time.Second,
		Logger:          log,
	}
}

// Embedded returns a starter of the in-process demo server with cfg, on
// 127.0.0.1 and a free port.
func Embedded(cfg server.Config) ui.DemoStarter {
	return func(context.Context) (ui.DemoServer, error) {
		srv, err := server.New(cfg)
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			srv.Close()
			return nil, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		hb := cfg.Heartbeat
		if hb == 0 {
			hb = server.DefaultHeartbeat
		}
		e := &embedded{srv: srv, base: "http://" + ln.Addr().String(), hb: max(hb, 0), cancel: cancel, done: make(chan error, 1),
			admin: &http.Client{Timeout: 10 * time.Second}}
		go func() { e.done <- srv.Serve(ctx, ln) }()
		return e, nil
	}
}

// embedded is the in-process demo server.
type embedded struct {
	srv    *server.Server
	base   string
	hb     time.Duration
	cancel context.CancelFunc
	done   chan error
	// admin posts the faults of the model endpoints, which the server
	// takes through its admin endpoint only.
	admin *http.Client
}

func (e *embedded) Name() string { return "built-in" }

func (e *embedded) Heartbeat() time.Duration { return e.hb }

func (e *embedded) Channels() []ui.DemoChannel {
	var out []ui.DemoChannel
	for _, ci := range e.srv.Channels() {
		out = append(out, ui.DemoChannel{Name: ci.Name, Description: ci.Description, Scenario: ci.Scenario, URL: e.base + ci.Path})
	}
	return out
}

func (e *embedded) Models() []ui.DemoModel { return models(e.base) }

func (e *embedded) Inject(ctx context.Context, f ui.DemoFault) error {
	if f.Channel == server.ModelsChannel {
		return postFault(ctx, e.admin, e.base, f)
	}
	switch f.Kind {
	case ui.FaultDrop:
		e.srv.Drop(f.Channel)
	case ui.FaultStall:
		e.srv.Stall(f.Channel, f.Duration)
	case ui.FaultBurst:
		e.srv.Burst(f.Channel, f.N)
	case ui.FaultMalformed:
		e.srv.Malformed(f.Channel)
	case ui.FaultRetry:
		e.srv.SetRetry(f.Channel, f.Duration)
	case ui.FaultFailNext:
		e.srv.FailNext(f.Channel, f.Status)
	default:
		return fmt.Errorf("unknown fault %v", f.Kind)
	}
	return nil
}

func (e *embedded) Close() error {
	e.cancel()
	err := <-e.done
	if errors.Is(err, server.ErrClosed) {
		err = nil
	}
	return errors.Join(err, e.srv.Close())
}
