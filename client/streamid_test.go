package client

import "testing"

func TestParseStreamID(t *testing.T) {
	tests := []struct {
		in   string
		want streamID
		ok   bool
	}{
		{"1764100000000-0", streamID{1764100000000, 0}, true},
		{"0-0", streamID{}, true},
		{"5-18", streamID{5, 18}, true},
		{"42", streamID{}, false},
		{"-1", streamID{}, false},
		{"1-", streamID{}, false},
		{"1-2-3", streamID{}, false},
		{"a-1", streamID{}, false},
		{"12345678901234567890-0", streamID{}, false},
		{"", streamID{}, false},
	}
	for _, tt := range tests {
		got, ok := parseStreamID(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseStreamID(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestChannelStreamIDs: with Redis-style ids (a relay of Redis Streams),
// order is known and duplicates are detected, but a jump in ids is not a
// gap: only the relay's lost notice says events were missed.
func TestChannelStreamIDs(t *testing.T) {
	runIDCases(t, []idCase{
		{"ascending, with jumps", []idStep{{true, "1700000000000-0", "", "", 0, false}, {false, "1700000000000-1", "", "", 0, false},
			{false, "1700000009000-0", "", "", 0, false}}, 0, 0, 0},
		{"replay after reconnect", []idStep{{true, "1700000000000-4", "", "", 0, false}, {true, "1700000000000-4", "", "", 0, true},
			{false, "1700000000000-5", "", "", 0, false}}, 0, 0, 1},
		{"lower id", []idStep{{true, "1700000000009-0", "", "", 0, false}, {false, "1700000000003-7", "", "", 0, true}}, 0, 0, 1},
		{"id inherited by an event without id", []idStep{{true, "1700000000000-4", "", "", 0, false}, {false, "1700000000000-4", "", "", 0, false}}, 0, 0, 0},
		{"trimmed history: the relay's lost notice", []idStep{{true, "1700000000000-0", "", "", 0, false},
			{true, "1700000050000-3", "lost", `{"missed":1,"from":"1700000000000-0","oldest":"1700000050000-4","through":"1700000050000-3","exact":false}`, 1, false},
			{false, "1700000050000-4", "", "", 0, false}}, 1, 1, 0},
		{"recreated stream: reset notice", []idStep{{true, "1700000090000-0", "", "", 0, false},
			{true, "1700000001000-0", "lost", `{"missed":0,"reset":true,"from":"1700000090000-0","last":"1700000001000-0","reason":"ahead"}`, 0, false},
			{false, "1700000001000-1", "", "", 0, false}}, 1, 0, 0},
	})
}
