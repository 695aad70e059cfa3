package client

import (
	"testing"
	"time"
)

func TestProgressExtract(t *testing.T) {
	tests := []struct {
		name     string
		fields   progressFields
		fraction bool
		data     string
		wantPct  float64
		wantOK   bool
		wantMsg  string
	}{
		{"default progress percent", progressFields{}, false, `{"progress":42,"message":"building"}`, 42, true, "building"},
		{"default percent field", progressFields{}, false, `{"percent":"73%"}`, 73, true, ""},
		{"fraction with decimals", progressFields{}, false, `{"progress":0.25}`, 25, true, ""},
		{"1.0 is done", progressFields{}, false, `{"progress":1.0}`, 100, true, ""},
		{"integer 1 is one percent", progressFields{}, false, `{"progress":1}`, 1, true, ""},
		{"integer 1 in fraction mode is done", progressFields{}, true, `{"progress":1}`, 100, true, ""},
		{"pct name is always percent", progressFields{}, false, `{"pct":0.5}`, 0.5, true, ""},
		{"explicit fraction scale", progressFields{progress: "p", scale: ScaleFraction}, false, `{"p":0.3}`, 30, true, ""},
		{"explicit percent scale", progressFields{progress: "p", scale: ScalePercent}, false, `{"p":0.3}`, 0.3, true, ""},
		{"nested path", progressFields{progress: "job.state.pct"}, false, `{"job":{"state":{"pct":"55"}}}`, 55, true, ""},
		{"clamped", progressFields{}, false, `{"progress":250}`, 100, true, ""},
		{"negative clamped", progressFields{}, false, `{"progress":-5}`, 0, true, ""},
		{"done/total defaults", progressFields{}, false, `{"done":3,"total":12,"stage":"copy"}`, 25, true, "copy"},
		{"done/total configured", progressFields{done: "a.n", total: "a.of"}, false, `{"a":{"n":1,"of":4}}`, 25, true, ""},
		{"zero total ignored", progressFields{}, false, `{"done":3,"total":0}`, 0, false, ""},
		{"status message", progressFields{}, false, `{"status":"ok"}`, 0, false, "ok"},
		{"configured message", progressFields{message: "log.text"}, false, `{"log":{"text":"hi"},"message":"no"}`, 0, false, "hi"},
		{"not json", progressFields{}, false, `progress: 50`, 0, false, ""},
		{"bad number", progressFields{}, false, `{"progress":"lots"}`, 0, false, ""},
		{"bool progress ignored", progressFields{}, false, `{"progress":true}`, 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tt.fields.extract(tt.data, tt.fraction)
			if x.hasPct != tt.wantOK || (tt.wantOK && x.pct != tt.wantPct) {
				t.Errorf("pct = %v %v, want %v %v", x.pct, x.hasPct, tt.wantPct, tt.wantOK)
			}
			if x.msg != tt.wantMsg {
				t.Errorf("msg = %q, want %q", x.msg, tt.wantMsg)
			}
		})
	}
}

func TestProgressTrackerETAAndResets(t *testing.T) {
	var tr progressTracker
	var pf progressFields
	at := testStart
	seq := uint64(0)
	feed := func(data string, after time.Duration) Progress {
		seq++
		at = at.Add(after)
		tr.update(seq, at, pf.extract(data, tr.fractionMode))
		return tr.p
	}
	p := feed(`{"progress":10}`, 0)
	if !p.Known || p.HasETA {
		t.Fatalf("first sample: %+v", p)
	}
	feed(`{"progress":20}`, 10*time.Second)
	p = feed(`{"progress":30}`, 10*time.Second)
	if !p.HasETA || p.ETA != 70*time.Second || p.Rate != 1 {
		t.Errorf("ETA = %v rate %v has %v, want 70s at 1%%/s", p.ETA, p.Rate, p.HasETA)
	}
	p = feed(`{"progress":30}`, 10*time.Second) // flat tail: slower, still positive
	if !p.HasETA || p.ETA <= 70*time.Second {
		t.Errorf("after a flat sample ETA = %v", p.ETA)
	}
	p = feed(`{"progress":5}`, time.Second) // a new run
	if p.Resets != 1 || p.Percent != 5 || p.HasETA {
		t.Errorf("after reset: %+v", p)
	}
	p = feed(`{"message":"waiting"}`, time.Second) // no value: keep the last
	if p.Percent != 5 || p.Message != "waiting" {
		t.Errorf("without progress: %+v", p)
	}
	feed(`{"progress":5}`, time.Second)
	p = feed(`{"progress":5}`, time.Second)
	if p.HasETA {
		t.Errorf("ETA while not increasing: %v", p.ETA)
	}
	// Fraction mode sticks: 0.5 then 1 means done.
	feed(`{"progress":0.5}`, time.Second)
	if p = feed(`{"progress":1}`, time.Second); p.Percent != 100 {
		t.Errorf("fraction mode: final 1 gave %v", p.Percent)
	}
	// Stale sequence numbers are ignored.
	tr.update(1, at, pf.extract(`{"progress":99}`, false))
	if tr.p.Percent != 100 {
		t.Errorf("stale update applied")
	}
}
