package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func testEnv(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestManagerAddValidates(t *testing.T) {
	m := NewManager(ManagerConfig{Clock: newFakeClock(), LookupEnv: testEnv(map[string]string{"HOST": "127.0.0.1:1"})})
	t.Cleanup(func() { _ = m.Close() })
	if _, err := m.Add(ChannelConfig{Name: "a", URL: "http://${HOST}/x", Paused: true}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  ChannelConfig
		want string
		is   error
	}{
		{"duplicate", ChannelConfig{Name: "a", URL: "http://127.0.0.1/"}, "already exists", ErrDuplicateName},
		{"empty name", ChannelConfig{Name: " ", URL: "http://127.0.0.1/"}, "Name: is empty", nil},
		{"long name", ChannelConfig{Name: strings.Repeat("n", MaxNameLen+1), URL: "http://127.0.0.1/"}, "longer than", nil},
		{"bad scheme", ChannelConfig{Name: "b", URL: "ws://127.0.0.1/"}, `channel "b": URL: scheme "ws" is not supported`, nil},
		{"no url", ChannelConfig{Name: "b"}, "URL: is empty", nil},
		{"unset variable", ChannelConfig{Name: "b", URL: "http://${NOPE}/"}, "environment variable NOPE is not set", nil},
		{"unset variable in header", ChannelConfig{Name: "b", URL: "http://127.0.0.1/", Headers: []Header{{"Authorization", "Bearer ${TOKEN}"}}}, "TOKEN", nil},
		{"bad header name", ChannelConfig{Name: "b", URL: "http://127.0.0.1/", Headers: []Header{{"Bad Name", "x"}}}, "not a valid header name", nil},
		{"bad scale", ChannelConfig{Name: "b", URL: "http://127.0.0.1/", ProgressScale: "permille"}, "ProgressScale", nil},
		{"ring too big", ChannelConfig{Name: "b", URL: "http://127.0.0.1/", RingSize: MaxRingSize + 1}, "RingSize", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Add(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.is)
			}
		})
	}
	if n := len(m.Channels()); n != 1 {
		t.Errorf("%d channels after failed adds", n)
	}
}

