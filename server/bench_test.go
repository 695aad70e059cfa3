package server

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/server/internal/hub"
)

// BenchmarkPublish measures one publish (id, ring, fan-out to every
// subscriber's queue) with 0, 10 and 100 loopback subscribers that read
// and discard. Publishing never waits for subscribers: ones that fall
// behind are caught up from the ring (or told what they lost).
func BenchmarkPublish(b *testing.B) {
	for _, n := range []int{0, 10, 100} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			s, err := New(Config{Scenarios: []Scenario{{Channel: "b", Kind: KindQuiet}}, Clock: clock.NewFake(epoch), Heartbeat: -1})
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(s.Handler())
			tr := &http.Transport{}
			var wg sync.WaitGroup
			for range n {
				resp, err := tr.RoundTrip(httptest.NewRequest("GET", ts.URL+"/api/stream/b", nil).WithContext(b.Context()))
				if err != nil {
					b.Fatal(err)
				}
				br := bufio.NewReader(resp.Body)
				if _, err := br.ReadString('\n'); err != nil { // retry: the subscriber is registered
					b.Fatal(err)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _ = io.Copy(io.Discard, br)
					resp.Body.Close()
				}()
			}
			ch := s.byName["b"]
			data := []byte(`{"channel":"b","timestamp":1764100000000,"progress":40,"message":"a typical small payload"}`)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				ch.publish(message{typ: "status_update", data: data})
			}
			b.StopTimer()
			_ = s.Close()
			ts.Close()
			tr.CloseIdleConnections()
			wg.Wait()
		})
	}
}

// BenchmarkLog measures appending one event to a full history and
// reading one back from a cursor.
func BenchmarkLog(b *testing.B) {
	l := hub.NewLog(hub.LogConfig{Keep: DefaultRingSize, MaxBytes: DefaultHistoryBytes}, hub.Key{})
	frame := []byte("id: 1\ndata: {}\n\n")
	for i := range DefaultRingSize {
		l.Append([]hub.Key{{Lo: uint64(i + 1)}}, [][]byte{frame})
	}
	next := uint64(DefaultRingSize + 1)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		l.Append([]hub.Key{{Lo: next}}, [][]byte{frame})
		var n int
		buf, _, n, _, _ = l.Read(hub.Key{Lo: next - DefaultRingSize/2}, buf[:0], 1, 1<<10)
		if n != 1 {
			b.Fatal("missing entry")
		}
		next++
	}
}
