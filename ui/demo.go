package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// DemoGroup is the group of the channels subscribed to the demo server.
// They are never saved to the workspace (the port changes on every start).
const DemoGroup = "demo"

// DemoStarter starts a demo server for the app to show: the one built into
// the binary, or one in another process. The command wires a concrete one;
// this package never knows which. ctx bounds the start only.
type DemoStarter func(ctx context.Context) (DemoServer, error)

// DemoServer is a running demo server: a set of SSE channels driven by
// scenarios, with fault injection.
type DemoServer interface {
	// Name says where it runs, for the menu and the banner, e.g.
	// "built-in" or "ssemon-demo --source redis://127.0.0.1:6379".
	Name() string
	// Channels lists its channels in the server's order.
	Channels() []DemoChannel
	// Models lists its model endpoints (requests whose responses stream
	// a model's answer); none when it serves none.
	Models() []DemoModel
	// Heartbeat is the interval of its heartbeat comments; 0 when
	// unknown. The app chooses its stall timeout for demo channels from
	// it, so that a quiet channel is not taken for a stalled one.
	Heartbeat() time.Duration
	// Inject applies a fault. It may block on the network: the app calls
	// it off the UI goroutine.
	Inject(ctx context.Context, f DemoFault) error
	// Close stops the server and waits for it.
	Close() error
}

// DemoChannel is one channel of a DemoServer.
type DemoChannel struct {
	// Name is the server's channel name.
	Name string
	// Description says what it shows.
	Description string
	// Scenario is the kind of generator feeding it ("deploy", "flaky"…).
	Scenario string
	// URL is its stream URL.
	URL string
}

// DemoModel is one model endpoint of a DemoServer: a POST request whose
// response streams a canned answer (reasoning, text, a tool call, usage)
// in one model API's shape.
type DemoModel struct {
	// Name is the name of the channel sending it, e.g. "openai-chat".
	Name string
	// Title names the API in the Demo menu, e.g. "OpenAI chat
	// completions".
	Title string
	// URL is the endpoint; the request is a POST.
	URL string
	// Headers are sent with it (Content-Type, an API version).
	Headers []client.Header
	// Body is the request body (JSON).
	Body string
	// FaultChannel is the server's channel name that addresses the model
	// endpoints in DemoFault.Channel. Their faults act on every model
	// endpoint at once: drop and stall on the answers being streamed,
	// fail and malformed on the next request.
	FaultChannel string
}

// FaultKind is a kind of fault a demo server can inject.
type FaultKind uint8

// Fault kinds.
const (
	// FaultDrop cuts every connection of the channel, as a network
	// failure would.
	FaultDrop FaultKind = iota + 1
	// FaultStall stops writing to the channel's connections for
	// DemoFault.Duration, without closing them.
	FaultStall
	// FaultBurst publishes DemoFault.N events at once.
	FaultBurst
	// FaultMalformed publishes one malformed frame.
	FaultMalformed
	// FaultRetry sets the channel's retry: to DemoFault.Duration.
	FaultRetry
	// FaultFailNext answers the next stream request with
	// DemoFault.Status.
	FaultFailNext
)

// String returns the fault's name in the demo server's admin API ("drop",
// "stall", "burst", "malformed", "retry", "fail").
func (k FaultKind) String() string {
	switch k {
	case FaultDrop:
		return "drop"
	case FaultStall:
		return "stall"
	case FaultBurst:
		return "burst"
	case FaultMalformed:
		return "malformed"
	case FaultRetry:
		return "retry"
	case FaultFailNext:
		return "fail"
	}
	return fmt.Sprintf("fault(%d)", uint8(k))
}

// DemoFault is one fault injection.
type DemoFault struct {
	// Kind selects the fault.
	Kind FaultKind
	// Channel is the server's channel name; "" means every channel.
	Channel string
	// Duration is the stall's length or the new retry delay.
	Duration time.Duration
	// N is the number of burst events.
	N int
	// Status is the HTTP status of FaultFailNext.
	Status int
}

// Demo stall timing: demo channels get a stall timeout that a quiet
// channel's heartbeats keep clear of, and the stall fault lasts longer
// than the stall timeout of the channels it stalls, so the audience sees
// "stalled".
const (
	// minDemoStallTimeout is the least stall timeout of a demo channel.
	minDemoStallTimeout = 10 * time.Second
	// stallMargin is how much longer than the stall timeout a stall lasts.
	stallMargin = 5 * time.Second
	// maxDemoStall caps a stall fault (the demo server's cap).
	maxDemoStall = time.Hour
)

// demoStallTimeout is the stall timeout given to the channels of a demo
// server sending heartbeats every hb.
func demoStallTimeout(hb time.Duration) time.Duration {
	return max(minDemoStallTimeout, 3*hb)
}

// demoAction is one fault offered in the menus and the detail view.
type demoAction struct {
	// label names it in a menu; short in the detail view's button row.
	label, short string
	fault        DemoFault
	// send is when the fault sends the channel's request (model
	// channels); sendNone for the SSE channels.
	send sendMode
}

