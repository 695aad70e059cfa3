package client

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ssemon/ssemon/client/clock"
	"github.com/ssemon/ssemon/client/ring"
	"github.com/ssemon/ssemon/client/wire"
)

// LostEventType is the event type a server uses to announce events it
// could not deliver, with data {"missed":N}; it is counted as a gap.
const LostEventType = wire.LostType

// Stats are a channel's counters. Counters are totals since the channel
// started (or since its URL changed).
type Stats struct {
	// Events counts every event received, filtered ones included.
	Events uint64
	// Comments counts comment lines (heartbeats).
	Comments uint64
	// Bytes counts stream bytes received.
	Bytes uint64
	// PerSecond is the number of events in the last complete second.
	PerSecond float64
	// PerMinute is the average events per second over the last minute
	// (or since the start, when younger).
	PerMinute float64
	// Sparkline holds RateWindow per-second event counts, oldest first,
	// ending with the last complete second.
	Sparkline []float64
	// LastEventAt is when the last event arrived (zero if none).
	LastEventAt time.Time
	// LastEventID is the last event ID string seen.
	LastEventID string
	// Connects counts connections opened; Reconnects those after the
	// first.
	Connects, Reconnects uint64
	// Stalls counts connections dropped by the stall watchdog.
	Stalls uint64
	// Retry is the reconnection time in effect.
	Retry time.Duration
	// Evicted counts log records dropped to respect the log caps.
	Evicted uint64
	// Filtered counts events not logged because of the type filter.
	Filtered uint64
	// Gaps counts detected gaps; Missed sums the events they lost. A
	// server's notice that it lost its history ("lost" with "reset":true,
	// after a restart) is a gap of unknown size: counted in Gaps only.
	Gaps, Missed uint64
	// Duplicates counts events whose numeric id did not advance.
	Duplicates uint64
	// InvalidIDs counts events that set an id unusable for resuming
	// (Record.InvalidID).
	InvalidIDs uint64
	// Oversized counts events, NDJSON lines and comment lines over the
	// size cap (ChannelConfig.MaxEventBytes), skipped: each is logged as
	// a RecordOversized and the stream went on.
	Oversized uint64
	// Skipping is the size so far of an oversized event still being
	// skipped (it keeps growing while its input goes on), 0 when none.
	Skipping int64
	// Framing counts the wire format's anomalies (lone CR line ends,
	// unknown fields...) of the current stream.
	Framing FramingCounts
	// Started is when the counters started.
	Started time.Time
}

// Snapshot is a consistent copy of a channel's state, for display.
type Snapshot struct {
	// Name is the channel name.
	Name string
	// Config is the channel's configuration as given (variables not
	// expanded).
	Config ChannelConfig
	// Status is the connection status.
	Status Status
	// History is the last transitions, oldest first.
	History []Transition
	// Stats are the counters and rates.
	Stats Stats
	// Progress is read from the newest event.
	Progress Progress
	// Len is the number of records in the log; FirstSeq the Seq of the
	// oldest, LastSeq of the newest (FirstSeq > LastSeq when empty).
	Len int
	// FirstSeq: see Len.
	FirstSeq uint64
	// LastSeq: see Len.
	LastSeq uint64
	// Version changes whenever anything above changes.
	Version uint64
	// At is when the snapshot was taken: now, or for an Offline channel
	// the newest time it was fed (its recording's time).
	At time.Time
	// Offline reports a channel that never connects (a recording).
	Offline bool
}

// Channel is one supervised stream with the bounded state a UI shows: a log
// ring of recent records, counters, rates, progress. Ingestion holds the
// channel's mutex only for O(1) bookkeeping; readers copy what they need.
// A Channel belongs to a Manager, which starts and stops it.
type Channel struct {
	clk     clock.Clock
	restart chan struct{}
	changed chan struct{}

	// lifeMu serialises start/stop/reconfigure.
	lifeMu  sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	removed bool

	mu       sync.Mutex
	cfg      ChannelConfig // as given
	stream   *Stream
	types    []string
	fields   progressFields
	ring     recordLog
	stats    Stats
	rate     rateCounter
	status   Status
	version  uint64
	seq      Sequencer
	newestEv uint64 // Seq of the newest stored event, for progress
	gen      uint64 // incremented by reset
	progress progressTracker
	feed     *TranscriptFeed // model-stream transcripts, per request (transcripts.go)

	// offline marks a channel fed by Manager.AddOffline (a recording): no
	// stream; its transitions are kept here and its time is the newest
	// time fed (fedAt), not the clock's.
	offline bool
	hist    ring.Ring[Transition]
	fedAt   time.Time
	feedErr error
}

