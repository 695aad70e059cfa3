// Package smoke holds the GUI smoke test of SSE Monitor: it runs the real
// ssemon binary in demo mode on a private Xvfb display, waits for its window,
// takes a screenshot and checks that the window shows something and that the
// process reports no Fyne threading error. It runs with `make smoke` (build
// tag smoke) and needs Xvfb, xdotool and ImageMagick's import. Without the
// tag, it checks that FyneApp.toml and the app agree on ID and name.
package smoke
