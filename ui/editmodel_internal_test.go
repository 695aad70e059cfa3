package ui

import (
	"testing"

	"github.com/ssemon/ssemon/client"
)

func TestChannelForm_FormatAndMode(t *testing.T) {
	x, _ := newTestApp(t, Options{NoWorkspace: true})
	for _, in := range []client.ChannelConfig{
		{Name: "a", URL: "http://127.0.0.1:9/a"},
		{Name: "b", URL: "http://127.0.0.1:9/b", Method: "POST", Format: client.FormatNDJSON, Mode: client.ModeRequest},
		{Name: "c", URL: "http://127.0.0.1:9/c", Format: client.FormatSSE, Mode: client.ModeSubscribe},
	} {
		f := x.showChannelForm(in, true)
		got, err := f.config()
		if err != nil || got.Format != in.Format || got.Mode != in.Mode {
			t.Errorf("%s: format %q mode %q, want %q %q (%v)", in.Name, got.Format, got.Mode, in.Format, in.Mode, err)
		}
		f.model.format.SetSelected(formatNDJSON)
		f.model.mode.SetSelected(modeSub)
		if got, _ := f.config(); got.Format != client.FormatNDJSON || got.Mode != client.ModeSubscribe {
			t.Errorf("%s after selection: %q %q", in.Name, got.Format, got.Mode)
		}
		f.close()
	}
}
