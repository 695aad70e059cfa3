package ui

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// allTypes is the type filter's entry that shows every record.
const allTypes = "All types"

// detailView shows one channel: status, timeline, stats, progress, the log
// with filters, and the inspector. It lives on the UI goroutine.
type detailView struct {
	x *App
	v *chanView

	log *logView
	// paused holds the log display (ingestion goes on).
	paused bool
	// autoscroll keeps the newest record in view: the log follows the
	// stream; without it the log holds still (logfollow.go).
	autoscroll bool
	// logStale tells that the channel logged records the log has not
	// pulled; lastPull is when it last pulled.
	logStale bool
	lastPull time.Time
	// valuesStale tells that the header's values (badge, progress,
	// message) were put off; lastValues is when they were last drawn.
	valuesStale bool
	lastValues  time.Time
	// ownOffset and ownHeight are where the view itself left the list
	// (noteOffset): another offset is the user's scrolling.
	ownOffset, ownHeight float32
	selected             uint64
	selRec               client.Record
	// selRow is the list's selected row, -1 for none.
	selRow int
	// offline marks a channel opened from a recording: no stream actions.
	offline bool
	// shownState and shownSince are the status the slow parts show.
	shownState client.State
	shownSince time.Time

	name     *widget.Label
	badge    *StateBadge
	url      *widget.Label
	reason   *widget.Label
	timeline *Timeline
	history  *widget.Label
	stats    *widget.Label
	progress *Progress
	message  *widget.Label
	pauseBtn *guardedButton
	againBtn *guardedButton // Reconnect, or Run again for a request (an edit reopens the view)

	types     *guardedSelect
	search    *guardedEntry
	holdBtn   *guardedButton
	waiting   *Pill
	autoCheck *guardedCheck
	list      *guardedList
	count     *widget.Label

	pretty *widget.Label
	raw    *widget.Label
	kindLb *widget.Label
	// faults is the demo fault row (demo channels only).
	faults fyne.CanvasObject
	// watch is the Charts and Alerts tabs (watchview.go).
	watch *watchPanels
	// tt is the Transcript tab, shown once the stream is recognised as a
	// model API (detailtranscript.go).
	tt *transcriptTab
	// conn is the Connection tab (connectionpanel.go).
	conn *connectionPanel
	// anom is the anomalies counter and navigation (detailanomalies.go).
	anom anomalyPanel

	content fyne.CanvasObject
}

func newDetailView(x *App, v *chanView) *detailView {
	capacity := x.opts.LogCapacity
	offline := v.ch.Offline()
	if offline {
		capacity = max(v.ch.Len(), 1) // a recording does not grow
	}
	d := &detailView{x: x, v: v, log: newLogView(capacity), shownState: 255, offline: offline, selRow: -1}
	d.autoscroll = true
	d.build()
	d.log.reset(v.ch)
	d.refresh(x.now(), true)
	d.afterPull(true)
	x.poll.again.Store(true) // the next tick sees the list laid out
	return d
}

