package record

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"
)

// benchEntry is a typical event: a small JSON status update.
func benchEntry() Entry {
	return Entry{Kind: KindEvent, Time: t0.Add(1234567 * time.Microsecond), Channel: "deploy", ID: "12345", Type: "status_update",
		Data: `{"channel":"deploy","timestamp":1764100000000,"progress":40,"stage":"build","status":"running"}`, Bytes: 140}
}

// stdEntry is the same line as a struct for encoding/json, the baseline.
type stdEntry struct {
	Kind    string    `json:"kind"`
	Time    time.Time `json:"time"`
	Channel string    `json:"channel"`
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Data    string    `json:"data"`
	Bytes   int       `json:"bytes"`
}

func BenchmarkEncode(b *testing.B) {
	e := benchEntry()
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			buf = AppendJSON(buf[:0], &e)
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		s := stdEntry{string(e.Kind), e.Time, e.Channel, e.ID, e.Type, e.Data, e.Bytes}
		var n int
		for b.Loop() {
			out, _ := json.Marshal(&s)
			n = len(out)
		}
		b.SetBytes(int64(n))
	})
}

func BenchmarkReader(b *testing.B) {
	e := benchEntry()
	var in bytes.Buffer
	const lines = 10000
	for range lines {
		in.Write(AppendJSON(nil, &e))
		in.WriteByte('\n')
	}
	data := in.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), ReaderConfig{})
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}
