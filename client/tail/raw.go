package tail

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ssemon/ssemon/client/record"
)

// rawLineBytes caps one line of --raw output; the rest of a longer line is
// counted, not shown.
const rawLineBytes = 4 << 10

// rawHoldBytes caps the start of a line held while its end has not come:
// beyond it, the start is shown at once, marked as cut.
const rawHoldBytes = 64 << 10

// rawHandler is a streamHandler that also takes the body bytes as they
// arrive (--raw).
type rawHandler struct{ *streamHandler }

// HandleRaw receives body bytes as they arrived (client.RawHandler).
func (h rawHandler) HandleRaw(b []byte, at time.Time) {
	h.s.send(item{e: record.Entry{Channel: h.name, Time: h.s.stamp(at)}, raw: bytes.Clone(b)})
}

// bom is the UTF-8 byte order mark a body may start with.
const bom = "\xef\xbb\xbf"

// rawLines cuts one stream's body into lines, as they come.
type rawLines struct {
	buf   []byte // the start of a line whose end has not come
	over  int    // bytes of the current line beyond rawHoldBytes, not held
	start bool   // the next bytes are the first of the response
	head  []byte // the first bytes, held while they may be a BOM's start
	// cr: the last chunk ended in CR, so an LF may follow; the line it
	// ended (crText) is printed when the next bytes show which end it
	// was, so that the output does not depend on where reads split.
	cr     bool
	crText string
}

// takeRaw prints the complete lines of a chunk of body bytes.
func (w *writer) takeRaw(it *item) {
	if w.raws == nil {
		w.raws = make(map[string]*rawLines)
	}
	r := w.raws[it.e.Channel]
	if r == nil {
		r = &rawLines{start: true}
		w.raws[it.e.Channel] = r
	}
	b := it.raw
	if r.start {
		b = append(r.head, b...)
		if len(b) < len(bom) && strings.HasPrefix(bom, string(b)) {
			r.head = b // wait for the rest, wherever the reads split
			return
		}
		r.start, r.head = false, nil
		if rest, ok := bytes.CutPrefix(b, []byte(bom)); ok {
			w.rawLine(&it.e, "[BOM]", "")
			b = rest
		}
	}
	if r.cr && len(b) > 0 {
		r.cr = false
		if b[0] == '\n' {
			w.rawLine(&it.e, r.crText, "␍␊") // a CRLF split across reads
			b = b[1:]
		} else {
			w.rawLine(&it.e, r.crText, "␍")
		}
	}
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			r.hold(b)
			break
		}
		r.hold(b[:i])
		end := "␊"
		n := 1
		if b[i] == '\r' {
			switch {
			case i+1 < len(b) && b[i+1] == '\n':
				end, n = "␍␊", 2
			case i+1 == len(b):
				// CR alone unless the next chunk starts with LF: held.
				r.cr, r.crText = true, r.take()
				b = b[i+1:]
				continue
			default:
				end = "␍"
			}
		}
		w.rawLine(&it.e, r.take(), end)
		b = b[i+n:]
	}
	if len(r.buf) >= rawHoldBytes {
		w.rawLine(&it.e, r.take(), "↩") // the line goes on
	}
}

// flushRaw prints what is left of a stream's last line when its
// connection ended, and forgets the stream's line state.
func (w *writer) flushRaw(e *record.Entry) {
	r := w.raws[e.Channel]
	if r == nil {
		return
	}
	if r.cr {
		w.rawLine(e, r.crText, "␍")
	}
	r.hold(r.head) // a body shorter than a BOM
	if len(r.buf) > 0 || r.over > 0 {
		w.rawLine(e, r.take(), " (no line end)")
	}
	delete(w.raws, e.Channel)
}

func (r *rawLines) hold(b []byte) {
	if room := rawHoldBytes - len(r.buf); room < len(b) {
		r.over += len(b) - max(room, 0)
		b = b[:max(room, 0)]
	}
	r.buf = append(r.buf, b...)
}

// take returns the held line for display and starts a new one.
func (r *rawLines) take() string {
	s := r.buf
	more := r.over + max(len(s)-rawLineBytes, 0)
	if len(s) > rawLineBytes {
		n := rawLineBytes
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	out := visible(s)
	if more > 0 {
		out += "… (" + strconv.Itoa(more) + " more bytes)"
	}
	r.buf, r.over = r.buf[:0], 0
	if cap(r.buf) > rawHoldBytes {
		r.buf = nil
	}
	return out
}

// visible shows a line's bytes: tabs as ␉, other control characters and
// invalid UTF-8 escaped (sanitize).
func visible(b []byte) string {
	s := string(b)
	if bytes.IndexByte(b, '\t') >= 0 {
		s = string(bytes.ReplaceAll(b, []byte{'\t'}, []byte("␉")))
	}
	return sanitize(s)
}

// rawLine prints one line of --raw output: the time and stream columns,
// the line's text, and its end made visible.
func (w *writer) rawLine(e *record.Entry, text, end string) {
	hp, ok := w.p.(*humanPrinter)
	if !ok {
		return
	}
	w.buf = hp.prefix(w.buf[:0], e, "")
	w.buf = append(w.buf, text...)
	w.buf = hp.paint(w.buf, sgrDim, end)
	w.buf = append(w.buf, '\n')
	if _, err := w.out.Write(w.buf); err != nil && w.ioErr == nil {
		w.ioErr = err
		w.halt("error")
	}
}
