// Package httpjson writes the JSON responses shared by the demo server, the
// Redis relay and the replay server: indented bodies that are never cached,
// and one error shape ({"error","status","hint"}) for every refusal.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// Write answers status with v as indented JSON, marked not cacheable.
func Write(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // read by people: "<token>", not "\u003ctoken\u003e"
	_ = enc.Encode(v)
}

// Error answers status with the JSON error body {"error", "status", "hint"}
// (hint omitted when empty).
func Error(w http.ResponseWriter, status int, msg, hint string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // read by people: "<token>", not "\u003ctoken\u003e"
	_ = enc.Encode(struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
		Hint   string `json:"hint,omitempty"`
	}{msg, status, hint})
}
