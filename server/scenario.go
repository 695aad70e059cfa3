package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Scenario kinds, the values of Scenario.Kind.
const (
	// KindDeploy is a deploy pipeline: stages build, test, package and
	// deploy, progress 0→100, success or failure, then a new run.
	KindDeploy = "deploy"
	// KindExports is several export jobs at once, each with its own
	// progress, ending done or failed; a finished job is replaced.
	KindExports = "exports"
	// KindMetrics is live metrics: cpu, memory and requests per second.
	KindMetrics = "metrics"
	// KindLogs is a log tail: plain-text lines with levels, default
	// "message" event type.
	KindLogs = "logs"
	// KindQuiet sends nothing but heartbeats.
	KindQuiet = "quiet"
	// KindFirehose sends small events at Rate per second, in batches.
	KindFirehose = "firehose"
	// KindFlaky sends progress and, on its own schedule, drops its
	// connections, stalls them and changes retry.
	KindFlaky = "flaky"
)

// Caps on scenario parameters.
const (
	// MaxFirehoseRate caps Scenario.Rate.
	MaxFirehoseRate = 100_000
	// MaxJobs caps Scenario.Jobs.
	MaxJobs = 50
)

// Scenario describes one channel and the generator that feeds it. Zero
// fields take the default written next to them (defaults depend on Kind).
type Scenario struct {
	// Channel is the channel name, used in /api/stream/{channel}: 1 to 64
	// characters of A-Z a-z 0-9 . _ - starting with a letter or digit.
	// Required.
	Channel string
	// Kind selects the generator, one of the Kind constants. Required.
	Kind string
	// Description is shown in the channel index. Default: a description
	// of the kind.
	Description string
	// Interval is the time between events (firehose: between batches).
	// Default: deploy 500 ms, exports 700 ms, metrics 1 s, logs 400 ms,
	// firehose 10 ms, flaky 1 s; quiet ignores it. Between 1 ms and 1 h.
	Interval time.Duration
	// Rate is the firehose rate in events per second. Default 1000, at
	// most MaxFirehoseRate. Other kinds ignore it.
	Rate int
	// Jobs is how many export jobs run at once. Default 3, at most
	// MaxJobs. Other kinds ignore it.
	Jobs int
	// FailureRate is the probability that a deploy run or an export job
	// fails, at most 1. Default 0.2; negative means never.
	FailureRate float64
	// DropEvery is how often the flaky channel drops its connections.
	// Default 20 s; negative disables.
	DropEvery time.Duration
	// StallEvery is how often the flaky channel stalls its connections.
	// Default 45 s; negative disables.
	StallEvery time.Duration
	// StallFor is how long a flaky stall lasts. Default 8 s.
	StallFor time.Duration
	// RetryEvery is how often the flaky channel moves to the next value of
	// RetryCycle. Default 30 s; negative disables.
	RetryEvery time.Duration
	// RetryCycle lists the retry values the flaky channel cycles through.
	// Default 1 s, 5 s, 2 s. Each between 0 and MaxFaultDuration.
	RetryCycle []time.Duration
}

// DefaultScenarios returns the default channel set, one channel per kind.
func DefaultScenarios() []Scenario {
	return []Scenario{
		{Channel: "deploy", Kind: KindDeploy},
		{Channel: "exports", Kind: KindExports},
		{Channel: "metrics", Kind: KindMetrics},
		{Channel: "logs", Kind: KindLogs},
		{Channel: "quiet", Kind: KindQuiet},
		{Channel: "firehose", Kind: KindFirehose},
		{Channel: "flaky", Kind: KindFlaky},
	}
}

