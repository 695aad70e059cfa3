package main

import (
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("dev.ssemon.monitor")
	w := a.NewWindow("SSE Monitor")
	w.SetContent(widget.NewLabel("x"))
	w.ShowAndRun()
}
