package hub

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssemon/ssemon/client/clock"
)

// Key orders the entries of a Log: Hi first, then Lo. The demo server's
// ids are {0, n}; a Redis entry id ms-seq is {ms, seq}.
type Key struct{ Hi, Lo uint64 }

// Less reports whether k comes before o.
func (k Key) Less(o Key) bool { return k.Hi < o.Hi || (k.Hi == o.Hi && k.Lo < o.Lo) }

// EntryOverhead is the memory counted for an entry besides its frame.
const EntryOverhead = 64

// LogConfig bounds a Log. An entry is evicted, oldest first, when the
// bytes (frames plus EntryOverhead each) would exceed MaxBytes, when
// MaxEvents is reached, or when more than Keep entries are kept and it is
// older than KeepFor.
type LogConfig struct {
	// Keep is how many entries are kept whatever their age (bytes
	// permitting). At least 1.
	Keep int
	// KeepFor keeps, beyond Keep, every entry younger than this (bytes
	// and MaxEvents permitting), so that a client reconnecting within it
	// misses nothing whatever the rate. 0: Keep only.
	KeepFor time.Duration
	// MaxEvents caps the entries; 0: no cap but MaxBytes.
	MaxEvents int
	// MaxBytes caps the memory of the entries. Required.
	MaxBytes int64
	// Clock dates the entries for KeepFor. Default clock.Real().
	Clock clock.Clock
	// Waker, when set, wakes the readers after an append on its own
	// goroutine, so that Append costs the same whatever the number of
	// readers (closing a channel readies every goroutine waiting on it).
	// Default nil: Append wakes them itself.
	Waker *Waker
}

// Waker wakes the readers of Logs on its own goroutine (LogConfig.Waker).
// Hub.Waker starts one; Hub.Close stops it.
type Waker struct {
	ch   chan *Log
	stop chan struct{}
	done chan struct{}
}

