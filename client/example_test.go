package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/ssemon/ssemon/client"
)

// printer is a client.Handler that prints what a stream delivers.
type printer struct{}

func (printer) HandleFrame(f client.Frame, _ time.Time) {
	if f.Kind == client.FrameEvent {
		fmt.Printf("event id=%s type=%s data=%s\n", f.Event.ID, f.Event.Type, f.Event.Data)
	}
}

func (printer) HandleStatus(s client.Status) {
	fmt.Println("state:", s.State)
}

func ExampleStream() {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) > 1 {
			fmt.Println("reconnected with Last-Event-ID:", r.Header.Get("Last-Event-ID"))
			w.WriteHeader(http.StatusNoContent) // done: do not reconnect
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "retry: 100\nid: 1\nevent: job\ndata: {\"progress\":50}\n\ndata: no id\n\n")
	}))
	defer srv.Close()

	s, err := client.NewStream(client.StreamConfig{URL: srv.URL}, printer{})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = s.Run(context.Background()) // returns on 204: closed by the server
	fmt.Println("Run returned", err)
	// Output:
	// state: connecting
	// state: open
	// event id=1 type=job data={"progress":50}
	// event id=1 type=message data=no id
	// state: retrying
	// state: connecting
	// reconnected with Last-Event-ID: 1
	// state: closed
	// Run returned <nil>
}

func ExampleManager() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "id: 1\ndata: {\"progress\":0.25,\"message\":\"copying\"}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()

	m := client.NewManager(client.ManagerConfig{})
	defer m.Close()
	ch, err := m.Add(client.ChannelConfig{Name: "deploy", URL: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A UI takes snapshots on its own tick; here we wait for the event.
	for ch.Snapshot().Stats.Events == 0 {
		<-ch.Changed()
	}
	for _, s := range m.Snapshots(nil) {
		fmt.Printf("%s: %s, %.0f%% %q, %d record(s) in the log\n",
			s.Name, s.Status.State, s.Progress.Percent, s.Progress.Message, s.Len)
	}
	// Output:
	// deploy: open, 25% "copying", 2 record(s) in the log
}