func newChannel(raw, eff ChannelConfig, clk clock.Clock) *Channel {
	c := &Channel{clk: clk, restart: make(chan struct{}, 1), changed: make(chan struct{}, 1), feed: newChannelFeed()}
	c.reset(raw, eff)
	return c
}

// ringCaps returns the log caps of an effective config.
func ringCaps(eff ChannelConfig) (int, int64) {
	size, rb := eff.RingSize, eff.RingBytes
	if size == 0 {
		size = DefaultRingSize
	}
	if rb == 0 {
		rb = DefaultRingBytes
	}
	return size, rb
}

// reset sets the configuration (raw as given, eff with the manager's
// defaults) and clears the log and counters. Sequence numbers go on.
func (c *Channel) reset(raw, eff ChannelConfig) {
	c.reconfigure(raw, eff)
	size, rb := ringCaps(eff)
	next := c.ring.nextSeq
	c.ring = newRecordLog(size, rb)
	if next > 0 {
		c.ring.nextSeq = next
	}
	c.stats = Stats{Started: c.clk.Now(), Retry: eff.Retry}
	if c.stats.Retry == 0 {
		c.stats.Retry = DefaultRetry
	}
	c.rate = rateCounter{}
	c.seq.Reset()
	c.newestEv = 0
	c.gen++
	c.progress = progressTracker{}
	c.version++
}

// reconfigure applies a new configuration, keeping the log (re-capped),
// counters and progress.
func (c *Channel) reconfigure(raw, eff ChannelConfig) {
	c.cfg = raw.Clone()
	c.types = slices.Clone(eff.EventTypes)
	c.fields = progressFields{
		progress: eff.ProgressField,
		done:     eff.DoneField,
		total:    eff.TotalField,
		message:  eff.MessageField,
		scale:    eff.ProgressScale,
	}
	size, rb := ringCaps(eff)
	if c.ring.r.Cap() != 0 && (size != c.ring.r.Cap() || rb != c.ring.maxBytes) {
		old := c.ring
		c.ring = newRecordLog(size, rb)
		c.ring.nextSeq = old.firstSeq()
		c.ring.evicted = old.evicted
		for i := 0; i < old.len(); i++ {
			r, _ := old.at(i)
			c.ring.push(r)
		}
		c.stats.Evicted += c.ring.evicted - old.evicted
	}
	c.version++
}

// start runs st until ctx is done; a terminal state waits for Reconnect or
// Resume. Callers hold lifeMu.
func (c *Channel) start(ctx context.Context, st *Stream) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	c.mu.Lock()
	c.stream = st
	c.mu.Unlock()
	c.cancel, c.done = cancel, done
	go func() {
		defer close(done)
		for {
			select { // a request made before this Run is served by it
			case <-c.restart:
			default:
			}
			_ = st.Run(ctx) // the outcome is in the status
			select {
			case <-ctx.Done():
				return
			case <-c.restart:
			}
		}
	}()
}

// startOffline runs feed on the channel's goroutine until it returns or ctx
// is done. Callers hold lifeMu.
func (c *Channel) startOffline(ctx context.Context, feed Feed) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	c.cancel, c.done = cancel, done
	go func() {
		defer close(done)
		err := feed(ctx, c)
		c.mu.Lock()
		c.feedErr = err
		c.version++
		c.mu.Unlock()
		c.notify()
	}()
}

// Err returns the error that ended an offline channel's feed (nil while
// it runs, after it succeeded, and for live channels).
func (c *Channel) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.feedErr
}

// stop ends the channel's goroutine and waits for it. Callers hold lifeMu.
func (c *Channel) stop() {
	if c.cancel == nil {
		return
	}
	c.cancel()
	<-c.done
	c.cancel, c.done = nil, nil
}

// Name returns the channel's name.
func (c *Channel) Name() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.Name
}

// Config returns a copy of the channel's configuration as given.
func (c *Channel) Config() ChannelConfig {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg.Clone()
}

// Status returns the connection status.
func (c *Channel) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Version returns a number that changes whenever the channel's state
// changes (a record, a transition, a reconfiguration); a UI redraws only
// channels whose version moved. Rates also move with time alone: redraw
// them at least once a second.
func (c *Channel) Version() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// Pause closes the connection and holds the channel paused.
// An offline channel has nothing to pause.
func (c *Channel) Pause() {
	if st := c.currentStream(); st != nil {
		st.Pause()
	}
}

// Resume ends a pause and reconnects with the last event ID; on a failed or
// closed channel it starts over. An offline channel has nothing to resume.
func (c *Channel) Resume() {
	if st := c.currentStream(); st != nil && !st.Resume() {
		c.kick()
	}
}

