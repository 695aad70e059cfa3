package ui

import (
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ssemon/ssemon/client/alert"
)

// AlertList shows alert transitions, newest first: a "firing" or
// "recovered" pill, the time, the channel (unless ShowChannel is false)
// and what happened ("cpu > 90 for 30s firing: 93.5"). An empty list says
// so. It is a list of rows, so a long history scrolls cheaply.
type AlertList struct {
	widget.BaseWidget

	// ShowChannel shows the channel column (the list of every channel).
	ShowChannel bool
	// Empty is the text shown when there is nothing to list.
	Empty string

	items []alert.Transition // newest first
	list  *guardedList
	empty *widget.Label
}

// NewAlertList returns an empty list.
func NewAlertList(showChannel bool, empty string) *AlertList {
	l := &AlertList{ShowChannel: showChannel, Empty: empty}
	l.ExtendBaseWidget(l)
	l.empty = widget.NewLabel(empty)
	l.empty.Importance = widget.LowImportance
	l.list = newGuardedList(noKeys,
		func() int { return len(l.items) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Hidden = !l.ShowChannel
			text := widget.NewLabel("")
			text.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil,
				container.NewHBox(container.NewCenter(NewPill("recovered", PillInfo)), widget.NewLabel("00:00:00"), name),
				nil, text)
		},
		l.updateRow,
	)
	l.sync()
	return l
}

// Set shows transitions given oldest first (as alert.Watch.History
// returns them); it redraws only when they differ from those shown.
func (l *AlertList) Set(oldestFirst []alert.Transition) {
	if len(oldestFirst) == len(l.items) && (len(l.items) == 0 || sameTransition(oldestFirst[len(oldestFirst)-1], l.items[0])) {
		return
	}
	l.items = l.items[:0]
	for i := len(oldestFirst) - 1; i >= 0; i-- {
		l.items = append(l.items, oldestFirst[i])
	}
	l.sync()
	l.list.Refresh()
}

func sameTransition(a, b alert.Transition) bool {
	return a.At.Equal(b.At) && a.Rule == b.Rule && a.Channel == b.Channel && a.Firing == b.Firing
}

// Items returns the transitions shown, newest first.
func (l *AlertList) Items() []alert.Transition { return slices.Clone(l.items) }

func (l *AlertList) sync() {
	l.empty.Hidden = len(l.items) > 0
	l.list.Hidden = len(l.items) == 0
}

func (l *AlertList) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(l.items) {
		return
	}
	t := l.items[id]
	row := o.(*fyne.Container)
	left := row.Objects[1].(*fyne.Container)
	pill := left.Objects[0].(*fyne.Container).Objects[0].(*Pill)
	if t.Firing {
		pill.Kind = PillError
		pill.Text = "firing"
	} else {
		pill.Kind = PillInfo
		pill.Text = "recovered"
	}
	pill.Refresh()
	left.Objects[1].(*widget.Label).SetText(t.At.In(time.Local).Format("15:04:05"))
	name := left.Objects[2].(*widget.Label)
	name.Hidden = !l.ShowChannel
	name.SetText(t.Channel)
	row.Objects[0].(*widget.Label).SetText(t.Text())
}

// CreateRenderer is a private method to Fyne which links this widget to its renderer.
func (l *AlertList) CreateRenderer() fyne.WidgetRenderer {
	l.ExtendBaseWidget(l)
	return widget.NewSimpleRenderer(container.NewStack(l.list, l.empty))
}
