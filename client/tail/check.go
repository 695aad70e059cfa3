package tail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/doctor"
)

// CheckOptions are the flags of the stream doctor (--check).
type CheckOptions struct {
	// Enabled runs the stream doctor on the one URL instead of watching.
	Enabled bool
	// For is how long the doctor watches the stream (0:
	// doctor.DefaultWatch, 20 s).
	For time.Duration
	// Origin, when set, is sent as Origin and CORS is checked.
	Origin string
}

// register adds the doctor's flags to fs.
func (c *CheckOptions) register(f *flagSet) {
	f.Bool(&c.Enabled, "check")
	f.Duration(&c.For, "check-for")
	f.String(&c.Origin, "origin")
}

// validate checks the doctor's flags against the rest of the command line.
func (c *CheckOptions) validate(o *Options) error {
	if !c.Enabled {
		if c.For != 0 || c.Origin != "" {
			return usagef("--check-for and --origin go with --check")
		}
		return nil
	}
	switch {
	case c.For < 0:
		return usagef("--check-for must not be negative")
	case c.For > doctor.MaxWatch:
		return usagef("--check-for is at most %s", doctor.MaxWatch)
	case o.Play != "" || o.Record != "":
		return usagef("--check examines a live stream; it takes no --play or --record")
	case len(o.Targets) != 1:
		return usagef("--check examines one stream: give exactly one URL (%d given)", len(o.Targets))
	}
	return nil
}

// runCheck runs the stream doctor on the one target and prints its
// report: human text, or one JSON object with --json. The exit code is
// ExitFailed when a finding is an error, else ExitOK.
func runCheck(ctx context.Context, opts *Options, env Env) int {
	t := opts.Targets[0]
	cfg := doctor.Config{
		Stream: client.StreamConfig{
			URL: t.URL, Method: t.Method, Headers: t.Headers, Body: t.Body, LastEventID: t.LastEventID,
			CAFile: t.CAFile, Insecure: t.Insecure, MaxRedirects: t.MaxRedirects, Transport: env.Transport,
		},
		Watch:  opts.Check.For,
		Origin: opts.Check.Origin,
		Clock:  env.Clock,
		Logger: env.Logger,
	}
	watch := cfg.Watch
	if watch == 0 {
		watch = doctor.DefaultWatch
	}
	fmt.Fprintf(env.Stderr, "%s: examining %s for about %s…\n", Tool, t.Name, watch)
	rep, err := doctor.Run(ctx, cfg)
	var ce *doctor.ConfigError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(env.Stderr, "%s: %s\n", Tool, oneLine(err.Error(), 400))
		return ExitUsage
	case err != nil && ctx.Err() != nil:
		return ExitInterrupted
	}
	if opts.JSON {
		err = json.NewEncoder(env.Stdout).Encode(rep)
	} else {
		err = rep.WriteText(env.Stdout)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: output: %v\n", Tool, err)
		return ExitIO
	}
	if rep.Worst() == doctor.Error {
		return ExitFailed
	}
	return ExitOK
}
