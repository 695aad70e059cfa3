package record

import (
	"context"
	"errors"
	"io"

	"github.com/ssemon/ssemon/client"
)

// Apply passes e to h as the engine did when it was recorded: an event,
// comment or retry to HandleFrame, a state to HandleStatus (see ToStatus;
// a state without detail shows its error). Other kinds are ignored.
func (e *Entry) Apply(h client.Handler) {
	switch e.Kind {
	case KindEvent:
		h.HandleFrame(client.Frame{Kind: client.FrameEvent, Event: client.Event{ID: e.ID, Type: e.Type, Data: e.Data}, Size: e.Bytes}, e.Time)
	case KindComment:
		h.HandleFrame(client.Frame{Kind: client.FrameComment, Comment: e.Comment, Size: e.Bytes}, e.Time)
	case KindRetry:
		h.HandleFrame(client.Frame{Kind: client.FrameRetry, Retry: e.Retry, Size: e.Bytes}, e.Time)
	case KindOversized:
		h.HandleFrame(client.Frame{Kind: client.FrameOversized, Event: client.Event{ID: e.ID, Type: e.Type, Data: e.Data},
			Size: e.Bytes, Oversized: e.Oversized}, e.Time)
	case KindState:
		st := e.ToStatus()
		if st.Detail == "" {
			st.Detail = e.Error
		}
		h.HandleStatus(st)
	}
}

// feedQueue is how many entries wait for an offline channel's goroutine.
const feedQueue = 256

// OpenOffline reads the recording r and adds each channel it holds to m as
// an offline channel (client.Manager.AddOffline), fed with its entries in
// order as they are read; the recording's times become the channels'
// times. config returns the configuration of a channel from the first
// entry that names it; its Name must be free in m.
//
// Each channel applies its entries on its own goroutine (the one that
// owns its Handler); OpenOffline returns once they all applied the whole
// recording, or at the first error or when ctx is done. The channels
// opened so far stay in m, and are returned in every case.
func OpenOffline(ctx context.Context, r io.Reader, m *client.Manager, config func(e *Entry) client.ChannelConfig) ([]*client.Channel, error) {
	type queue struct {
		entries chan Entry
		done    chan struct{} // closed when the channel's feed returned
	}
	var (
		chans  []*client.Channel
		queues = map[string]*queue{}
	)
	closeAll := func() {
		for _, q := range queues {
			close(q.entries)
		}
	}
	rd := NewReader(r, ReaderConfig{})
	for {
		if err := ctx.Err(); err != nil {
			closeAll()
			return chans, err
		}
		e, err := rd.Next()
		if errors.Is(err, io.EOF) {
			closeAll()
			for _, q := range queues {
				select {
				case <-q.done:
				case <-ctx.Done():
					return chans, ctx.Err()
				}
			}
			return chans, nil
		}
		if err != nil {
			closeAll()
			return chans, err
		}
		if e.Channel == "" {
			continue // header and footer
		}
		q := queues[e.Channel]
		if q == nil {
			q = &queue{entries: make(chan Entry, feedQueue), done: make(chan struct{})}
			ch, err := m.AddOffline(config(&e), func(ctx context.Context, h client.Handler) error {
				defer close(q.done)
				for {
					select {
					case e, ok := <-q.entries:
						if !ok {
							return nil
						}
						e.Apply(h)
					case <-ctx.Done():
						return ctx.Err()
					}
				}
			})
			if err != nil {
				closeAll()
				return chans, err
			}
			queues[e.Channel] = q
			chans = append(chans, ch)
		}
		select {
		case q.entries <- e:
		case <-q.done: // the channel was removed meanwhile
		case <-ctx.Done():
			closeAll()
			return chans, ctx.Err()
		}
	}
}