// Reconnect reconnects at once (skipping a retry wait, dropping the open
// connection, ending a pause, or starting a failed or closed channel over).
// An offline channel has nothing to reconnect.
func (c *Channel) Reconnect() {
	if st := c.currentStream(); st != nil && !st.Reconnect() {
		c.kick()
	}
}

// RunAgainPending reports whether a Run again (Reconnect) of a request
// channel waits for the run on its way to end (see Stream.Reconnect).
func (c *Channel) RunAgainPending() bool {
	st := c.currentStream()
	return st != nil && st.RunAgainPending()
}

// Changed returns a channel that receives a value after the channel's
// state changed (latest wins: one pending value at most, for one
// consumer). Take a Snapshot after receiving.
func (c *Channel) Changed() <-chan struct{} { return c.changed }

// notify signals Changed without ever blocking.
func (c *Channel) notify() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *Channel) kick() {
	select {
	case c.restart <- struct{}{}:
	default:
	}
}

func (c *Channel) currentStream() *Stream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stream
}

// Len returns the number of records in the log.
func (c *Channel) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ring.len()
}

// At returns the i-th record of the log, 0 being the oldest; false when i
// is out of range (the log may have moved since Len).
func (c *Channel) At(i int) (Record, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ring.at(i)
}

// Records appends to dst the records with Seq >= fromSeq, oldest first,
// and returns it. Pass the last Seq seen + 1 to get only new records.
func (c *Channel) Records(dst []Record, fromSeq uint64) []Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ring.appendFrom(dst, fromSeq)
}

// Clear empties the log (sequence numbers keep counting); counters stay.
func (c *Channel) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ring.clear()
	c.version++
	c.notify()
}

// HandleFrame implements Handler: it logs and counts a frame. O(1), no
// allocation for events and comments.
func (c *Channel) HandleFrame(f Frame, at time.Time) {
	c.feed.HandleFrame(f, at)
	c.mu.Lock()
	c.version++
	if c.offline {
		c.advance(at)
	}
	c.stats.Bytes += uint64(f.Size)
	switch f.Kind {
	case FrameEvent:
		c.onEvent(&f, at)
	case FrameComment:
		c.stats.Comments++
		c.push(Record{At: at, Kind: RecordComment, Data: f.Comment, Size: f.Size})
	case FrameRetry:
		c.stats.Retry = f.Retry
		c.push(Record{At: at, Kind: RecordRetry, Data: f.Retry.String(), Size: f.Size})
	case FrameOversized:
		c.onOversized(&f, at)
	}
	c.mu.Unlock()
	c.notify()
}

func (c *Channel) onEvent(f *Frame, at time.Time) {
	ev := &f.Event
	c.stats.Events++
	c.stats.LastEventAt = at
	r := Record{At: at, Kind: RecordEvent, ID: ev.ID, Type: ev.Type, Data: ev.Data, Size: f.Size}
	if ev.ID != c.stats.LastEventID && IDProblem(ev.ID) != "" {
		r.InvalidID = true
		c.stats.InvalidIDs++
	}
	c.stats.LastEventID = ev.ID
	c.rate.add(at.Unix())
	r.Finding = c.seq.Next(ev.ID, ev.Type, ev.Data)
	c.noteFinding(&r)
	if !c.accepts(ev.Type) {
		c.stats.Filtered++
		return
	}
	c.newestEv = c.pushRef(&r)
}

// noteFinding counts the finding of r, an event or an oversized event,
// and marks r with it.
func (c *Channel) noteFinding(r *Record) {
	switch r.Finding.Kind {
	case FindingGap, FindingLost:
		r.Gap = r.Finding.Missed
		c.stats.Gaps++
		c.stats.Missed += uint64(r.Gap)
	case FindingReset, FindingRestart:
		// The server lost its history (it restarted) or ignored the
		// client's id: a gap of unknown size, counted in Gaps only.
		c.stats.Gaps++
	case FindingDuplicate, FindingBackwards:
		r.Duplicate = true
		c.stats.Duplicates++
	}
}

// onOversized counts an oversized event on its first report and logs every
// report (a long one is reported again as it goes on, with its size so
// far).
func (c *Channel) onOversized(f *Frame, at time.Time) {
	o := f.Oversized
	if !o.Again {
		c.stats.Oversized++
	}
	c.stats.Skipping = 0
	if o.More {
		c.stats.Skipping = o.Bytes
	}
	r := Record{At: at, Kind: RecordOversized, ID: f.Event.ID, Type: f.Event.Type, Data: f.Event.Data, Size: f.Size, Oversized: &o}
	if !o.More && !o.Comment {
		// The skipped event was received: its id counts in the sequence.
		r.Finding = c.seq.Next(r.ID, r.Type, r.Data)
		c.noteFinding(&r)
	}
	c.pushRef(&r)
}

