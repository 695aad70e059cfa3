package client

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client/ring"
	"github.com/tidwall/gjson"
)

// Progress scales accepted in ChannelConfig.ProgressScale.
const (
	// ScaleAuto reads a value as a percentage, except a value in [0, 1]
	// written with a fraction part (0.5, 1.0), which is a fraction; once a
	// channel sent such a fraction, 0 and 1 are fractions too (so a final
	// "1" means done), until it sends a value above 1. A field whose name
	// contains "percent" or "pct", or a string value ending in "%", is
	// always a percentage.
	ScaleAuto = ""
	// ScalePercent reads every value as 0–100.
	ScalePercent = "percent"
	// ScaleFraction reads every value as 0–1.
	ScaleFraction = "fraction"
)

// Default JSON paths tried when a channel names none (gjson syntax).
var (
	defaultProgressPaths = [...]string{"progress", "percent", "pct", "percentage"}
	defaultDonePaths     = [...]string{"done", "completed", "current", "processed"}
	defaultTotalPaths    = [...]string{"total"}
	defaultMessagePaths  = [...]string{"message", "status", "stage", "msg"}
)

// Progress is what a channel's newest events say about the work they report.
type Progress struct {
	// Known reports that a progress value was found.
	Known bool
	// Percent is the progress, 0–100.
	Percent float64
	// Done and Total are set when the percentage came from done/total
	// fields.
	Done, Total float64
	// Message is the latest message/status/stage text ("" if none).
	Message string
	// Summary is the newest event's data in one line (see Summarize): a
	// JSON object's top-level scalar fields ("cpu 43 · memory 61 · rps
	// 1200"), else the text; at most SummaryBytes bytes. For display when
	// Message is empty.
	Summary string
	// Rate is the progress speed in percentage points per second, from a
	// linear fit over recent samples; 0 when unknown.
	Rate float64
	// ETA is the estimated time to 100%; valid when HasETA.
	ETA time.Duration
	// HasETA reports whether progress is increasing enough to estimate.
	HasETA bool
	// Resets counts the times progress went backwards (a new run).
	Resets int
	// Seq is the record the progress was read from; At is its arrival.
	Seq uint64
	// At is when that record arrived.
	At time.Time
}

// progressFields is the extraction configuration of a channel.
type progressFields struct {
	progress, done, total, message string
	scale                          string
}

// SummaryBytes caps Progress.Summary.
const SummaryBytes = 160

// extracted is what one event's data yields.
type extracted struct {
	summary     string
	pct         float64
	done, total float64
	hasPct      bool
	fraction    bool // the value was read as a fraction in auto mode (sets the mode)
	percentSeen bool // a value above 1 was read in auto mode (clears the mode)
	msg         string
	hasMsg      bool
}

// extract reads progress and message from an event's data, if it is a JSON
// object. fractionMode is the channel's auto-scale memory.
func (pf *progressFields) extract(data string, fractionMode bool) extracted {
	x := extracted{summary: Summarize(data)}
	if !strings.HasPrefix(strings.TrimLeft(data, " \t\r\n"), "{") {
		return x
	}
	if pf.progress != "" {
		pf.readValue(&x, data, pf.progress, fractionMode)
	}
	if !x.hasPct && (pf.done != "" || pf.total != "") {
		pf.readDoneTotal(&x, data, pf.done, pf.total)
	}
	if !x.hasPct && pf.progress == "" {
		for _, p := range defaultProgressPaths {
			if pf.readValue(&x, data, p, fractionMode) {
				break
			}
		}
	}
	if !x.hasPct && pf.done == "" && pf.total == "" {
		for _, d := range defaultDonePaths {
			if pf.readDoneTotal(&x, data, d, defaultTotalPaths[0]) {
				break
			}
		}
	}
	if pf.message != "" {
		x.msg, x.hasMsg = readText(data, pf.message)
	} else {
		for _, p := range defaultMessagePaths {
			if x.msg, x.hasMsg = readText(data, p); x.hasMsg {
				break
			}
		}
	}
	return x
}

func (pf *progressFields) readValue(x *extracted, data, path string, fractionMode bool) bool {
	r := gjson.Get(data, path)
	v, percentSign, ok := number(r)
	if !ok {
		return false
	}
	name := strings.ToLower(path[strings.LastIndexByte(path, '.')+1:])
	switch {
	case pf.scale == ScalePercent:
	case pf.scale == ScaleFraction:
		v *= 100
	case percentSign || strings.Contains(name, "percent") || strings.Contains(name, "pct"):
	case v > 1:
		x.percentSeen = true
	case v >= 0 && v <= 1:
		whole := v == math.Trunc(v)
		if !whole || r.Type == gjson.Number && strings.ContainsAny(r.Raw, ".eE") {
			x.fraction = true
			v *= 100
		} else if fractionMode {
			v *= 100
		}
	}
	x.pct, x.hasPct = clampPct(v), true
	return true
}