// kindDefaults is the constant table of per-kind defaults.
var kindDefaults = map[string]struct {
	description string
	interval    time.Duration
}{
	KindDeploy:   {"Deploy pipeline: build, test, package, deploy; progress 0→100, then success or failure", 500 * time.Millisecond},
	KindExports:  {"Export jobs running side by side, each with its own progress, done or failed", 700 * time.Millisecond},
	KindMetrics:  {"Live metrics: cpu, memory, requests per second", time.Second},
	KindLogs:     {"Log tail: plain-text lines with levels", 400 * time.Millisecond},
	KindQuiet:    {"Quiet channel: heartbeats only", time.Second},
	KindFirehose: {"Firehose: small events at a high rate, in batches", 10 * time.Millisecond},
	KindFlaky:    {"Flaky channel: progress, with dropped connections, stalls and retry changes", time.Second},
}

var channelNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// validChannelName reports whether name may be used as a channel name.
func validChannelName(name string) bool { return channelNameRE.MatchString(name) }

func (sc Scenario) withDefaults(field string) (Scenario, error) {
	out := sc
	out.RetryCycle = slices.Clone(sc.RetryCycle)
	if !validChannelName(out.Channel) {
		return Scenario{}, configErr(field+".Channel", "invalid channel name %q (1–64 of A-Z a-z 0-9 . _ -)", out.Channel)
	}
	def, ok := kindDefaults[out.Kind]
	if !ok {
		return Scenario{}, configErr(field+".Kind", "unknown scenario %q (want deploy, exports, metrics, logs, quiet, firehose or flaky)", out.Kind)
	}
	if out.Description == "" {
		out.Description = def.description
	}
	if len(out.Description) > 1024 {
		return Scenario{}, configErr(field+".Description", "longer than 1024 bytes")
	}
	if out.Interval == 0 {
		out.Interval = def.interval
	}
	if out.Interval < time.Millisecond || out.Interval > time.Hour {
		return Scenario{}, configErr(field+".Interval", "%v not between 1ms and 1h", out.Interval)
	}
	if out.Rate == 0 {
		out.Rate = 1000
	}
	if out.Rate < 1 || out.Rate > MaxFirehoseRate {
		return Scenario{}, configErr(field+".Rate", "%d not between 1 and %d", out.Rate, MaxFirehoseRate)
	}
	if out.Jobs == 0 {
		out.Jobs = 3
	}
	if out.Jobs < 1 || out.Jobs > MaxJobs {
		return Scenario{}, configErr(field+".Jobs", "%d not between 1 and %d", out.Jobs, MaxJobs)
	}
	if out.FailureRate == 0 {
		out.FailureRate = 0.2
	}
	if out.FailureRate > 1 || out.FailureRate != out.FailureRate {
		return Scenario{}, configErr(field+".FailureRate", "%v greater than 1", out.FailureRate)
	}
	every := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"DropEvery", &out.DropEvery, 20 * time.Second},
		{"StallEvery", &out.StallEvery, 45 * time.Second},
		{"RetryEvery", &out.RetryEvery, 30 * time.Second},
		{"StallFor", &out.StallFor, 8 * time.Second},
	}
	for _, e := range every {
		if *e.v == 0 {
			*e.v = e.def
		}
		if *e.v > 24*time.Hour || (*e.v > 0 && *e.v < 10*time.Millisecond) {
			return Scenario{}, configErr(field+"."+e.name, "%v not between 10ms and 24h", *e.v)
		}
	}
	if out.StallFor < 0 || out.StallFor > MaxFaultDuration {
		return Scenario{}, configErr(field+".StallFor", "%v not between 10ms and %v", out.StallFor, MaxFaultDuration)
	}
	if len(out.RetryCycle) == 0 {
		out.RetryCycle = []time.Duration{time.Second, 5 * time.Second, 2 * time.Second}
	}
	if len(out.RetryCycle) > 100 {
		return Scenario{}, configErr(field+".RetryCycle", "more than 100 values")
	}
	for i, r := range out.RetryCycle {
		if r < 0 || r > MaxFaultDuration {
			return Scenario{}, configErr(fmt.Sprintf("%s.RetryCycle[%d]", field, i), "%v not between 0 and %v", r, MaxFaultDuration)
		}
	}
	return out, nil
}

