package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
)

// AppID is SSE Monitor's application ID, as in FyneApp.toml. Pass it to
// app.NewWithID so that preferences are saved.
const AppID = "dev.ssemon.monitor"

// Title is the main window's title.
const Title = "SSE Monitor"

// Options configures New. The zero value of every field selects its
// documented default; New copies the Options.
type Options struct {
	// URLs are subscribed at start, one channel each, named after the
	// URL's last path segment (made unique).
	URLs []string
	// Demo starts the demo server (DemoServer) at once and subscribes to
	// all its channels.
	Demo bool
	// DemoServer starts the demo server, for Demo and for the Demo
	// button and menu item. nil: this build has none, and they are not
	// offered.
	DemoServer DemoStarter
	// Open is a recording (JSON Lines, as written by ssemon-tail --record)
	// to open for offline browsing: its channels show on the dashboard and
	// in the detail view, and never connect. "" opens none.
	Open string
	// Workspace is the workspace file loaded at start (its channels
	// reconnect) and saved on every change, in every mode: URLs are
	// added to it, channels added during a demo or with a recording open
	// are kept; the demo's and the recording's own channels never are.
	// "" means the default file, workspace.json in the user's config
	// directory (ssemon/).
	Workspace string
	// NoWorkspace disables loading and saving a workspace altogether.
	NoWorkspace bool
	// Present starts in presentation mode: full screen, large type, no
	// chrome.
	Present bool
	// WallCycle is how long presentation mode shows one page of tiles
	// when they do not all fit on the screen; 0 means DefaultWallCycle
	// (20 s).
	WallCycle time.Duration
	// Theme fixes the light or dark variant; ThemeSystem (the zero value)
	// follows the desktop. The choice made in the View menu is remembered
	// in the app's preferences and wins over the zero value.
	Theme ThemeMode
	// TickInterval is the bridge's refresh interval; 0 means
	// DefaultAppTick (250 ms: a new state shows within it, the dashboard's
	// values redraw once a second; the window redraws at most 4 times a second,
	// as fast as people read; scrolling is drawn by Fyne at frame rate
	// regardless).
	TickInterval time.Duration
	// Visible reports whether the window can be seen at all: false while
	// it is minimised (iconified) or unmapped. While it cannot, no widget
	// is updated and nothing is drawn; the engine, the charts' series,
	// alert rules and notifications carry on, and everything on screen is
	// brought up to date at the first tick after the window shows again.
	// It is called on the UI goroutine once a tick that has something to
	// show. nil: the window always counts as visible.
	Visible func(fyne.Window) bool
	// Show opens the detail view of the channel of that name at start
	// ("" for the dashboard).
	Show string
	// ManualTick leaves the bridge's ticker stopped: the caller drives
	// refreshes with Bridge().Tick() on the UI goroutine. For tests and
	// benchmarks on Fyne's test driver, where fyne.Do runs inline.
	ManualTick bool
	// LogCapacity is each channel's log capacity in records; 0 means
	// DefaultLogCapacity.
	LogCapacity int
	// Clock drives the engine, the bridge and every displayed age.
	// nil means clock.Real().
	Clock clock.Clock
	// Logger receives the engine's and the interface's logs. nil discards.
	Logger *slog.Logger
}

// DefaultLogCapacity is the default per-channel log capacity: 2 000 records
// of typical size keep 100 busy channels within the memory target (see
// docs/BENCHMARKS.md, GUI section).
const DefaultLogCapacity = 2000

// DefaultLogBytes caps each channel's log memory by default.
const DefaultLogBytes = 2 << 20

