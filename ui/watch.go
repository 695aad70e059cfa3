package ui

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/alert"
	"github.com/ssemon/ssemon/client/series"
)

// Limits of the watches.
const (
	// alertHistory is how many transitions of all channels the alerts
	// list keeps.
	alertHistory = 200
	// tileChartEvery is the least time between two redraws of a tile's
	// chart: the 1-minute window's bucket.
	tileChartEvery = 500 * time.Millisecond
)

// chanWatch is a channel's charts and alert rules: the values read from
// its events and the rules evaluated on them. It lives on the UI
// goroutine; the series and the watch are safe to read from anywhere.
type chanWatch struct {
	ch     *client.Channel
	set    *series.Set
	watch  *alert.Watch
	charts []string
	alerts []string
	// ruleErr is why some rules did not parse (nil when all did).
	ruleErr error
	// stuck tells that a rule needs the channel's progress.
	stuck bool
	// next is the Seq of the next record to read.
	next uint64
	recs []client.Record
	snap client.Snapshot
	// firing counts the rules firing.
	firing int

	// tile chart state: the points shown and when they were read.
	tilePts []series.Point
	tileAt  time.Time
}

// active tells whether the channel has anything to watch.
func (w *chanWatch) active() bool { return len(w.charts) > 0 || len(w.alerts) > 0 }

// configure rebuilds the series and rules from the channel's config when
// they changed, keeping the series of the paths that stay.
func (w *chanWatch) configure(cfg client.ChannelConfig, now time.Time) {
	if !slices.Equal(cfg.Charts, w.charts) {
		w.charts = slices.Clone(cfg.Charts)
		w.set.SetPaths(w.charts)
		w.tileAt = time.Time{}
	}
	if w.watch == nil || !slices.Equal(cfg.Alerts, w.alerts) {
		w.alerts = slices.Clone(cfg.Alerts)
		rules, err := alert.ParseAll(w.alerts)
		w.ruleErr = err
		w.stuck = slices.ContainsFunc(rules, func(r alert.Rule) bool { return r.Kind == alert.KindStuck })
		w.watch = alert.NewWatch(alert.Config{Channel: cfg.Name, Rules: rules, Start: now})
		w.firing = 0
	}
}

// feed reads the records the channel logged since the last feed.
func (w *chanWatch) feed() {
	if w.next == 0 {
		// Start with what the log holds: charts show the recent past at
		// once.
		w.next = 1
	}
	w.recs = w.ch.Records(w.recs[:0], w.next)
	for i := range w.recs {
		r := &w.recs[i]
		if r.Kind == client.RecordEvent && len(w.charts) > 0 {
			w.set.Observe(r.At, r.Data)
		}
		if len(w.alerts) > 0 {
			w.watch.Record(r)
		}
	}
	if n := len(w.recs); n > 0 {
		w.next = w.recs[n-1].Seq + 1
	}
	clear(w.recs) // do not pin the strings
	if len(w.alerts) == 0 {
		return
	}
	if w.stuck {
		w.ch.SnapshotInto(&w.snap)
		w.watch.Snapshot(&w.snap)
	} else {
		w.watch.Status(w.ch.Status())
	}
}

// tileChart fills the chart of a tile: the first charted field over the
// last minute, read at most every tileChartEvery.
func (w *chanWatch) tileChart(d *TileData, now time.Time) {
	d.Alerting = w.firing
	if len(w.charts) == 0 {
		return
	}
	if now.Sub(w.tileAt) >= tileChartEvery || now.Before(w.tileAt) {
		w.tileAt = now
		w.tilePts = w.set.Points(w.charts[0], series.Minute, now, w.tilePts[:0])
	}
	d.ChartField, d.ChartPoints, d.ChartEnd = w.charts[0], w.tilePts, w.tileAt
}

// watches holds the chanWatch of every channel and the alerts history of
// all of them. It lives on the UI goroutine.
type watches struct {
	x     *App
	by    map[*client.Channel]*chanWatch
	hist  []alert.Transition // oldest first, at most alertHistory
	taken []alert.Transition
	// changed counts history changes, for the views that show it.
	changed uint64
	// list is the open alerts list, nil when closed.
	list *AlertList
}

func newWatches(x *App) *watches {
	return &watches{x: x, by: make(map[*client.Channel]*chanWatch)}
}

// of returns the watch of ch, creating it.
func (ws *watches) of(ch *client.Channel) *chanWatch {
	w := ws.by[ch]
	if w == nil {
		w = &chanWatch{ch: ch, set: series.NewSet(nil)}
		ws.configure(w, ws.x.now())
		ws.by[ch] = w
	}
	return w
}