// scenarioJSON is the file form of a Scenario: durations as Go duration
// strings ("500ms", "20s"), negative to disable where allowed.
type scenarioJSON struct {
	Channel     string   `json:"channel"`
	Kind        string   `json:"scenario"`
	Description string   `json:"description,omitempty"`
	Interval    string   `json:"interval,omitempty"`
	Rate        int      `json:"rate,omitempty"`
	Jobs        int      `json:"jobs,omitempty"`
	FailureRate float64  `json:"failure_rate,omitempty"`
	DropEvery   string   `json:"drop_every,omitempty"`
	StallEvery  string   `json:"stall_every,omitempty"`
	StallFor    string   `json:"stall_for,omitempty"`
	RetryEvery  string   `json:"retry_every,omitempty"`
	RetryCycle  []string `json:"retry_cycle,omitempty"`
}

// MaxScenarioFileBytes caps the size of a scenario file.
const MaxScenarioFileBytes = 1 << 20

// ParseScenarios parses a scenario file: a JSON object
// {"scenarios":[{"channel":"deploy","scenario":"deploy","interval":"500ms"},…]}
// or the bare array. Unknown fields are errors; each returned Scenario is
// validated and has its defaults filled in. Errors are *ConfigError naming
// the entry and field.
func ParseScenarios(data []byte) ([]Scenario, error) {
	if len(data) > MaxScenarioFileBytes {
		return nil, configErr("scenarios", "file larger than %d bytes", MaxScenarioFileBytes)
	}
	var list []scenarioJSON
	trimmed := bytes.TrimSpace(data)
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	var err error
	if len(trimmed) > 0 && trimmed[0] == '[' {
		err = dec.Decode(&list)
	} else {
		var doc struct {
			Scenarios []scenarioJSON `json:"scenarios"`
		}
		err = dec.Decode(&doc)
		list = doc.Scenarios
	}
	if err != nil {
		return nil, &ConfigError{Field: "scenarios", Err: err}
	}
	if dec.More() {
		return nil, configErr("scenarios", "trailing data after the JSON value")
	}
	if len(list) == 0 {
		return nil, configErr("scenarios", "no scenarios")
	}
	out := make([]Scenario, 0, len(list))
	seen := map[string]bool{}
	for i, j := range list {
		field := fmt.Sprintf("scenarios[%d]", i)
		sc := Scenario{
			Channel: j.Channel, Kind: j.Kind, Description: j.Description,
			Rate: j.Rate, Jobs: j.Jobs, FailureRate: j.FailureRate,
		}
		durs := []struct {
			name string
			s    string
			v    *time.Duration
		}{
			{"interval", j.Interval, &sc.Interval},
			{"drop_every", j.DropEvery, &sc.DropEvery},
			{"stall_every", j.StallEvery, &sc.StallEvery},
			{"stall_for", j.StallFor, &sc.StallFor},
			{"retry_every", j.RetryEvery, &sc.RetryEvery},
		}
		for _, d := range durs {
			if d.s == "" {
				continue
			}
			v, err := time.ParseDuration(d.s)
			if err != nil {
				return nil, &ConfigError{Field: field + "." + d.name, Err: err}
			}
			*d.v = v
		}
		for k, r := range j.RetryCycle {
			v, err := time.ParseDuration(r)
			if err != nil {
				return nil, &ConfigError{Field: fmt.Sprintf("%s.retry_cycle[%d]", field, k), Err: err}
			}
			sc.RetryCycle = append(sc.RetryCycle, v)
		}
		sc, err := sc.withDefaults(field)
		if err != nil {
			return nil, err
		}
		if seen[sc.Channel] {
			return nil, configErr(field+".channel", "duplicate channel %q", sc.Channel)
		}
		seen[sc.Channel] = true
		out = append(out, sc)
	}
	return out, nil
}

// ErrNoSuchChannel is wrapped by errors about unknown channel names.
var ErrNoSuchChannel = errors.New("server: no such channel")