func (c *Channel) accepts(typ string) bool {
	if len(c.types) == 0 {
		return true
	}
	for _, t := range c.types {
		if t == typ {
			return true
		}
	}
	return false
}

func (c *Channel) push(r Record) uint64 { return c.pushRef(&r) }

// pushRef stores *r in the log, counting evictions.
func (c *Channel) pushRef(r *Record) uint64 {
	before := c.ring.evicted
	seq := c.ring.pushRef(r)
	c.stats.Evicted += c.ring.evicted - before
	return seq
}

// parseNumericID parses a base-10 id of up to 18 digits without allocating.
func parseNumericID(id string) (int64, bool) {
	if id == "" || len(id) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(id); i++ {
		d := id[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int64(d)
	}
	return n, true
}

// HandleStatus implements Handler: it records a state transition.
func (c *Channel) HandleStatus(s Status) {
	c.feed.HandleStatus(s)
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.notify()
	c.version++
	if c.offline {
		c.advance(s.Since)
		c.hist.Push(Transition{At: s.Since, State: s.State, Detail: s.Detail})
		if s.Retry == 0 {
			s.Retry = c.stats.Retry // a recording does not say; keep the last known
		}
	}
	c.status = s
	c.stats.Retry = s.Retry
	c.stats.Skipping = 0 // a new connection, or none: nothing is being skipped
	switch s.State {
	case Open:
		c.stats.Connects++
		if c.stats.Connects > 1 {
			c.stats.Reconnects++
		}
		c.seq.Reconnected()
	case Stalled:
		c.stats.Stalls++
	case Connecting, Idle:
		return // not worth a log line each
	}
	c.push(Record{At: s.Since, Kind: RecordState, Type: s.State.String(), Data: s.Detail, ID: s.LastEventID})
}

// advance moves an offline channel's time to at (never back); its counters
// start at the first time fed. Callers hold mu.
func (c *Channel) advance(at time.Time) {
	if c.fedAt.IsZero() {
		c.stats.Started = at
	}
	if at.After(c.fedAt) {
		c.fedAt = at
	}
}

// Offline reports whether the channel never connects: it was added with
// Manager.AddOffline (a recording).
func (c *Channel) Offline() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offline
}

// Snapshot returns a consistent copy of the channel's state.
func (c *Channel) Snapshot() Snapshot {
	var s Snapshot
	c.SnapshotInto(&s)
	return s
}

// SnapshotInto fills s, reusing its History slices, so a UI refreshing
// many channels does not allocate on every tick. Progress is read here,
// from the newest event, outside the ingestion lock.
//
// The snapshot is taken as of now, or for an offline channel as of the
// newest time it was fed (its recording's time): Snapshot.At tells which,
// and ages and rates are relative to it.
func (c *Channel) SnapshotInto(s *Snapshot) {
	now := c.clk.Now()
	hist := s.History[:0]
	spark := s.Stats.Sparkline
	if cap(spark) < RateWindow {
		spark = make([]float64, RateWindow)
	}
	spark = spark[:RateWindow]

	c.mu.Lock()
	if c.offline {
		now = c.fedAt
		hist = c.hist.AppendTo(hist, 0)
	}
	st := c.stream
	s.Name = c.cfg.Name
	s.Offline = c.offline
	s.Config = c.cfg.Clone()
	s.Status = c.status
	s.Stats = c.stats
	sec := now.Unix()
	if c.offline {
		sec++ // nothing more comes: a recording's last second is complete
	}
	sum := c.rate.history(sec, spark)
	s.Stats.Sparkline = spark
	s.Stats.PerSecond = float64(c.rate.count(sec - 1))
	span := min(max(sec-c.stats.Started.Unix(), 1), RateWindow)
	s.Stats.PerMinute = float64(sum) / float64(span)
	s.Len = c.ring.len()
	s.FirstSeq = c.ring.firstSeq()
	s.LastSeq = c.ring.nextSeq - 1
	s.Version = c.version
	s.At = now
	var newest Record
	needProgress := false
	if first := c.ring.firstSeq(); c.newestEv > c.progress.p.Seq && c.newestEv >= first {
		newest, needProgress = c.ring.at(int(c.newestEv - first))
	}
	gen := c.gen
	fields, fraction := c.fields, c.progress.fractionMode
	s.Progress = c.progress.p
	c.mu.Unlock()

	if st != nil {
		hist = st.History(hist)
		s.Stats.Framing = st.Framing()
	}
	s.History = hist
	if needProgress {
		x := fields.extract(newest.Data, fraction)
		c.mu.Lock()
		if c.gen == gen { // not reset meanwhile
			c.progress.update(newest.Seq, newest.At, x)
		}
		s.Progress = c.progress.p
		c.mu.Unlock()
	}
}
