package client_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/ssemon/ssemon/client"
)

func ExampleDecoder() {
	body := strings.NewReader("retry: 2500\n: heartbeat\nid: 7\nevent: price\ndata: {\"p\":1}\n\ndata: line 1\ndata: line 2\n\n")
	d := client.NewDecoder(body, client.DecoderConfig{})
	for {
		f, err := d.Next()
		if err == io.EOF {
			break // on reconnect: d.Reset(newBody), send d.LastEventID()
		}
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		switch f.Kind {
		case client.FrameEvent:
			fmt.Printf("event id=%q type=%q data=%q\n", f.Event.ID, f.Event.Type, f.Event.Data)
		case client.FrameComment:
			fmt.Printf("comment %q\n", f.Comment)
		case client.FrameRetry:
			fmt.Println("retry", f.Retry)
		}
	}
	fmt.Printf("Last-Event-ID: %s\n", d.LastEventID())
	// Output:
	// retry 2.5s
	// comment "heartbeat"
	// event id="7" type="price" data="{\"p\":1}"
	// event id="7" type="message" data="line 1\nline 2"
	// Last-Event-ID: 7
}
