package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// boxRenderer renders a widget as a vertical box whose objects build makes
// anew on every Refresh: for views that change as a whole, and rarely.
type boxRenderer struct {
	box   *fyne.Container
	build func() []fyne.CanvasObject
}

// newBoxRenderer returns a renderer already filled by build.
func newBoxRenderer(build func() []fyne.CanvasObject) *boxRenderer {
	r := &boxRenderer{box: container.NewVBox(), build: build}
	r.Refresh()
	return r
}

func (r *boxRenderer) Layout(size fyne.Size) { r.box.Resize(size) }

func (r *boxRenderer) MinSize() fyne.Size { return r.box.MinSize() }

func (r *boxRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.box} }

func (r *boxRenderer) Destroy() {}

// Refresh rebuilds the box's objects.
func (r *boxRenderer) Refresh() {
	r.box.Objects = r.build()
	r.box.Refresh()
}
