package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ssemon/ssemon/client"
)

// PressureConfig configures RunPressure. Zero fields take the default
// written next to them.
type PressureConfig struct {
	// Demo serves Channel, a firehose stamping its events; its
	// --max-subscribers must exceed Resumes + 1.
	Demo *Demo
	// Channel is the channel the healthy subscriber and the load use.
	// Default "pulse".
	Channel string
	// Abandon is the number of connections opened and abandoned.
	// Default 10 000.
	Abandon int
	// Loris is the number of slow-loris clients. Default 200.
	Loris int
	// Resumes is the number of simultaneous resumes with an old
	// Last-Event-ID. Default 1000.
	Resumes int
	// ResumeBack is how far back the resumes start, in events. Default 900.
	ResumeBack int
	// Phase is the length of the quiet phases. Default 5 s.
	Phase time.Duration
	// LorisHold is how long the slow-loris clients keep sending header
	// lines; past the server's ReadHeaderTimeout (10 s) it cuts them.
	// Default 15 s.
	LorisHold time.Duration
	// Workers bounds the concurrent dials of the abandon phase.
	// Default 64.
	Workers int
}

// PressurePhase is the healthy subscriber's view of one phase.
type PressurePhase struct {
	// Name names the phase.
	Name string
	// Events is the number of events the healthy subscriber got.
	Events int
	// P50, P99 and Max are its publish-to-receive latencies (the payload's
	// millisecond timestamp to the read that completed the event).
	P50, P99, Max time.Duration
	// DemoRSS is the server's peak resident set during the phase.
	DemoRSS int64
	// Took is the phase's length.
	Took time.Duration
	// Note says what the load got (statuses, events, timeouts).
	Note string
}

// PressureResult is the outcome of RunPressure.
type PressureResult struct {
	// Phases in order: baseline, abandon, slow-loris, resumes, after.
	Phases []PressurePhase
	// Gaps and Duplicates are the healthy subscriber's id anomalies.
	Gaps, Duplicates int
	// Reconnects counts the healthy subscriber's reconnections.
	Reconnects int
	// SubscribersAfter is the server's subscriber count at the end (the
	// healthy one: 1).
	SubscribersAfter int
}

// healthy is the subscriber whose latency is measured.
type healthy struct {
	mu         sync.Mutex
	lat        []time.Duration
	last       int64
	gaps, dups int
	opens      int
}

func (h *healthy) HandleFrame(f client.Frame, at time.Time) {
	if f.Kind != client.FrameEvent {
		return
	}
	ts := gjson.Get(f.Event.Data, "timestamp").Int()
	id, _ := strconv.ParseInt(f.Event.ID, 10, 64)
	h.mu.Lock()
	defer h.mu.Unlock()
	if ts > 0 {
		h.lat = append(h.lat, at.Sub(time.UnixMilli(ts)))
	}
	switch {
	case h.last == 0:
	case id > h.last+1:
		h.gaps++
	case id <= h.last:
		h.dups++
	}
	h.last = id
}

func (h *healthy) HandleStatus(s client.Status) {
	if s.State == client.Open {
		h.mu.Lock()
		h.opens++
		h.mu.Unlock()
	}
}

