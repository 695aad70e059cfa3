package ui

import (
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/alert"
	"github.com/ssemon/ssemon/client/series"
)

// detailChartEvery is the least time between two redraws of the detail
// view's charts.
const detailChartEvery = 250 * time.Millisecond

// scanRecords is how many of the newest records the field picker looks at
// for numeric fields.
const scanRecords = 64

// watchPanels are the detail view's Charts and Alerts tabs of one channel.
// They live on the UI goroutine and redraw only while their tab is shown.
type watchPanels struct {
	x  *App
	ch *client.Channel

	// Charts tab.
	window   series.Window
	windowSl *guardedSelect
	field    *guardedSelectEntry
	scanned  uint64 // the next record scanRecent looks at
	recs     []client.Record
	suggest  []string
	addChart *guardedButton
	chartBox *fyne.Container
	charts   []*Chart
	chartErr *widget.Label
	shownFor []string
	drawnAt  time.Time
	pts      []series.Point

	// Alerts tab.
	rule     *guardedEntry
	addRule  *guardedButton
	ruleErr  *widget.Label
	rulesBox *fyne.Container
	pills    []*Pill
	history  *AlertList
	histSeen uint64
	rulesFor []string

	chartsTab, alertsTab *container.TabItem
	tabs                 *container.AppTabs
}

