package doctor_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// spec describes a test event stream: by default a well-behaved one
// (headers right, an event every interval with an id and a timestamp,
// heartbeats, retry:, replay after Last-Event-ID). Each field changes one
// behaviour, to show one finding.
type spec struct {
	// header edits the good response headers.
	header func(h http.Header)
	// interval between events (default 50 ms).
	interval time.Duration
	// id returns the id field of event n ("" for none; default n).
	id func(n int) string
	// noTimestamp leaves the timestamp out of the payloads.
	noTimestamp bool
	// flushEvery flushes after every n events (default 1).
	flushEvery int
	// retry is the retry: value ("-" for none; default 2000).
	retry string
	// noPing sends no heartbeat comments.
	noPing bool
	// resume is "replay" (default: events after Last-Event-ID),
	// "restart" (from 1 again), "repeat" (sends the last two again) or
	// "live" (ignores Last-Event-ID).
	resume string
	// lineEnd ends every line (default "\n").
	lineEnd string
	// extra is written into every event before its data line.
	extra string
	// gzip compresses the response.
	gzip bool
	// holdHeaders delays the headers until the first event, and that
	// first event by this long.
	holdHeaders time.Duration
	// endAfter ends the response after n events (0: never).
	endAfter int
	// cut is written after the last event when endAfter ends the
	// response (e.g. the start of an event).
	cut string
	// keepOpen keeps the response open after endAfter events and cut,
	// sending nothing more, until the client leaves.
	keepOpen bool
	// status answers this status with a short body instead of a stream.
	status int
	// serial serves one stream at a time (a blocking server loop).
	serial bool
	// leak delays the headers by this much per earlier connection (a
	// server whose connections keep costing after they end).
	leak time.Duration
	// silent sends the headers and nothing else.
	silent chan struct{}
	// neverAnswer reads the request and never answers.
	neverAnswer bool
}

// streamServer serves s on the bubble's network; events are numbered by
// time since the server started, so that every connection sees the same
// numbering.
func streamServer(t *testing.T, n *pipeNet, s spec) *httptest.Server {
	t.Helper()
	return n.Serve(t, s.handler())
}

func (s spec) handler() http.Handler {
	if s.interval == 0 {
		s.interval = 50 * time.Millisecond
	}
	if s.flushEvery == 0 {
		s.flushEvery = 1
	}
	if s.retry == "" {
		s.retry = "2000"
	}
	if s.lineEnd == "" {
		s.lineEnd = "\n"
	}
	if s.id == nil {
		s.id = strconv.Itoa
	}
	t0 := time.Now()
	serial := make(chan struct{}, 1) // a lock a bubble can wait on
	var started atomic.Int64
	var silentOnce sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.serial {
			select {
			case serial <- struct{}{}:
				defer func() { <-serial }()
			case <-r.Context().Done():
				return
			}
		}
		if s.leak > 0 {
			if !sleepCtx(r, time.Duration(started.Add(1)-1)*s.leak) {
				return
			}
		}
		if s.neverAnswer {
			<-r.Context().Done()
			return
		}
		if s.status != 0 {
			if s.status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "30")
			}
			if s.status >= 300 && s.status < 400 {
				w.Header().Set("Location", "/elsewhere")
			}
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(s.status)
			io.WriteString(w, "not a stream here")
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
		h.Set("Cache-Control", "no-cache, no-transform")
		h.Set("X-Accel-Buffering", "no")
		if s.gzip {
			h.Set("Content-Encoding", "gzip")
		}
		if s.header != nil {
			s.header(h)
		}
		rc := http.NewResponseController(w)
		var out io.Writer = w
		var gz *gzip.Writer
		flush := func() {
			if gz != nil {
				gz.Flush()
			}
			rc.Flush()
		}
		if s.gzip {
			gz = gzip.NewWriter(w)
			defer gz.Close()
			out = gz
		}
		if s.holdHeaders > 0 {
			if !sleepCtx(r, s.holdHeaders) {
				return
			}
		} else {
			w.WriteHeader(http.StatusOK)
			flush()
		}
		if s.silent != nil {
			silentOnce.Do(func() { close(s.silent) })
			<-r.Context().Done()
			return
		}
		nl := s.lineEnd
		if s.retry != "-" {
			fmt.Fprintf(out, "retry: %s%s%s", s.retry, nl, nl)
		}
		now := func() int { return int(time.Since(t0) / s.interval) }
		n := now() + 1
		if last := r.Header.Get("Last-Event-ID"); last != "" {
			switch s.resume {
			case "restart":
				n = 1
			case "repeat":
				if v, err := strconv.Atoi(last); err == nil {
					n = v - 1
				}
			case "live":
			default:
				if v, err := strconv.Atoi(last); err == nil {
					n = v + 1
				}
			}
		}
		for sent := 0; ; sent++ {
			due := t0.Add(time.Duration(n) * s.interval)
			if !sleepCtx(r, time.Until(due)) {
				return
			}
			var b strings.Builder
			if id := s.id(n); id != "" {
				fmt.Fprintf(&b, "id: %s%s", id, nl)
			}
			b.WriteString(s.extra)
			if s.noTimestamp {
				fmt.Fprintf(&b, `data: {"n":%d}%s`, n, nl)
			} else {
				fmt.Fprintf(&b, `data: {"n":%d,"timestamp":%d}%s`, n, time.Now().UnixMilli(), nl)
			}
			b.WriteString(nl)
			if !s.noPing && n%3 == 0 {
				b.WriteString(": ping" + nl)
			}
			if _, err := io.WriteString(out, b.String()); err != nil {
				return
			}
			if (sent+1)%s.flushEvery == 0 {
				flush()
			}
			n++
			if s.endAfter > 0 && sent+1 >= s.endAfter {
				io.WriteString(out, s.cut)
				flush()
				if s.keepOpen {
					<-r.Context().Done()
				}
				return
			}
		}
	})
}

// sleepCtx waits d or until the request ends; it reports whether the
// request is still on.
func sleepCtx(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
