package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/cmd/ssemon-chaos/internal/hostile"
)

// HostileConfig configures RunHostile. Zero fields take the default
// written next to them.
type HostileConfig struct {
	// Only runs the cases with these names; empty runs every case.
	Only []string
	// ConnectTimeout is the channels' connect timeout (it ends the
	// no-headers case). Default 1 s.
	ConnectTimeout time.Duration
	// Wait bounds the wait for each case's expected state. Default 30 s.
	Wait time.Duration
	// Logger receives the monitor's logs. Default: discard.
	Logger *slog.Logger
}

// HostileResult is what the monitor showed for one hostile case.
type HostileResult struct {
	// Case and Sends name and describe the case.
	Case, Sends string
	// State is the channel's state when the expectation was met (or at
	// the deadline).
	State client.State
	// Err is the status error; ErrType its dynamic type.
	Err error
	// ErrType is Err's type, e.g. "*client.HTTPError".
	ErrType string
	// Detail is the status detail line the user reads.
	Detail string
	// Shown is the time from adding the channel to the expected state.
	Shown time.Duration
	// Heap is the peak growth of this process's in-use heap during the case.
	Heap int64
	// Leftover counts goroutines still running after the monitor closed,
	// over the count before the case.
	Leftover int
	// SnapshotMax is the longest Manager.Snapshots call during the case
	// (the UI's refresh): the app stays responsive while it is short.
	SnapshotMax time.Duration
	// ServerBytes is what the hostile server wrote; Requests how many
	// requests it got.
	ServerBytes int64
	// Requests counts the requests the server got for the case.
	Requests int
	// Note is a case-specific observation (events, comments, evictions…).
	Note string
	// Problem is empty when the monitor showed what it should.
	Problem string
}

// expectation is what the monitor must show for one case.
type expectation struct {
	state client.State
	// check returns "" when the snapshot (and the server's stats) show what
	// they should, else what is missing.
	check func(s client.Snapshot, st hostile.Stats) string
	note  func(s client.Snapshot, st hostile.Stats) string
}

func errIs[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}

func wantHTTP(code int) func(client.Snapshot, hostile.Stats) string {
	return func(s client.Snapshot, _ hostile.Stats) string {
		if he, ok := errIs[*client.HTTPError](s.Status.Err); !ok || he.Status != code {
			return fmt.Sprintf("want HTTP %d error, got %v", code, s.Status.Err)
		}
		return ""
	}
}

// wantSkipping expects an oversized event reported while it is being
// skipped, the connection open.
func wantSkipping(s client.Snapshot, _ hostile.Stats) string {
	if s.Stats.Oversized < 1 || s.Stats.Skipping <= 0 {
		return fmt.Sprintf("want an oversized event being skipped, got %d oversized, %d bytes skipping", s.Stats.Oversized, s.Stats.Skipping)
	}
	return ""
}

func retryDelay(s client.Snapshot) time.Duration { return s.Status.NextAttempt.Sub(s.Status.Since) }

