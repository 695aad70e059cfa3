// Command ssemon-chaos runs the reliability scenarios of SSE Monitor in
// their long forms and prints the results as Markdown tables (the tables
// of docs/RELIABILITY.md): faults between monitor and server through a
// fault-injecting proxy, the firehose exactly-once check through forced
// disconnects, hostile servers, the demo server under pressure, and the
// soak. Everything runs on 127.0.0.1; the demo server runs as a child
// process (bin/ssemon-demo by default).
//
//	ssemon-chaos                                   every scenario, 30-minute soak
//	ssemon-chaos -run soak -duration 30m -channels 100
//	ssemon-chaos -run faults,firehose,hostile,pressure
//	ssemon-chaos -run defaults -faults 100          ssemon-tail's defaults vs the demo's
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ssemon/ssemon/cmd/ssemon-chaos/internal/chaos"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "ssemon-chaos:", err)
		}
		os.Exit(1)
	}
}

// scenarios are the names -run accepts, in running order.
var scenarios = [...]string{"faults", "firehose", "defaults", "hostile", "pressure", "soak"}

type options struct {
	demo     string
	run      []string
	duration time.Duration
	sample   time.Duration
	channels int
	ring     int
	cuts     int
	faults   int
	rate     int
	abandon  int
	loris    int
	resumes  int
	phase    time.Duration
	hold     time.Duration
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("ssemon-chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runList := fs.String("run", strings.Join(scenarios[:], ","), "scenarios to run, comma-separated: "+strings.Join(scenarios[:], ", "))
	fs.StringVar(&o.demo, "demo", "bin/ssemon-demo", "the ssemon-demo binary (make binaries builds it)")
	fs.DurationVar(&o.duration, "duration", 30*time.Minute, "soak: how long (at most 24h)")
	fs.DurationVar(&o.sample, "sample", 10*time.Second, "soak: sampling interval of RSS and goroutines")
	fs.IntVar(&o.channels, "channels", 100, "soak: channels watched (at most 1000), every scenario kind, flaky included")
	fs.IntVar(&o.ring, "ring", 1000, "soak: the monitor's log size per channel (small: the logs fill early)")
	fs.IntVar(&o.cuts, "cuts", 100, "firehose: forced disconnects (at most 10000)")
	fs.IntVar(&o.faults, "faults", 100, "defaults: faults of each kind — cut, stall, slow drip (at most 10000)")
	fs.IntVar(&o.rate, "rate", 1000, "firehose: events per second (at most 100000)")
	fs.IntVar(&o.abandon, "abandon", 10000, "pressure: connections opened and abandoned (at most 100000)")
	fs.IntVar(&o.loris, "loris", 200, "pressure: slow-loris clients (at most 5000)")
	fs.IntVar(&o.resumes, "resumes", 1000, "pressure: simultaneous resumes (at most 5000)")
	fs.DurationVar(&o.phase, "phase", 5*time.Second, "pressure: length of the quiet phases")
	fs.DurationVar(&o.hold, "loris-hold", 15*time.Second, "pressure: how long slow-loris clients hold (the server cuts them after 10 s)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for s := range strings.SplitSeq(*runList, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(scenarios[:], s) {
			return o, fmt.Errorf("-run: unknown scenario %q (want %s)", s, strings.Join(scenarios[:], ", "))
		}
		o.run = append(o.run, s)
	}
	for _, c := range []struct {
		name   string
		v, max int
	}{{"channels", o.channels, 1000}, {"ring", o.ring, 1_000_000}, {"cuts", o.cuts, 10000}, {"faults", o.faults, 10000}, {"rate", o.rate, 100000},
		{"abandon", o.abandon, 100000}, {"loris", o.loris, 5000}, {"resumes", o.resumes, 5000}} {
		if c.v < 1 || c.v > c.max {
			return o, fmt.Errorf("-%s: %d is not between 1 and %d", c.name, c.v, c.max)
		}
	}
	if o.duration <= 0 || o.duration > 24*time.Hour || o.sample <= 0 || o.phase <= 0 || o.hold <= 0 {
		return o, errors.New("-duration, -sample, -phase and -loris-hold must be positive (duration at most 24h)")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	needDemo := slices.ContainsFunc(o.run, func(s string) bool { return s != "hostile" })
	if needDemo {
		if _, err := os.Stat(o.demo); err != nil {
			return fmt.Errorf("-demo: %w (build it with: go build -o %s ./cmd/ssemon-demo)", err, o.demo)
		}
	}
	fmt.Fprintf(stdout, "# ssemon-chaos %s\n\n", strings.Join(args, " "))
	fmt.Fprintf(stdout, "Machine: %s, %d CPUs, %s/%s, %s. Started %s.\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH,
		runtime.Version(), time.Now().UTC().Format(time.RFC3339))
	failed := false
	for _, s := range o.run {
		ok, err := runScenario(ctx, s, o, stdout, stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		failed = failed || !ok
	}
	if failed {
		return errors.New("a scenario did not hold (see the tables)")
	}
	return nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func startDemo(ctx context.Context, o options, specs []chaos.ScenarioSpec, stderr io.Writer, args ...string) (*chaos.Demo, error) {
	return chaos.StartDemo(ctx, chaos.DemoConfig{Bin: o.demo, Scenarios: specs, Args: args, Stderr: stderr})
}

func mark(problem string) string {
	if problem == "" {
		return "yes"
	}
	return "**no**: " + problem
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

// runScenario runs one scenario and prints its table; ok is false when a
// claim did not hold.
func runScenario(ctx context.Context, name string, o options, w, stderr io.Writer) (ok bool, err error) {
	start := time.Now()
	defer func() { fmt.Fprintf(w, "\n(%s took %v)\n", name, time.Since(start).Round(time.Second)) }()
	switch name {
	case "faults":
		d, err := startDemo(ctx, o, []chaos.ScenarioSpec{{Channel: "firehose", Scenario: "firehose", Rate: o.rate}}, stderr,
			"--retry", "100ms", "--ring", "100000", "--heartbeat", "500ms")
		if err != nil {
			return false, err
		}
		defer d.Stop()
		res, err := chaos.RunFaults(ctx, chaos.FaultsConfig{Demo: d})
		if err != nil {
			return false, err
		}
		fmt.Fprintf(w, "\n## Faults between monitor and server (firehose %d/s through the proxy; stall timeout 2 s, retry 100 ms, backoff cap 1 s)\n\n", o.rate)
		fmt.Fprintln(w, "| fault | state shown | error shown | fault → state | recovery → open | bound | note | holds |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
		ok = true
		for _, f := range res.Faults {
			fmt.Fprintf(w, "| %s | %v | %s | %s | %s | %s | %s | %s |\n", f.Fault, f.Shown, cell(f.Err), ms(f.ToState), ms(f.ToOpen), f.Bound, cell(f.Note), mark(f.Problem))
			ok = ok && f.Problem == ""
		}
		c := res.IDs
		fmt.Fprintf(w, "\nids 1..%d through the faults: %d missing, %d duplicated.\n", c.Checked, c.Missing, c.Duplicated)
		return ok && c.Missing == 0 && c.Duplicated == 0, nil
	case "firehose":
		d, err := startDemo(ctx, o, []chaos.ScenarioSpec{{Channel: "firehose", Scenario: "firehose", Rate: o.rate}}, stderr,
			"--retry", "100ms", "--ring", "100000", "--heartbeat", "1s")
		if err != nil {
			return false, err
		}
		defer d.Stop()
		res, err := chaos.RunFirehose(ctx, chaos.FirehoseConfig{Demo: d, Cuts: o.cuts})
		if err != nil {
			return false, err
		}
		fmt.Fprintf(w, "\n## Firehose %d events/s, %d forced disconnects (%d connections cut), %v\n\n", o.rate, res.Cuts, res.CutConns, res.Duration.Round(time.Second))
		fmt.Fprintln(w, "| client | ids checked | missing | duplicated | lost notices | connections |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
		for _, c := range res.Clients {
			fmt.Fprintf(w, "| %s | 1..%d | %d | %d | %d | %d |\n", c.Client, c.Checked, c.Missing, c.Duplicated, c.LostNotices, c.Opens)
		}
		return res.OK(), nil
	case "defaults":
		// The demo server with its defaults (history of a minute, retry
		// 3 s) and ssemon-tail with its own.
		d, err := startDemo(ctx, o, []chaos.ScenarioSpec{{Channel: "firehose", Scenario: "firehose", Rate: o.rate}}, stderr)
		if err != nil {
			return false, err
		}
		defer d.Stop()
		res, err := chaos.RunDefaults(ctx, chaos.DefaultsConfig{Demo: d, Faults: o.faults})
		if err != nil {
			return false, err
		}
		c := res.Tail
		fmt.Fprintf(w, "\n## Firehose %d events/s with the defaults: %d cuts (%d connections), %d stalls, %d slow drips, %v\n\n",
			o.rate, res.Cuts, res.CutConns, res.Stalls, res.Drips, res.Duration.Round(time.Second))
		fmt.Fprintln(w, "| client | ids checked | missing | duplicated | lost notices | connections |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
		fmt.Fprintf(w, "| %s (defaults) | 1..%d | %d | %d | %d | %d |\n", c.Client, c.Checked, c.Missing, c.Duplicated, c.LostNotices, c.Opens)
		return res.OK(), nil
	case "hostile":
		res, err := chaos.RunHostile(ctx, chaos.HostileConfig{})
		if err != nil {
			return false, err
		}
		fmt.Fprintln(w, "\n## Hostile servers (default caps: line 1 MiB, event 8 MiB, log 10 000 records / 8 MiB; connect timeout 1 s)")
		fmt.Fprintln(w, "\n| server sends | state | error the user sees | shown after | heap peak | goroutines left | slowest snapshot | server wrote | note | holds |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
		ok = true
		for _, r := range res {
			errText := ""
			if r.Err != nil {
				errText = r.Err.Error()
			}
			fmt.Fprintf(w, "| %s | %v | %s | %s | %s | %d | %v | %d B / %d req | %s | %s |\n", r.Sends, r.State, cell(errText), ms(r.Shown),
				chaos.MiB(r.Heap), r.Leftover, r.SnapshotMax.Round(time.Microsecond), r.ServerBytes, r.Requests, cell(r.Note), mark(r.Problem))
			ok = ok && r.Problem == "" && r.Leftover == 0
		}
		return ok, nil
	case "pressure":
		d, err := startDemo(ctx, o, []chaos.ScenarioSpec{{Channel: "pulse", Scenario: "firehose", Rate: 100}}, stderr,
			"--max-subscribers", fmt.Sprint(o.resumes+100), "--ring", "1000", "--heartbeat", "1s")
		if err != nil {
			return false, err
		}
		defer d.Stop()
		res, err := chaos.RunPressure(ctx, chaos.PressureConfig{Demo: d, Abandon: o.abandon, Loris: o.loris, Resumes: o.resumes, Phase: o.phase, LorisHold: o.hold})
		if err != nil {
			return false, err
		}
		fmt.Fprintln(w, "\n## Server under pressure (healthy subscriber on a 100 events/s channel; server in its own process)")
		fmt.Fprintln(w, "\n| phase | healthy events | p50 | p99 | max | server RSS peak | took | load got |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
		for _, p := range res.Phases {
			fmt.Fprintf(w, "| %s | %d | %v | %v | %v | %s | %v | %s |\n", p.Name, p.Events, p.P50.Round(10*time.Microsecond),
				p.P99.Round(10*time.Microsecond), p.Max.Round(10*time.Microsecond), chaos.MiB(p.DemoRSS), p.Took.Round(time.Millisecond), cell(p.Note))
		}
		fmt.Fprintf(w, "\nHealthy subscriber: %d gaps, %d duplicates, %d reconnects. Server subscribers after: %d.\n",
			res.Gaps, res.Duplicates, res.Reconnects, res.SubscribersAfter)
		return res.Gaps == 0 && res.Duplicates == 0 && res.SubscribersAfter == 1, nil
	case "soak":
		specs := chaos.SoakScenarios(o.channels)
		d, err := startDemo(ctx, o, specs, stderr)
		if err != nil {
			return false, err
		}
		defer d.Stop()
		res, err := chaos.RunSoak(ctx, chaos.SoakConfig{Demo: d, Channels: specs, Duration: o.duration, Sample: o.sample, RingSize: o.ring})
		if err != nil {
			return false, err
		}
		fmt.Fprintf(w, "\n## Soak: %d channels (%d flaky), %v, monitor log %d records per channel\n\n", res.Channels, res.Flaky, o.duration, o.ring)
		fmt.Fprintln(w, "| t | monitor RSS | monitor heap | goroutines | server RSS | events | reconnects | log records | evicted |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
		for _, s := range res.Samples {
			fmt.Fprintf(w, "| %v | %s | %s | %d | %s | %d | %d | %d | %d |\n", s.At.Round(time.Second), chaos.MiB(s.RSS), chaos.MiB(s.Heap),
				s.Goroutines, chaos.MiB(s.DemoRSS), s.Events, s.Reconnects, s.Records, s.Evicted)
		}
		from := max(res.FilledAt, o.duration/3)
		rss, gr, _ := res.Growth(from)
		fmt.Fprintf(w, "\nLogs full after %v. From %v on: RSS %+.1f MiB, goroutines range %d. Gaps %d (missed %d), duplicates %d, stalls %d.\n",
			res.FilledAt.Round(time.Second), from.Round(time.Second), float64(rss)/(1<<20), gr, res.Gaps, res.Missed, res.Duplicates, res.Stalls)
		for _, b := range res.Bad {
			fmt.Fprintf(w, "- **%s**\n", b)
		}
		return len(res.Bad) == 0, nil
	}
	return false, fmt.Errorf("unknown scenario %q", name)
}

// cell makes s safe in a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:157]) + "…"
	}
	return s
}
