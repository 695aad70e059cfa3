package main

import (
	"bufio"
	"bytes"
	"net"
	"net/http/httputil"
	"strconv"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	h := &histogram{}
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 51 * time.Millisecond}, {0.99, 100*time.Millisecond + time.Millisecond}} {
		got := h.quantile(tc.q)
		if d := got - tc.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("q%.2f = %v, want about %v", tc.q, got, tc.want)
		}
	}
	if time.Duration(h.max.Load()) != 100*time.Millisecond {
		t.Errorf("max %v", time.Duration(h.max.Load()))
	}
}

func TestSubscriberCountsGapsLostAndDuplicates(t *testing.T) {
	now := time.Now().UnixNano()
	ev := func(id int) string {
		return "id: " + itoa(id) + "\ndata: {\"t\":" + itoa(int(now)) + ",\"seq\":" + itoa(id) + "}\n\n"
	}
	stream := "retry: 3000\n\n" + ev(1) + ev(2) + ": heartbeat\n\n" + ev(4) + // gap of 1
		"id: 10\nevent: lost\ndata: {\"missed\":6}\n\n" + ev(11) + ev(11) // lost 6, then a duplicate
	var body bytes.Buffer
	cw := httputil.NewChunkedWriter(&body)
	_, _ = cw.Write([]byte(stream))
	_ = cw.Close()
	body.WriteString("\r\n")
	client, server := net.Pipe()
	defer client.Close()
	go func() { _, _ = server.Write(body.Bytes()); server.Close() }()
	s := &subscriber{conn: client}
	h := &histogram{}
	s.read(bufio.NewReader(client), h)
	if s.received.Load() != 5 || s.lost.Load() != 7 || s.dups.Load() != 1 {
		t.Fatalf("received %d lost %d dups %d, want 5, 7, 1", s.received.Load(), s.lost.Load(), s.dups.Load())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
