package ui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/ui"
)

func TestLogRow_PauseMarkup(t *testing.T) {
	test.NewTempApp(t)
	at := time.Date(2025, 3, 1, 14, 5, 9, 123_000_000, time.UTC)
	r := ui.NewLogRow(time.UTC)
	r.Set(client.Record{Seq: 7, At: at, Kind: client.RecordEvent, ID: "1042", Type: "tick", Data: "42"}, 12*time.Second)
	r.SetPause(true)
	r.Resize(fyne.NewSize(640, r.MinSize().Height))
	test.AssertObjectRendersToMarkup(t, "logrow/pause.xml", r)
	r.SetPause(false)
	test.AssertObjectRendersToMarkup(t, "logrow/pause-off.xml", r)
}
