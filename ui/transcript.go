package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client/transcript"
)

// TranscriptPanel shows the transcripts of a model stream's requests: the
// selected run's answer, reasoning, tool calls with their arguments, model,
// outcome, usage and numbers, and a table comparing the runs kept. It
// follows the newest run until another is picked.
type TranscriptPanel struct {
	widget.BaseWidget

	// OnRunAgain, when set, shows a "Run again" button that calls it.
	OnRunAgain func()
	// OnCopy, when set, shows a "Copy answer" button that calls it with
	// the selected run's whole text (the labels show at most the
	// inspector's cap of each text), and, for a run with tool calls, a
	// "Copy tool calls" button that calls it with their names, ids and
	// whole arguments.
	OnCopy func(text string)
	// Queued says that a Run again waits for the run on its way to end:
	// the button says so (pressing it again asks for nothing more).
	Queued bool

	runs []transcript.Transcript
	pick int // the Run number picked; 0 follows the newest
	// keys are the window keys its controls let through (see keys.go).
	keys windowKeys
}

// NewTranscriptPanel returns an empty panel.
func NewTranscriptPanel() *TranscriptPanel {
	p := &TranscriptPanel{keys: noKeys}
	p.ExtendBaseWidget(p)
	return p
}

// Set shows runs (oldest first).
func (p *TranscriptPanel) Set(runs []transcript.Transcript) {
	p.runs = runs
	p.Refresh()
}

// Selected returns the run shown; false when there is none.
func (p *TranscriptPanel) Selected() (transcript.Transcript, bool) {
	if len(p.runs) == 0 {
		return transcript.Transcript{}, false
	}
	if p.pick != 0 {
		for _, r := range p.runs {
			if r.Run == p.pick {
				return r, true
			}
		}
	}
	return p.runs[len(p.runs)-1], true
}

// Pick shows run n; 0 follows the newest.
func (p *TranscriptPanel) Pick(n int) {
	p.pick = n
	p.Refresh()
}

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (p *TranscriptPanel) CreateRenderer() fyne.WidgetRenderer {
	p.ExtendBaseWidget(p)
	r := &transcriptRenderer{p: p}
	r.build()
	r.Refresh()
	return r
}

type transcriptRenderer struct {
	p *TranscriptPanel

	runSel      *guardedSelect
	again       *guardedButton
	copyBtn     *guardedButton
	copyTools   *guardedButton
	head        *widget.Label
	numbers     *widget.Label // the numbers, then the usage
	reasonHdr   *widget.Label
	reasoning   *widget.Label
	text        *widget.Label
	toolsHdr    *widget.Label
	tools       *widget.Label
	table       *fyne.Container
	tableScroll *container.Scroll
	split       *container.Split // the answer above, the runs table below
	tableRows   int
	root        *fyne.Container
	labels      []string // run selector labels, newest first
}

// answerShare is the part of the room below the numbers that the answer
// gets at first (the runs table the rest, never less than its heading
// and newest run).
const answerShare = 0.72

// tableColumns returns the comparison table's headings.
func tableColumns() []string {
	return []string{"Run", "Outcome", "TTFB", "TTFT", "Rate", "Gap p50", "Gap p99", "Stall", "Total", "Out tok"}
}

