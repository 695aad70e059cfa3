package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/record"
)

// Caps of a channel opened from a recording: offline browsing keeps much
// more than a live channel's log.
const (
	RecordingLogCapacity = 200_000
	RecordingLogBytes    = 256 << 20
)

// RecordingGroup prefixes the group of channels opened from a recording
// ("recording: bug.jsonl").
const RecordingGroup = "recording: "

// recordings tracks the channels opened from recordings: they never
// connect, are not saved, and offer no stream actions. Its context and
// wait group also hold the app's other background work (a connection
// test): Close cancels and waits for all of it.
type recordings struct {
	mu    sync.Mutex
	names map[*client.Channel]bool
	wg    sync.WaitGroup
	ctx   context.Context
	stop  context.CancelFunc
}

func newRecordings() *recordings {
	ctx, stop := context.WithCancel(context.Background())
	return &recordings{names: make(map[*client.Channel]bool), ctx: ctx, stop: stop}
}

func (r *recordings) add(ch *client.Channel) {
	r.mu.Lock()
	r.names[ch] = true
	r.mu.Unlock()
}

// has reports whether ch was opened from a recording.
func (r *recordings) has(ch *client.Channel) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.names[ch]
}

// close stops loaders and waits for them.
func (r *recordings) close() {
	r.stop()
	r.wg.Wait()
}

// openRecording loads the recording at path in the background; its
// channels appear on the dashboard as they are read. Errors show in the
// banner.
func (x *App) openRecording(path string) {
	x.recs.wg.Add(1)
	go func() {
		defer x.recs.wg.Done()
		n, err := x.loadRecording(x.recs.ctx, path)
		if x.recs.ctx.Err() != nil {
			return
		}
		fyne.Do(func() {
			if err != nil {
				x.banner.Notify(oneLine(err.Error(), 300), PillError)
				return
			}
			x.banner.Notify(fmt.Sprintf("Opened %s: %d channels (offline)", filepath.Base(path), n), PillInfo)
		})
	}()
}

// loadRecording reads a recording into new channels that never connect,
// feeding them the recorded frames and states with their recorded times.
// It returns how many channels it opened; what was read before an error
// stays open.
func (x *App) loadRecording(ctx context.Context, path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open recording: %w", err)
	}
	defer f.Close()
	rd := record.NewReader(f, record.ReaderConfig{})
	group := RecordingGroup + filepath.Base(path)
	chans := map[string]*client.Channel{}
	get := func(e *record.Entry) (*client.Channel, error) {
		if ch := chans[e.Channel]; ch != nil {
			return ch, nil
		}
		url := e.URL
		if validateURL(url) != nil {
			url = "http://recording.invalid/" + e.Channel
		}
		cfg := client.ChannelConfig{
			Name: x.uniqueName(e.Channel), Group: group, URL: url, Method: e.Method,
			Paused: true, RingSize: RecordingLogCapacity, RingBytes: RecordingLogBytes,
			StallTimeout: -1,
		}
		ch, err := x.mgr.Add(cfg)
		if err != nil {
			return nil, err
		}
		x.recs.add(ch)
		// The channel starts paused; wait for that before feeding it, so
		// that its own "paused" does not land after the recorded states.
		for ch.Status().State != client.Paused {
			select {
			case <-ch.Changed():
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		chans[e.Channel] = ch
		return ch, nil
	}
	for {
		if ctx.Err() != nil {
			return len(chans), ctx.Err()
		}
		e, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return len(chans), fmt.Errorf("recording %s: %w", filepath.Base(path), err)
		}
		if e.Channel == "" {
			continue // header and footer
		}
		ch, err := get(&e)
		if err != nil {
			return len(chans), fmt.Errorf("recording %s: %w", filepath.Base(path), err)
		}
		switch e.Kind {
		case record.KindEvent:
			ch.HandleFrame(client.Frame{Kind: client.FrameEvent, Event: client.Event{ID: e.ID, Type: e.Type, Data: e.Data}, Size: e.Bytes}, e.Time)
		case record.KindComment:
			ch.HandleFrame(client.Frame{Kind: client.FrameComment, Comment: e.Comment, Size: e.Bytes}, e.Time)
		case record.KindRetry:
			ch.HandleFrame(client.Frame{Kind: client.FrameRetry, Retry: e.Retry, Size: e.Bytes}, e.Time)
		case record.KindState:
			st := client.Status{State: e.State, Since: e.Time, Attempt: e.Attempt, NextAttempt: e.NextAttempt,
				HTTPStatus: e.Status, BodyPreview: e.Body, Detail: e.Detail, Insecure: e.Insecure}
			if e.Error != "" {
				st.Err = errors.New(e.Error)
			}
			if st.Detail == "" {
				st.Detail = e.Error
			}
			ch.HandleStatus(st)
		}
	}
	if len(chans) == 0 {
		return 0, fmt.Errorf("recording %s has no channels", filepath.Base(path))
	}
	return len(chans), nil
}

// uniqueName returns name, or name-2, name-3… if taken.
func (x *App) uniqueName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "recorded"
	}
	cand := name
	for i := 2; ; i++ {
		if _, taken := x.mgr.Get(cand); !taken {
			return cand
		}
		cand = fmt.Sprintf("%s-%d", name, i)
	}
}

// openRecordingDialog asks for a recording file (File → Open recording…).
func (x *App) openRecordingDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			dialog.ShowError(err, x.win)
			return
		}
		if r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		x.openRecording(path)
	}, x.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".jsonl", ".json"}))
	d.Show()
}