// apply brings every watch up to date with a tick and reports whether an
// alert fired or recovered.
func (ws *watches) apply(c *change, dash *dashboard) bool {
	if c.channels != nil {
		live := make(map[*client.Channel]*chanWatch, len(c.channels))
		for _, ch := range c.channels {
			if w := ws.by[ch]; w != nil {
				live[ch] = w
			} else {
				live[ch] = nil
			}
		}
		ws.by = make(map[*client.Channel]*chanWatch, len(live))
		for ch, w := range live {
			if w == nil {
				w = ws.of(ch)
			}
			ws.by[ch] = w
		}
	}
	if c.second {
		// Charts and rules change only through the config: look once a
		// second (an edit or an imported workspace).
		for _, w := range ws.by {
			ws.configure(w, c.now)
		}
	}
	for _, ch := range c.dirty {
		if w := ws.by[ch]; w != nil && w.active() {
			w.feed()
		}
	}
	moved := false
	for _, w := range ws.by {
		if len(w.alerts) == 0 {
			continue
		}
		if c.second {
			w.watch.Tick(c.now)
		}
		ws.taken = w.watch.Take(ws.taken[:0])
		for _, t := range ws.taken {
			moved = true
			if t.Firing {
				w.firing++
			} else {
				w.firing = max(w.firing-1, 0)
			}
			ws.remember(t)
			if v := dash.view(w.ch); v != nil {
				v.stale = true // the tile shows the firing
			}
			if t.Notify {
				ws.x.notifier.rule(t)
			}
		}
	}
	clear(ws.taken)
	if moved && ws.list != nil {
		ws.list.Set(ws.hist)
	}
	return moved
}

// link gives every dashboard view its channel's watch.
func (ws *watches) link(dash *dashboard) {
	for ch, w := range ws.by {
		if v := dash.view(ch); v != nil && v.watch != w {
			v.watch, v.stale = w, true
		}
	}
}

func (ws *watches) remember(t alert.Transition) {
	if len(ws.hist) == alertHistory {
		copy(ws.hist, ws.hist[1:])
		ws.hist = ws.hist[:alertHistory-1]
	}
	ws.hist = append(ws.hist, t)
	ws.changed++
}

// firingTotal counts the rules firing on every channel.
func (ws *watches) firingTotal() int {
	n := 0
	for _, w := range ws.by {
		n += w.firing
	}
	return n
}

// rule tells the user that an alert rule fired or recovered, within the
// notifier's overall rate limit (the rule's own limit is the watch's).
func (n *notifier) rule(t alert.Transition) {
	now := n.clk.Now()
	if !n.take(now) {
		return
	}
	kind := alertRecovered
	if t.Firing {
		kind = alertFailed
	}
	n.send(kind, t.Channel+": "+t.Text())
}

// setCharts saves the charted fields of ch.
func (x *App) setCharts(ch *client.Channel, paths []string) error {
	if err := x.mgr.SetCharts(ch.Name(), paths); err != nil {
		return err
	}
	x.watches.configure(x.watches.of(ch), x.now())
	x.ws.changed()
	return nil
}

// setAlerts checks and saves the alert rules of ch.
func (x *App) setAlerts(ch *client.Channel, rules []string) error {
	if _, err := alert.ParseAll(rules); err != nil {
		var pe *alert.ParseError
		if errors.As(err, &pe) {
			return pe
		}
		return err
	}
	if err := x.mgr.SetAlerts(ch.Name(), rules); err != nil {
		return err
	}
	w := x.watches.of(ch)
	x.watches.configure(w, x.now())
	w.feed()
	x.ws.changed()
	return nil
}

// configure applies ch's config to w and tells, in the banner, about rules
// that do not parse (a workspace edited by hand).
func (ws *watches) configure(w *chanWatch, now time.Time) {
	before := w.ruleErr
	w.configure(w.ch.Config(), now)
	if w.ruleErr != nil && (before == nil || w.ruleErr.Error() != before.Error()) {
		ws.x.banner.Notify(oneLine(fmt.Sprintf("channel %q: %v", w.ch.Name(), w.ruleErr), 300), PillWarning)
	}
}

// updateChart shows or hides the tile's compact chart (in place of the
// rate sparkline) and reports whether it changed.
func (t *Tile) updateChart(d TileData) bool {
	show := d.ChartField != ""
	changed := false
	if show != !t.chart.Hidden || d.ChartField != t.chart.Field {
		t.chart.Field = d.ChartField
		t.chart.Hidden, t.spark.Hidden = !show, show
		t.chart.Refresh()
		t.spark.Refresh()
		changed = true
	}
	if show && t.chart.Set(d.ChartPoints, series.Minute, d.ChartEnd) {
		changed = true
	}
	return changed
}

// demoWatch returns the charts and alert rules a demo channel of the
// given scenario comes with, so the demo shows values over time and
// alerts out of the box.
func demoWatch(scenario string) (charts, alerts []string) {
	switch scenario {
	case "metrics":
		return []string{"cpu", "memory_mb", "requests_per_s", "p99_ms"}, []string{"cpu > 85 for 5s", "p99_ms > 600"}
	case "deploy":
		return nil, []string{"progress stuck 20s", "state failed|stalled for 5s"}
	case "flaky":
		return nil, []string{"state retrying|stalled for 5s"}
	case "quiet":
		return nil, []string{"no events 2m"}
	}
	return nil, nil
}

// showAlerts opens the list of every channel's alerts, newest first; it
// follows new ones while open.
func (x *App) showAlerts() {
	l := NewAlertList(true, "No alert has fired yet. Add rules in a channel's Alerts tab.")
	l.list.keys = x.windowKey
	l.Set(x.watches.hist)
	x.watches.list = l
	title := "Alerts"
	if n := x.watches.firingTotal(); n > 0 {
		title += " — " + strconv.Itoa(n) + " firing"
	}
	var d *dialog.CustomDialog
	closeBtn := newGuardedButton(x.windowKey, "Close", nil, func() { d.Hide() })
	d = x.newDialog(title, nil, container.NewGridWrap(fyne.NewSize(720, 380), l), closeBtn)
	d.SetOnClosed(func() { x.watches.list = nil })
	x.showDialog(d, d.Hide, nil)
}
