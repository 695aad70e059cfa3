package server

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// gen is the state every scenario generator shares.
type gen struct {
	s   *Server
	ch  *channel
	sc  Scenario
	rng *rand.Rand
}

// stepper is a scenario generator: step publishes what happens at now.
type stepper interface {
	step(g *gen, now time.Time)
}

// newGen returns the generator state of ch's scenario: its own PCG seeded
// by (seed, channel name), so that the same ticks give the same events.
func newGen(s *Server, ch *channel, seed uint64) *gen {
	h := fnv.New64a()
	h.Write([]byte(ch.sc.Channel))
	return &gen{s: s, ch: ch, sc: ch.sc, rng: rand.New(rand.NewPCG(seed, h.Sum64()))}
}

// newStepper returns the generator of kind, or nil for the quiet kind.
func newStepper(sc Scenario, start time.Time) stepper {
	switch sc.Kind {
	case KindDeploy:
		return &deployRun{}
	case KindExports:
		return &exportJobs{slots: make([]*exportJob, sc.Jobs)}
	case KindMetrics:
		return &metricsWalk{cpu: 35, mem: 1400, rps: 400, p99: 80}
	case KindLogs:
		return logTail{}
	case KindFirehose:
		return &firehose{start: start}
	case KindFlaky:
		return &flakyProgress{}
	}
	return nil
}

// runScenario drives ch's scenario until the server closes. Events are
// stamped with the tick's time, so the same clock steps give the same
// events.
func (s *Server) runScenario(ch *channel) {
	g := newGen(s, ch, s.cfg.Seed)
	st := newStepper(ch.sc, s.cfg.Clock.Now())
	switch {
	case st == nil:
		<-s.stop
	case ch.sc.Kind == KindFlaky:
		g.flaky(st)
	default:
		g.every(g.sc.Interval, func(now time.Time) { st.step(g, now) })
	}
}

// every calls step on each tick of a ticker of period d until the server
// closes.
func (g *gen) every(d time.Duration, step func(now time.Time)) {
	t := g.s.cfg.Clock.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-g.s.stop:
			return
		case now := <-t.C():
			step(now)
		}
	}
}

// emit marshals v as the data of an event of type typ.
func (g *gen) emit(typ string, v any) message {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("server: scenario payload: %v", err)) // payloads are fixed structs
	}
	return message{typ: typ, data: data}
}

// statusUpdate is the seed's event shape; scenarios add fields to it.
type statusUpdate struct {
	Channel   string `json:"channel"`
	Timestamp int64  `json:"timestamp"`
	Progress  int    `json:"progress"`
}

var deployStages = [...]string{"build", "test", "package", "deploy"}

// deployRun is the deploy pipeline: stages run in order, progress 0→100,
// a run may fail in a stage, then a new run starts after a pause.
type deployRun struct {
	run       int
	stage     int
	stageProg int
	failStage int // -1: this run succeeds
	failAt    int
	pause     int
	running   bool
	started   time.Time
}

type deployStatus struct {
	statusUpdate
	Run           int    `json:"run"`
	Stage         string `json:"stage"`
	StageProgress int    `json:"stage_progress"`
	Status        string `json:"status"`
	Message       string `json:"message"`
}

func newDeployStatus(name string, ts int64, overall, run int, stage string, stageProg int, status string) deployStatus {
	msg := fmt.Sprintf("run %d: %s %d %% · overall %d %%", run, stage, stageProg, overall)
	if status == "failed" {
		msg = fmt.Sprintf("run %d: %s failed at %d %%", run, stage, stageProg)
	}
	return deployStatus{statusUpdate{name, ts, overall}, run, stage, stageProg, status, msg}
}