func (d *detailView) build() {
	d.name = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.name.SizeName = theme.SizeNameSubHeadingText
	d.badge = NewStateBadge(client.Idle, "")
	d.url = widget.NewLabel("")
	d.url.Truncation = fyne.TextTruncateEllipsis
	d.reason = widget.NewLabel("")
	d.reason.Truncation = fyne.TextTruncateEllipsis
	d.timeline = NewTimeline(10 * time.Minute)
	d.timeline.OnMarkTapped = func(m TimelineMark) {
		if m.Seq != 0 {
			d.jumpTo(m.Seq)
		}
	}
	d.history = widget.NewLabel(strings.Repeat("\n", historyLines-1))
	d.history.Truncation = fyne.TextTruncateEllipsis
	d.stats = widget.NewLabel("")
	d.stats.TextStyle = fyne.TextStyle{Monospace: true}
	d.progress = NewProgress(-1, 0)
	d.message = widget.NewLabel("")
	d.message.Truncation = fyne.TextTruncateEllipsis

	back := newGuardedButton(d.x.windowKey, "Dashboard", theme.NavigateBackIcon(), d.x.closeDetail)
	label, icon := againAction(d.v.ch.Config())
	d.againBtn = newGuardedButton(d.x.windowKey, label, icon, d.runAgain)
	d.pauseBtn = newGuardedButton(d.x.windowKey, "Pause stream", theme.MediaPauseIcon(), d.toggleStream)
	edit := newGuardedButton(d.x.windowKey, "Edit", theme.DocumentCreateIcon(), func() { d.x.showEdit(d.v.ch) })
	remove := newGuardedButton(d.x.windowKey, "Remove", theme.DeleteIcon(), func() { d.x.confirmRemove(d.v.ch) })
	remove.Importance = widget.DangerImportance
	export := newGuardedButton(d.x.windowKey, "Export log", theme.DocumentSaveIcon(), d.exportDialog)

	actions := container.NewHBox(d.againBtn, d.pauseBtn, edit, d.x.diagnoseButton(d.diagnoseConfig), export, remove)
	if d.offline {
		actions = container.NewHBox(widget.NewLabel("recording (offline)"), export, remove)
	}
	copyURL := newGuardedButton(d.x.windowKey, "", theme.ContentCopyIcon(), func() {
		d.x.app.Clipboard().SetContent(d.v.ch.Config().URL)
	})
	copyURL.Importance = widget.LowImportance
	header := container.NewBorder(nil, nil,
		container.NewHBox(back, d.name, container.NewCenter(d.badge)),
		actions,
		container.NewBorder(nil, nil, nil, copyURL, d.url))

	d.types = newGuardedSelect(d.x.windowKey, []string{allTypes}, func(string) { d.applyFilter() })
	d.types.Selected = allTypes
	d.search = newGuardedEntry(d.x.windowKey)
	d.search.SetPlaceHolder("Search id, type, data (Ctrl+F)")
	d.search.OnChanged = func(string) { d.applyFilter() }
	d.holdBtn = newGuardedButton(d.x.windowKey, "Pause log", theme.MediaPauseIcon(), d.toggleHold)
	d.waiting = NewPill("", PillInfo)
	d.autoCheck = newGuardedCheck(d.x.windowKey, "Auto-scroll", d.setFollow)
	d.autoCheck.Checked = true
	d.count = widget.NewLabel("")
	d.count.Importance = widget.LowImportance

	d.list = newGuardedList(d.x.windowKey, d.log.Len, func() fyne.CanvasObject { return NewLogRow(nil) }, d.updateRow)
	d.list.OnSelected = d.onSelect

	// Two rows, so that the search field keeps its width beside the
	// inspector: what to show, then how the log moves.
	filters := container.NewVBox(
		container.NewBorder(nil, nil, d.types, nil, d.search),
		container.NewBorder(nil, nil,
			d.buildAnomalies(),
			container.NewHBox(d.holdBtn, d.autoCheck, d.countSlot())))
	logPane := container.NewBorder(filters, nil, nil, nil, d.list)

	d.kindLb = widget.NewLabelWithStyle("Select an event to inspect it", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.kindLb.Truncation = fyne.TextTruncateEllipsis
	d.pretty = widget.NewLabel("")
	d.pretty.TextStyle = fyne.TextStyle{Monospace: true}
	d.pretty.Wrapping = fyne.TextWrapBreak
	d.raw = widget.NewLabel("")
	d.raw.TextStyle = fyne.TextStyle{Monospace: true}
	d.raw.Wrapping = fyne.TextWrapBreak
	copyData := newGuardedButton(d.x.windowKey, "Copy data", theme.ContentCopyIcon(), func() {
		d.x.app.Clipboard().SetContent(d.selRec.Data)
	})
	copyRaw := newGuardedButton(d.x.windowKey, "Copy frame", theme.ContentCopyIcon(), func() {
		d.x.app.Clipboard().SetContent(d.raw.Text)
	})
	d.watch = newWatchPanels(d.x, d.v.ch)
	d.conn = newConnectionPanel(d.x, d.v.ch)
	tabs := container.NewAppTabs(
		container.NewTabItem("Data", container.NewVScroll(d.pretty)),
		container.NewTabItem("Raw frame", container.NewVScroll(d.raw)),
		d.watch.chartsTab,
		d.watch.alertsTab,
		d.conn.tab,
	)
	d.watch.tabs, d.conn.tabs = tabs, tabs
	tabs.OnSelected = func(*container.TabItem) { d.watch.apply(d.x.now(), true); d.conn.apply(d.x.now(), true) }
	inspector := container.NewBorder(container.NewBorder(nil, nil, nil, container.NewHBox(copyData, copyRaw), d.kindLb), nil, nil, nil, tabs)

	split := container.NewHSplit(logPane, inspector)
	split.Offset = 0.62

	overview := container.NewGridWithColumns(2,
		container.NewVBox(d.reason, d.timeline, d.history),
		container.NewVBox(d.stats, d.progress, d.message),
	)
	top := container.NewVBox(header, overview)
	if faults := d.x.demoFaults(d.v.ch.Config()); faults != nil {
		d.faults = faults
		top.Add(faults)
	}
	top.Add(widget.NewSeparator())
	d.content = container.NewBorder(top, nil, nil, nil, d.withTranscript(split))
	// Back on the Events tab, the log takes what came at the next tick.
	d.tt.tabs.OnSelected = func(*container.TabItem) { d.x.poll.again.Store(true) }
}

func (d *detailView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= d.log.Len() {
		return
	}
	r := d.log.At(id)
	delta := time.Duration(-1)
	if id > 0 {
		delta = r.At.Sub(d.log.At(id - 1).At)
	}
	// The delta shown is from the row before; a pause between two events
	// with rows between them is told by those rows.
	o.(*LogRow).SetPause(delta >= unusualMin && unusualGap(d.log.At, id))
	o.(*LogRow).Set(r, delta)
}

func (d *detailView) onSelect(id widget.ListItemID) {
	// A tapped list takes the keyboard focus, and a focused widget gets
	// every plain key: give it back so that Space, F11 and Escape work.
	if c := d.x.win.Canvas(); c.Focused() == d.list {
		c.Unfocus()
	}
	d.selRow = id
	if id < 0 || id >= d.log.Len() {
		return
	}
	r := d.log.At(id)
	if r.Seq == d.selected {
		return
	}
	d.selected, d.selRec = r.Seq, r
	if d.autoscroll {
		// The row picked stays where it is: the log holds still.
		d.autoCheck.SetChecked(false)
	}
	var comments []client.Record
	for i := id - 1; i >= 0 && len(comments) < 8; i-- {
		c := d.log.At(i)
		if c.Kind != client.RecordComment || c.Seq+uint64(len(comments))+1 != r.Seq {
			break
		}
		comments = append([]client.Record{c}, comments...)
	}
	title := r.Kind.String() + " #" + strconv.FormatUint(r.Seq, 10)
	if r.Kind == client.RecordEvent {
		title = r.Type + " · id " + orDash(r.ID) + " · " + formatBytes(uint64(r.Size))
	}
	title += " · " + r.At.In(time.Local).Format("15:04:05.000")
	pretty, isJSON := prettyData(r.Data)
	if isJSON {
		title += " · JSON"
	}
	if a := recordAnomalyText(&r); a != "" {
		title = a + " · " + title // what is wrong first: the title is cut on the right
	} else if isOpen(&r) && r.ID != "" {
		title += " · resumed with Last-Event-ID " + r.ID
	}
	d.kindLb.SetText(title)
	d.pretty.SetText(pretty)
	d.raw.SetText(rawFrame(comments, r))
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (d *detailView) toggleStream() {
	if d.v.ch.Status().State == client.Paused {
		d.v.ch.Resume()
	} else {
		d.v.ch.Pause()
	}
}

// toggleHold pauses or resumes the log display; ingestion goes on.
func (d *detailView) toggleHold() {
	d.paused = !d.paused
	if d.paused {
		d.holdBtn.SetText("Resume log")
		d.holdBtn.SetIcon(theme.MediaPlayIcon())
		return
	}
	d.holdBtn.SetText("Pause log")
	d.holdBtn.SetIcon(theme.MediaPauseIcon())
	if d.autoscroll {
		d.setFollow(true)
	} else {
		d.autoCheck.SetChecked(true) // calls setFollow
	}
}

func (d *detailView) applyFilter() {
	typ := d.types.Selected
	anomalies := typ == anomaliesFilter
	if typ == allTypes || anomalies {
		typ = ""
	}
	d.log.setFilter(d.v.ch, typ, d.search.Text, anomalies)
	d.afterPull(true)
}

// pull takes what the channel logged since the last pull and redraws the
// log if there was something.
func (d *detailView) pull() {
	d.logStale = false
	if n := d.log.pull(d.v.ch); n > 0 {
		d.afterPull(false)
	}
}

// afterPull redraws the log once: the rows in view, the selection moved
// with its record, the newest record in view when following.
func (d *detailView) afterPull(reset bool) {
	d.lastPull, d.logStale = d.x.now(), false
	i := -1
	if d.selected != 0 {
		i = d.log.index(d.selected)
	}
	switch {
	case i >= 0 && i != d.selRow:
		d.list.Select(i) // redraws the list
	case i < 0 && d.selRow >= 0:
		d.selRow = -1
		d.list.UnselectAll() // redraws the list
	default:
		d.list.Refresh()
	}
	if !d.held() {
		d.list.ScrollToBottom()
	}
	d.noteOffset()
	if reset || len(d.log.types)+2 != len(d.types.Options) {
		d.types.SetOptions(append([]string{allTypes, anomaliesFilter}, d.log.types...))
	}
	setText(d.count, formatCount(uint64(d.log.Len()))+" shown")
	d.setWaiting("")
}

// apply brings the view up to date with a tick and reports whether the
// channel changed.
func (d *detailView) apply(c *change) bool {
	d.watch.apply(c.now, c.second)
	d.conn.apply(c.now, false)
	dirty := false
	for _, ch := range c.dirty {
		if ch == d.v.ch {
			dirty = true
			break
		}
	}
	if !dirty && !c.second {
		if d.valuesStale {
			d.refresh(c.now, false) // values put off
		}
		d.followLog(c.now, false, false) // a pull put off, the user's scrolling
		return false
	}
	d.refresh(c.now, c.second)
	d.followLog(c.now, dirty, c.second)
	if !dirty {
		return false
	}
	d.applyTranscript()
	return true
}

// refresh redraws the view from a new snapshot. What moves with every
// event (badge, progress, message) is updated at most every logInterval,
// in the same frames as the log, and at once for a new state; the slower
// parts (timeline, transitions, counters) when the state changed or once
// a second, which keeps a busy channel's detail view cheap.
func (d *detailView) refresh(now time.Time, second bool) {
	v := d.v
	v.refresh(second)
	s := &v.snap
	stateChanged := s.Status.State != d.shownState || !s.Status.Since.Equal(d.shownSince)
	if !second && !stateChanged && !d.due(now, d.lastValues) {
		// Values move with every event: drawn in the log's rhythm.
		d.valuesStale = true
		d.x.poll.again.Store(true)
		return
	}
	d.lastValues, d.valuesStale = now, false
	now = v.clock(now) // a recording is shown as of its own time
	d.badge.Set(s.Status.State, client.StatusLabel(s.Status, now))
	if s.Progress.Known {
		eta := time.Duration(0)
		if s.Progress.HasETA {
			eta = s.Progress.ETA
		}
		d.progress.Set(s.Progress.Percent, eta, StateColor(s.Status.State))
		d.progress.Show()
	} else {
		d.progress.Hide()
	}
	setText(d.message, oneLine(v.message, 300))
	if !second && !stateChanged {
		return
	}
	d.shownState, d.shownSince = s.Status.State, s.Status.Since
	setText(d.name, s.Name)
	setText(d.url, s.Config.URL)
	reason := client.StatusReason(s.Status)
	if s.Status.BodyPreview != "" {
		reason += " — " + oneLine(s.Status.BodyPreview, 120)
	}
	if reason != "" && !s.Status.Since.IsZero() {
		reason = "since " + formatAge(s.Status.Since, now) + ": " + reason
	}
	setText(d.reason, reason)
	hist, end := s.History, now
	d.timeline.Set(hist, end)
	d.applyTimelineMarks(hist)
	d.setAnomalyCount(anomalyTotal(&s.Stats))
	setText(d.history, historyText(hist, end, historyLines))
	setText(d.stats, statsText(s, now))
	if s.Status.State == client.Paused {
		d.pauseBtn.SetText("Resume stream")
		d.pauseBtn.SetIcon(theme.MediaPlayIcon())
	} else if d.pauseBtn.Text != "Pause stream" {
		d.pauseBtn.SetText("Pause stream")
		d.pauseBtn.SetIcon(theme.MediaPauseIcon())
	}
}

// againAction returns the label and icon of a channel's Reconnect action:
// a request (a model API's POST) runs again, a subscription reconnects.
func againAction(cfg client.ChannelConfig) (string, fyne.Resource) {
	if cfg.IsRequest() {
		return "Run again", theme.MediaReplayIcon()
	}
	return "Reconnect", theme.ViewRefreshIcon()
}

// setText changes a label's text only when it differs (SetText always
// redraws).
func setText(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
}

// historyLines is how many transitions the detail view lists: always as
// many lines, so that nothing below moves when a state comes.
const historyLines = 4

// historyText lists the newest n transitions, newest first, one per line,
// in exactly n lines.
func historyText(h []client.Transition, now time.Time, n int) string {
	var b strings.Builder
	shown := 0
	for i := len(h) - 1; i >= 0 && len(h)-i <= n; i-- {
		t := h[i]
		if shown > 0 {
			b.WriteByte('\n')
		}
		shown++
		b.WriteString(formatAge(t.At, now) + " · " + t.State.String())
		if t.Detail != "" {
			b.WriteString(" — " + oneLine(t.Detail, 90))
		}
	}
	for ; shown < n; shown++ {
		if shown > 0 {
			b.WriteByte('\n')
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// statsText is the detail view's counters block.
func statsText(s *client.Snapshot, now time.Time) string {
	st := &s.Stats
	lines := []string{
		fmt.Sprintf("events %-9s bytes %-10s rate %s (1 min avg %s)", formatCount(st.Events), formatBytes(st.Bytes), formatRate(st.PerSecond), formatRate(st.PerMinute)),
		fmt.Sprintf("last   %-9s id %-13s retry %s", shortAge(st.LastEventAt, now), oneLine(orDash(st.LastEventID), 12), client.FormatDuration(st.Retry)),
		fmt.Sprintf("reconnects %-5s stalls %-5s gaps %s (missed %s) dups %s bad ids %s", formatCount(st.Reconnects), formatCount(st.Stalls), formatCount(st.Gaps), formatCount(st.Missed), formatCount(st.Duplicates), formatCount(st.InvalidIDs)),
		fmt.Sprintf("log %s records (%s evicted, %s filtered out) framing %s oversized %s", formatCount(uint64(s.Len)), formatCount(st.Evicted), formatCount(st.Filtered), formatCount(st.Framing.Total()), formatCount(st.Oversized)),
	}
	return strings.Join(lines, "\n")
}

func shortAge(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return formatAge(t, now)
}

// exportDialog asks for a file and writes the shown log to it, as JSONL or
// CSV by the file's extension, then says how many rows went where.
func (d *detailView) exportDialog() {
	d.x.showSavePath("Export log", d.v.ch.Name()+".jsonl", "The rows shown (filters applied): .jsonl writes JSON Lines, .csv CSV.", d.exportFile)
}

// exportFile writes the rows shown to path.
func (d *detailView) exportFile(path string) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	n := d.log.Len()
	err = d.export(f, filepath.Ext(path))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	return formatCount(uint64(n)) + plural(uint64(n), " row", " rows"), nil
}

// export writes the records shown: CSV for ext ".csv", else JSONL.
func (d *detailView) export(w io.Writer, ext string) error {
	if strings.EqualFold(ext, ".csv") {
		return writeCSV(w, d.log.Len(), d.log.At)
	}
	return writeJSONL(w, d.log.Len(), d.log.At)
}

// focusSearch puts the cursor in the search field.
func (d *detailView) focusSearch() { d.x.win.Canvas().Focus(d.search) }

// openDetail shows the detail view of v.
func (x *App) openDetail(v *chanView) {
	if x.presentOn {
		return
	}
	x.win.Canvas().Unfocus() // no control of the old view keeps the keys
	x.dash.hidden = true     // its tiles are out of view: no frame for them
	x.detail = newDetailView(x, v)
	x.center.Objects = []fyne.CanvasObject{x.detail.content}
	x.center.Refresh()
	x.refreshMenu()
}

// reopenDetail shows a fresh detail view of the channel called name (after
// an edit: the old view's pause, waiting count and selection belong to the
// stream that was replaced).
func (x *App) reopenDetail(name string) {
	ch, ok := x.mgr.Get(name)
	if !ok {
		x.closeDetail()
		return
	}
	v := x.dash.views[ch]
	if v == nil {
		v = &chanView{ch: ch, stale: true}
	}
	x.detail = nil
	x.openDetail(v)
}

// closeDetail goes back to the dashboard.
func (x *App) closeDetail() {
	if x.detail == nil {
		return
	}
	x.win.Canvas().Unfocus()
	x.detail = nil
	x.dash.hidden = x.presentOn
	x.dash.showAll(x.now()) // what changed while the detail view was open
	x.center.Objects = []fyne.CanvasObject{x.dashOver}
	x.center.Refresh()
	x.refreshMenu()
}

// DetailChannel returns the name of the channel shown in the detail view,
// or "" on the dashboard.
func (x *App) DetailChannel() string {
	if x.detail == nil {
		return ""
	}
	return x.detail.v.ch.Name()
}

// confirmRemove asks, then removes the channel.
func (x *App) confirmRemove(ch *client.Channel) {
	x.showConfirm("Remove channel", "Remove "+ch.Name()+"? Its log is discarded.", func() {
		if err := x.mgr.Remove(ch.Name()); err != nil {
			x.showError(err)
			return
		}
		if x.detail != nil && x.detail.v.ch == ch {
			x.closeDetail()
		}
		x.ws.changed()
	})
}
