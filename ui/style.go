package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/ssemon/ssemon/client"
)

// stateStyle is how one connection state looks everywhere in the interface.
type stateStyle struct {
	// fill is the state's colour: badge background, progress fill, timeline
	// segment. Each is dark enough for white text (contrast ≥ 4.5:1) and
	// distinct from both the light and the dark theme's background.
	fill color.NRGBA
	// icon is shown next to the state's name where there is room.
	icon fyne.ThemeIconName
}

// stateStyles is a constant table indexed by client.State.
var stateStyles = [...]stateStyle{
	client.Idle:       {color.NRGBA{R: 0x6b, G: 0x72, B: 0x80, A: 0xff}, theme.IconNameMediaStop},
	client.Connecting: {color.NRGBA{R: 0x1d, G: 0x4e, B: 0xd8, A: 0xff}, theme.IconNameViewRefresh},
	client.Open:       {color.NRGBA{R: 0x15, G: 0x80, B: 0x3d, A: 0xff}, theme.IconNameConfirm},
	client.Retrying:   {color.NRGBA{R: 0xb4, G: 0x53, B: 0x09, A: 0xff}, theme.IconNameViewRefresh},
	client.Stalled:    {color.NRGBA{R: 0xa2, G: 0x1c, B: 0xaf, A: 0xff}, theme.IconNameWarning},
	client.Failed:     {color.NRGBA{R: 0xb9, G: 0x1c, B: 0x1c, A: 0xff}, theme.IconNameError},
	client.Closed:     {color.NRGBA{R: 0x4b, G: 0x55, B: 0x63, A: 0xff}, theme.IconNameCancel},
	client.Paused:     {color.NRGBA{R: 0x0e, G: 0x74, B: 0x90, A: 0xff}, theme.IconNameMediaPause},
}

// onStateColor is the text colour drawn on top of any state colour.
var onStateColor = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}

// StateColor returns the colour that stands for s in every view: badges,
// progress bars, the timeline. The same colour is used in the light and the
// dark theme; white text on it is readable.
func StateColor(s client.State) color.NRGBA {
	if int(s) < len(stateStyles) {
		return stateStyles[s].fill
	}
	return stateStyles[client.Idle].fill
}

// stateIcon returns the theme icon shown with s.
func stateIcon(s client.State) fyne.ThemeIconName {
	if int(s) < len(stateStyles) {
		return stateStyles[s].icon
	}
	return stateStyles[client.Idle].icon
}
