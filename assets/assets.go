// Package assets holds the resources bundled into SSE Monitor's binaries:
// the application icon (PNG for windows and packaging, SVG as its source).
// It depends on nothing but the standard library, so the demo server can
// serve the icon as a favicon without linking a UI toolkit.
package assets

import _ "embed"

//go:embed icon.png
var iconPNG []byte

//go:embed icon.svg
var iconSVG []byte

// IconPNG returns the 512×512 application icon as PNG bytes. The slice is
// shared: callers must not modify it.
func IconPNG() []byte { return iconPNG }

// IconSVG returns the application icon's SVG source. The slice is shared:
// callers must not modify it.
func IconSVG() []byte { return iconSVG }
