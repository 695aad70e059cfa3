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

// BenchmarkRing measures storing one record in a full ring and fetching
// one by id.
func BenchmarkRing(b *testing.B) {
	r := newRing(DefaultRingSize)
	for i := range DefaultRingSize {
		r.push(&record{id: uint64(i + 1)})
	}
	next := uint64(DefaultRingSize + 1)
	b.ReportAllocs()
	for b.Loop() {
		r.push(&record{id: next})
		if r.get(next-DefaultRingSize/2) == nil {
			b.Fatal("missing record")
		}
		next++
	}
}
