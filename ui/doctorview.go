package ui

import (
	"bytes"
	"context"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/doctor"
)

// doctorOptions tune the Diagnose dialog. The zero value is what people
// get: the doctor's defaults on the app's clock. Tests shorten the watch.
type doctorOptions struct {
	// watch is how long the stream is watched; 0: doctor.DefaultWatch.
	watch time.Duration
	// clk times the doctor; nil: the app's clock.
	clk clock.Clock
	// concurrent and abandon: see doctor.Config (0: defaults).
	concurrent, abandon int
	// connect bounds the wait for response headers; 0: the channel's
	// connect timeout, or the watch when it has none.
	connect time.Duration
}

// diagnoseButton returns a "Diagnose" button that examines the channel
// that get describes (the detail view's channel, or the add dialog's
// form) with the stream doctor.
func (x *App) diagnoseButton(get func() (client.ChannelConfig, error)) *guardedButton {
	return newGuardedButton(x.windowKey, "Diagnose", theme.SearchIcon(), func() {
		cfg, err := get()
		if err != nil {
			x.showError(err)
			return
		}
		x.showDiagnosis(cfg)
	})
}

// diagnoseConfig is the detail view's channel, for its Diagnose button.
func (d *detailView) diagnoseConfig() (client.ChannelConfig, error) { return d.v.ch.Config(), nil }

// diagnosis is one open Diagnose dialog. It lives on the UI goroutine;
// the examination runs in the app's background work.
type diagnosis struct {
	x      *App
	cfg    client.ChannelConfig
	view   *DoctorReport
	dlg    dialog.Dialog
	again  *guardedButton
	copy   *guardedButton
	cancel context.CancelFunc
	gen    int // which run the view shows
}

// showDiagnosis opens the Diagnose dialog for cfg and starts examining.
func (x *App) showDiagnosis(cfg client.ChannelConfig) *diagnosis {
	g := &diagnosis{x: x, cfg: cfg}
	method := orDefault(cfg.Method, "GET")
	g.view = NewDoctorReport(method+" "+cfg.URL, g.watch())
	g.again = newGuardedButton(x.windowKey, "Run again", theme.ViewRefreshIcon(), g.run)
	g.copy = newGuardedButton(x.windowKey, "Copy report", theme.ContentCopyIcon(), g.copyReport)
	closeBtn := newGuardedButton(x.windowKey, "Close", theme.CancelIcon(), g.close)
	buttons := container.NewHBox(g.again, g.copy, layoutSpacer(), closeBtn)
	title := "Diagnose"
	if cfg.Name != "" {
		title += " " + cfg.Name
	}
	g.dlg = dialog.NewCustomWithoutButtons(title, container.NewBorder(nil, buttons, nil, nil, container.NewVScroll(g.view)), x.win)
	g.dlg.SetOnClosed(g.stop)
	g.dlg.Resize(fyne.NewSize(820, 660))
	x.showDialog(g.dlg, nil, g.close)
	g.run()
	return g
}

func (g *diagnosis) watch() time.Duration {
	if w := g.x.doctor.watch; w > 0 {
		return w
	}
	return doctor.DefaultWatch
}

// run starts (or restarts) the examination.
func (g *diagnosis) run() {
	g.stop()
	g.gen++
	gen := g.gen
	g.view.SetRunning()
	g.again.Disable()
	g.copy.Disable()
	sc, err := g.cfg.StreamConfig(os.LookupEnv)
	if err != nil {
		g.view.SetError("Cannot examine this channel: " + err.Error())
		g.again.Enable()
		return
	}
	clk := g.x.doctor.clk
	if clk == nil {
		clk = g.x.clk
	}
	if g.x.doctor.connect > 0 {
		sc.ConnectTimeout = g.x.doctor.connect
	}
	cfg := doctor.Config{Stream: sc, Watch: g.watch(), Clock: clk, Logger: g.x.log,
		Concurrent: g.x.doctor.concurrent, Abandon: g.x.doctor.abandon}
	bg := g.x.recs // Close cancels the examination and waits for it
	ctx, cancel := context.WithCancel(bg.ctx)
	g.cancel = cancel
	bg.wg.Add(1)
	go func() {
		defer bg.wg.Done()
		rep, err := doctor.Run(ctx, cfg)
		cancel()
		if ctx.Err() != nil && rep == nil || bg.ctx.Err() != nil {
			return
		}
		fyne.Do(func() { g.done(gen, rep, err) })
	}()
}

// done shows the result of run gen, unless another run replaced it.
func (g *diagnosis) done(gen int, rep *doctor.Report, err error) {
	if gen != g.gen {
		return
	}
	g.again.Enable()
	if rep == nil {
		g.view.SetError("Cannot examine this channel: " + err.Error())
		return
	}
	g.view.SetReport(rep)
	g.copy.Enable()
}

// copyReport puts the text form of the report on the clipboard.
func (g *diagnosis) copyReport() {
	if g.view.Report == nil {
		return
	}
	var b bytes.Buffer
	_ = g.view.Report.WriteText(&b)
	g.x.app.Clipboard().SetContent(b.String())
}

// stop cancels a running examination.
func (g *diagnosis) stop() {
	if g.cancel != nil {
		g.cancel()
		g.cancel = nil
	}
}

func (g *diagnosis) close() {
	g.stop()
	g.dlg.Hide()
}