type deployStage struct {
	Channel   string `json:"channel"`
	Timestamp int64  `json:"timestamp"`
	Run       int    `json:"run"`
	Stage     string `json:"stage"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

func newDeployStage(name string, ts int64, run int, stage, status string) deployStage {
	return deployStage{name, ts, run, stage, status, fmt.Sprintf("run %d: %s %s", run, stage, status)}
}

type deployDone struct {
	Channel     string `json:"channel"`
	Timestamp   int64  `json:"timestamp"`
	Run         int    `json:"run"`
	Result      string `json:"result"`
	FailedStage string `json:"failed_stage,omitempty"`
	DurationMS  int64  `json:"duration_ms"`
	Message     string `json:"message"`
}

func newDeployDone(name string, ts int64, run int, failedStage string, d time.Duration) deployDone {
	if failedStage != "" {
		return deployDone{name, ts, run, "failure", failedStage, d.Milliseconds(),
			fmt.Sprintf("run %d failed in %s after %v", run, failedStage, d.Round(100*time.Millisecond))}
	}
	return deployDone{name, ts, run, "success", "", d.Milliseconds(),
		fmt.Sprintf("run %d deployed in %v", run, d.Round(100*time.Millisecond))}
}

func (d *deployRun) step(g *gen, now time.Time) {
	ts := now.UnixMilli()
	name := g.ch.info.Name
	var out []message
	if !d.running {
		if d.pause > 0 {
			d.pause--
			return
		}
		d.run++
		d.running, d.stage, d.stageProg, d.started = true, 0, 0, now
		d.failStage = -1
		if g.rng.Float64() < g.sc.FailureRate {
			d.failStage = 1 + g.rng.IntN(len(deployStages)-1)
			d.failAt = 10 + g.rng.IntN(80)
		}
		out = append(out,
			g.emit("stage", newDeployStage(name, ts, d.run, deployStages[0], "started")),
			g.emit("status_update", newDeployStatus(name, ts, 0, d.run, deployStages[0], 0, "running")))
		g.ch.publish(out...)
		return
	}
	d.stageProg = min(100, d.stageProg+4+g.rng.IntN(12))
	stage := deployStages[d.stage]
	overall := (d.stage*100 + d.stageProg) / len(deployStages)
	if d.stage == d.failStage && d.stageProg >= d.failAt {
		out = append(out,
			g.emit("status_update", newDeployStatus(name, ts, overall, d.run, stage, d.stageProg, "failed")),
			g.emit("stage", newDeployStage(name, ts, d.run, stage, "failed")),
			g.emit("done", newDeployDone(name, ts, d.run, stage, now.Sub(d.started))))
		d.running, d.pause = false, 6
		g.ch.publish(out...)
		return
	}
	out = append(out, g.emit("status_update", newDeployStatus(name, ts, overall, d.run, stage, d.stageProg, "running")))
	if d.stageProg == 100 {
		out = append(out, g.emit("stage", newDeployStage(name, ts, d.run, stage, "passed")))
		if d.stage == len(deployStages)-1 {
			out = append(out, g.emit("done", newDeployDone(name, ts, d.run, "", now.Sub(d.started))))
			d.running, d.pause = false, 6
		} else {
			d.stage++
			d.stageProg = 0
			out = append(out, g.emit("stage", newDeployStage(name, ts, d.run, deployStages[d.stage], "started")))
		}
	}
	g.ch.publish(out...)
}

var (
	exportDatasets = [...]string{"orders", "invoices", "customers", "events", "audit-log", "payments", "shipments", "refunds"}
	exportFormats  = [...]string{"csv", "parquet", "jsonl"}
	exportErrors   = [...]string{"disk quota exceeded", "upstream timeout after 30s", "permission denied on bucket", "connection reset by peer", "schema changed during export"}
)

// exportJobs runs several export jobs at once; a finished slot gets a new
// job after a short pause.
type exportJobs struct {
	slots []*exportJob
	next  int
}

type exportJob struct {
	id      string
	name    string
	total   int
	rows    int
	failAt  int // -1: succeeds
	started time.Time
	done    bool
	idle    int // ticks before the slot is reused
}

type exportStatus struct {
	statusUpdate
	Job       string `json:"job"`
	Name      string `json:"name"`
	Rows      int    `json:"rows"`
	TotalRows int    `json:"total_rows"`
	Message   string `json:"message"`
}

type exportEvent struct {
	Channel    string `json:"channel"`
	Timestamp  int64  `json:"timestamp"`
	Job        string `json:"job"`
	Name       string `json:"name"`
	TotalRows  int    `json:"total_rows"`
	Rows       int    `json:"rows,omitempty"`
	Progress   int    `json:"progress,omitempty"`
	Bytes      int64  `json:"bytes,omitempty"`
	DurationMS int64  `json:"duration_ms,omitempty"`
	Error      string `json:"error,omitempty"`
	Message    string `json:"message"`
}

// summary counts the jobs: "3 jobs: 2 running, 1 done".
func (e *exportJobs) summary() string {
	running, done, failed := 0, 0, 0
	for _, j := range e.slots {
		switch {
		case j == nil:
		case !j.done:
			running++
		case j.failAt >= 0 && j.rows >= j.failAt:
			failed++
		default:
			done++
		}
	}
	s := fmt.Sprintf("%d jobs: %d running", running+done+failed, running)
	if done > 0 {
		s += fmt.Sprintf(", %d done", done)
	}
	if failed > 0 {
		s += fmt.Sprintf(", %d failed", failed)
	}
	return s
}

func (e *exportJobs) step(g *gen, now time.Time) {
	ts := now.UnixMilli()
	name := g.ch.info.Name
	var out []message
	started := false
	for i, j := range e.slots {
		switch {
		case j == nil || (j.done && j.idle <= 0):
			if started {
				continue // one new job per tick
			}
			started = true
			e.next++
			j = &exportJob{
				id: fmt.Sprintf("export-%04d", e.next),
				name: fmt.Sprintf("%s-%s.%s", exportDatasets[g.rng.IntN(len(exportDatasets))],
					now.Format("2006-01"), exportFormats[g.rng.IntN(len(exportFormats))]),
				total:   (5 + g.rng.IntN(95)) * 1000,
				failAt:  -1,
				started: now,
			}
			if g.rng.Float64() < g.sc.FailureRate {
				j.failAt = j.total * (10 + g.rng.IntN(80)) / 100
			}
			e.slots[i] = j
			out = append(out, g.emit("job_started", exportEvent{Channel: name, Timestamp: ts, Job: j.id, Name: j.name, TotalRows: j.total,
				Message: fmt.Sprintf("started %s (%d rows) · %s", j.name, j.total, e.summary())}))
		case j.done:
			j.idle--
		default:
			j.rows = min(j.total, j.rows+j.total*(2+g.rng.IntN(9))/100)
			progress := j.rows * 100 / j.total
			if j.failAt >= 0 && j.rows >= j.failAt {
				j.done, j.idle = true, 2
				reason := exportErrors[g.rng.IntN(len(exportErrors))]
				out = append(out, g.emit("job_failed", exportEvent{Channel: name, Timestamp: ts, Job: j.id, Name: j.name,
					TotalRows: j.total, Rows: j.rows, Progress: progress, Error: reason,
					Message: fmt.Sprintf("%s failed at %d %%: %s · %s", j.name, progress, reason, e.summary())}))
				continue
			}
			if j.rows == j.total {
				j.done, j.idle = true, 2
			}
			out = append(out, g.emit("status_update", exportStatus{statusUpdate{name, ts, progress}, j.id, j.name, j.rows, j.total,
				fmt.Sprintf("%s %d %% · %s", j.name, progress, e.summary())}))
			if j.done {
				bytes := int64(j.total) * int64(90+g.rng.IntN(60))
				took := now.Sub(j.started)
				out = append(out, g.emit("job_done", exportEvent{Channel: name, Timestamp: ts, Job: j.id, Name: j.name,
					TotalRows: j.total, Rows: j.rows, Progress: 100, Bytes: bytes, DurationMS: took.Milliseconds(),
					Message: fmt.Sprintf("%s done: %d rows, %.1f MB in %v · %s", j.name, j.rows, float64(bytes)/1e6, took.Round(100*time.Millisecond), e.summary())}))
			}
		}
	}
	if len(out) > 0 {
		g.ch.publish(out...)
	}
}

// metricsWalk is a bounded random walk of service metrics.
type metricsWalk struct {
	cpu, mem, rps, p99 float64
}

type metricsEvent struct {
	Channel      string  `json:"channel"`
	Timestamp    int64   `json:"timestamp"`
	CPU          float64 `json:"cpu"`
	MemoryMB     float64 `json:"memory_mb"`
	RequestsPerS float64 `json:"requests_per_s"`
	P99MS        float64 `json:"p99_ms"`
	Message      string  `json:"message"`
}

func (m *metricsWalk) step(g *gen, now time.Time) {
	walk := func(v, step, lo, hi float64) float64 {
		v += (g.rng.Float64()*2 - 1) * step
		return math.Round(math.Max(lo, math.Min(hi, v))*10) / 10
	}
	m.cpu = walk(m.cpu, 6, 2, 98)
	m.mem = walk(m.mem, 40, 256, 3900)
	m.rps = walk(m.rps, 60, 5, 2500)
	m.p99 = walk(m.p99, 15, 5, 900)
	rps := fmt.Sprintf("%.0f", m.rps)
	if m.rps >= 1000 {
		rps = fmt.Sprintf("%.1fk", m.rps/1000)
	}
	msg := fmt.Sprintf("cpu %.0f %% · mem %.1f GB · %s req/s · p99 %.0f ms", m.cpu, m.mem/1000, rps, m.p99)
	g.ch.publish(g.emit("metrics", metricsEvent{g.ch.info.Name, now.UnixMilli(), m.cpu, m.mem, m.rps, m.p99, msg}))
}

var (
	logComponents = [...]string{"api", "worker", "db", "auth", "billing", "scheduler"}
	logPaths      = [...]string{"/api/orders", "/api/users", "/api/invoices", "/api/search", "/healthz"}
	logWarnings   = [...]string{"slow query took %dms", "retrying upstream call (attempt %d)", "cache miss ratio high: %d%%", "queue depth %d above threshold"}
	logErrors     = [...]string{"payment provider returned 502 after %dms", "deadlock detected, transaction %d rolled back", "failed to renew lease %d", "worker %d crashed: out of memory"}
)

// logTail publishes one plain-text log line per step, as a default
// ("message") event.
type logTail struct{}

func (logTail) step(g *gen, now time.Time) {
	r := g.rng
	comp := logComponents[r.IntN(len(logComponents))]
	var level, msg string
	switch p := r.IntN(100); {
	case p < 20:
		level, msg = "DEBUG", fmt.Sprintf("cache lookup key=user:%d hit=%t", r.IntN(10000), r.IntN(2) == 0)
	case p < 80:
		status := []int{200, 200, 200, 201, 204, 304, 404}[r.IntN(7)]
		level, msg = "INFO", fmt.Sprintf("GET %s/%d %d %dms", logPaths[r.IntN(len(logPaths))], r.IntN(9000)+1000, status, 2+r.IntN(120))
	case p < 95:
		level, msg = "WARN", fmt.Sprintf(logWarnings[r.IntN(len(logWarnings))], 100+r.IntN(4000))
	default:
		level, msg = "ERROR", fmt.Sprintf(logErrors[r.IntN(len(logErrors))], 100+r.IntN(9000))
	}
	line := fmt.Sprintf("%s %-5s %-9s %s", now.UTC().Format("2006-01-02T15:04:05.000Z"), level, comp, msg)
	g.ch.publish(message{data: []byte(line)})
}

// firehose publishes Rate events per second in one batch per step,
// computed from the tick's time so that dropped ticks are made up (at most
// one second's worth per step).
type firehose struct {
	start     time.Time
	sent, seq uint64
	msgs      []message
}

func (f *firehose) step(g *gen, now time.Time) {
	rate := uint64(g.sc.Rate)
	elapsed := max(0, now.Sub(f.start))
	target := rate * uint64(elapsed/time.Millisecond) / 1000
	if target <= f.sent {
		return
	}
	due := min(target-f.sent, rate) // more than a second behind: skip the excess
	f.sent = target
	f.msgs = f.msgs[:0]
	ts := now.UnixMilli()
	for range due {
		f.seq++
		b := make([]byte, 0, 48)
		b = append(b, `{"seq":`...)
		b = strconv.AppendUint(b, f.seq, 10)
		b = append(b, `,"timestamp":`...)
		b = strconv.AppendInt(b, ts, 10)
		b = append(b, `,"message":"tick #`...)
		b = strconv.AppendUint(b, f.seq, 10)
		b = append(b, `"}`...)
		f.msgs = append(f.msgs, message{typ: "tick", data: b})
	}
	g.ch.publish(f.msgs...)
}

