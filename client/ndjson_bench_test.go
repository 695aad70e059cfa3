package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// benchPayload returns n model-stream-like JSON chunks (~180 bytes each),
// framed as SSE (data: …\n\n) or NDJSON (…\n).
func benchPayload(n int, ndjson bool) []byte {
	var b bytes.Buffer
	for i := range n {
		if !ndjson {
			b.WriteString("data: ")
		}
		fmt.Fprintf(&b, `{"id":"chatcmpl-%d","object":"chat.completion.chunk","model":"demo","choices":[{"index":0,"delta":{"content":"token %d "},"finish_reason":null}]}`, i, i)
		if ndjson {
			b.WriteString("\n")
		} else {
			b.WriteString("\n\n")
		}
	}
	return b.Bytes()
}

// BenchmarkFramingDecode decodes the same chunks framed as SSE and as
// NDJSON, from memory: the decoders alone.
func BenchmarkFramingDecode(b *testing.B) {
	const n = 10000
	for _, tc := range []struct {
		name   string
		ndjson bool
	}{{"sse", false}, {"ndjson", true}} {
		b.Run(tc.name, func(b *testing.B) {
			data := benchPayload(n, tc.ndjson)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			r := bytes.NewReader(data)
			var next func(*Frame) error
			sse := NewDecoder(r, DecoderConfig{})
			nd := NewNDJSONDecoder(r, DecoderConfig{})
			var f Frame
			for b.Loop() {
				r.Reset(data)
				if tc.ndjson {
					nd.Reset(r)
					next = nd.next
				} else {
					sse.Reset(r)
					next = sse.next
				}
				got := 0
				for next(&f) == nil {
					got++
				}
				if got != n {
					b.Fatalf("%d events, want %d", got, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// countHandler counts events.
type countHandler struct{ events int }

func (h *countHandler) HandleFrame(f Frame, _ time.Time) {
	if f.Kind == FrameEvent {
		h.events++
	}
}
func (h *countHandler) HandleStatus(Status) {}

// BenchmarkFramingStream runs the whole read path over loopback HTTP: a
// request-mode Stream reads 10 000 chunks framed as SSE or as NDJSON (the
// format picked from the Content-Type) until the response ends.
func BenchmarkFramingStream(b *testing.B) {
	const n = 10000
	for _, tc := range []struct {
		name, ct string
		ndjson   bool
	}{{"sse", "text/event-stream", false}, {"ndjson", "application/x-ndjson", true}} {
		b.Run(tc.name, func(b *testing.B) {
			data := benchPayload(n, tc.ndjson)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ct)
				_, _ = io.Copy(w, bytes.NewReader(data))
			}))
			defer srv.Close()
			h := &countHandler{}
			st, err := NewStream(StreamConfig{URL: srv.URL, Method: http.MethodPost, Once: true}, h)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				h.events = 0
				if err := st.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				if h.events != n {
					b.Fatalf("%d events, want %d", h.events, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
