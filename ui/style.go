package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/ssemon/ssemon/client"
)

// stateStyles is a constant table indexed by client.State: the state's
// colour for badges, progress fills and timeline segments. Each is dark
// enough for white text (contrast ≥ 4.5:1) and distinct from both the light
// and the dark theme's background.
var stateStyles = [...]color.NRGBA{
	client.Idle:       {R: 0x6b, G: 0x72, B: 0x80, A: 0xff},
	client.Connecting: {R: 0x1d, G: 0x4e, B: 0xd8, A: 0xff},
	client.Open:       {R: 0x15, G: 0x80, B: 0x3d, A: 0xff},
	client.Retrying:   {R: 0xb4, G: 0x53, B: 0x09, A: 0xff},
	client.Stalled:    {R: 0xa2, G: 0x1c, B: 0xaf, A: 0xff},
	client.Failed:     {R: 0xb9, G: 0x1c, B: 0x1c, A: 0xff},
	client.Closed:     {R: 0x4b, G: 0x55, B: 0x63, A: 0xff},
	client.Paused:     {R: 0x0e, G: 0x74, B: 0x90, A: 0xff},
}

// onStateColor is the text colour drawn on top of any state colour.
var onStateColor = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}

// StateColor returns the colour that stands for s in every view: badges,
// progress bars, the timeline. The same colour is used in the light and the
// dark theme; white text on it is readable.
func StateColor(s client.State) color.NRGBA {
	if int(s) < len(stateStyles) {
		return stateStyles[s]
	}
	return stateStyles[client.Idle]
}

// stateTextColor is the colour for text naming state s drawn straight on
// w's background (not on a badge): the state colour, lightened on a dark
// background so that it stays readable there.
func stateTextColor(w fyne.Widget, s client.State) color.NRGBA {
	c := StateColor(s)
	if luminance(toNRGBA(theme.ColorForWidget(theme.ColorNameBackground, w))) < 0.4 {
		return mix(c, color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}, 0.45)
	}
	return c
}

// luminance is the relative luminance of c, 0 (black) to 1 (white).
func luminance(c color.NRGBA) float64 {
	return (0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)) / 255
}

// mix blends a towards b by f (0: a, 1: b).
func mix(a, b color.NRGBA, f float64) color.NRGBA {
	m := func(x, y uint8) uint8 { return uint8(float64(x)*(1-f) + float64(y)*f + 0.5) }
	return color.NRGBA{R: m(a.R, b.R), G: m(a.G, b.G), B: m(a.B, b.B), A: m(a.A, b.A)}
}