// flakyProgress is the flaky channel's progress: 0, 5, … 100 like the
// seed, then again.
type flakyProgress struct{ n int }

func (f *flakyProgress) step(g *gen, now time.Time) {
	p := (f.n % 21) * 5
	f.n++
	phase := "running"
	if p == 100 {
		phase = "complete"
	}
	msg := fmt.Sprintf("progress %d %%", p)
	if p == 100 {
		msg = "complete"
	}
	g.ch.publish(g.emit("status_update", struct {
		statusUpdate
		Phase   string `json:"phase"`
		Message string `json:"message"`
	}{statusUpdate{g.ch.info.Name, now.UnixMilli(), p}, phase, msg}))
}

// flaky runs the flaky channel: progress on every Interval tick and, on
// their own schedules, dropped connections, stalls and retry changes.
func (g *gen) flaky(progress stepper) {
	name := g.ch.info.Name
	clk := g.s.cfg.Clock
	pt := clk.NewTicker(g.sc.Interval)
	defer pt.Stop()
	tick := func(d time.Duration) (<-chan time.Time, func()) {
		if d <= 0 {
			return nil, func() {}
		}
		t := clk.NewTicker(d)
		return t.C(), t.Stop
	}
	dropC, stopDrop := tick(g.sc.DropEvery)
	defer stopDrop()
	stallC, stopStall := tick(g.sc.StallEvery)
	defer stopStall()
	retryC, stopRetry := tick(g.sc.RetryEvery)
	defer stopRetry()
	retryIdx := 0
	for {
		select {
		case <-g.s.stop:
			return
		case now := <-pt.C():
			progress.step(g, now)
		case <-dropC:
			g.s.Drop(name)
		case <-stallC:
			g.s.Stall(name, g.sc.StallFor)
		case <-retryC:
			g.s.SetRetry(name, g.sc.RetryCycle[retryIdx%len(g.sc.RetryCycle)])
			retryIdx++
		}
	}
}
