// Command ssemon is SSE Monitor, a desktop app that watches many
// Server-Sent-Events streams at once: live progress, event logs and the
// true state of every connection.
//
//	ssemon                       open the saved workspace
//	ssemon URL...                watch these streams
//	ssemon --demo                start the built-in demo server and watch it
//	ssemon --workspace FILE      use FILE as the workspace
//	ssemon --open REC.jsonl      browse a recording (ssemon-tail --record) offline
//	ssemon --present             start in presentation mode (F11 toggles)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/ssemon/ssemon/assets"
	"github.com/ssemon/ssemon/cmd/ssemon/internal/demoserver"
	"github.com/ssemon/ssemon/cmd/ssemon/internal/winvis"
	"github.com/ssemon/ssemon/ui"
)

func main() {
	withFyneCache()
	fs := flag.NewFlagSet("ssemon", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: ssemon [flags] [URL...]\n\nWatch Server-Sent-Events streams. Flags:\n")
		fs.PrintDefaults()
	}
	demo := fs.Bool("demo", false, "start the embedded demo server on a free loopback port and subscribe to all its channels")
	source := fs.String("source", "", "with --demo: serve the demo through the Redis at `redis://HOST:PORT[/DB]`, by an ssemon-demo child process (found next to ssemon, else on PATH; ssemon itself does not link Redis)")
	workspace := fs.String("workspace", "", "workspace `file` to load and save (default: workspace.json in the user config dir)")
	open := fs.String("open", "", "open a recording `file` (JSON Lines from ssemon-tail --record) for offline browsing")
	present := fs.Bool("present", false, "start in presentation mode: full screen, large type, no chrome (F11 toggles)")
	refresh := fs.Duration("refresh", ui.DefaultAppTick, "how often the window may redraw, at most (17ms–500ms): a new state shows within it, the dashboard's values redraw once a second; slower costs less CPU")
	show := fs.String("show", "", "open the detail view of the channel `name` at start")
	wallCycle := fs.Duration("wall-cycle", ui.DefaultWallCycle, "in presentation mode, how long each page of tiles shows when they do not all fit the screen")
	themeName := fs.String("theme", "", "`light` or dark for this run (default: the choice saved from View → Theme, else the desktop's)")
	verbose := fs.Bool("v", false, "log connection details to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to `file` (go tool pprof), for measuring the app's footprint")
	memProfile := fs.String("memprofile", "", "write a heap profile to `file` when the app quits (go tool pprof)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		os.Exit(2)
	}
	var themeMode ui.ThemeMode
	switch *themeName {
	case "", "system":
	case "light":
		themeMode = ui.ThemeLight
	case "dark":
		themeMode = ui.ThemeDark
	default:
		fmt.Fprintf(os.Stderr, "ssemon: --theme %q: want system, light or dark\n", *themeName)
		os.Exit(2)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	demoStarter := demoserver.Embedded(demoserver.EmbeddedConfig(logger.With("component", "demo-server")))
	if *source != "" {
		bin, err := demoserver.DemoBinary()
		if err != nil {
			fmt.Fprintln(os.Stderr, "ssemon: --source:", err)
			os.Exit(1)
		}
		demoStarter = demoserver.Process(bin, *source)
	}

	stopProfiles, err := startProfiles(*cpuProfile, *memProfile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ssemon:", err)
		os.Exit(1)
	}
	defer stopProfiles()
	memCtx, stopMemory := context.WithCancel(context.Background())
	defer stopMemory()
	keepMemory(memCtx)

	a := app.NewWithID(ui.AppID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG()))
	w := a.NewWindow(ui.Title)
	w.SetIcon(a.Icon())
	vis := winvis.New()
	defer vis.Close()
	m, err := ui.New(a, w, ui.Options{
		URLs:         fs.Args(),
		Demo:         *demo,
		DemoServer:   demoStarter,
		Workspace:    *workspace,
		Open:         *open,
		Present:      *present,
		WallCycle:    *wallCycle,
		Show:         *show,
		TickInterval: *refresh,
		Visible:      vis.Visible,
		Theme:        themeMode,
		Logger:       logger,
	})
	if err != nil {
		// Shown in the window's banner too; the app still runs.
		logger.Error("startup", "err", err)
	}

	// SIGINT/SIGTERM quit on the UI goroutine, as the menu's Quit does;
	// the shutdown runs once the event loop has returned.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m.Run(ctx)
}
