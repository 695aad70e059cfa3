package hostile

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCasesAnswer checks each case's status line and the start of what it
// sends; the monitor's handling of them is tested in package chaos.
func TestCasesAnswer(t *testing.T) {
	s := New(Config{HugeLineBytes: 1 << 20, HugeHeaderBytes: 1 << 10})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name, ctype, prefix string
		status              int
	}{
		{"huge-line", "text/event-stream", "data: aaaa", 200},
		{"no-blank-line", "text/event-stream", "data: xxx", 200},
		{"invalid-utf8", "text/event-stream", "id: 1\nevent: bad\xff", 200},
		{"control-ids", "text/event-stream", "retry: 200\nid: 7", 200},
		{"html", "text/html; charset=utf-8", "<!doctype html>", 200},
		{"status-401", "application/json", `{"error":"Unauthorized"`, 401},
		{"status-403", "application/json", `{"error":"Forbidden"`, 403},
		{"status-404", "application/json", `{"error":"Not Found"`, 404},
		{"status-500", "application/json", `{"error":"Internal Server Error"`, 500},
		{"status-503", "application/json", `{"error":"Service Unavailable"`, 503},
		{"status-204", "", "", 204},
		{"redirect-loop", "text/html; charset=utf-8", "<a href=\"/redirect-loop?n=1\">", 302},
		{"huge-header", "text/event-stream", "id: 1\ndata: after a huge header", 200},
		{"retry-zero", "text/event-stream", "retry: 0\nid: 1", 200},
		{"retry-huge", "text/event-stream", "retry: 999999999999\nid: 1", 200},
		{"comment-flood", "text/event-stream", ": flood ccc", 200},
	}
	if len(tests)+1 != len(Cases()) { // no-headers is tested below
		t.Fatalf("%d cases tested, %d defined", len(tests)+1, len(Cases()))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/"+tt.name, nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Header.Get("Content-Type"), tt.status, tt.ctype)
			}
			head := make([]byte, len(tt.prefix))
			if _, err := io.ReadFull(resp.Body, head); err != nil || string(head) != tt.prefix {
				t.Errorf("body starts %q (%v), want %q", head, err, tt.prefix)
			}
			if tt.name == "status-503" && resp.Header.Get("Retry-After") != "2" {
				t.Errorf("Retry-After %q, want 2", resp.Header.Get("Retry-After"))
			}
			if tt.name == "huge-header" && len(resp.Header.Get("X-Huge")) != 1<<10 {
				t.Errorf("X-Huge is %d bytes", len(resp.Header.Get("X-Huge")))
			}
		})
	}
	if st := s.Stats("status-404"); st.Requests != 1 || st.BytesWritten == 0 {
		t.Errorf("Stats(status-404) = %+v", st)
	}
}

func TestNoHeadersNeverAnswers(t *testing.T) {
	s := New(Config{})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	tr := &http.Transport{ResponseHeaderTimeout: 300 * time.Millisecond}
	defer tr.CloseIdleConnections()
	_, err := (&http.Client{Transport: tr}).Get(srv.URL + "/no-headers")
	if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Fatalf("got %v, want a response header timeout", err)
	}
	if s.Stats("no-headers").Requests != 1 {
		t.Error("request not counted")
	}
}

func TestHugeLineStopsAtItsLength(t *testing.T) {
	s := New(Config{HugeLineBytes: 300 << 10, WriteChunk: 64 << 10})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/huge-line")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want := len("data: ") + 300<<10 + 2; len(b) != want || !strings.HasSuffix(string(b), "a\n\n") {
		t.Errorf("got %d bytes, want %d ending with the blank line", len(b), want)
	}
	if got := s.Stats("huge-line").BytesWritten; got != int64(len(b)) {
		t.Errorf("BytesWritten %d, read %d", got, len(b))
	}
}
