package doctor

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client/clock"
)

// ConfigError reports a Config that cannot be run.
type ConfigError struct {
	// Field names the Config field at fault.
	Field string
	// Msg says what is wrong with it.
	Msg string
	// Err is the cause, if any.
	Err error
}

func (e *ConfigError) Error() string {
	s := "doctor: " + e.Field + " " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// doctor is one Run's state.
type doctor struct {
	cfg          Config
	clk          clock.Clock
	rt           http.RoundTripper
	maxRedirects int
}

// Run examines the stream of cfg and returns the report: it watches one
// connection for cfg.Watch, meanwhile opens the concurrent connections of
// the busy loop check, then opens and abandons the teardown connections,
// pauses, and reconnects once with the last event ID it saw.
//
// Every failure of the stream is a finding, not an error: Run returns an
// error only for a Config it cannot run (*ConfigError) or when ctx ends
// first (the report then holds what was checked so far).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	u, err := url.Parse(cfg.Stream.URL)
	switch {
	case err != nil:
		return nil, &ConfigError{Field: "URL", Msg: "cannot be parsed", Err: err}
	case !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https"):
		return nil, &ConfigError{Field: "URL", Msg: fmt.Sprintf("%q: want an http or https URL", cfg.Stream.URL)}
	case u.Host == "":
		return nil, &ConfigError{Field: "URL", Msg: fmt.Sprintf("%q has no host", cfg.Stream.URL)}
	}
	d := &doctor{cfg: cfg, clk: cfg.Clock, maxRedirects: cfg.Stream.MaxRedirects}
	if d.maxRedirects == 0 {
		d.maxRedirects = 10
	}
	d.maxRedirects = max(d.maxRedirects, 0)
	switch {
	case cfg.Stream.HTTPClient != nil && cfg.Stream.HTTPClient.Transport != nil:
		d.rt = cfg.Stream.HTTPClient.Transport
	case cfg.Stream.Transport != nil:
		d.rt = cfg.Stream.Transport
	default:
		tr, err := transport(cfg)
		if err != nil {
			return nil, err
		}
		defer tr.CloseIdleConnections()
		d.rt = tr
	}
	rep := &Report{URL: redact(u), Method: cfg.Stream.Method, Started: d.clk.Now(), Watch: cfg.Watch}
	o := d.observe(ctx)
	rep.Findings = analyze(o)
	if !o.main.stream() {
		rep.Watch = 0 // nothing was watched
	}
	rep.Duration = d.clk.Now().Sub(rep.Started)
	return rep, ctx.Err()
}

// observation is everything the checks judge.
type observation struct {
	cfg       Config
	main      *conn
	side      []*conn // the concurrent connections, 2nd first
	abandoned []*conn
	pause     time.Duration // before the resume connection
	resume    *conn         // nil when not attempted
}

func (d *doctor) observe(ctx context.Context) *observation {
	cfg := d.cfg
	o := &observation{cfg: cfg}
	d.cfg.Logger.Debug("doctor: start", "url", cfg.Stream.URL, "watch", cfg.Watch)
	headerWait := cfg.Watch
	if cfg.Stream.ConnectTimeout > 0 {
		headerWait = cfg.Stream.ConnectTimeout
	}
	o.main = d.start(ctx, "first", cfg.Stream.LastEventID, headerWait, cfg.Watch, untilWindow)
	<-o.main.headersDone
	// Side connections wait for headers SideWait, or longer when the
	// first one itself was slow (a loaded network or machine is not a
	// busy server loop): four times its time plus a second.
	sideWait := max(cfg.SideWait, 4*o.main.ttfb()+time.Second)
	if o.main.stream() && cfg.Concurrent > 1 {
		for i := 2; i <= cfg.Concurrent; i++ {
			o.side = append(o.side, d.start(ctx, ordinal(i), "", sideWait, cfg.SideWait, 1))
		}
	}
	for _, c := range o.side {
		<-c.done
	}
	<-o.main.done
	if !o.main.stream() || ctx.Err() != nil {
		return o
	}
	if cfg.Abandon > 0 {
		d.cfg.Logger.Debug("doctor: abandoning connections", "n", cfg.Abandon)
		for range cfg.Abandon {
			o.abandoned = append(o.abandoned, d.start(ctx, "abandoned", "", sideWait, cfg.SideWait, untilHeaders))
		}
		for _, c := range o.abandoned {
			<-c.done
		}
	}
	o.pause = cfg.ResumePause
	if o.pause == 0 {
		o.pause = min(medianGap(o.main.sc.events)*3/2, MaxResumePause)
	}
	if o.pause > 0 {
		t := d.clk.NewTimer(o.pause)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			return o
		}
	}
	d.cfg.Logger.Debug("doctor: reconnecting", "lastEventId", o.main.sc.lastID)
	o.resume = d.start(ctx, "resume", o.main.sc.lastID, headerWait, cfg.ResumeWindow, 3)
	<-o.resume.done
	return o
}

// medianGap is the median time between consecutive events (0 with fewer
// than two).
func medianGap(ev []event) time.Duration {
	if len(ev) < 2 {
		return 0
	}
	gaps := make([]time.Duration, 0, len(ev)-1)
	for i := 1; i < len(ev); i++ {
		gaps = append(gaps, ev[i].At.Sub(ev[i-1].At))
	}
	return median(gaps)
}

func ordinal(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return fmt.Sprintf("%dth", n)
	case n%10 == 1:
		return fmt.Sprintf("%dst", n)
	case n%10 == 2:
		return fmt.Sprintf("%dnd", n)
	case n%10 == 3:
		return fmt.Sprintf("%drd", n)
	}
	return fmt.Sprintf("%dth", n)
}

// redact returns u without user info or query values (which may hold
// credentials); "?…" marks a removed query.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	q := c.RawQuery != ""
	c.RawQuery = ""
	if q {
		return c.String() + "?…"
	}
	return c.String()
}