// demoActions are the faults offered for a demo server, in menu order.
// The stall's length is worked out per target when it is injected.
func demoActions() []demoAction {
	return []demoAction{
		{"Drop connections", "Drop", DemoFault{Kind: FaultDrop}, sendNone},
		{"Stall past the stall timeout", "Stall", DemoFault{Kind: FaultStall}, sendNone},
		{"Burst 500 events", "Burst 500", DemoFault{Kind: FaultBurst, N: 500}, sendNone},
		{"Send a malformed frame", "Malformed frame", DemoFault{Kind: FaultMalformed}, sendNone},
		{"Retry 1 s", "Retry 1 s", DemoFault{Kind: FaultRetry, Duration: time.Second}, sendNone},
		{"Retry 10 s", "Retry 10 s", DemoFault{Kind: FaultRetry, Duration: 10 * time.Second}, sendNone},
		{"Fail next connect (503)", "Fail next (503)", DemoFault{Kind: FaultFailNext, Status: 503}, sendNone},
	}
}

// runningDemo is the demo server the app started and what it knows of it.
type runningDemo struct {
	srv DemoServer
	// byURL maps each demo stream URL to its server channel name.
	byURL map[string]DemoChannel
}

// demoChannel returns the demo server's channel that cfg subscribes to.
func (x *App) demoChannel(cfg client.ChannelConfig) (DemoChannel, bool) {
	if x.demo == nil {
		return DemoChannel{}, false
	}
	dc, ok := x.demo.byURL[cfg.URL]
	return dc, ok
}

// isDemoChannel reports whether cfg subscribes to the demo server.
func (x *App) isDemoChannel(cfg client.ChannelConfig) bool {
	_, ok := x.demoChannel(cfg)
	return ok
}

// demoTargets returns the app's channels a fault on the server channel
// name ("" = all) reaches.
func (x *App) demoTargets(name string) []*client.Channel {
	var out []*client.Channel
	for _, ch := range x.mgr.Channels() {
		if dc, ok := x.demoChannel(ch.Config()); ok && (name == "" || dc.Name == name) {
			out = append(out, ch)
		}
	}
	return out
}

// stallFor works out a stall that outlasts the stall timeout of every
// channel it reaches, or says why it cannot be seen as a stall.
func stallFor(chans []*client.Channel) (time.Duration, string) {
	var longest time.Duration
	var off []string
	for _, ch := range chans {
		st := ch.Config().StallTimeout
		switch {
		case st < 0:
			off = append(off, ch.Name())
		case st == 0:
			longest = max(longest, client.DefaultStallTimeout)
		default:
			longest = max(longest, st)
		}
	}
	if longest == 0 {
		longest = minDemoStallTimeout
	}
	d := longest + stallMargin
	var why string
	if d > maxDemoStall {
		d = maxDemoStall
		why = fmt.Sprintf("a stall lasts at most %s, under the stall timeout of %s", client.FormatDuration(maxDemoStall), client.FormatDuration(longest))
	}
	if len(off) > 0 {
		why = "stall detection is off for " + strings.Join(off, ", ") + ": the stall will not be detected there"
	}
	return d, why
}

// inject applies a fault of the demo menu to the server channel target
// ("" = every scenario channel) in the background; errors and caveats show in
// the banner. A fault on a model channel also sends ch's request (see
// sendMode).
func (x *App) inject(a demoAction, target string, ch *client.Channel) {
	if x.demo == nil || (a.send != sendNone && ch == nil) {
		return
	}
	f := a.fault
	f.Channel = target
	if f.Kind == FaultStall && f.Duration == 0 {
		d, why := stallFor(x.demoTargets(target))
		f.Duration = d
		scope := target
		if scope == "" {
			scope = "every scenario channel"
		}
		if why != "" {
			x.banner.Notify("Stall of "+scope+" for "+client.FormatDuration(d)+": "+why, PillWarning)
		}
	}
	srv, bg := x.demo.srv, x.recs
	bg.wg.Add(1)
	go func() {
		defer bg.wg.Done()
		if a.send == sendBefore {
			ctx, cancel := context.WithTimeout(bg.ctx, answerDeadline)
			ok, why := awaitAnswer(ctx, ch)
			cancel()
			if !ok {
				if bg.ctx.Err() == nil {
					fyne.Do(func() { x.banner.Notify("Demo fault "+f.Kind.String()+" not injected: "+why, PillWarning) })
				}
				return
			}
		}
		ctx, cancel := context.WithTimeout(bg.ctx, 10*time.Second)
		defer cancel()
		err := srv.Inject(ctx, f)
		if err == nil {
			if a.send == sendAfter {
				ch.Reconnect() // the request the fault waits for
			}
			return
		}
		if bg.ctx.Err() != nil {
			return
		}
		fyne.Do(func() { x.banner.Notify("Demo fault "+f.Kind.String()+": "+err.Error(), PillError) })
	}()
}

