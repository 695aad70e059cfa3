package httpjson_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssemon/ssemon/server/internal/httpjson"
)

func TestErrorAndWrite(t *testing.T) {
	tests := []struct {
		name   string
		write  func(w http.ResponseWriter)
		status int
		body   map[string]any
	}{
		{"error with hint", func(w http.ResponseWriter) { httpjson.Error(w, 404, "unknown channel", "see /api/channels") },
			404, map[string]any{"error": "unknown channel", "status": float64(404), "hint": "see /api/channels"}},
		{"error without hint", func(w http.ResponseWriter) { httpjson.Error(w, 503, "busy", "") },
			503, map[string]any{"error": "busy", "status": float64(503)}},
		{"value", func(w http.ResponseWriter) { httpjson.Write(w, 200, map[string]int{"n": 1}) },
			200, map[string]any{"n": float64(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.write(rec)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.body) {
				t.Fatalf("body %v, want %v", got, tt.body)
			}
			for k, v := range tt.body {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestHintsReadAsWritten(t *testing.T) {
	rec := httptest.NewRecorder()
	httpjson.Error(rec, 401, "missing or wrong token", `send "Authorization: Bearer <token>" or add ?token=<token>&x=1`)
	if body := rec.Body.String(); !strings.Contains(body, `Bearer <token>\" or add ?token=<token>&x=1`) {
		t.Fatalf("hint escaped for HTML: %s", body)
	}
}