// expectations is the policy the monitor must follow, per case.
func expectations() map[string]expectation {
	noteEvents := func(s client.Snapshot, st hostile.Stats) string {
		return fmt.Sprintf("%d events, %d comments", s.Stats.Events, s.Stats.Comments)
	}
	return map[string]expectation{
		"huge-line":     {state: client.Open, check: wantSkipping},
		"no-blank-line": {state: client.Open, check: wantSkipping},
		"invalid-utf8": {state: client.Open, check: func(s client.Snapshot, _ hostile.Stats) string {
			if s.Stats.Events < 2 {
				return "want 2 events"
			}
			return ""
		}, note: noteEvents},
		"control-ids": {state: client.Open, check: func(s client.Snapshot, st hostile.Stats) string {
			if st.Requests < 2 {
				return "want a reconnection"
			}
			for _, id := range st.LastEventIDs {
				if strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
					return fmt.Sprintf("a request carried Last-Event-ID %q", id)
				}
			}
			// The resume point could not be sent: the user is told.
			if !strings.Contains(s.Status.Detail, "without Last-Event-ID") {
				return fmt.Sprintf("open detail %q does not say the resume point was not sent", s.Status.Detail)
			}
			return ""
		}, note: func(s client.Snapshot, st hostile.Stats) string {
			return fmt.Sprintf("last id %q; Last-Event-ID sent on reconnects: %q", s.Stats.LastEventID, st.LastEventIDs[1:])
		}},
		"html": {state: client.Failed, check: func(s client.Snapshot, _ hostile.Stats) string {
			if _, ok := errIs[*client.ContentTypeError](s.Status.Err); !ok {
				return fmt.Sprintf("want a Content-Type error, got %v", s.Status.Err)
			}
			if s.Stats.Events != 0 {
				return "the HTML page was parsed as events"
			}
			return ""
		}},
		"status-401": {state: client.Failed, check: wantHTTP(401)},
		"status-403": {state: client.Failed, check: wantHTTP(403)},
		"status-404": {state: client.Failed, check: wantHTTP(404)},
		"status-500": {state: client.Retrying, check: wantHTTP(500)},
		"status-503": {state: client.Retrying, check: func(s client.Snapshot, st hostile.Stats) string {
			if p := wantHTTP(503)(s, st); p != "" {
				return p
			}
			if d := retryDelay(s); d < 2*time.Second {
				return fmt.Sprintf("next attempt in %v, before Retry-After (2s)", d)
			}
			return ""
		}, note: func(s client.Snapshot, _ hostile.Stats) string {
			return "next attempt in " + retryDelay(s).Round(time.Millisecond).String()
		}},
		"status-204": {state: client.Closed, check: func(s client.Snapshot, _ hostile.Stats) string {
			if s.Status.HTTPStatus != 204 {
				return fmt.Sprintf("want status 204, got %d", s.Status.HTTPStatus)
			}
			return ""
		}},
		"redirect-loop": {state: client.Failed, check: func(s client.Snapshot, _ hostile.Stats) string {
			if _, ok := errIs[*client.RedirectError](s.Status.Err); !ok {
				return fmt.Sprintf("want a redirect error, got %v", s.Status.Err)
			}
			return ""
		}},
		"no-headers": {state: client.Retrying, check: func(s client.Snapshot, _ hostile.Stats) string {
			if _, ok := errIs[*client.TimeoutError](s.Status.Err); !ok {
				return fmt.Sprintf("want a connect timeout, got %v", s.Status.Err)
			}
			return ""
		}},
		// The stream's transport refuses headers past
		// client.MaxResponseHeaderBytes (a connection error); on a slow
		// machine the connect timeout may end it first.
		"huge-header": {state: client.Retrying, check: func(s client.Snapshot, _ hostile.Stats) string {
			_, ce := errIs[*client.ConnectError](s.Status.Err)
			_, te := errIs[*client.TimeoutError](s.Status.Err)
			if !ce && !te {
				return fmt.Sprintf("want a connection error or a connect timeout, got %v", s.Status.Err)
			}
			return ""
		}},
		"retry-zero": {state: client.Retrying, check: func(s client.Snapshot, _ hostile.Stats) string {
			if s.Status.Retry != 0 {
				return fmt.Sprintf("retry in effect %v, want the server's 0", s.Status.Retry)
			}
			// NextAttempt and Since are two clock reads: allow their distance.
			if d := retryDelay(s); d < client.DefaultMinRetry-5*time.Millisecond {
				return fmt.Sprintf("next attempt in %v, under the %v floor", d, client.DefaultMinRetry)
			}
			return ""
		}, note: func(s client.Snapshot, st hostile.Stats) string {
			return "next attempt in " + retryDelay(s).Round(time.Millisecond).String()
		}},
		"retry-huge": {state: client.Retrying, check: func(s client.Snapshot, _ hostile.Stats) string {
			if d := retryDelay(s); d > client.MaxRetryAfter || d < client.MaxRetryAfter-time.Minute {
				return fmt.Sprintf("next attempt in %v, want the %v cap", d, client.MaxRetryAfter)
			}
			return ""
		}, note: func(s client.Snapshot, _ hostile.Stats) string {
			return "next attempt in " + retryDelay(s).Round(time.Second).String()
		}},
		"comment-flood": {state: client.Open, check: func(s client.Snapshot, _ hostile.Stats) string {
			if s.Stats.Evicted == 0 {
				return "want the log full and evicting"
			}
			if s.Len > client.DefaultRingSize {
				return fmt.Sprintf("log holds %d records, over its cap %d", s.Len, client.DefaultRingSize)
			}
			return ""
		}, note: func(s client.Snapshot, _ hostile.Stats) string {
			return fmt.Sprintf("%d comments, log %d records, %d evicted", s.Stats.Comments, s.Len, s.Stats.Evicted)
		}},
	}
}

