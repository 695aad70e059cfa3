package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestStreamFormats(t *testing.T) {
	tests := []struct {
		name, ct string
		format   Format
		events   int  // events read before the end
		fails    bool // ContentTypeError
	}{
		{"ndjson by content type", "application/x-ndjson", FormatAuto, 3, false},
		{"jsonl by content type", "application/jsonl; charset=utf-8", FormatAuto, 3, false},
		{"json is not a stream", "application/json", FormatAuto, 0, true},
		{"ndjson forced", "application/json", FormatNDJSON, 3, false},
		{"sse forced refuses ndjson", "application/x-ndjson", FormatSSE, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Type", tt.ct)
				writeFlush(w, "{\"n\":1}\n{\"n\":2}\n"+strings.Repeat("x", 200)+"\n{\"n\":3}")
			})
			r := startStream(t, StreamConfig{URL: srv.URL, Format: tt.format, Once: true, Decoder: DecoderConfig{MaxEventBytes: 100}})
			err := r.result(t)
			var ce *ContentTypeError
			if tt.fails {
				if !errors.As(err, &ce) {
					t.Fatalf("want a ContentTypeError, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			evs := r.rec.events()
			if len(evs) != tt.events || evs[0].Data != `{"n":1}` || evs[2].Data != `{"n":3}` || evs[0].Type != "message" {
				t.Fatalf("events %+v", evs)
			}
			if r.s.nd.Skipped() != 1 {
				t.Errorf("skipped %d oversized lines, want 1", r.s.nd.Skipped())
			}
		})
	}
}

func TestStreamOnce(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 2 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			writeFlush(w, `{"error":{"message":"slow down"}}`)
			return
		}
		sseHeaders(w)
		writeFlush(w, "data: answer\n\n")
	})
	r := startStream(t, StreamConfig{URL: srv.URL, Method: http.MethodPost, Body: []byte(`{"q":1}`), Once: true})
	// A request's clean end closes the stream: no second request.
	if err := r.result(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := r.s.Status(); st.State != Closed || !errors.Is(st.Err, ErrStreamEnded) || len(srv.requests()) != 1 {
		t.Fatalf("status %+v after %d requests", st, len(srv.requests()))
	}
	// Run again: the second answer is a 429, which fails the request
	// instead of being retried.
	var he *HTTPError
	if err := r.s.Run(context.Background()); !errors.As(err, &he) || he.Status != 429 {
		t.Fatalf("second run: %v", err)
	}
	reqs := srv.requests()
	if len(reqs) != 2 || reqs[1].Method != http.MethodPost || reqs[1].Body != `{"q":1}` {
		t.Fatalf("requests %+v", reqs)
	}
	if st := r.s.Status(); st.State != Failed {
		t.Fatalf("status %+v", st)
	}
}

func TestChannelConfigModeFormat(t *testing.T) {
	for _, tt := range []struct {
		cfg  ChannelConfig
		once bool
	}{
		{ChannelConfig{URL: "http://127.0.0.1/"}, false},
		{ChannelConfig{URL: "http://127.0.0.1/", Method: "post"}, true},
		{ChannelConfig{URL: "http://127.0.0.1/", Method: "POST", Mode: ModeSubscribe}, false},
		{ChannelConfig{URL: "http://127.0.0.1/", Mode: ModeRequest, Format: FormatNDJSON}, true},
	} {
		sc, err := tt.cfg.StreamConfig(nil)
		if err != nil || sc.Once != tt.once || sc.Format != tt.cfg.Format {
			t.Errorf("%+v: %+v %v", tt.cfg, sc, err)
		}
	}
	for _, bad := range []ChannelConfig{
		{Name: "a", URL: "http://127.0.0.1/", Mode: "poll"},
		{Name: "a", URL: "http://127.0.0.1/", Format: "xml"},
	} {
		var ce *ConfigError
		if err := bad.validate(); !errors.As(err, &ce) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
