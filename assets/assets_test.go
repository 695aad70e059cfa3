package assets_test

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/ssemon/ssemon/assets"
)

func TestIconIsASquarePNG(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(assets.IconPNG()))
	if err != nil {
		t.Fatalf("icon.png does not decode: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != 512 || b.Dy() != 512 {
		t.Fatalf("icon is %dx%d, want 512x512", b.Dx(), b.Dy())
	}
	// A real icon, not a flat square: count distinct colours.
	colours := map[[4]uint32]bool{}
	for y := 0; y < b.Dy(); y += 8 {
		for x := 0; x < b.Dx(); x += 8 {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}] = true
		}
	}
	if len(colours) < 8 {
		t.Fatalf("icon has %d distinct colours, looks like a placeholder", len(colours))
	}
}

func TestIconSVGIsSVG(t *testing.T) {
	if !bytes.Contains(assets.IconSVG(), []byte("<svg")) {
		t.Fatal("icon.svg holds no <svg element")
	}
}