func (r *transcriptRenderer) build() {
	r.runSel = newGuardedSelect(r.p.keys, nil, r.onPick)
	r.again = newGuardedButton(r.p.keys, "Run again", theme.MediaReplayIcon(), func() {
		if r.p.OnRunAgain != nil {
			r.p.OnRunAgain()
		}
	})
	r.again.Importance = widget.HighImportance
	r.copyBtn = newGuardedButton(r.p.keys, "Copy answer", theme.ContentCopyIcon(), func() {
		if t, ok := r.p.Selected(); ok && r.p.OnCopy != nil {
			r.p.OnCopy(t.Text)
		}
	})
	r.copyTools = newGuardedButton(r.p.keys, "Copy tool calls", theme.ContentCopyIcon(), func() {
		if t, ok := r.p.Selected(); ok && r.p.OnCopy != nil {
			r.p.OnCopy(toolCallsText(t.ToolCalls, func(s string) string { return s }))
		}
	})
	r.head = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.head.Truncation = fyne.TextTruncateEllipsis
	r.numbers = widget.NewLabel("")
	r.numbers.TextStyle = fyne.TextStyle{Monospace: true}
	r.numbers.Wrapping = fyne.TextWrapWord
	r.reasonHdr = widget.NewLabelWithStyle("Reasoning", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.reasoning = widget.NewLabel("")
	r.reasoning.Wrapping = fyne.TextWrapWord
	r.reasoning.TextStyle = fyne.TextStyle{Italic: true}
	r.text = widget.NewLabel("")
	r.text.Wrapping = fyne.TextWrapWord
	r.toolsHdr = widget.NewLabelWithStyle("Tool calls", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.tools = widget.NewLabel("")
	r.tools.TextStyle = fyne.TextStyle{Monospace: true}
	r.tools.Wrapping = fyne.TextWrapBreak
	r.table = container.NewGridWithColumns(len(tableColumns()))

	bar := container.NewBorder(nil, nil, r.runSel, container.NewHBox(r.copyTools, r.copyBtn, r.again), r.head)
	body := container.NewVScroll(container.NewVBox(
		r.reasonHdr, r.reasoning,
		widget.NewLabelWithStyle("Answer", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), r.text,
		r.toolsHdr, r.tools,
	))
	// The answer takes most of the room; the runs table below it shows
	// its heading and the newest run at least, scrolls past what fits, and
	// grows when the divider is dragged up.
	r.tableScroll = container.NewVScroll(r.table)
	r.split = container.NewVSplit(body, r.tableScroll)
	r.split.Offset = answerShare
	r.root = container.NewBorder(container.NewVBox(bar, r.numbers, widget.NewSeparator()), nil, nil, nil, r.split)
}

func (r *transcriptRenderer) onPick(label string) {
	for i, l := range r.labels {
		if l == label {
			if i == 0 {
				r.p.pick = 0 // the newest: keep following
			} else {
				r.p.pick = r.p.runs[len(r.p.runs)-1-i].Run
			}
			r.Refresh()
			return
		}
	}
}

// runLabel names a run in the selector.
func runLabel(t *transcript.Transcript, newest bool) string {
	s := "Run " + strconv.Itoa(t.Run)
	if newest {
		s += " (latest)"
	}
	return s
}

func (r *transcriptRenderer) Refresh() {
	p := r.p
	r.again.Hidden = p.OnRunAgain == nil
	r.again.Text = "Run again"
	if p.Queued {
		r.again.Text = "Run again · queued"
	}
	r.copyBtn.Hidden = p.OnCopy == nil
	r.copyTools.Hidden = true
	labels := make([]string, len(p.runs))
	for i := range p.runs {
		t := &p.runs[len(p.runs)-1-i]
		labels[i] = runLabel(t, i == 0)
	}
	if strings.Join(labels, "\x00") != strings.Join(r.labels, "\x00") {
		r.labels = labels
		r.runSel.Options = labels
	}
	t, ok := p.Selected()
	if !ok {
		r.runSel.Selected = ""
		setText(r.head, "No request yet")
		setText(r.numbers, "")
		r.reasonHdr.Hide()
		r.reasoning.Hide()
		setText(r.text, "")
		r.toolsHdr.Hide()
		r.tools.Hide()
	} else {
		sel := runLabel(&t, t.Run == p.runs[len(p.runs)-1].Run)
		if r.runSel.Selected != sel {
			r.runSel.Selected = sel
			r.runSel.Refresh()
		}
		setText(r.head, t.Head())
		setText(r.numbers, t.Numbers.Line()+"\nusage: "+t.Usage.Line())
		showIf(r.reasonHdr, t.Reasoning != "")
		showIf(r.reasoning, t.Reasoning != "")
		setText(r.reasoning, capText(t.Reasoning))
		text := t.Text
		if text == "" {
			text = "(no text)"
		}
		setText(r.text, capText(text))
		showIf(r.toolsHdr, len(t.ToolCalls) > 0)
		showIf(r.tools, len(t.ToolCalls) > 0)
		r.copyTools.Hidden = p.OnCopy == nil || len(t.ToolCalls) == 0
		setText(r.tools, toolCallsText(t.ToolCalls, capText))
	}
	r.refreshTable()
	r.runSel.Refresh()
	r.again.Refresh()
	r.copyBtn.Refresh()
	r.copyTools.Refresh()
}

func showIf(o fyne.CanvasObject, show bool) {
	if show {
		o.Show()
	} else {
		o.Hide()
	}
}

// refreshTable fills the comparison table, newest run first; the labels
// are reused and only those whose text changed redraw.
func (r *transcriptRenderer) refreshTable() {
	cols := tableColumns()
	rows := len(r.p.runs) + 1
	if rows != r.tableRows {
		objs := make([]fyne.CanvasObject, 0, rows*len(cols))
		for i := range rows * len(cols) {
			if i < len(r.table.Objects) {
				objs = append(objs, r.table.Objects[i])
				continue
			}
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			if i < len(cols) {
				l.TextStyle = fyne.TextStyle{Bold: true}
			}
			objs = append(objs, l)
		}
		r.table.Objects = objs
		r.tableRows = rows
		r.table.Refresh()
		// At least the heading and the newest run without scrolling.
		rowH := r.table.MinSize().Height / float32(rows)
		r.tableScroll.SetMinSize(fyne.NewSize(0, rowH*float32(min(rows, 2))))
	}
	for c, h := range cols {
		setText(r.table.Objects[c].(*widget.Label), h)
	}
	for i := range r.p.runs {
		t := &r.p.runs[len(r.p.runs)-1-i]
		n := t.Numbers
		out := "–"
		if t.Usage.Known {
			out = strconv.FormatInt(t.Usage.OutputTokens, 10)
		}
		cells := []string{strconv.Itoa(t.Run), t.ShortOutcome(), transcript.FormatDuration(n.TTFB), transcript.FormatDuration(n.TTFT),
			n.RateText(), transcript.FormatDuration(n.GapP50), transcript.FormatDuration(n.GapP99),
			transcript.FormatDuration(n.LongestStall), transcript.FormatDuration(n.Total), out}
		for c, s := range cells {
			setText(r.table.Objects[(i+1)*len(cols)+c].(*widget.Label), s)
		}
	}
}

func (r *transcriptRenderer) Layout(size fyne.Size) { r.root.Resize(size) }

func (r *transcriptRenderer) MinSize() fyne.Size { return r.root.MinSize() }

func (r *transcriptRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.root} }

func (r *transcriptRenderer) Destroy() {}

// toolCallsText is the tool calls as the tab shows them: each name, id
// and arguments (pretty-printed, passed through arg).
func toolCallsText(calls []transcript.ToolCall, arg func(string) string) string {
	var b strings.Builder
	for i, tc := range calls {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(tc.Name)
		if tc.ID != "" {
			b.WriteString("  (" + tc.ID + ")")
		}
		b.WriteString("\n" + arg(tc.PrettyArguments()))
	}
	return b.String()
}