// take returns and clears the latencies so far.
func (h *healthy) take() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.lat
	h.lat = nil
	return l
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// RunPressure keeps one healthy subscriber on the demo server while it
// opens and abandons Abandon connections, holds Loris slow-loris clients,
// and starts Resumes resumes at once from an old Last-Event-ID; it reports
// the healthy subscriber's latency and the server's memory per phase.
func RunPressure(ctx context.Context, cfg PressureConfig) (PressureResult, error) {
	var res PressureResult
	if cfg.Demo == nil {
		return res, errors.New("chaos: PressureConfig.Demo is required")
	}
	if cfg.Channel == "" {
		cfg.Channel = "pulse"
	}
	if cfg.Abandon <= 0 {
		cfg.Abandon = 10000
	}
	if cfg.Loris <= 0 {
		cfg.Loris = 200
	}
	if cfg.Resumes <= 0 {
		cfg.Resumes = 1000
	}
	if cfg.ResumeBack <= 0 {
		cfg.ResumeBack = 900
	}
	if cfg.Phase <= 0 {
		cfg.Phase = 5 * time.Second
	}
	if cfg.LorisHold <= 0 {
		cfg.LorisHold = 15 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	h := &healthy{}
	st, err := client.NewStream(client.StreamConfig{URL: cfg.Demo.StreamURL(cfg.Channel)}, h)
	if err != nil {
		return res, err
	}
	sctx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = st.Run(sctx)
	}()
	defer func() {
		stop()
		<-ran
	}()

	phase := func(name string, load func(ctx context.Context) string) {
		h.take()
		start := time.Now()
		var peak atomic.Int64
		pctx, cancel := context.WithCancel(ctx)
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				if r, err := RSS(cfg.Demo.PID()); err == nil && r > peak.Load() {
					peak.Store(r)
				}
				select {
				case <-pctx.Done():
					return
				case <-t.C:
				}
			}
		}()
		note := load(pctx)
		cancel()
		<-sampled
		lat := h.take()
		slices.Sort(lat)
		p := PressurePhase{Name: name, Events: len(lat), P50: percentile(lat, 0.5), P99: percentile(lat, 0.99),
			DemoRSS: peak.Load(), Took: time.Since(start), Note: note}
		if len(lat) > 0 {
			p.Max = lat[len(lat)-1]
		}
		res.Phases = append(res.Phases, p)
	}
	wait := func(ctx context.Context) string {
		t := time.NewTimer(cfg.Phase)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return ""
	}
	// Let the healthy subscriber connect first.
	wait(ctx)
	phase("baseline", wait)
	phase(fmt.Sprintf("%d connections opened and abandoned", cfg.Abandon), func(ctx context.Context) string {
		return abandon(ctx, cfg)
	})
	phase(fmt.Sprintf("%d slow-loris clients for %v", cfg.Loris, cfg.LorisHold), func(ctx context.Context) string {
		return loris(ctx, cfg)
	})
	phase(fmt.Sprintf("%d simultaneous resumes from %d events back", cfg.Resumes, cfg.ResumeBack), func(ctx context.Context) string {
		return resumes(ctx, cfg)
	})
	phase("after", wait)

	h.mu.Lock()
	res.Gaps, res.Duplicates, res.Reconnects = h.gaps, h.dups, h.opens-1
	h.mu.Unlock()
	res.SubscribersAfter, err = subscribers(ctx, cfg.Demo)
	return res, err
}

func subscribers(ctx context.Context, d *Demo) (int, error) {
	var v struct {
		Subscribers int `json:"subscribers"`
	}
	err := d.getJSON(ctx, "/healthz", &v)
	return v.Subscribers, err
}

func streamRequest(d *Demo, ch string, extra string) string {
	return "GET /api/stream/" + ch + " HTTP/1.1\r\nHost: " + d.Addr() + "\r\nAccept: text/event-stream\r\n" + extra + "\r\n"
}

