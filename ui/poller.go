package ui

import (
	"sync/atomic"
	"time"

	"github.com/ssemon/ssemon/client"
)

// Source is what the interface reads from the engine: *client.Manager
// implements it. Tests use a fake.
type Source interface {
	// Version changes whenever the set of channels changes.
	Version() uint64
	// Channels returns the channels in display order.
	Channels() []*client.Channel
}

// change is what one tick found: handed from the bridge goroutine to the UI
// goroutine. The bridge never polls while a change is pending, so one
// value is reused for every tick without copying.
type change struct {
	now time.Time
	// channels is set when the set of channels changed (else nil).
	channels []*client.Channel
	// dirty lists the channels whose contents changed.
	dirty []*client.Channel
	// second is set when the wall-clock second changed: ages, countdowns
	// and sparklines move even when no event arrives.
	second bool
}

// poller finds what changed since the last tick, cheaply: one version read
// per channel, no snapshot. It runs on the bridge goroutine.
type poller struct {
	src      Source
	version  uint64
	started  bool
	chans    []*client.Channel
	versions map[*client.Channel]uint64
	lastSec  int64
	c        change
	apply    func(*change)
	run      func()
	// again asks for the next tick's apply even when nothing changed
	// (set on the UI goroutine by a redraw put off to a later tick).
	again atomic.Bool
}

func newPoller(src Source, apply func(*change)) *poller {
	p := &poller{src: src, versions: make(map[*client.Channel]uint64), apply: apply}
	p.run = func() { p.apply(&p.c) }
	return p
}

// poll is the Bridge's PollFunc.
func (p *poller) poll(now time.Time) func() {
	c := &p.c
	c.now, c.channels, c.dirty, c.second = now, nil, c.dirty[:0], false
	if v := p.src.Version(); !p.started || v != p.version {
		p.started, p.version = true, v
		p.chans = p.src.Channels()
		c.channels = p.chans
		live := make(map[*client.Channel]uint64, len(p.chans))
		for _, ch := range p.chans {
			live[ch] = p.versions[ch]
		}
		p.versions = live
	}
	for _, ch := range p.chans {
		if v := ch.Version(); v != p.versions[ch] {
			p.versions[ch] = v
			c.dirty = append(c.dirty, ch)
		}
	}
	if s := now.Unix(); s != p.lastSec {
		p.lastSec, c.second = s, true
	}
	if c.channels == nil && len(c.dirty) == 0 && !c.second && !p.again.Swap(false) {
		return nil
	}
	return p.run
}