func newWaker() *Waker {
	w := &Waker{ch: make(chan *Log, 64), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *Waker) run() {
	defer close(w.done)
	for {
		select {
		case l := <-w.ch:
			l.wakeAll()
		case <-w.stop:
			for {
				select {
				case l := <-w.ch:
					l.wakeAll()
				default:
					return
				}
			}
		}
	}
}

func (w *Waker) close() {
	close(w.stop)
	<-w.done
}

// wake has l's readers woken: by the Waker (once for any number of
// appends before it gets to it), or at once.
func (l *Log) wake() {
	w := l.cfg.Waker
	if w == nil {
		l.wakeAll()
		return
	}
	if !l.pending.CompareAndSwap(false, true) {
		return // already due
	}
	select {
	case w.ch <- l:
	case <-w.stop:
		l.wakeAll()
	}
}

// wakeAll closes the readers' channel (and replaces it).
func (l *Log) wakeAll() {
	l.pending.Store(false)
	l.mu.Lock()
	close(l.wakeCh)
	l.wakeCh = make(chan struct{})
	l.mu.Unlock()
}

type entry struct {
	key   Key
	at    int64 // Clock's UnixNano when appended
	frame []byte
}

// Log is a channel's history: encoded frames in key order, bounded in
// entries, bytes and age. Appending wakes every reader at once (a closed
// channel); it never walks the readers, so its cost does not depend on
// how many there are. Each reader keeps its own cursor (the key of the
// last entry it sent) and reads at its own pace. Safe for concurrent use.
type Log struct {
	cfg LogConfig

	mu      sync.RWMutex
	buf     []entry
	start   int
	n       int
	bytes   int64
	base    Key // every entry after base through last is kept
	last    Key
	wakeCh  chan struct{}
	pending atomic.Bool // a wake is queued on the Waker
}

// NewLog returns an empty Log whose base and last key are start.
func NewLog(cfg LogConfig, start Key) *Log {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	cfg.Keep = max(cfg.Keep, 1)
	return &Log{cfg: cfg, buf: make([]entry, min(cfg.Keep, 64)), base: start, last: start, wakeCh: make(chan struct{})}
}

func (l *Log) at(i int) *entry { return &l.buf[(l.start+i)%len(l.buf)] }

func (l *Log) evict() {
	e := l.at(0)
	l.bytes -= int64(len(e.frame)) + EntryOverhead
	l.base = e.key
	*e = entry{}
	l.start = (l.start + 1) % len(l.buf)
	l.n--
}

// Append adds frames with increasing keys (after the last one; others
// are ignored), evicts what the bounds require, and wakes the readers.
// The frames must not be modified afterwards.
func (l *Log) Append(keys []Key, frames [][]byte) {
	now := l.cfg.Clock.Now().UnixNano()
	l.mu.Lock()
	l.append(now, keys, frames)
	l.mu.Unlock()
	l.wake()
}

func (l *Log) append(now int64, keys []Key, frames [][]byte) {
	for i, k := range keys {
		if !l.last.Less(k) {
			continue
		}
		size := int64(len(frames[i])) + EntryOverhead
		for l.n > 0 && (l.bytes+size > l.cfg.MaxBytes || (l.cfg.MaxEvents > 0 && l.n >= l.cfg.MaxEvents)) {
			l.evict()
		}
		if l.n == len(l.buf) {
			grown := make([]entry, max(2*len(l.buf), 1))
			for j := range l.n {
				grown[j] = *l.at(j)
			}
			l.buf, l.start = grown, 0
		}
		*l.at(l.n) = entry{key: k, at: now, frame: frames[i]}
		l.n++
		l.bytes += size
		l.last = k
	}
	old := now - int64(l.cfg.KeepFor)
	for l.n > l.cfg.Keep && (l.cfg.KeepFor <= 0 || l.at(0).at < old) {
		l.evict()
	}
}

// Reset empties the Log and moves its base and last key to k, waking the
// readers.
func (l *Log) Reset(k Key) {
	l.mu.Lock()
	for l.n > 0 {
		l.evict()
	}
	l.base, l.last = k, k
	l.mu.Unlock()
	l.wake()
}

// Read appends to b the frames of the entries after cursor, at most max
// entries and about maxBytes, and returns b, the key of the last entry
// appended (cursor if none) and how many. behind reports that entries
// after cursor were evicted (nothing is appended then). wake is closed
// when entries are appended.
func (l *Log) Read(cursor Key, b []byte, max int, maxBytes int) (out []byte, next Key, n int, behind bool, wake <-chan struct{}) {
	start := len(b)
	next, n, behind, wake = l.Each(cursor, max, func(_ Key, frame []byte) bool {
		b = append(b, frame...)
		return len(b)-start < maxBytes
	})
	return b, next, n, behind, wake
}

// Each calls fn with the entries after cursor, in order, at most max,
// until fn returns false, and returns the key of the last one (cursor if
// none) and how many. behind reports that entries after cursor were
// evicted (fn is not called). wake is closed when entries are appended.
// fn runs under the Log's read lock: it must not call the Log.
func (l *Log) Each(cursor Key, max int, fn func(k Key, frame []byte) bool) (next Key, n int, behind bool, wake <-chan struct{}) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if cursor.Less(l.base) {
		return cursor, 0, true, l.wakeCh
	}
	i := sort.Search(l.n, func(i int) bool { return cursor.Less(l.at(i).key) })
	next = cursor
	for ; i < l.n && n < max; i++ {
		e := l.at(i)
		next = e.key
		n++
		if !fn(e.key, e.frame) {
			break
		}
	}
	return next, n, false, l.wakeCh
}

// Bounds returns the base (every entry after it is kept), the oldest and
// newest keys kept (the base and last when empty), the number of entries
// and their bytes.
func (l *Log) Bounds() (base, oldest, last Key, n int, bytes int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	oldest = l.base
	if l.n > 0 {
		oldest = l.at(0).key
	}
	return l.base, oldest, l.last, l.n, l.bytes
}

// Tail returns the cursor from which the last n entries are read, or
// false if fewer are kept.
func (l *Log) Tail(n int) (Key, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	switch {
	case n > l.n:
		return Key{}, false
	case n == 0:
		return l.last, true
	case n == l.n:
		return l.base, true
	}
	return l.at(l.n - n - 1).key, true
}