func (pf *progressFields) readDoneTotal(x *extracted, data, donePath, totalPath string) bool {
	if donePath == "" || totalPath == "" {
		return false
	}
	res := gjson.GetMany(data, donePath, totalPath)
	d, _, ok1 := number(res[0])
	t, _, ok2 := number(res[1])
	if !ok1 || !ok2 || t <= 0 {
		return false
	}
	x.done, x.total = d, t
	x.pct, x.hasPct = clampPct(d/t*100), true
	return true
}

// number reads a JSON number, or a string holding one (with an optional
// trailing "%", reported).
func number(r gjson.Result) (v float64, percent, ok bool) {
	switch r.Type {
	case gjson.Number:
		v = r.Num
	case gjson.String:
		s := strings.TrimSpace(r.Str)
		if t, cut := strings.CutSuffix(s, "%"); cut {
			s, percent = strings.TrimSpace(t), true
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false, false
		}
		v = f
	default:
		return 0, false, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, false
	}
	return v, percent, true
}

func clampPct(v float64) float64 { return min(max(v, 0), 100) }

// readText reads a scalar as text (strings as they are, numbers and bools
// as written).
func readText(data, path string) (string, bool) {
	r := gjson.Get(data, path)
	switch r.Type {
	case gjson.String:
		return r.Str, true
	case gjson.Number, gjson.True, gjson.False:
		return r.Raw, true
	}
	return "", false
}

// progressSamples is how many progress samples the ETA fit keeps.
const progressSamples = 32

// progressWindow is the age of the oldest sample used by the ETA fit.
const progressWindow = 2 * time.Minute

type progressSample struct {
	at  time.Time
	pct float64
}

// progressTracker turns successive extractions into Progress, with the
// samples for the ETA. It is guarded by the channel's mutex.
type progressTracker struct {
	p            Progress
	fractionMode bool
	samples      ring.Ring[progressSample] // New(progressSamples) on first use
}

// update applies the extraction x of record seq received at at.
func (t *progressTracker) update(seq uint64, at time.Time, x extracted) {
	if seq <= t.p.Seq {
		return
	}
	t.p.Seq, t.p.At = seq, at
	t.p.Summary = x.summary
	if x.hasMsg {
		t.p.Message = x.msg
	}
	if x.fraction {
		t.fractionMode = true
	} else if x.percentSeen {
		t.fractionMode = false
	}
	if !x.hasPct {
		return
	}
	if t.p.Known && x.pct < t.p.Percent-0.5 {
		t.p.Resets++
		for t.samples.Len() > 0 {
			t.samples.Drop()
		}
	}
	t.p.Known, t.p.Percent, t.p.Done, t.p.Total = true, x.pct, x.done, x.total
	t.addSample(progressSample{at: at, pct: x.pct})
	t.estimate()
}

func (t *progressTracker) addSample(s progressSample) {
	if last := t.samples.Newest(); last != nil && !s.at.After(last.at) {
		*last = s // same instant: keep the newest value
		return
	}
	if t.samples.Cap() == 0 {
		t.samples = ring.New[progressSample](progressSamples)
	}
	t.samples.Push(s)
}

// estimate fits pct = a + b·t by least squares over the samples of the last
// progressWindow and derives Rate and ETA.
func (t *progressTracker) estimate() {
	t.p.Rate, t.p.ETA, t.p.HasETA = 0, 0, false
	if t.samples.Len() < 2 {
		return
	}
	newest := *t.samples.Newest()
	var n, sx, sy, sxx, sxy float64
	for i := range t.samples.Len() {
		s := t.samples.At(i)
		age := newest.at.Sub(s.at)
		if age > progressWindow {
			continue
		}
		x := -age.Seconds()
		n++
		sx += x
		sy += s.pct
		sxx += x * x
		sxy += x * s.pct
	}
	den := n*sxx - sx*sx
	if n < 2 || den <= 0 {
		return
	}
	b := (n*sxy - sx*sy) / den
	if b <= 0 || math.IsNaN(b) {
		return
	}
	t.p.Rate = b
	if newest.pct >= 100 {
		t.p.HasETA = true
		return
	}
	eta := (100 - newest.pct) / b
	if eta > (100 * 24 * time.Hour).Seconds() {
		return // effectively stalled
	}
	t.p.ETA, t.p.HasETA = time.Duration(eta*float64(time.Second)), true
}
