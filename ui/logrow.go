package ui

import (
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// LogRow is one line of a channel's event log: arrival time, time since the
// previous record, event id, type (or the kind of a non-event record), a
// marker (the event's finding: gap, lost, reset, restart, dup, backwards;
// a bad id) and a one-line preview: a JSON event's message, else a summary
// of its fields, else the text (the inspector shows the data as it came).
// A connection that opened is a divider: a line across the top of its row,
// which says the Last-Event-ID the connection resumed from. All rows have
// the same height, as widget.List wants.
type LogRow struct {
	widget.BaseWidget

	rec   client.Record
	delta time.Duration
	pause bool // delta is unusually long for the log's rhythm (SetPause)
	local *time.Location

	at, dt, id, typ, mark, preview *canvas.Text
	// divider is the line above an opened connection's row.
	divider *canvas.Rectangle
}

// NewLogRow returns an empty row. Times are shown in loc (nil: time.Local).
func NewLogRow(loc *time.Location) *LogRow {
	if loc == nil {
		loc = time.Local
	}
	r := &LogRow{local: loc, delta: -1}
	r.ExtendBaseWidget(r)
	mono := fyne.TextStyle{Monospace: true}
	r.at = canvas.NewText("", color.Black)
	r.at.TextStyle = mono
	r.dt = canvas.NewText("", color.Black)
	r.dt.TextStyle = mono
	r.dt.Alignment = fyne.TextAlignTrailing
	r.id = canvas.NewText("", color.Black)
	r.typ = canvas.NewText("", color.Black)
	r.typ.TextStyle = fyne.TextStyle{Bold: true}
	r.mark = canvas.NewText("", color.Black)
	r.mark.TextStyle = fyne.TextStyle{Bold: true}
	r.preview = canvas.NewText("", color.Black)
	r.divider = canvas.NewRectangle(color.Transparent)
	r.divider.Hide()
	return r
}

// Set shows rec; delta is the time since the previous record shown (negative
// when there is none).
func (r *LogRow) Set(rec client.Record, delta time.Duration) {
	if r.rec == rec && r.delta == delta {
		return
	}
	r.rec, r.delta = rec, delta
	r.Refresh()
}

// Record returns the record shown.
func (r *LogRow) Record() client.Record { return r.rec }

// logColumnSamples size the fixed columns: the widest text each usually holds.
var logColumnSamples = [...]string{
	"00:00:00.000",  // time, monospace
	"+999 ms",       // delta, monospace
	"0000000",       // id
	"status_update", // type
	"backwards",     // marker
}

// columnWidths measures the fixed columns at text size ts.
func columnWidths(ts float32) [len(logColumnSamples)]float32 {
	var w [len(logColumnSamples)]float32
	for i, s := range logColumnSamples {
		style := fyne.TextStyle{Monospace: i < 2, Bold: i >= 3}
		w[i] = fyne.MeasureText(s, ts, style).Width
	}
	return w
}

// columnGap is the space between two columns at text size ts: wide
// enough that a right-aligned delta and the id after it do not read as
// one ("+996 ms 64").
func columnGap(ts, pad float32) float32 { return max(2*pad, 0.75*ts) }

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (r *LogRow) CreateRenderer() fyne.WidgetRenderer {
	r.ExtendBaseWidget(r)
	lr := &logRowRenderer{r: r, objects: []fyne.CanvasObject{r.divider, r.at, r.dt, r.id, r.typ, r.mark, r.preview}}
	lr.Refresh()
	return lr
}

type logRowRenderer struct {
	r       *LogRow
	objects []fyne.CanvasObject
	widths  [len(logColumnSamples) + 1]float32
	// cols caches the measured column widths for text size ts.
	cols [len(logColumnSamples)]float32
	ts   float32
}

func (lr *logRowRenderer) MinSize() fyne.Size {
	th := lr.r.Theme()
	size, pad := th.Size(theme.SizeNameText), th.Size(theme.SizeNamePadding)
	w := pad
	for _, c := range columnWidths(size) {
		w += c + columnGap(size, pad)
	}
	h := fyne.MeasureText("Ag", size, fyne.TextStyle{}).Height
	return fyne.NewSize(w+10*size, h+pad)
}

func (lr *logRowRenderer) Layout(size fyne.Size) {
	th := lr.r.Theme()
	ts, pad := th.Size(theme.SizeNameText), th.Size(theme.SizeNamePadding)
	x, gap := pad, columnGap(ts, pad)
	cols := []*canvas.Text{lr.r.at, lr.r.dt, lr.r.id, lr.r.typ, lr.r.mark}
	if lr.ts != ts {
		lr.ts, lr.cols = ts, columnWidths(ts)
	}
	for i, c := range cols {
		w := lr.cols[i]
		lr.widths[i] = w
		h := c.MinSize().Height
		c.Move(fyne.NewPos(x, (size.Height-h)/2))
		c.Resize(fyne.NewSize(w, h))
		x += w + gap
	}
	lr.r.divider.Move(fyne.NewPos(0, 0))
	lr.r.divider.Resize(fyne.NewSize(size.Width, dividerHeight))
	w := max(size.Width-x-pad, 0)
	lr.widths[len(cols)] = w
	h := lr.r.preview.MinSize().Height
	lr.r.preview.Move(fyne.NewPos(x, (size.Height-h)/2))
	lr.r.preview.Resize(fyne.NewSize(w, h))
	lr.fit()
}

// fit cuts the variable texts to their columns.
func (lr *logRowRenderer) fit() {
	r := lr.r
	id, data := r.rec.ID, r.rec.Data
	switch r.rec.Kind {
	case client.RecordEvent:
		data = previewOf(data)
	case client.RecordRetry:
		if d, err := time.ParseDuration(data); err == nil {
			data = client.FormatDuration(d)
		}
	case client.RecordOversized:
		if o := r.rec.Oversized; o != nil {
			data = strings.TrimPrefix(o.String(), "oversized: ") + " · " + previewOf(data)
		}
	case client.RecordState:
		// An open state's id is the Last-Event-ID its connection sent.
		id = ""
		if r.rec.ID != "" {
			data = "Last-Event-ID " + r.rec.ID + " · " + data
		}
	}
	r.id.Text = fitText(id, lr.widths[2], r.id.TextSize, r.id.TextStyle)
	r.typ.Text = fitText(recordType(r.rec), lr.widths[3], r.typ.TextSize, r.typ.TextStyle)
	r.preview.Text = fitText(data, lr.widths[5], r.preview.TextSize, r.preview.TextStyle)
}

// recordType is the type column: the event type, or the record's kind.
func recordType(rec client.Record) string {
	switch rec.Kind {
	case client.RecordEvent:
		return rec.Type
	case client.RecordState:
		return rec.Type
	case client.RecordOversized:
		if rec.Type != "" && (rec.Oversized == nil || !rec.Oversized.Comment) {
			return rec.Type
		}
		return rec.Kind.String()
	case 0:
		return ""
	default:
		return rec.Kind.String()
	}
}

// dividerHeight is the thickness of the line above an opened connection.
const dividerHeight = 2

func (lr *logRowRenderer) Refresh() {
	r := lr.r
	th := r.Theme()
	ts := th.Size(theme.SizeNameText)
	fg := theme.ColorForWidget(theme.ColorNameForeground, r)
	muted := theme.ColorForWidget(theme.ColorNamePlaceHolder, r)
	for _, t := range []*canvas.Text{r.at, r.dt, r.id, r.typ, r.mark, r.preview} {
		t.TextSize = ts
		t.Color = fg
	}
	warning := theme.ColorForWidget(theme.ColorNameWarning, r)
	r.at.Color, r.dt.Color = muted, muted
	if r.pause {
		r.dt.Color = warning
	}
	mark, tone := recordMark(&r.rec)
	switch tone {
	case toneError:
		r.mark.Color = theme.ColorForWidget(theme.ColorNameError, r)
	case toneState:
		r.mark.Color = stateTextColor(r, client.Open)
	default:
		r.mark.Color = warning
	}
	r.divider.Hidden = r.rec.Kind != client.RecordState || r.rec.Type != client.Open.String()
	r.divider.FillColor = stateTextColor(r, client.Open)
	switch r.rec.Kind {
	case client.RecordComment, client.RecordRetry:
		r.typ.Color, r.preview.Color = muted, muted
	case client.RecordState:
		if s, ok := parseState(r.rec.Type); ok {
			r.typ.Color = stateTextColor(r, s)
		}
		r.preview.Color = muted
	}
	if r.rec.At.IsZero() {
		r.at.Text = ""
	} else {
		r.at.Text = r.rec.At.In(r.local).Format("15:04:05.000")
	}
	r.dt.Text = formatDelta(r.delta)
	r.mark.Text = mark
	lr.Layout(r.Size())
	for _, o := range lr.objects {
		o.Refresh()
	}
}

// parseState returns the state named s (as State.String spells it).
func parseState(s string) (client.State, bool) {
	for st := client.Idle; st <= client.Paused; st++ {
		if st.String() == s {
			return st, true
		}
	}
	return 0, false
}

func (lr *logRowRenderer) Objects() []fyne.CanvasObject { return lr.objects }

func (lr *logRowRenderer) Destroy() {}