// RunHostile serves the hostile cases on a loopback port and points a
// monitor (a client.Manager with default caps) at each in turn.
func RunHostile(ctx context.Context, cfg HostileConfig) ([]HostileResult, error) {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = time.Second
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	hs := hostile.New(hostile.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: hs.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	exp := expectations()
	var out []HostileResult
	for _, c := range hostile.Cases() {
		if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, c.Name) {
			continue
		}
		r := runHostileCase(ctx, cfg, hs, base, c, exp[c.Name])
		out = append(out, r)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	return out, nil
}

func runHostileCase(ctx context.Context, cfg HostileConfig, hs *hostile.Server, base string, c hostile.Case, want expectation) HostileResult {
	res := HostileResult{Case: c.Name, Sends: c.Sends}
	goroutines := runtime.NumGoroutine()
	heap := StartHeapSampler(0)
	m := client.NewManager(client.ManagerConfig{
		Logger:   cfg.Logger,
		Defaults: client.ChannelConfig{ConnectTimeout: cfg.ConnectTimeout},
	})
	// The UI's refresh: snapshots every 10 ms, timed.
	stopSnap := make(chan struct{})
	var snapWG sync.WaitGroup
	var snapMax time.Duration
	snapWG.Add(1)
	go func() {
		defer snapWG.Done()
		var buf []client.Snapshot
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopSnap:
				return
			case <-t.C:
				start := time.Now()
				buf = m.Snapshots(buf)
				snapMax = max(snapMax, time.Since(start))
			}
		}
	}()

	start := time.Now()
	ch, err := m.Add(client.ChannelConfig{Name: c.Name, URL: base + c.Path})
	var snap client.Snapshot
	if err != nil {
		res.Problem = err.Error()
	} else {
		deadline := time.NewTimer(cfg.Wait)
		poll := time.NewTicker(20 * time.Millisecond) // server stats move without a channel change
	wait:
		for {
			snap = ch.Snapshot()
			if snap.Status.State == want.state && want.check(snap, hs.Stats(c.Name)) == "" {
				res.Shown = time.Since(start)
				break
			}
			select {
			case <-ctx.Done():
				break wait
			case <-deadline.C:
				res.Problem = fmt.Sprintf("after %v: state %v (%v), want %v", cfg.Wait, snap.Status.State, snap.Status.Err, want.state)
				if p := want.check(snap, hs.Stats(c.Name)); p != "" && snap.Status.State == want.state {
					res.Problem = p
				}
				break wait
			case <-ch.Changed():
			case <-poll.C:
			}
		}
		deadline.Stop()
		poll.Stop()
	}
	_ = m.Close()
	close(stopSnap)
	snapWG.Wait()
	res.Heap = heap.Stop()
	res.SnapshotMax = snapMax

	res.State, res.Err, res.Detail = snap.Status.State, snap.Status.Err, snap.Status.Detail
	if res.Err != nil {
		res.ErrType = fmt.Sprintf("%T", res.Err)
	}
	st := hs.Stats(c.Name)
	if want.note != nil && res.Problem == "" {
		res.Note = want.note(snap, st)
	}
	// The hostile handler ends once it notices the client left.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res.Leftover = max(WaitGoroutines(wctx, goroutines)-goroutines, 0)
	st = hs.Stats(c.Name)
	res.ServerBytes, res.Requests = st.BytesWritten, st.Requests
	return res
}
