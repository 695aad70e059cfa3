package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
)

// Adding a chart and a rule in the detail view: the chart draws the values,
// the rule fires on a value over the line, colours the tile, notifies and
// lands in the history; both are saved in the workspace.
func TestApp_AddChartAndRule(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ws.json")
	x, clk := newTestApp(t, Options{Workspace: path})
	ch := pausedChannel(t, x, "metrics")
	seq := 0
	feed := func(data string) {
		seq++
		clk.Advance(500 * time.Millisecond)
		ch.HandleFrame(event(seq, "metrics", data), clk.Now())
	}
	feed(`{"cpu":40,"mem":{"used":61},"id":7}`)
	x.bridge.Tick()
	x.openDetail(x.dash.views[ch])
	p := x.detail.watch
	p.tabs.Select(p.chartsTab)
	x.bridge.Tick()

	// The field picker suggests the numeric fields seen.
	clk.Advance(time.Second)
	x.bridge.Tick()
	if got := p.suggest; !slices.Equal(got, []string{"cpu", "mem.used"}) {
		t.Fatalf("suggestions = %v, want cpu and mem.used", got)
	}
	test.Type(p.field, "cpu")
	test.Tap(p.addChart)
	if got := ch.Config().Charts; !slices.Equal(got, []string{"cpu"}) {
		t.Fatalf("charts = %v", got)
	}
	if len(p.charts) != 1 || p.charts[0].Field != "cpu" {
		t.Fatalf("chart widgets: %d", len(p.charts))
	}
	// The values already in the log are charted, and new ones follow.
	feed(`{"cpu":50}`)
	x.bridge.Tick()
	pts := p.charts[0].Points()
	if len(pts) != 2 || pts[0].Last != 40 || pts[1].Last != 50 {
		t.Fatalf("chart points = %+v", pts)
	}
	// The tile shows a compact chart in place of the sparkline.
	x.bridge.Tick()
	if d := x.dash.views[ch].tileData(clk.Now()); d.ChartField != "cpu" || len(d.ChartPoints) != 2 {
		t.Fatalf("tile chart %q with %d points", d.ChartField, len(d.ChartPoints))
	}

	// A rule that does not parse says why and is not saved.
	p.tabs.Select(p.alertsTab)
	test.Type(p.rule, "cpu >> 9")
	test.Tap(p.addRule)
	if p.ruleErr.Hidden || !strings.Contains(p.ruleErr.Text, "not a number") || len(ch.Config().Alerts) != 0 {
		t.Fatalf("bad rule: error %q shown=%v, alerts %v", p.ruleErr.Text, !p.ruleErr.Hidden, ch.Config().Alerts)
	}
	p.rule.SetText("")
	test.Type(p.rule, "cpu>90 for 2s")
	test.Tap(p.addRule)
	if got := ch.Config().Alerts; !slices.Equal(got, []string{"cpu > 90 for 2s"}) || !p.ruleErr.Hidden {
		t.Fatalf("alerts = %v, error %q", got, p.ruleErr.Text)
	}
	if len(p.pills) != 1 || p.pills[0].Text != "ok" {
		t.Fatalf("rule pill = %v", p.pills)
	}

	sentBefore := x.notifier.sent
	for range 6 {
		feed(`{"cpu":95}`)
		x.bridge.Tick()
	}
	if p.pills[0].Text != "firing" || x.watches.firingTotal() != 1 {
		t.Fatalf("after 3 s over 90: pill %q, firing %d", p.pills[0].Text, x.watches.firingTotal())
	}
	if x.notifier.sent != sentBefore+1 || !strings.Contains(x.banner.Text(), "metrics: cpu > 90 for 2s firing: 95") {
		t.Fatalf("notified %d, banner %q", x.notifier.sent-sentBefore, x.banner.Text())
	}
	if d := x.dash.views[ch].tileData(clk.Now()); d.Alerting != 1 {
		t.Fatalf("tile alerting = %d", d.Alerting)
	}
	feed(`{"cpu":20}`)
	x.bridge.Tick()
	items := p.history.Items()
	if len(items) != 2 || items[0].Firing || !items[1].Firing {
		t.Fatalf("history = %+v, want the recovery above the firing", items)
	}
	if !strings.Contains(x.banner.Text(), "recovered") {
		t.Fatalf("no recovery notice: %q", x.banner.Text())
	}

	// Both are in the workspace file.
	x.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := client.ParseWorkspace(data)
	if err != nil {
		t.Fatal(err)
	}
	if c := ws.Channels[0]; !slices.Equal(c.Charts, []string{"cpu"}) || !slices.Equal(c.Alerts, []string{"cpu > 90 for 2s"}) {
		t.Fatalf("saved channel = %+v", c)
	}
}

func TestApp_BrokenRuleInWorkspaceIsReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ws.json")
	ws := `{"version":1,"channels":[{"name":"m","url":"http://127.0.0.1:9/m","paused":true,"alerts":["cpu >> 3","silent 30s"]}]}`
	if err := os.WriteFile(path, []byte(ws), 0o600); err != nil {
		t.Fatal(err)
	}
	x, _ := newTestApp(t, Options{Workspace: path})
	x.bridge.Tick()
	if !strings.Contains(x.banner.Text(), `channel "m": alert rule "cpu >> 3": threshold ">" is not a number`) {
		t.Fatalf("banner = %q", x.banner.Text())
	}
	ch := x.mgr.Channels()[0]
	if rules := x.watches.of(ch).watch.Rules(); len(rules) != 1 || rules[0].String() != "silent 30s" {
		t.Fatalf("rules running = %v, want the good one", rules)
	}
}
