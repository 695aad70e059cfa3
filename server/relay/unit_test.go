package relay

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		in   string
		want ID
		ok   bool
	}{
		{"0-0", ID{}, true},
		{"1764100000000-0", ID{1764100000000, 0}, true},
		{"5-18446744073709551615", ID{5, 1<<64 - 1}, true},
		{"42", ID{}, false}, // the in-memory server's ids are not Redis ids
		{"", ID{}, false},
		{"-1", ID{}, false},
		{"1-", ID{}, false},
		{"1--1", ID{}, false},
		{"+1-2", ID{}, false},
		{"1-+2", ID{}, false},
		{"a-b", ID{}, false},
		{"1-2-3", ID{}, false},
		{"18446744073709551616-0", ID{}, false},
		{" 1-2", ID{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseID(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ParseID(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
			if tt.ok && got.String() != tt.in {
				t.Fatalf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestIDOrder(t *testing.T) {
	ordered := []ID{{0, 0}, {0, 1}, {0, 1<<64 - 1}, {1, 0}, {1, 5}, {2, 0}, {1<<64 - 1, 1<<64 - 1}}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("%v.Compare(%v) = %d, want %d", a, b, got, want)
			}
			if a.Less(b) != (want < 0) {
				t.Errorf("%v.Less(%v) wrong", a, b)
			}
		}
	}
	steps := []struct{ a, b ID }{ // b comes right after a
		{ID{0, 0}, ID{0, 1}},
		{ID{0, 1<<64 - 1}, ID{1, 0}},
		{ID{7, 3}, ID{7, 4}},
	}
	for _, st := range steps {
		if got := next(st.a); got != st.b {
			t.Errorf("next(%v) = %v, want %v", st.a, got, st.b)
		}
		if got := st.b.Prev(); got != st.a {
			t.Errorf("%v.Prev() = %v, want %v", st.b, got, st.a)
		}
	}
	if (ID{}).Prev() != (ID{}) {
		t.Error("0-0 has no predecessor")
	}
}

func TestEntryEvent(t *testing.T) {
	id := ID{7, 1}
	tests := []struct {
		name     string
		fields   map[string]any
		typ      string
		wantData string
	}{
		{"data only", map[string]any{"data": `{"progress":40}`}, "", `{"progress":40}`},
		{"event and data", map[string]any{"event": "stage", "data": "plain text"}, "stage", "plain text"},
		{"data verbatim, not JSON", map[string]any{"data": "line 1\nline 2"}, "", "line 1\nline 2"},
		{"other fields become JSON", map[string]any{"progress": "40", "message": "tests passed"}, "",
			`{"message":"tests passed","progress":40}`},
		{"event with other fields", map[string]any{"event": "done", "ok": "true", "n": "null"}, "done", `{"n":null,"ok":true}`},
		{"data with other fields is a field", map[string]any{"data": `{"a":1}`, "host": "x"}, "", `{"data":{"a":1},"host":"x"}`},
		{"JSON values compacted", map[string]any{"obj": "{ \"a\" : [1, 2] }"}, "", `{"obj":{"a":[1,2]}}`},
		{"invalid JSON is a string", map[string]any{"v": "007", "w": "{nope", "e": ""}, "", `{"e":"","v":"007","w":"{nope"}`},
		{"quoted string stays JSON", map[string]any{"s": `"hi"`}, "", `{"s":"hi"}`},
		{"keys escaped", map[string]any{"we\"ird": "1"}, "", `{"we\"ird":1}`},
		{"event only", map[string]any{"event": "ping"}, "ping", `{}`},
		{"nothing", map[string]any{}, "", `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := EntryEvent(id, tt.fields)
			if ev.ID != id || ev.Type != tt.typ || ev.Data != tt.wantData {
				t.Fatalf("EntryEvent = %+v, want type %q data %s", ev, tt.typ, tt.wantData)
			}
		})
	}
}

func TestAppendFrame(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
		want string
	}{
		{"plain", Event{ID: ID{1, 2}, Data: "x"}, "id: 1-2\ndata: x\n\n"},
		{"typed", Event{ID: ID{1, 2}, Type: "stage", Data: "{}"}, "id: 1-2\nevent: stage\ndata: {}\n\n"},
		{"lines", Event{ID: ID{3, 0}, Data: "a\nb\r\nc\rd"}, "id: 3-0\ndata: a\ndata: b\ndata: c\ndata: d\n\n"},
		{"trailing break", Event{ID: ID{3, 0}, Data: "a\n"}, "id: 3-0\ndata: a\ndata: \n\n"},
		{"empty", Event{ID: ID{3, 0}}, "id: 3-0\ndata: \n\n"},
		{"leading space kept", Event{ID: ID{3, 0}, Data: " x"}, "id: 3-0\ndata:  x\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendFrame(nil, &tt.ev)); got != tt.want {
				t.Fatalf("appendFrame = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCleanType(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	tests := []struct {
		in, want string
		changed  bool
	}{
		{"stage", "stage", false},
		{"a\nb\rc\x00", "a b c ", true},
		{long, strings.Repeat("é", 128), true},
	}
	for _, tt := range tests {
		got, changed := cleanType(tt.in)
		if got != tt.want || changed != tt.changed {
			t.Errorf("cleanType(%.20q) = %.20q, %v; want %.20q, %v", tt.in, got, changed, tt.want, tt.changed)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "anything", true},
		{"*", "", true},
		{"ssemon:*", "ssemon:deploy", true},
		{"ssemon:*", "other:deploy", false},
		{"job-?", "job-1", true},
		{"job-?", "job-12", false},
		{"job-[0-9]", "job-7", true},
		{"job-[0-9]", "job-x", false},
		{"job-[^0-9]", "job-x", true},
		{"job-[abc]", "job-b", true},
		{"job-[abc]", "job-d", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"*deploy*", "prod-deploy-eu", true},
		{"a**b", "ab", true},
		{"[", "x", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestConfig(t *testing.T) {
	const src = "redis://127.0.0.1:6379/0"
	tests := []struct {
		name  string
		cfg   Config
		field string // "" = valid
	}{
		{"minimal", Config{Source: src}, ""},
		{"no source", Config{}, "Source"},
		{"http scheme", Config{Source: "http://127.0.0.1:6379"}, "Source"},
		{"no host", Config{Source: "redis:///0"}, "Source"},
		{"bad db", Config{Source: "redis://127.0.0.1:6379/x"}, "Source"},
		{"pattern with newline", Config{Source: src, Streams: "a\nb"}, "Streams"},
		{"negative retry", Config{Source: src, Retry: -time.Second}, "Retry"},
		{"block too short", Config{Source: src, Block: time.Microsecond}, "Block"},
		{"cache too big", Config{Source: src, CacheSize: MaxCacheSize + 1}, "CacheSize"},
		{"negative batch", Config{Source: src, Batch: -1}, "Batch"},
		{"backoff order", Config{Source: src, MinBackoff: time.Second, MaxBackoff: time.Millisecond}, "MaxBackoff"},
		{"heartbeat off", Config{Source: src, Heartbeat: -1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.cfg.withDefaults()
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.CacheSize != DefaultCacheSize || c.Streams != DefaultStreams || c.MaxLen != DefaultMaxLen || c.Clock == nil || c.Logger == nil {
					t.Fatalf("defaults not merged: %+v", c)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field {
				t.Fatalf("err = %v, want a *ConfigError on %s", err, tt.field)
			}
		})
	}
}

func TestLostThrough(t *testing.T) {
	base := ID{100, 0}
	tests := []struct {
		name    string
		cursor  ID
		info    streamInfo
		through ID
		lost    bool
	}{
		// Redis 7: entries-added says whether anything was ever removed.
		{"trimmed", ID{10, 0}, streamInfo{exists: true, length: 5, entriesAdded: 20, hasAdded: true,
			hasMaxDeleted: true, first: ID{51, 0}, hasFirst: true}, ID{50, 1<<64 - 1}, true},
		{"trimmed, cursor right before the first kept", ID{50, 1<<64 - 1}, streamInfo{exists: true, length: 5, entriesAdded: 20, hasAdded: true,
			hasMaxDeleted: true, first: ID{51, 0}, hasFirst: true}, ID{}, false},
		{"never trimmed: cursor older than the stream", ID{10, 0}, streamInfo{exists: true, length: 5, entriesAdded: 5, hasAdded: true,
			hasMaxDeleted: true, first: ID{51, 0}, hasFirst: true}, ID{}, false},
		{"XDEL after the cursor", ID{60, 0}, streamInfo{exists: true, length: 4, entriesAdded: 5, hasAdded: true,
			hasMaxDeleted: true, maxDeleted: ID{70, 0}, first: ID{51, 0}, hasFirst: true}, ID{70, 0}, true},
		{"XDEL before the cursor", ID{80, 0}, streamInfo{exists: true, length: 4, entriesAdded: 5, hasAdded: true,
			hasMaxDeleted: true, maxDeleted: ID{70, 0}, first: ID{51, 0}, hasFirst: true}, ID{}, false},
		{"XDEL inside the cache", ID{10, 0}, streamInfo{exists: true, length: 4, entriesAdded: 5, hasAdded: true,
			hasMaxDeleted: true, maxDeleted: ID{150, 0}, first: ID{5, 0}, hasFirst: true}, base, true},
		{"emptied stream", ID{10, 0}, streamInfo{exists: true, lastGenerated: ID{90, 0}, entriesAdded: 3, hasAdded: true}, ID{90, 0}, true},
		// Before Redis 7: entries before the first kept count as trimmed.
		{"before the first (Redis 6)", ID{10, 0}, streamInfo{exists: true, hasFirst: true, first: ID{51, 0}}, ID{50, 1<<64 - 1}, true},
		{"right before the first (Redis 6)", ID{50, 1<<64 - 1}, streamInfo{exists: true, hasFirst: true, first: ID{51, 0}}, ID{}, false},
		{"key gone", ID{10, 0}, streamInfo{}, base, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			through, lost := lostThrough(tt.cursor, tt.info, base)
			if lost != tt.lost || (lost && through != tt.through) {
				t.Fatalf("lostThrough = %v, %v; want %v, %v", through, lost, tt.through, tt.lost)
			}
		})
	}
}

func TestParseStreamInfo(t *testing.T) {
	// RESP2 reply of Redis 7.0, plus a field a later version might add.
	reply := []any{
		"length", int64(3), "radix-tree-keys", int64(1), "radix-tree-nodes", int64(2),
		"last-generated-id", "10-2", "max-deleted-entry-id", "5-0", "entries-added", int64(9),
		"recorded-first-entry-id", "6-0", "groups", int64(0),
		"first-entry", []any{"6-0", []any{"data", "x"}}, "last-entry", []any{"10-2", []any{"data", "y"}},
		"some-future-field", "whatever",
	}
	info, err := parseStreamInfo(reply)
	if err != nil {
		t.Fatal(err)
	}
	want := streamInfo{exists: true, length: 3, lastGenerated: ID{10, 2}, maxDeleted: ID{5, 0}, hasMaxDeleted: true,
		entriesAdded: 9, hasAdded: true, first: ID{6, 0}, hasFirst: true}
	if info != want {
		t.Fatalf("parseStreamInfo = %+v, want %+v", info, want)
	}
	if _, err := parseStreamInfo([]any{"length"}); err == nil {
		t.Fatal("odd reply accepted")
	}
	empty, err := parseStreamInfo([]any{"length", int64(0), "last-generated-id", "0-0", "first-entry", nil})
	if err != nil || empty.hasFirst || !empty.exists {
		t.Fatalf("empty stream: %+v %v", empty, err)
	}
}

func TestLostCount(t *testing.T) {
	// The reader started after {10,0} and read {11..20,0}; the index keeps
	// the last 8 of them, {13..20,0}: it reaches back to {12,0}.
	seen := newIDIndex(8)
	seen.reset(ID{10, 0})
	for ms := uint64(11); ms <= 20; ms++ {
		seen.add([]ID{{ms, 0}})
	}
	// Redis 7 after trimming to the entries from {18,0}: 20 added, 3 kept.
	trimmed := streamInfo{exists: true, length: 3, entriesAdded: 20, hasAdded: true, hasMaxDeleted: true,
		lastGenerated: ID{20, 0}, first: ID{18, 0}, hasFirst: true}
	xdel := trimmed
	xdel.maxDeleted = ID{19, 0}
	redis6 := trimmed
	redis6.hasAdded, redis6.hasMaxDeleted = false, false
	head := ID{18, 0}.Prev() // the newest id trimmed
	tests := []struct {
		name    string
		cursor  ID
		through ID
		info    streamInfo
		missed  uint64
		exact   bool
	}{
		{"read by the reader", ID{14, 0}, head, trimmed, 3, true},
		{"oldest id the index reaches", ID{12, 0}, head, trimmed, 5, true},
		{"forgotten by the index", ID{11, 0}, head, trimmed, 5, false},
		{"from the start of the stream", ID{}, head, trimmed, 17, true},
		{"from the start, through capped", ID{}, ID{15, 0}, trimmed, 3, false},
		{"XDEL after the cursor", ID{14, 0}, head, xdel, 3, false},
		{"Redis 6", ID{14, 0}, head, redis6, 3, false},
		{"Redis 6 from the start", ID{}, head, redis6, 5, false},
		{"nothing counted", ID{16, 5}, ID{16, 9}, trimmed, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			missed, exact := lostCount(tt.cursor, tt.through, tt.info, seen)
			if missed != tt.missed || exact != tt.exact {
				t.Fatalf("lostCount = %d, %v; want %d, %v", missed, exact, tt.missed, tt.exact)
			}
		})
	}
}