// abandon opens connections that ask for the stream, read the status
// line, and close without reading further.
func abandon(ctx context.Context, cfg PressureConfig) string {
	var next, ok200, other, failed atomic.Int64
	req := streamRequest(cfg.Demo, cfg.Channel, "")
	var wg sync.WaitGroup
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d net.Dialer
			for next.Add(1) <= int64(cfg.Abandon) && ctx.Err() == nil {
				dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				c, err := d.DialContext(dctx, "tcp", cfg.Demo.Addr())
				cancel()
				if err != nil {
					failed.Add(1)
					continue
				}
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				line := ""
				if _, err = c.Write([]byte(req)); err == nil {
					line, err = bufio.NewReader(c).ReadString('\n')
				}
				_ = c.Close()
				switch {
				case err != nil:
					failed.Add(1)
				case strings.Contains(line, " 200 "):
					ok200.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return fmt.Sprintf("%d answered 200, %d other, %d failed", ok200.Load(), other.Load(), failed.Load())
}

// loris opens connections that send their request header one line a
// second and never finish it.
func loris(ctx context.Context, cfg PressureConfig) string {
	var conns []net.Conn
	var d net.Dialer
	for i := 0; i < cfg.Loris; i++ {
		c, err := d.DialContext(ctx, "tcp", cfg.Demo.Addr())
		if err != nil {
			break
		}
		conns = append(conns, c)
		_, _ = c.Write([]byte("GET /api/stream/" + cfg.Channel + " HTTP/1.1\r\nHost: x\r\n"))
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	end := time.NewTimer(cfg.LorisHold)
	defer end.Stop()
	cut := 0
	for done := false; !done; {
		select {
		case <-t.C:
			for i, c := range conns {
				if c == nil {
					continue
				}
				if _, err := c.Write([]byte("X-Slow: 1\r\n")); err != nil {
					cut++
					_ = c.Close()
					conns[i] = nil
				}
			}
		case <-end.C:
			done = true
		case <-ctx.Done():
			done = true
		}
	}
	for _, c := range conns {
		if c != nil {
			_ = c.Close()
		}
	}
	return fmt.Sprintf("%d connected, %d cut by the server meanwhile", len(conns), cut)
}

// resumes starts Resumes streams at once, each resuming from ResumeBack
// events ago, and reads each until it has that many events.
func resumes(ctx context.Context, cfg PressureConfig) string {
	last, err := cfg.Demo.LastID(ctx, cfg.Channel)
	if err != nil {
		return err.Error()
	}
	from := max(int64(last)-int64(cfg.ResumeBack), 0)
	var full, short, refused, again atomic.Int64
	var firstErr atomic.Value
	start := make(chan struct{})
	var wg sync.WaitGroup
	tr := &http.Transport{MaxConnsPerHost: 0, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	for i := 0; i < cfg.Resumes; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// A hang guard only: on a loaded machine a thousand replays
			// may take long, and that is not a failure.
			rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			// Like any SSE client, a resume whose connection ends (the
			// server drops a subscriber starved of CPU as slow) resumes
			// again from the last id it got: it must still get every
			// event exactly once.
			lastID := from
			for n := 0; n < cfg.ResumeBack; {
				got, err := resumeOnce(rctx, hc, cfg.Demo.StreamURL(cfg.Channel), &lastID, cfg.ResumeBack-n)
				n += got
				switch {
				case errors.Is(err, errRefused):
					refused.Add(1)
					return
				case err != nil && (rctx.Err() != nil || errors.Is(err, errOutOfOrder)):
					firstErr.CompareAndSwap(nil, err.Error())
					short.Add(1)
					return
				case n < cfg.ResumeBack:
					again.Add(1)
					if got == 0 { // not even connected: do not spin
						select {
						case <-rctx.Done():
						case <-time.After(50 * time.Millisecond):
						}
					}
				}
			}
			full.Add(1)
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	note := fmt.Sprintf("%d got all %d events back in %v, %d short, %d refused, %d resumed again", full.Load(), cfg.ResumeBack, time.Since(t0).Round(time.Millisecond), short.Load(), refused.Load(), again.Load())
	if e := firstErr.Load(); e != nil {
		note += " (" + e.(string) + ")"
	}
	return note
}

var (
	errRefused    = errors.New("resume refused")
	errOutOfOrder = errors.New("resume: event out of order")
)

// resumeOnce resumes after *lastID and reads up to want events, each
// the id after the previous one; it returns how many it read.
func resumeOnce(ctx context.Context, hc *http.Client, url string, lastID *int64, want int) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Last-Event-ID", strconv.FormatInt(*lastID, 10))
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, errRefused
	}
	dec := client.NewDecoder(resp.Body, client.DecoderConfig{})
	n := 0
	for n < want {
		f, err := dec.Next()
		if err != nil {
			return n, err
		}
		if f.Kind != client.FrameEvent {
			continue
		}
		if id, _ := strconv.ParseInt(f.Event.ID, 10, 64); id != *lastID+1 {
			return n, fmt.Errorf("%w: id %q after %d", errOutOfOrder, f.Event.ID, *lastID)
		}
		*lastID++
		n++
	}
	return n, nil
}
