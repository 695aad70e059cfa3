package hub

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/wire"
)

func TestAppendEvent(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   Event
		want string
	}{
		{"seed order", Event{ID: "7", Type: "status_update", Data: `{"progress":35}`}, "id: 7\nevent: status_update\ndata: {\"progress\":35}\n\n"},
		{"empty data is an event", Event{ID: "1", Type: "x"}, "id: 1\nevent: x\ndata: \n\n"},
		{"lines", Event{ID: "3", Data: "a\nb\r\nc\rd"}, "id: 3\ndata: a\ndata: b\ndata: c\ndata: d\n\n"},
		{"no id", Event{Data: "x"}, "data: x\n\n"},
		{"empty id resets", Event{EmptyID: true, Data: "x"}, "id: \ndata: x\n\n"},
		{"retry and extra", Event{ID: "2", Data: "x", Retry: 1200, HasRetry: true, Extra: "c\nraw"}, "id: 2\ndata: x\nretry: 1200\n: c\nraw\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(AppendEvent(nil, &tc.ev)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	lost := string(AppendLost(nil, "40", &wire.Lost{Missed: 35, From: "5", Oldest: "41"}))
	if want := "id: 40\nevent: lost\ndata: {\"missed\":35,\"from\":\"5\",\"oldest\":\"41\"}\n\n"; lost != want {
		t.Fatalf("lost %q, want %q", lost, want)
	}
	reset := string(AppendReset(nil, "abc", "50", wire.ReasonInvalid))
	if want := "id: 50\nevent: lost\ndata: {\"missed\":0,\"reset\":true,\"from\":\"abc\",\"last\":\"50\",\"reason\":\"invalid\"}\n\n"; reset != want {
		t.Fatalf("reset %q, want %q", reset, want)
	}
}

// fill appends n one-byte frames with keys from+1 … from+n.
func fill(l *Log, from, n int) {
	for i := from + 1; i <= from+n; i++ {
		l.Append([]Key{{Lo: uint64(i)}}, [][]byte{[]byte("x")})
	}
}

func kept(l *Log) (oldest, last uint64, n int) {
	_, o, la, n, _ := l.Bounds()
	return o.Lo, la.Lo, n
}

func TestLogBounds(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	t.Run("count", func(t *testing.T) {
		l := NewLog(LogConfig{Keep: 10, MaxBytes: 1 << 20, Clock: clk}, Key{})
		fill(l, 0, 25)
		if o, la, n := kept(l); o != 16 || la != 25 || n != 10 {
			t.Fatalf("kept %d..%d (%d)", o, la, n)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		l := NewLog(LogConfig{Keep: 1000, MaxBytes: 5 * (EntryOverhead + 1), Clock: clk}, Key{})
		fill(l, 0, 25)
		if o, _, n := kept(l); o != 21 || n != 5 {
			t.Fatalf("kept from %d (%d)", o, n)
		}
	})
	t.Run("time", func(t *testing.T) {
		l := NewLog(LogConfig{Keep: 10, KeepFor: time.Minute, MaxBytes: 1 << 20, Clock: clk}, Key{})
		fill(l, 0, 100) // all younger than a minute: all kept, beyond Keep
		if _, _, n := kept(l); n != 100 {
			t.Fatalf("kept %d, want 100", n)
		}
		clk.Advance(61 * time.Second)
		fill(l, 100, 5) // the old ones go, Keep stays
		if o, la, n := kept(l); o != 96 || la != 105 || n != 10 {
			t.Fatalf("kept %d..%d (%d)", o, la, n)
		}
	})
	t.Run("max events", func(t *testing.T) {
		l := NewLog(LogConfig{Keep: 10, MaxEvents: 10, KeepFor: time.Hour, MaxBytes: 1 << 20, Clock: clk}, Key{})
		fill(l, 0, 30)
		if _, _, n := kept(l); n != 10 {
			t.Fatalf("kept %d, want 10", n)
		}
	})
}

func TestLogRead(t *testing.T) {
	l := NewLog(LogConfig{Keep: 10, MaxBytes: 1 << 20}, Key{})
	for i := 1; i <= 30; i++ {
		l.Append([]Key{{Lo: uint64(i)}}, [][]byte{[]byte(strconv.Itoa(i) + ",")})
	}
	b, next, n, behind, _ := l.Read(Key{Lo: 22}, nil, 5, 1<<10)
	if string(b) != "23,24,25,26,27," || next.Lo != 27 || n != 5 || behind {
		t.Fatalf("read %q next %d n %d behind %v", b, next.Lo, n, behind)
	}
	if _, _, n, behind, _ := l.Read(Key{Lo: 19}, nil, 5, 1<<10); !behind || n != 0 {
		t.Fatalf("a cursor before the base: n %d behind %v", n, behind)
	}
	if _, _, n, behind, _ := l.Read(Key{Lo: 20}, nil, 5, 1<<10); behind || n != 5 {
		t.Fatalf("the base itself: n %d behind %v", n, behind)
	}
	_, _, _, _, wake := l.Read(Key{Lo: 30}, nil, 5, 1<<10)
	select {
	case <-wake:
		t.Fatal("woken before an append")
	default:
	}
	l.Append([]Key{{Lo: 31}}, [][]byte{[]byte("31,")})
	select {
	case <-wake:
	default:
		t.Fatal("not woken by an append")
	}
	l.Append([]Key{{Lo: 31}}, [][]byte{[]byte("again")}) // not after the last key: ignored
	if _, o, la, n, _ := l.Bounds(); la.Lo != 31 || o.Lo != 22 || n != 10 {
		t.Fatalf("bounds %d..%d (%d)", o.Lo, la.Lo, n)
	}
	for _, tc := range []struct {
		n    int
		want uint64
		ok   bool
	}{{0, 31, true}, {3, 28, true}, {10, 21, true}, {11, 0, false}} {
		if k, ok := l.Tail(tc.n); ok != tc.ok || (ok && k.Lo != tc.want) {
			t.Errorf("Tail(%d) = %d %v, want %d %v", tc.n, k.Lo, ok, tc.want, tc.ok)
		}
	}
	l.Reset(Key{Hi: 5})
	if b, o, la, n, _ := l.Bounds(); b.Hi != 5 || o.Hi != 5 || la.Hi != 5 || n != 0 {
		t.Fatalf("after Reset: %v %v %v %d", b, o, la, n)
	}
}

// capFeed sends a catch-up batch, then events one at a time while it is
// behind, then waits (it has caught up), then sends one more and ends the
// stream, recording the capacity of the buffer it is given each time.
type capFeed struct{ caps []int }

func (f *capFeed) Next(c *Conn, b []byte) ([]byte, error) {
	f.caps = append(f.caps, cap(b))
	switch len(f.caps) {
	case 1:
		for i := 0; len(b) < 64<<10; i++ {
			b = AppendEvent(b, &Event{ID: strconv.Itoa(i + 1), Data: "catching up"})
		}
		return b, nil
	case 2:
		return AppendEvent(b, &Event{ID: "behind", Data: "x"}), nil
	case 3:
		woken := make(chan struct{})
		close(woken)
		b, _ = c.Wait(b, woken, nil)
		return AppendEvent(b, &Event{ID: "live", Data: "x"}), nil
	}
	return b, io.EOF
}

// TestCatchUpBufferNotHeldWhileWaiting: a connection reuses the buffer a
// catch-up grew while it has events to send, and does not hold it once it
// waits for more.
func TestCatchUpBufferNotHeldWhileWaiting(t *testing.T) {
	h := New(Config{MaxSubscribers: 1, WriteTimeout: time.Minute, Clock: clock.Real(), Logger: slog.New(slog.DiscardHandler)})
	defer h.Close("", time.Second)
	f := &capFeed{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := h.Admit(w, r, "t"); c != nil {
			h.Stream(w, r, c, nil, f)
		}
	}))
	defer ts.Close()
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !strings.HasSuffix(string(body), "id: behind\ndata: x\n\nid: live\ndata: x\n\n") {
		t.Fatalf("body ends %q, %v", body[max(0, len(body)-60):], err)
	}
	if len(f.caps) != 4 || f.caps[1] < 64<<10 || f.caps[2] < 64<<10 || f.caps[3] == 0 || f.caps[3] > keptBuffer {
		t.Fatalf("buffer capacities given to the feed %v: want the catch-up's reused while behind, a small one after waiting", f.caps)
	}
}
