package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/curlcmd"
	"github.com/ssemon/ssemon/client/record"
)

// connectionRedrawEvery is the least time between two redraws of an
// attempt in progress (its duration moves with time alone).
const connectionRedrawEvery = time.Second

// connectionPanel is the detail view's Connection tab of one channel: its
// connection attempts (ExchangeView), "Copy as curl", "Copy attempts" (the
// text shown), and a switch that shows the secrets. It lives on the UI goroutine and redraws only while
// its tab is shown and something changed.
type connectionPanel struct {
	x      *App
	ch     *client.Channel
	view   *ExchangeView
	reveal *guardedCheck
	copy   *guardedButton
	copyXs *guardedButton
	tab    *container.TabItem
	tabs   *container.AppTabs

	xs      []client.Exchange
	shown   string // what the view shows: the newest attempt's state
	drawnAt time.Time
}

func newConnectionPanel(x *App, ch *client.Channel) *connectionPanel {
	p := &connectionPanel{x: x, ch: ch, view: NewExchangeView()}
	p.reveal = newGuardedCheck(x.windowKey, "Show secrets", func(bool) { p.apply(p.x.now(), true) })
	p.copy = newGuardedButton(x.windowKey, "Copy as curl", theme.ContentCopyIcon(), func() {
		p.x.app.Clipboard().SetContent(curlcmd.Build(p.ch.Config(), p.reveal.Checked))
	})
	p.copyXs = newGuardedButton(x.windowKey, "Copy attempts", theme.ContentCopyIcon(), func() {
		p.x.app.Clipboard().SetContent(p.view.Text())
	})
	bar := container.NewHBox(p.copy, p.copyXs, p.reveal)
	p.tab = container.NewTabItem("Connection", container.NewBorder(bar, nil, nil, nil, container.NewVScroll(p.view)))
	return p
}

// apply redraws the attempts when the tab is shown and they changed (or,
// for one in progress, once a second); force redraws anyway.
func (p *connectionPanel) apply(now time.Time, force bool) {
	if p.tabs == nil || p.tabs.Selected() != p.tab {
		return
	}
	p.xs = p.ch.Exchanges(p.xs[:0])
	key := ""
	if n := len(p.xs); n > 0 {
		x := &p.xs[n-1]
		key = fmt.Sprint(n, x.Seq, x.Ended, x.End, x.Events, x.Response != nil, x.RemoteAddr)
		if !x.Ended && now.Sub(p.drawnAt) >= connectionRedrawEvery {
			force = true
		}
	}
	if !force && key == p.shown {
		return
	}
	p.shown, p.drawnAt = key, now
	show := make([]client.Exchange, len(p.xs))
	for i, x := range p.xs {
		if !p.reveal.Checked {
			x = record.MaskExchange(x)
		}
		show[i] = x
	}
	p.view.Set(show)
}
