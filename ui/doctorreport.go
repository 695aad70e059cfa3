package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client/doctor"
)

// DoctorReport shows the stream doctor at work and its report: while it
// runs, what it examines and for how long; then every finding, worst
// first — problems with their evidence, fix and snippets, passed checks
// on one line each; or why the examination could not run.
type DoctorReport struct {
	widget.BaseWidget

	// Target is the examined request, e.g. "GET http://host/events".
	Target string
	// Watch is how long the stream is watched (shown while running).
	Watch time.Duration
	// Report is the result; nil while running or after an error.
	Report *doctor.Report
	// Err says why the examination could not run ("" for none).
	Err string
}

// NewDoctorReport returns a report view of target, running.
func NewDoctorReport(target string, watch time.Duration) *DoctorReport {
	r := &DoctorReport{Target: target, Watch: watch}
	r.ExtendBaseWidget(r)
	return r
}

// SetReport shows rep.
func (r *DoctorReport) SetReport(rep *doctor.Report) {
	r.Report, r.Err = rep, ""
	r.Refresh()
}

// SetError shows why the examination could not run.
func (r *DoctorReport) SetError(msg string) {
	r.Report, r.Err = nil, msg
	r.Refresh()
}

// SetRunning shows the examination as started again.
func (r *DoctorReport) SetRunning() {
	r.Report, r.Err = nil, ""
	r.Refresh()
}

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (r *DoctorReport) CreateRenderer() fyne.WidgetRenderer {
	r.ExtendBaseWidget(r)
	return newBoxRenderer(r.objects)
}

// objects lays out the view anew: a report changes as a whole, rarely.
func (r *DoctorReport) objects() []fyne.CanvasObject {
	var objs []fyne.CanvasObject
	title := widget.NewLabelWithStyle(r.Target, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	objs = append(objs, title)
	switch {
	case r.Err != "":
		l := widget.NewLabel(r.Err)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.DangerImportance
		objs = append(objs, l)
	case r.Report == nil:
		l := widget.NewLabel(fmt.Sprintf("Watching the stream for %s, then opening concurrent and abandoned connections and reconnecting once with the last event ID…", r.Watch))
		l.Wrapping = fyne.TextWrapWord
		objs = append(objs, l, widget.NewProgressBarInfinite())
	default:
		rep := r.Report
		sum := widget.NewLabel(rep.Headline())
		sum.Importance = widget.LowImportance
		objs = append(objs, sum)
		for s := doctor.Error; ; s-- {
			for _, f := range rep.Findings {
				if f.Severity == s {
					objs = append(objs, findingObjects(f)...)
				}
			}
			if s == doctor.OK {
				break
			}
		}
	}
	return objs
}

// severityPill shows a severity in the colours of its weight.
func severityPill(s doctor.Severity) *Pill {
	kind := PillInfo
	switch s {
	case doctor.Error:
		kind = PillError
	case doctor.Warning:
		kind = PillWarning
	}
	return NewPill(strings.ToUpper(s.String()), kind)
}

// findingObjects lays out one finding: a line with its severity, check
// and summary; for a warning or an error also the evidence, the fix and
// the snippets; for the others the evidence only.
func findingObjects(f doctor.Finding) []fyne.CanvasObject {
	check := widget.NewLabelWithStyle(f.Check, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	summary := widget.NewLabel(f.Summary)
	summary.Wrapping = fyne.TextWrapWord
	line := container.NewBorder(nil, nil, container.NewHBox(container.NewCenter(severityPill(f.Severity)), check), nil, summary)
	objs := []fyne.CanvasObject{widget.NewSeparator(), line}
	text := func(label, s string, mono bool) {
		if s == "" {
			return
		}
		l := widget.NewLabel(label + s)
		l.Wrapping = fyne.TextWrapWord
		l.TextStyle = fyne.TextStyle{Monospace: mono}
		l.SizeName = theme.SizeNameCaptionText
		objs = append(objs, l)
	}
	text("Seen: ", f.Evidence, false)
	if f.Severity >= doctor.Warning {
		text("Fix: ", f.Fix, false)
		for _, sn := range f.Snippets {
			text(sn.Lang+":\n", sn.Code, true)
		}
	}
	return objs
}
