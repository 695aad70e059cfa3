package client

import (
	"testing"
	"time"
)

func TestIDProblem(t *testing.T) {
	for _, tc := range []struct {
		id, want string
	}{
		{"", ""},
		{"42", ""},
		{"1700000000000-3", ""},
		{"évé", ""},
		{"NaN", "looks like a JavaScript bug"},
		{"undefined", "looks like a JavaScript bug"},
		{"[object Object]", "looks like a JavaScript bug"},
		{"a\ufffdb", "is not valid UTF-8"},
		{"a\tb", "contains a control character (it cannot be sent back as a header)"},
		{"a\x7f", "contains a control character (it cannot be sent back as a header)"},
	} {
		if got := IDProblem(tc.id); got != tc.want {
			t.Errorf("IDProblem(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}

func TestChannelCountsInvalidIDsOnce(t *testing.T) {
	c, at := newTestChannel(t, ChannelConfig{})
	// An event without an id field inherits the last id: only the event
	// whose id field set the bad id is marked.
	for i, s := range []struct {
		id   string
		want bool
	}{{"1", false}, {"NaN", true}, {"NaN", false}, {"2", false}, {"undefined", true}} {
		c.HandleFrame(evFrame(s.id, "message", "x"), at.next(time.Millisecond))
		r, _ := c.ring.last()
		if r.InvalidID != s.want {
			t.Errorf("event %d (id %q): InvalidID %v, want %v", i, s.id, r.InvalidID, s.want)
		}
	}
	if n := c.Snapshot().Stats.InvalidIDs; n != 2 {
		t.Errorf("Stats.InvalidIDs = %d, want 2", n)
	}
}

func TestChannelOpenRecordCarriesLastEventID(t *testing.T) {
	c, at := newTestChannel(t, ChannelConfig{})
	c.HandleStatus(Status{State: Open, Since: at.next(time.Millisecond), Detail: "HTTP/1.1 200 OK"})
	c.HandleFrame(evFrame("7", "message", "x"), at.next(time.Millisecond))
	c.HandleStatus(Status{State: Open, Since: at.next(time.Millisecond), Detail: "HTTP/1.1 200 OK", LastEventID: "7"})
	var ids []string
	for _, r := range c.Records(nil, 1) {
		if r.Kind == RecordState {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) != 2 || ids[0] != "" || ids[1] != "7" {
		t.Fatalf("open records' ids = %q, want [\"\" \"7\"]", ids)
	}
}
