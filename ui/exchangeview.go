package ui

import (
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// ExchangeView shows a channel's connection attempts, newest first: per
// attempt a line with its outcome (a pill), number, start time and
// duration, then the exchange as curl -v shows it — the request as sent
// (> lines), the response (< lines), TLS, timings, how it ended and, on
// failure, the start of the body. Give it exchanges already masked
// (record.MaskExchange) unless secrets are to be shown.
type ExchangeView struct {
	widget.BaseWidget

	// Exchanges are the attempts, oldest first, as Stream.Exchanges gives
	// them.
	Exchanges []client.Exchange
	// Location is the time zone of the start times (nil: time.Local).
	Location *time.Location
}

// NewExchangeView returns an empty view.
func NewExchangeView() *ExchangeView {
	v := &ExchangeView{}
	v.ExtendBaseWidget(v)
	return v
}

// Text returns the attempts shown as plain text, newest first, as the
// view lays them out (for the clipboard).
func (v *ExchangeView) Text() string {
	var b strings.Builder
	for i := len(v.Exchanges) - 1; i >= 0; i-- {
		x := &v.Exchanges[i]
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(exchangeHead(x, v.location()) + "\n" + exchangeBody(x))
	}
	return b.String()
}

func (v *ExchangeView) location() *time.Location {
	if v.Location == nil {
		return time.Local
	}
	return v.Location
}

// exchangeHead is an attempt's title line: number, start, duration.
func exchangeHead(x *client.Exchange, loc *time.Location) string {
	head := "Attempt " + strconv.Itoa(x.Seq) + " · " + x.Start.In(loc).Format("15:04:05.000") + " · " + client.FormatDuration(x.Duration)
	if !x.Ended {
		head += " so far"
	}
	return head
}

// Set shows xs (oldest first).
func (v *ExchangeView) Set(xs []client.Exchange) {
	v.Exchanges = xs
	v.Refresh()
}

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (v *ExchangeView) CreateRenderer() fyne.WidgetRenderer {
	v.ExtendBaseWidget(v)
	return newBoxRenderer(v.objects)
}

// objects lays out the list anew: attempts change a few times a
// connection, and the view redraws only while its tab is shown.
func (v *ExchangeView) objects() []fyne.CanvasObject {
	xs := v.Exchanges
	if len(xs) == 0 {
		l := widget.NewLabel("No connection attempt yet.")
		l.Importance = widget.LowImportance
		return []fyne.CanvasObject{l}
	}
	loc := v.location()
	objs := make([]fyne.CanvasObject, 0, 3*len(xs))
	for i := len(xs) - 1; i >= 0; i-- {
		x := &xs[i]
		if len(objs) > 0 {
			objs = append(objs, widget.NewSeparator())
		}
		title := widget.NewLabelWithStyle(exchangeHead(x, loc), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		objs = append(objs, container.NewHBox(container.NewCenter(exchangePill(x)), title))
		body := widget.NewLabel(exchangeBody(x))
		body.TextStyle = fyne.TextStyle{Monospace: true}
		body.SizeName = theme.SizeNameCaptionText
		body.Wrapping = fyne.TextWrapBreak
		objs = append(objs, body)
	}
	return objs
}

// exchangePill names an attempt's outcome in the colour of its weight.
func exchangePill(x *client.Exchange) *Pill {
	switch {
	case x.Response != nil && x.Response.StatusCode == 200 && x.End != client.EndContentType:
		if !x.Ended {
			return NewPill("OPEN", PillInfo)
		}
		return NewPill("200", PillInfo)
	case x.Response != nil:
		kind := PillWarning
		if x.End == client.EndHTTP && x.Response.StatusCode < 500 && x.Response.StatusCode != 429 || x.End == client.EndContentType {
			kind = PillError
		}
		return NewPill(strconv.Itoa(x.Response.StatusCode), kind)
	case !x.Ended:
		return NewPill("WAITING", PillInfo)
	case x.End == client.EndStopped:
		return NewPill("STOPPED", PillInfo)
	}
	return NewPill("NO RESPONSE", PillError)
}

// exchangeBody is the attempt as curl -v shows it.
func exchangeBody(x *client.Exchange) string {
	var b strings.Builder
	line := func(prefix, s string) {
		b.WriteString(prefix)
		b.WriteString(s)
		b.WriteByte('\n')
	}
	if x.RemoteAddr != "" {
		line("* ", "connected to "+x.RemoteAddr)
	}
	for _, l := range x.RequestLines() {
		line("> ", l)
	}
	for _, l := range x.ResponseLines() {
		line("< ", l)
	}
	if t := x.TLSText(); t != "" {
		line("* ", t)
	}
	if t := x.TimingText(); t != "" {
		line("* ", t)
	}
	if e := x.EndText(); e != "" {
		s := "ended: " + e
		if r := x.ResultText(); r != "" {
			s += " · " + r
		}
		line("* ", s)
	} else if r := x.ResultText(); r != "" {
		line("* ", "open: "+r)
	}
	if x.Response != nil && x.Response.BodyPreview != "" {
		line("* ", "body: "+strconv.Quote(x.Response.BodyPreview))
	}
	return strings.TrimSuffix(b.String(), "\n")
}