// demoFaults is the row of fault-injection buttons the detail view shows
// for a demo channel, so a presenter can break a stream live.
func (x *App) demoFaults(cfg client.ChannelConfig) fyne.CanvasObject {
	dc, ok := x.demoChannel(cfg)
	if !ok {
		return nil
	}
	ch, _ := x.mgr.Get(cfg.Name)
	row := container.NewHBox(widget.NewLabelWithStyle("Demo faults:", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for _, a := range demoActionsFor(dc) {
		b := newGuardedButton(x.windowKey, a.short, nil, func() { x.inject(a, dc.Name, ch) })
		b.Importance = widget.LowImportance
		row.Add(b)
	}
	return row
}

// demoMenuItems returns the fault items for the channel ch of the demo
// channel dc, or for every scenario channel when ch is nil, labelled with
// their scope.
func (x *App) demoMenuItems(dc DemoChannel, ch *client.Channel) []*fyne.MenuItem {
	scope := "all scenario channels" // the model endpoints have their own faults
	if ch != nil {
		scope = ch.Name()
	} else {
		dc = DemoChannel{}
	}
	var items []*fyne.MenuItem
	for _, a := range demoActionsFor(dc) {
		items = append(items, fyne.NewMenuItem(a.label+" ("+scope+")", func() { x.inject(a, dc.Name, ch) }))
	}
	return items
}

// startDemo starts the demo server, subscribes to all its channels (group
// "demo") and adds a request channel per model endpoint (group "models"):
// a presenter finds every stream the server can show on the dashboard.
func (x *App) startDemo() error {
	if x.demo != nil {
		return nil
	}
	if x.opts.DemoServer == nil {
		return errors.New("no demo server in this build")
	}
	ctx, cancel := context.WithTimeout(x.recs.ctx, 30*time.Second)
	srv, err := x.opts.DemoServer(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("demo server: %w", err)
	}
	x.demo = &runningDemo{srv: srv, byURL: make(map[string]DemoChannel)}
	stall := demoStallTimeout(srv.Heartbeat())
	var errs []error
	for _, dc := range srv.Channels() {
		x.demo.byURL[dc.URL] = dc
		name := dc.Name
		if _, taken := x.mgr.Get(name); taken {
			name = "demo-" + name
		}
		cfg := client.ChannelConfig{Name: name, Group: DemoGroup, URL: dc.URL, StallTimeout: stall}
		cfg.Charts, cfg.Alerts = demoWatch(dc.Scenario)
		if _, err := x.mgr.Add(cfg); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, x.addDemoModels(stall)...)
	if x.demoBtn != nil {
		x.demoBtn.Disable()
	}
	x.refreshMenu()
	return errors.Join(errs...)
}

// closeDemo stops the demo server.
func (x *App) closeDemo() {
	if x.demo == nil {
		return
	}
	if err := x.demo.srv.Close(); err != nil {
		x.log.Warn("demo server", "err", err)
	}
}

// demoScenarios lists the demo channels with what they show, for the
// Demo menu.
func (x *App) demoScenarios() []DemoChannel {
	if x.demo == nil {
		return nil
	}
	return slices.Clone(x.demo.srv.Channels())
}

// onStartDemo is the toolbar/menu action.
func (x *App) onStartDemo() {
	if err := x.startDemo(); err != nil {
		x.banner.Notify(err.Error(), PillError)
	}
}

// openDemoChannel opens the detail view of the channel subscribed to the
// demo channel dc.
func (x *App) openDemoChannel(dc DemoChannel) {
	for _, ch := range x.mgr.Channels() {
		if ch.Config().URL == dc.URL {
			if v := x.dash.views[ch]; v != nil {
				x.setPresentation(false)
				x.openDetail(v)
			}
			return
		}
	}
}

// tileMenu is a tile's right-click menu: open the channel, reconnect, and
// for a demo channel the demo server's faults on that channel.
func (x *App) tileMenu(v *chanView) *fyne.Menu {
	ch := v.ch
	items := []*fyne.MenuItem{
		fyne.NewMenuItem("Open", func() { x.openDetail(v) }),
	}
	if !ch.Offline() {
		again, _ := againAction(ch.Config())
		items = append(items, fyne.NewMenuItem(again, ch.Reconnect))
	}
	if dc, ok := x.demoChannel(ch.Config()); ok {
		items = append(items, fyne.NewMenuItemSeparator())
		for _, a := range demoActionsFor(dc) {
			items = append(items, fyne.NewMenuItem(a.label, func() { x.inject(a, dc.Name, ch) }))
		}
	}
	return fyne.NewMenu(ch.Name(), items...)
}

// showTileMenu pops the tile's menu up at a position in tile t.
func (x *App) showTileMenu(v *chanView, t *Tile, at fyne.Position) {
	c := x.win.Canvas()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(t).Add(at)
	widget.ShowPopUpMenuAtPosition(x.tileMenu(v), c, pos)
}