// App is SSE Monitor's main window: dashboard, detail view, dialogs, demo
// and presentation modes. Create it with New; call Close before the Fyne
// app quits (Quit does both).
type App struct {
	app  fyne.App
	win  fyne.Window
	opts Options
	log  *slog.Logger
	clk  clock.Clock

	mgr    *client.Manager
	recs   *recordings
	bridge *Bridge
	poll   *poller
	demo   *runningDemo

	ws     *workspace
	themeM ThemeMode

	// UI goroutine state.
	dash      *dashboard
	detail    *detailView
	banner    *Banner
	notifier  *notifier
	watches   *watches
	wall      *wall
	toolbar   fyne.CanvasObject
	dashOver  *container.ThemeOverride
	center    *fyne.Container
	root      *fyne.Container
	presentOn bool
	search    *guardedEntry
	demoBtn   *guardedButton
	// dialogs are the dialogs open, the top one last.
	dialogs []*openDialog
	menu    *fyne.MainMenu

	// hidden tells that the window could not be seen at the last tick.
	hidden bool

	closeOnce sync.Once
	doctor    doctorOptions // the Diagnose dialog's tuning (tests)
	// runsSeen is, per channel, the count of ended model-stream runs last
	// saved (workspaceruns.go).
	runsSeen map[*client.Channel]uint64
}

// New builds the interface into w (content, menu, shortcuts), creates the
// engine, subscribes to the channels of opts, and starts the bridge. It
// does not show the window: call w.ShowAndRun. Errors are about the
// options (a URL that cannot be subscribed to, a workspace that cannot be
// read); channels that fail later show their error in their tile.
func New(a fyne.App, w fyne.Window, opts Options) (*App, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.LogCapacity <= 0 {
		opts.LogCapacity = DefaultLogCapacity
	}
	if opts.TickInterval == 0 {
		opts.TickInterval = DefaultAppTick
	}
	opts.URLs = append([]string(nil), opts.URLs...)
	x := &App{app: a, win: w, opts: opts, log: opts.Logger, clk: opts.Clock, recs: newRecordings()}
	x.mgr = client.NewManager(client.ManagerConfig{
		Clock:  opts.Clock,
		Logger: opts.Logger,
		Defaults: client.ChannelConfig{
			RingSize:  opts.LogCapacity,
			RingBytes: DefaultLogBytes,
		},
	})
	x.themeM = opts.Theme
	if x.themeM == ThemeSystem {
		x.themeM = ThemeMode(a.Preferences().IntWithFallback(prefTheme, int(ThemeSystem)))
	}
	a.Settings().SetTheme(appTheme{mode: x.themeM})

	x.buildUI()

	var errs []error
	ws, err := x.openWorkspace()
	if err != nil {
		errs = append(errs, err)
	}
	x.ws = ws
	for _, raw := range opts.URLs {
		if _, err := x.addURL(raw); err != nil {
			errs = append(errs, err)
		}
	}
	x.poll = newPoller(x.mgr, x.apply) // before any view: views may ask it for a tick
	if opts.Demo {
		if err := x.startDemo(); err != nil {
			errs = append(errs, err)
		}
	}
	if opts.Open != "" {
		x.openRecording(opts.Open)
	}
	if opts.Show != "" {
		if err := x.showAtStart(opts.Show); err != nil {
			errs = append(errs, err)
		}
	}

	x.bridge = NewBridge(BridgeConfig{Interval: opts.TickInterval, Clock: opts.Clock, Logger: opts.Logger}, x.poll.poll)
	if !opts.ManualTick {
		x.bridge.Start()
	}
	if opts.Present {
		x.setPresentation(true)
	}
	if err := errors.Join(errs...); err != nil {
		x.banner.Notify(oneLine(err.Error(), 300), PillError)
		return x, err
	}
	return x, nil
}

// Manager returns the engine the window shows.
func (x *App) Manager() *client.Manager { return x.mgr }

// Bridge returns the bridge refreshing the window.
func (x *App) Bridge() *Bridge { return x.bridge }

// Close stops the bridge, saves the workspace, closes every channel and
// the demo server, and waits for their goroutines. It is safe to call more
// than once and from any goroutine; after it returns no fyne.Do from this
// package runs any more.
func (x *App) Close() {
	x.closeOnce.Do(func() {
		x.recs.close()
		x.bridge.Close()
		if x.ws != nil {
			if err := x.ws.flush(); err != nil {
				x.log.Warn("workspace not saved", "err", err)
			}
		}
		x.mgr.Close()
		x.closeDemo()
	})
}

