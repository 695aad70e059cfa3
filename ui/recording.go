package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"

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

// recordings holds the app's background work: recording loaders and
// connection tests. Close cancels and waits for all of it. (Channels
// opened from recordings are the engine's offline channels:
// client.Channel.Offline.)
type recordings struct {
	wg   sync.WaitGroup
	ctx  context.Context
	stop context.CancelFunc
}

func newRecordings() *recordings {
	ctx, stop := context.WithCancel(context.Background())
	return &recordings{ctx: ctx, stop: stop}
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
			// Good news passes, as a recovery does.
			x.banner.NotifyUntil(fmt.Sprintf("Opened %s: %d%s (offline)", filepath.Base(path), n, plural(uint64(n), " channel", " channels")),
				PillInfo, x.now().Add(recoveredFor))
		})
	}()
}

// loadRecording opens the recording at path as offline channels of the
// manager, fed with the recorded frames and states at their recorded
// times. It returns how many channels it opened; what was read before an
// error stays open.
func (x *App) loadRecording(ctx context.Context, path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open recording: %w", err)
	}
	defer f.Close()
	group := RecordingGroup + filepath.Base(path)
	chans, err := record.OpenOffline(ctx, f, x.mgr, func(e *record.Entry) client.ChannelConfig {
		return client.ChannelConfig{
			Name: x.uniqueName(e.Channel), Group: group, URL: e.URL, Method: e.Method,
			RingSize: RecordingLogCapacity, RingBytes: RecordingLogBytes,
		}
	})
	if err != nil {
		return len(chans), fmt.Errorf("recording %s: %w", filepath.Base(path), err)
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
	x.showOpenPath("Open recording", "A recording (.jsonl) written by ssemon-tail --record: its channels open offline.",
		[]string{".jsonl", ".json"}, func(path string) error {
			x.openRecording(path) // reads in the background; says how it went in the banner
			return nil
		})
}
