package relay

import (
	"context"
	"errors"
	"testing"
)

func TestPublishTrims(t *testing.T) {
	rs := startRedis(t)
	p, err := NewPublisher(PublisherConfig{Source: rs.URL, MaxLen: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	msgs := make([]Message, 500)
	for i := range msgs {
		msgs[i] = Message{Type: "n", Data: []byte("x")}
	}
	ids, err := p.PublishBatch(context.Background(), "t", msgs)
	if err != nil || len(ids) != 500 {
		t.Fatalf("%d ids, %v", len(ids), err)
	}
	for i := 1; i < len(ids); i++ {
		if !ids[i-1].Less(ids[i]) {
			t.Fatalf("ids out of order at %d", i)
		}
	}
	// MAXLEN ~ trims whole nodes: about MaxLen entries are kept, never fewer.
	if n := rs.Client(t).XLen(context.Background(), "t").Val(); n < 10 || n > 200 {
		t.Fatalf("%d entries kept, want about 10", n)
	}
	if _, err := p.PublishBatch(context.Background(), "t", []Message{{Data: []byte("ok")}, {Data: nil}}); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("a bad event in a batch: %v", err)
	}
}