func TestManagerExpandsVariablesButKeepsThemInConfig(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		sseHeaders(w)
		hold(r)
	})
	host := strings.TrimPrefix(srv.URL, "http://")
	m := NewManager(ManagerConfig{Clock: newFakeClock(), LookupEnv: testEnv(map[string]string{"HOST": host, "TOKEN": "s3cret"})})
	t.Cleanup(func() { _ = m.Close() })
	c, err := m.Add(ChannelConfig{
		Name:    "env",
		URL:     "http://${HOST}/stream?$filter=x",
		Method:  "POST",
		Headers: []Header{{"Authorization", "Bearer ${TOKEN}"}},
		Body:    `{"$schema":"s","t":"${TOKEN}","lit":"$${x}"}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := srv.waitRequests(t, 1)[0]
	if r.Header.Get("Authorization") != "Bearer s3cret" || r.Body != `{"$schema":"s","t":"s3cret","lit":"${x}"}` {
		t.Errorf("request = %v %q", r.Header, r.Body)
	}
	if cfg := c.Config(); cfg.URL != "http://${HOST}/stream?$filter=x" || cfg.Headers[0].Value != "Bearer ${TOKEN}" {
		t.Errorf("config was stored expanded: %+v", cfg)
	}
}

func TestManagerLifecycle(t *testing.T) {
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path == "/gone" {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		sseHeaders(w)
		var last int
		_, _ = fmt.Sscan(r.Header.Get("Last-Event-ID"), &last)
		writeFlush(w, fmt.Sprintf("id: %d\ndata: {\"progress\":%d}\n\n", last+1, n))
		hold(r)
	})
	m := NewManager(ManagerConfig{Clock: newFakeClock()})
	t.Cleanup(func() { _ = m.Close() })
	v0 := m.Version()
	a, err := m.Add(ChannelConfig{Name: "a", URL: srv.URL + "/a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Add(ChannelConfig{Name: "b", URL: srv.URL + "/gone"}); err != nil {
		t.Fatal(err)
	}
	if m.Version() == v0 {
		t.Error("version did not move on Add")
	}
	waitChannel(t, a, "a open with an event", func() bool { return a.Snapshot().Stats.Events == 1 })
	b, _ := m.Get("b")
	waitChannel(t, b, "b failed", func() bool { return b.Status().State == Failed })
	if st := b.Status(); st.HTTPStatus != 410 || st.BodyPreview != "gone\n" {
		t.Errorf("b status = %+v", st)
	}

	// Update keeping the URL: log, counters and last id are kept.
	v1 := m.Version()
	if err := m.Update("a", ChannelConfig{Name: "a", URL: srv.URL + "/a", EventTypes: []string{"message"}}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.waitRequests(t, 3)
	if id := reqs[2].Header.Get("Last-Event-ID"); id != "1" {
		t.Errorf("after Update, Last-Event-ID = %q, want 1", id)
	}
	waitChannel(t, a, "second event", func() bool { return a.Snapshot().Stats.Events == 2 })
	if got := a.Config().EventTypes; len(got) != 1 {
		t.Errorf("config not updated: %v", got)
	}
	if m.Version() == v1 {
		t.Error("version did not move on Update")
	}

	// Update with a new URL and a new name: fresh channel state.
	if err := m.Update("a", ChannelConfig{Name: "a2", URL: srv.URL + "/other"}); err != nil {
		t.Fatal(err)
	}
	reqs = srv.waitRequests(t, 4)
	if id := reqs[3].Header.Get("Last-Event-ID"); id != "" || reqs[3].Path != "/other" {
		t.Errorf("after URL change: %s Last-Event-ID %q", reqs[3].Path, id)
	}
	waitChannel(t, a, "event on the new URL", func() bool { return a.Snapshot().Stats.Events == 1 })
	if _, ok := m.Get("a"); ok {
		t.Error("old name still present")
	}
	if c, ok := m.Get("a2"); !ok || c != a {
		t.Error("renamed channel not found under its new name")
	}
	if err := m.Update("nope", ChannelConfig{Name: "nope", URL: srv.URL}); !errors.Is(err, ErrUnknownChannel) {
		t.Errorf("Update unknown = %v", err)
	}
	if err := m.Update("a2", ChannelConfig{Name: "b", URL: srv.URL}); !errors.Is(err, ErrDuplicateName) {
		t.Errorf("Update onto an existing name = %v", err)
	}

	// Pause / Resume / Reconnect by name.
	if err := m.Pause("a2"); err != nil {
		t.Fatal(err)
	}
	waitChannel(t, a, "paused", func() bool { return a.Status().State == Paused })
	if err := m.Resume("a2"); err != nil {
		t.Fatal(err)
	}
	srv.waitRequests(t, 5)
	waitChannel(t, a, "open again", func() bool { return a.Status().State == Open })
	for _, f := range []func(string) error{m.Pause, m.Resume, m.Reconnect, m.Remove} {
		if err := f("zzz"); !errors.Is(err, ErrUnknownChannel) {
			t.Errorf("unknown name: %v", err)
		}
	}

	// Reconnect on a failed channel starts it over.
	if err := m.Reconnect("b"); err != nil {
		t.Fatal(err)
	}
	waitChannel(t, b, "b failed twice", func() bool { return b.Snapshot().Stats.Connects == 0 && countState(b, Failed) == 2 })

	snaps := m.Snapshots(nil)
	if len(snaps) != 2 || snaps[0].Name != "a2" || snaps[1].Name != "b" {
		t.Errorf("snapshots order: %v", names(snaps))
	}
	if err := m.Remove("b"); err != nil {
		t.Fatal(err)
	}
	if snaps = m.Snapshots(snaps); len(snaps) != 1 {
		t.Errorf("after remove: %v", names(snaps))
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Add(ChannelConfig{Name: "late", URL: srv.URL}); !errors.Is(err, ErrManagerClosed) {
		t.Errorf("Add after Close = %v", err)
	}
	if a.Status().State != Closed {
		t.Errorf("state after Close = %v", a.Status().State)
	}
}

func countState(c *Channel, st State) int {
	n := 0
	for _, tr := range c.Snapshot().History {
		if tr.State == st {
			n++
		}
	}
	return n
}

func names(s []Snapshot) []string {
	var n []string
	for _, x := range s {
		n = append(n, x.Name)
	}
	return n
}

// Many channels at once, then Close: every goroutine ends.
func TestManagerHundredChannelsAndClose(t *testing.T) {
	const n = 100
	srv := newSSEServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		sseHeaders(w)
		for i := 1; i <= 3; i++ {
			writeFlush(w, fmt.Sprintf("id: %d\ndata: %s %d\n\n", i, r.URL.Path, i))
		}
		hold(r)
	})
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	m := NewManager(ManagerConfig{Clock: newFakeClock(), Transport: http.DefaultTransport.(*http.Transport).Clone()})
	for i := 0; i < n; i++ {
		if _, err := m.Add(ChannelConfig{Name: fmt.Sprint("ch", i), URL: fmt.Sprintf("%s/%d", srv.URL, i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range m.Channels() {
		waitChannel(t, c, "3 events on "+c.Name(), func() bool { return c.Snapshot().Stats.Events == 3 })
	}
	snaps := m.Snapshots(nil)
	for i, s := range snaps {
		r, _ := m.Channels()[i].At(m.Channels()[i].Len() - 1)
		if want := fmt.Sprintf("/%d 3", i); s.Name != fmt.Sprint("ch", i) || r.Data != want {
			t.Fatalf("channel %d: %s last record %q, want %q", i, s.Name, r.Data, want)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m.cfg.Transport.(*http.Transport).CloseIdleConnections()
	_ = m.Close() // idempotent
	// Wait for the server's side too, so that only the client's goroutines
	// are judged.
	srv.Close()
}
