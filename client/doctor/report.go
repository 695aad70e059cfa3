package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Severity grades a finding. The order is meaningful: a larger value is
// worse.
type Severity uint8

// The severities, from good to bad.
const (
	// OK: the check passed.
	OK Severity = iota
	// Info: worth knowing; nothing to fix, or the check could not decide.
	Info
	// Warning: likely to hurt some clients or some deployments.
	Warning
	// Error: the stream does not work as an event stream should.
	Error
)

var severityNames = [...]string{OK: "ok", Info: "info", Warning: "warning", Error: "error"}

// String returns "ok", "info", "warning" or "error".
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", uint8(s))
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range severityNames {
		if string(b) == n {
			*s = Severity(i)
			return nil
		}
	}
	return fmt.Errorf("doctor: unknown severity %q", b)
}

// Snippet is a piece of configuration or code that applies a fix.
type Snippet struct {
	// Lang names where it goes: "nginx", "Next.js", "Node", "Go".
	Lang string `json:"lang"`
	// Code is the snippet itself.
	Code string `json:"code"`
}

// Finding is the result of one check.
type Finding struct {
	// Check is the check's stable identifier (see the Check constants).
	Check string `json:"check"`
	// Severity grades the result.
	Severity Severity `json:"severity"`
	// Summary says the result in one line.
	Summary string `json:"summary"`
	// Evidence is what the doctor saw that led to the result.
	Evidence string `json:"evidence,omitempty"`
	// Fix says what to change, when something should change.
	Fix string `json:"fix,omitempty"`
	// Snippets show the fix for common servers and proxies.
	Snippets []Snippet `json:"snippets,omitempty"`
}

// Report is the outcome of one Run.
type Report struct {
	// URL is the stream that was examined (credentials in its query
	// removed).
	URL string `json:"url"`
	// Method is the request method.
	Method string `json:"method"`
	// Started is when the examination started.
	Started time.Time `json:"started"`
	// Duration is how long it took in all.
	Duration time.Duration `json:"-"`
	// Watch is how long the first connection was to be watched; 0 when
	// it opened no stream to watch.
	Watch time.Duration `json:"-"`
	// Findings lists one finding per check, in the order of Checks.
	Findings []Finding `json:"findings"`
}

// Worst returns the most severe severity of the findings (OK when there
// are none).
func (r *Report) Worst() Severity {
	w := OK
	for _, f := range r.Findings {
		w = max(w, f.Severity)
	}
	return w
}

// Count returns how many findings have severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Finding returns the finding of a check, and whether there is one.
func (r *Report) Finding(check string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Check == check {
			return f, true
		}
	}
	return Finding{}, false
}

// MarshalJSON writes the report with durations in milliseconds.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		*plain
		DurationMS int64    `json:"durationMs"`
		WatchMS    int64    `json:"watchMs"`
		Worst      Severity `json:"worst"`
	}{(*plain)(r), r.Duration.Milliseconds(), r.Watch.Milliseconds(), r.Worst()})
}

// Totals says how many findings of each severity there are, worst first:
// "1 error, 2 warnings, 3 info, 9 ok".
func (r *Report) Totals() string {
	parts := make([]string, 0, 4)
	for s := Error; ; s-- {
		n := r.Count(s)
		name := s.String()
		if n != 1 && (s == Error || s == Warning) {
			name += "s"
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, name))
		if s == OK {
			break
		}
	}
	return strings.Join(parts, ", ")
}

// Headline says how long the examination took and its totals:
// "watched 20s, 27s in all: 0 errors, 1 warning, 2 info, 14 ok".
func (r *Report) Headline() string {
	if r.Watch == 0 {
		return fmt.Sprintf("examined in %s (no stream to watch): %s", roundDur(r.Duration), r.Totals())
	}
	return fmt.Sprintf("watched %s, %s in all: %s", roundDur(r.Watch), roundDur(r.Duration), r.Totals())
}

// WriteText writes the human form of the report: a header, then every
// finding worst first with its evidence, fix and snippets.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Stream doctor: %s %s\n", r.Method, r.URL)
	fmt.Fprintln(&b, r.Headline())
	for s := Error; ; s-- {
		for _, f := range r.Findings {
			if f.Severity != s {
				continue
			}
			fmt.Fprintf(&b, "\n%-7s %s — %s\n", strings.ToUpper(f.Severity.String()), f.Check, f.Summary)
			if f.Evidence != "" {
				writeIndented(&b, "seen: ", f.Evidence)
			}
			if f.Fix != "" {
				writeIndented(&b, "fix:  ", f.Fix)
			}
			for _, sn := range f.Snippets {
				fmt.Fprintf(&b, "        %s:\n", sn.Lang)
				for _, l := range strings.Split(strings.TrimRight(sn.Code, "\n"), "\n") {
					fmt.Fprintf(&b, "            %s\n", l)
				}
			}
		}
		if s == OK {
			break
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeIndented(b *strings.Builder, label, text string) {
	for i, l := range strings.Split(text, "\n") {
		if i == 0 {
			fmt.Fprintf(b, "        %s%s\n", label, l)
		} else {
			fmt.Fprintf(b, "        %s%s\n", strings.Repeat(" ", len(label)), l)
		}
	}
}

// roundDur rounds a duration for people: milliseconds under a second,
// tenths of a second under a minute, seconds above.
func roundDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