func newWatchPanels(x *App, ch *client.Channel) *watchPanels {
	p := &watchPanels{x: x, ch: ch, window: series.Minute}
	opts := make([]string, len(series.Windows))
	for i, w := range series.Windows {
		opts[i] = w.String()
	}
	p.windowSl = newGuardedSelect(p.x.windowKey, opts, func(s string) {
		if w, ok := series.ParseWindow(s); ok && w != p.window {
			p.window = w
			p.drawCharts(p.now(), true)
		}
	})
	p.windowSl.Selected = p.window.String()
	p.field = newGuardedSelectEntry(p.x.windowKey, nil)
	p.field.SetPlaceHolder("Field (JSON path), e.g. cpu")
	p.field.OnSubmitted = func(string) { p.onAddChart() }
	p.addChart = newGuardedButton(p.x.windowKey, "Add chart", theme.ContentAddIcon(), p.onAddChart)
	p.chartErr = widget.NewLabel("")
	p.chartErr.Importance = widget.DangerImportance
	p.chartErr.Hide()
	p.chartBox = container.NewVBox()
	chartsTop := container.NewBorder(nil, nil, p.windowSl, p.addChart, p.field)
	p.chartsTab = container.NewTabItem("Charts", container.NewBorder(
		container.NewVBox(chartsTop, p.chartErr), nil, nil, nil, container.NewVScroll(p.chartBox)))

	p.rule = newGuardedEntry(p.x.windowKey)
	p.rule.SetPlaceHolder("Rule, e.g. cpu > 90 for 30s · progress stuck 60s · silent 30s · state failed for 10s · type error")
	p.rule.OnSubmitted = func(string) { p.onAddRule() }
	p.addRule = newGuardedButton(p.x.windowKey, "Add rule", theme.ContentAddIcon(), p.onAddRule)
	p.ruleErr = widget.NewLabel("")
	p.ruleErr.Importance = widget.DangerImportance
	p.ruleErr.Wrapping = fyne.TextWrapWord
	p.ruleErr.Hide()
	p.rulesBox = container.NewVBox()
	p.history = NewAlertList(false, "No alert has fired on this channel yet.")
	p.history.list.keys = p.x.windowKey
	top := container.NewVBox(container.NewBorder(nil, nil, nil, p.addRule, p.rule), p.ruleErr, p.rulesBox,
		widget.NewLabelWithStyle("History", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	p.alertsTab = container.NewTabItem("Alerts", container.NewBorder(top, nil, nil, nil, p.history))
	p.rebuild(p.now())
	return p
}

// now is the time the tabs are drawn as of: the app's clock, or a
// recording's own (see at).
func (p *watchPanels) now() time.Time { return p.at(p.x.now()) }

// at is now, or for a recording the time of its newest record (see
// chanView.clock).
func (p *watchPanels) at(now time.Time) time.Time {
	if v := p.x.dash.view(p.ch); v != nil {
		return v.clock(now)
	}
	return now
}

// shown tells whether the tab is the one on screen.
func (p *watchPanels) shown(tab *container.TabItem) bool {
	return p.tabs != nil && p.tabs.Selected() == tab
}

// watch returns the channel's watch.
func (p *watchPanels) watch() *chanWatch { return p.x.watches.of(p.ch) }

// rebuild recreates the chart and rule rows when the config changed.
func (p *watchPanels) rebuild(now time.Time) {
	w := p.watch()
	if !slices.Equal(w.charts, p.shownFor) {
		p.shownFor = slices.Clone(w.charts)
		p.charts = p.charts[:0]
		p.chartBox.RemoveAll()
		for _, path := range w.charts {
			c := NewChart(path, false)
			p.charts = append(p.charts, c)
			rm := newGuardedButton(p.x.windowKey, "", theme.DeleteIcon(), func() { p.removeChart(path) })
			rm.Importance = widget.LowImportance
			p.chartBox.Add(container.NewBorder(nil, nil, nil, container.NewVBox(rm), c))
		}
		if len(w.charts) == 0 {
			hint := widget.NewLabel("No charts yet: pick a numeric field the events carry and add it.")
			hint.Importance = widget.LowImportance
			p.chartBox.Add(hint)
		}
		p.drawCharts(now, true)
	}
	p.scanRecent()
	if sug := w.set.Suggestions(); !slices.Equal(sug, p.suggest) {
		p.suggest = sug
		p.field.SetOptions(sug)
	}
	if !slices.Equal(w.alerts, p.rulesFor) {
		p.rulesFor = slices.Clone(w.alerts)
		p.rulesBox.RemoveAll()
		p.pills = p.pills[:0]
		for i, text := range w.alerts {
			pill := NewPill("", PillInfo)
			p.pills = append(p.pills, pill)
			rm := newGuardedButton(p.x.windowKey, "", theme.DeleteIcon(), func() { p.removeRule(i) })
			rm.Importance = widget.LowImportance
			p.rulesBox.Add(container.NewBorder(nil, nil, container.NewCenter(pill), rm, widget.NewLabel(text)))
		}
		if w.ruleErr != nil {
			p.showRuleErr(w.ruleErr.Error())
		}
		p.drawRules()
	}
}

// scanRecent looks for numeric fields in the newest events of the log,
// for the field picker.
func (p *watchPanels) scanRecent() {
	n := p.ch.Len()
	first, ok := p.ch.At(max(n-scanRecords, 0))
	if !ok {
		return
	}
	from := max(first.Seq, p.scanned)
	p.recs = p.ch.Records(p.recs[:0], from)
	set := p.watch().set
	for i := range p.recs {
		if r := &p.recs[i]; r.Kind == client.RecordEvent {
			set.Scan(r.Data)
		}
	}
	if k := len(p.recs); k > 0 {
		p.scanned = p.recs[k-1].Seq + 1
	}
	clear(p.recs)
}

// apply brings the shown tab up to date.
func (p *watchPanels) apply(now time.Time, second bool) {
	now = p.at(now)
	if second {
		p.rebuild(now)
	}
	if p.shown(p.chartsTab) {
		p.drawCharts(now, false)
	}
	if p.shown(p.alertsTab) {
		p.drawRules()
	}
}

func (p *watchPanels) drawCharts(now time.Time, force bool) {
	if !force && now.Sub(p.drawnAt) < detailChartEvery && !now.Before(p.drawnAt) {
		return
	}
	p.drawnAt = now
	w := p.watch()
	for _, c := range p.charts {
		p.pts = w.set.Points(c.Field, p.window, now, p.pts[:0])
		c.Set(p.pts, p.window, now)
	}
}

func (p *watchPanels) drawRules() {
	w := p.watch()
	states := w.watch.States()
	for i, pill := range p.pills {
		text, kind := "ok", PillInfo
		if i < len(states) && states[i].Firing {
			text, kind = "firing", PillError
		}
		if i >= len(states) {
			text = "invalid"
			kind = PillWarning
		}
		if pill.Kind != kind {
			pill.Kind = kind
			pill.Refresh()
		}
		pill.SetText(text)
	}
	if n := p.x.watches.changed; n != p.histSeen {
		p.histSeen = n
		var mine []alert.Transition
		for _, t := range p.x.watches.hist {
			if t.Channel == p.ch.Name() {
				mine = append(mine, t)
			}
		}
		p.history.Set(mine)
	}
}

func (p *watchPanels) onAddChart() {
	path := strings.TrimSpace(p.field.Text)
	if path == "" {
		return
	}
	cur := p.ch.Config().Charts
	if slices.Contains(cur, path) {
		p.field.SetText("")
		return
	}
	if err := p.x.setCharts(p.ch, append(slices.Clone(cur), path)); err != nil {
		p.chartErr.SetText(err.Error())
		p.chartErr.Show()
		return
	}
	p.chartErr.Hide()
	p.field.SetText("")
	p.rebuild(p.now())
}

func (p *watchPanels) removeChart(path string) {
	cur := slices.DeleteFunc(p.ch.Config().Charts, func(s string) bool { return s == path })
	if err := p.x.setCharts(p.ch, cur); err == nil {
		p.rebuild(p.now())
	}
}

func (p *watchPanels) onAddRule() {
	text := strings.TrimSpace(p.rule.Text)
	if text == "" {
		return
	}
	r, err := alert.Parse(text)
	if err != nil {
		p.showRuleErr(err.Error())
		return
	}
	cur := p.ch.Config().Alerts
	if err := p.x.setAlerts(p.ch, append(slices.Clone(cur), r.String())); err != nil {
		p.showRuleErr(err.Error())
		return
	}
	p.ruleErr.Hide()
	p.rule.SetText("")
	p.rebuild(p.now())
}

func (p *watchPanels) showRuleErr(msg string) {
	p.ruleErr.SetText(msg)
	p.ruleErr.Show()
}

func (p *watchPanels) removeRule(i int) {
	cur := p.ch.Config().Alerts
	if i >= len(cur) {
		return
	}
	if err := p.x.setAlerts(p.ch, slices.Delete(slices.Clone(cur), i, i+1)); err == nil {
		p.ruleErr.Hide()
		p.rebuild(p.now())
	}
}