// Quit closes the App and quits the Fyne app. Call it on the UI goroutine.
func (x *App) Quit() {
	x.Close()
	x.app.Quit()
}

// Run shows the window and runs Fyne's event loop until the user quits or
// ctx ends (a signal), then closes the App. Call it once, on the main
// goroutine. The quit for ctx is handed to the UI goroutine, like the
// menu's Quit: nothing touches the window's state from elsewhere.
func (x *App) Run(ctx context.Context) {
	var mu sync.Mutex
	running := true
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if running {
			fyne.Do(x.Quit)
		}
	})
	x.win.ShowAndRun()
	stop()
	mu.Lock()
	running = false
	mu.Unlock()
	x.Close()
}

func (x *App) now() time.Time { return x.clk.Now() }

// apply runs a tick's change on the UI goroutine. While the window cannot
// be seen it keeps the watches (charts' series, alert rules) and the
// notifications going and leaves every widget alone; the first tick after
// the window shows again redraws all that is on screen.
func (x *App) apply(c *change) {
	x.saveRunsOnEnd(c) // workspaceruns.go
	hidden := x.opts.Visible != nil && !x.opts.Visible(x.win)
	alerted := x.watches.apply(c, x.dash)
	if !hidden && x.hidden {
		// Shown again: redraw everything, as what changed while hidden
		// is not in c.dirty.
		all := *c
		all.second, all.dirty = true, x.mgr.Channels()
		c = &all
	}
	x.hidden = hidden
	x.dash.paused = hidden
	active := x.dash.apply(c) || alerted
	if c.channels != nil {
		x.watches.link(x.dash)
	}
	if hidden {
		x.notifier.check(c, x.dash)
		return
	}
	if x.presentOn && x.wall.apply(c) {
		active = true
	}
	if x.notifier.check(c, x.dash) {
		active = true
	}
	if c.second && x.banner.Expire(c.now) {
		active = true
	}
	if x.detail != nil && x.detail.apply(c) {
		active = true
	}
	if active {
		x.bridge.MarkActive()
	}
	if x.demoBtn != nil && x.demo != nil && !x.demoBtn.Disabled() {
		x.demoBtn.Disable()
	}
}

