package server

import (
	_ "embed"
	"io"
	"net/http"
)

//go:embed web/index.html
var indexHTML string

// handlePage serves GET /: a self-contained page that lists the channels
// and follows each one live with the browser's EventSource.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:")
	h.Set("Referrer-Policy", "no-referrer")
	_, _ = io.WriteString(w, indexHTML)
}
