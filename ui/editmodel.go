package ui

import (
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client"
)

// The choices of the channel form's Format and Mode selects.
const (
	formatAuto   = "Auto (by Content-Type)"
	formatSSE    = "SSE"
	formatNDJSON = "NDJSON (one event per line)"
	modeAuto     = "Auto (request for POST, PUT, PATCH)"
	modeSub      = "Subscription (reconnect when it ends)"
	modeReq      = "Request (ends with its response; Run again)"
)

// modelFields are the channel form's Format and Mode selects.
type modelFields struct {
	format, mode *guardedSelect
}

// newModelFields makes the selects, showing cfg's values.
func newModelFields(x *App, cfg client.ChannelConfig) modelFields {
	m := modelFields{
		format: newGuardedSelect(x.windowKey, []string{formatAuto, formatSSE, formatNDJSON}, nil),
		mode:   newGuardedSelect(x.windowKey, []string{modeAuto, modeSub, modeReq}, nil),
	}
	m.format.Selected = map[client.Format]string{client.FormatAuto: formatAuto, client.FormatSSE: formatSSE, client.FormatNDJSON: formatNDJSON}[cfg.Format]
	m.mode.Selected = map[string]string{client.ModeAuto: modeAuto, client.ModeSubscribe: modeSub, client.ModeRequest: modeReq}[cfg.Mode]
	return m
}

// items returns the form rows.
func (m modelFields) items() []*widget.FormItem {
	return []*widget.FormItem{widget.NewFormItem("Format", m.format), widget.NewFormItem("Mode", m.mode)}
}

// apply writes the selections into cfg.
func (m modelFields) apply(cfg *client.ChannelConfig) {
	cfg.Format = map[string]client.Format{formatSSE: client.FormatSSE, formatNDJSON: client.FormatNDJSON}[m.format.Selected]
	cfg.Mode = map[string]string{modeSub: client.ModeSubscribe, modeReq: client.ModeRequest}[m.mode.Selected]
}