func (x *App) buildUI() {
	x.banner = NewBanner()
	x.notifier = newNotifier(x.app, x.banner, x.clk)
	x.watches = newWatches(x)
	x.wall = newWall(x, x.opts.WallCycle)
	hint, hintButtons := "Add an event-stream URL (Ctrl+N).", container.NewHBox(layout.NewSpacer(),
		newGuardedButton(x.windowKey, "Add channel", theme.ContentAddIcon(), x.showAdd))
	if x.opts.DemoServer != nil {
		hint = "Add an event-stream URL (Ctrl+N), or start the demo server to see it work."
		hintButtons.Add(newGuardedButton(x.windowKey, "Start demo", theme.MediaPlayIcon(), x.onStartDemo))
	}
	hintButtons.Add(layout.NewSpacer())
	emptyHint := container.NewCenter(container.NewVBox(
		widget.NewLabelWithStyle("No channels yet", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		widget.NewLabelWithStyle(hint, fyne.TextAlignCenter, fyne.TextStyle{}),
		hintButtons,
	))
	x.dash = newDashboard(x.now, x.openDetail, emptyHint)
	x.dash.onMenu = x.showTileMenu
	x.dash.groups.keys = x.windowKey
	x.dash.grid.keys = x.windowKey
	x.banner.close.keys = x.windowKey
	x.search = newGuardedEntry(x.windowKey)
	x.search.SetPlaceHolder("Filter channels (Ctrl+F)")
	x.search.OnChanged = x.dash.setQuery

	add := newGuardedButton(x.windowKey, "Add", theme.ContentAddIcon(), x.showAdd)
	add.Importance = widget.HighImportance
	left := container.NewHBox(add)
	if x.opts.DemoServer != nil {
		x.demoBtn = newGuardedButton(x.windowKey, "Demo", theme.MediaPlayIcon(), x.onStartDemo)
		left.Add(x.demoBtn)
	}
	left.Add(x.dash.groups)
	present := newGuardedButton(x.windowKey, "Present", theme.ViewFullScreenIcon(), func() { x.setPresentation(true) })
	x.toolbar = container.NewBorder(nil, nil,
		left,
		container.NewHBox(x.dash.summary, present),
		x.search,
	)
	x.dashOver = container.NewThemeOverride(x.dash.body, x.dashTheme())
	x.center = container.NewStack(x.dashOver)
	// The banner floats over the bottom of the view: it never moves the
	// layout when it comes and goes (a click lands where it was aimed).
	x.root = container.NewBorder(x.toolbar, nil, nil, nil,
		container.NewStack(x.center, container.NewBorder(nil, x.banner, nil, nil)))
	x.win.SetContent(x.root)
	x.menu = x.mainMenu()
	x.win.SetMainMenu(x.menu)
	x.installShortcuts()
	x.win.SetCloseIntercept(x.Quit)
	x.win.Resize(fyne.NewSize(1180, 760))
}

// setPresentation switches presentation mode: full screen, no menu or
// toolbar, the dashboard alone in large type. Banners still show.
func (x *App) setPresentation(on bool) {
	if on == x.presentOn {
		return
	}
	x.presentOn = on
	x.win.Canvas().Unfocus() // a control hidden with the toolbar keeps no key
	if on {
		x.closeDetail()
		x.win.SetMainMenu(nil)
		x.toolbar.Hide()
		x.dash.hidden = true
		x.center.Objects = []fyne.CanvasObject{x.wall.content}
		x.wall.rearrange()
	} else {
		x.win.SetMainMenu(x.menu)
		x.toolbar.Show()
		x.dash.hidden = false
		x.center.Objects = []fyne.CanvasObject{x.dashOver}
	}
	x.dashOver.Theme = x.dashTheme()
	x.dashOver.Refresh()
	for t := range x.dash.bound {
		t.Refresh() // tiles out of view redraw when they are reused
	}
	x.root.Refresh()
	x.win.SetFullScreen(on)
}

// dashTheme is the dashboard's theme: the app's theme, read from the
// settings at every use (so a theme change reaches it with everything
// else), enlarged in presentation mode.
func (x *App) dashTheme() fyne.Theme {
	scale := float32(1)
	if x.presentOn {
		scale = PresentationScale
	}
	return scaledTheme{settings: x.app.Settings(), scale: scale}
}

// Presenting reports whether presentation mode is on.
func (x *App) Presenting() bool { return x.presentOn }

// TogglePresentation switches presentation mode on or off (F11).
func (x *App) TogglePresentation() { x.setPresentation(!x.presentOn) }

// channelName derives a unique channel name from a stream URL: its last
// path segment, else its host.
func (x *App) channelName(raw string) string {
	base := "stream"
	if u, err := url.Parse(raw); err == nil {
		if seg := path.Base(strings.TrimRight(u.Path, "/")); seg != "" && seg != "." && seg != "/" {
			base = seg
		} else if u.Hostname() != "" {
			base = u.Hostname()
		}
	}
	if len(base) > 60 {
		base = base[:60]
	}
	name := base
	for i := 2; ; i++ {
		if _, taken := x.mgr.Get(name); !taken {
			return name
		}
		name = base + "-" + strconv.Itoa(i)
	}
}

// addURL subscribes to a URL given on the command line, unless a channel
// of the workspace already does.
func (x *App) addURL(raw string) (*client.Channel, error) {
	for _, ch := range x.mgr.Channels() {
		if ch.Config().URL == raw {
			return ch, nil
		}
	}
	ch, err := x.mgr.Add(client.ChannelConfig{Name: x.channelName(raw), URL: raw})
	if err != nil {
		return nil, fmt.Errorf("cannot subscribe to %s: %w", raw, err)
	}
	x.ws.changed()
	return ch, nil
}
