package tail

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/record"
)

// printer turns entries into output lines.
type printer interface {
	appendEntry(dst []byte, e *record.Entry) []byte
}

// jsonPrinter writes JSON Lines: one record.Entry per line.
type jsonPrinter struct{}

func (jsonPrinter) appendEntry(dst []byte, e *record.Entry) []byte {
	dst = record.AppendJSON(dst, e)
	return append(dst, '\n')
}

// SGR colour codes.
const (
	sgrReset   = "\x1b[0m"
	sgrDim     = "\x1b[2m"
	sgrBold    = "\x1b[1m"
	sgrRed     = "\x1b[1;31m"
	sgrGreen   = "\x1b[32m"
	sgrYellow  = "\x1b[33m"
	sgrMagenta = "\x1b[35m"
	sgrCyan    = "\x1b[36m"
)

// channelColors is the constant palette of channel names.
var channelColors = [...]string{"\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[34m", "\x1b[32m", "\x1b[96m", "\x1b[95m", "\x1b[93m"}

// oversizedPreviewRunes is how much of an oversized event's preview its
// line shows.
const oversizedPreviewRunes = 60

// dataIndent prefixes the continuation lines of an event.
const dataIndent = "    "

// humanPrinter writes one or more lines per entry for a person:
//
//	15:04:05.123   +512ms  deploy  #42 status_update  {"progress":40}
//	15:04:05.200           deploy  ● retrying in 2 s (attempt 3): connection refused
type humanPrinter struct {
	loc     *time.Location
	color   bool
	compact bool
	width   int            // channel column width; 0 hides the column
	index   map[string]int // channel colour index
	last    map[string]time.Time
	scratch bytes.Buffer
}

func newHumanPrinter(names []string, loc *time.Location, color, compact bool) *humanPrinter {
	p := &humanPrinter{loc: loc, color: color, compact: compact, index: make(map[string]int, len(names)), last: make(map[string]time.Time, len(names))}
	for i, n := range names {
		p.index[n] = i
		if len(names) > 1 {
			p.width = max(p.width, utf8.RuneCountInString(n))
		}
	}
	return p
}

// addChannel makes a channel known (a recording's channel lines, for
// --play): it gets a colour, and the channel column shows once there are
// two.
func (p *humanPrinter) addChannel(name string) {
	if _, known := p.index[name]; known {
		return
	}
	p.index[name] = len(p.index)
	if len(p.index) > 1 {
		for n := range p.index {
			p.width = max(p.width, utf8.RuneCountInString(n))
		}
	}
}

func (p *humanPrinter) paint(dst []byte, sgr, s string) []byte {
	if !p.color || sgr == "" {
		return append(dst, s...)
	}
	dst = append(dst, sgr...)
	dst = append(dst, s...)
	return append(dst, sgrReset...)
}

// prefix writes the time, Δt and channel columns.
func (p *humanPrinter) prefix(dst []byte, e *record.Entry, delta string) []byte {
	var ts [16]byte
	dst = p.paint(dst, sgrDim, string(e.Time.In(p.loc).AppendFormat(ts[:0], "15:04:05.000")))
	dst = append(dst, ' ')
	if pad := 9 - len(delta); pad > 0 {
		dst = append(dst, "         "[:pad]...)
	}
	dst = p.paint(dst, sgrDim, delta)
	dst = append(dst, ' ', ' ')
	p.addChannel(e.Channel)
	if p.width > 0 {
		name := sanitize(e.Channel)
		dst = p.paint(dst, channelColors[p.index[e.Channel]%len(channelColors)], name)
		for n := utf8.RuneCountInString(name); n < p.width; n++ {
			dst = append(dst, ' ')
		}
		dst = append(dst, ' ', ' ')
	}
	return dst
}

func (p *humanPrinter) appendEntry(dst []byte, e *record.Entry) []byte {
	switch e.Kind {
	case record.KindEvent:
		delta := ""
		if last, ok := p.last[e.Channel]; ok {
			delta = formatDelta(e.Time.Sub(last))
		}
		p.last[e.Channel] = e.Time
		dst = p.appendFinding(dst, e)
		dst = p.prefix(dst, e, delta)
		if e.ID != "" {
			dst = p.paint(dst, sgrYellow, "#"+sanitize(e.ID))
			dst = append(dst, ' ')
		}
		dst = p.paint(dst, sgrBold, sanitize(e.Type))
		return p.appendData(dst, e.Data)
	case record.KindComment:
		dst = p.prefix(dst, e, "")
		dst = p.paint(dst, sgrDim, ": "+sanitize(e.Comment))
	case record.KindRetry:
		dst = p.prefix(dst, e, "")
		dst = p.paint(dst, sgrDim, "retry: "+client.FormatDuration(e.Retry)+" (server)")
	case record.KindState:
		if e.State == client.Open {
			p.last[e.Channel] = e.Time
		}
		dst = p.prefix(dst, e, "")
		dst = p.paint(dst, stateColor(e.State), "● "+sanitize(stateText(e)))
	case record.KindOversized:
		o := &e.Oversized
		if o.More && o.Again {
			return dst // the first report and the last are shown, not each one between
		}
		dst = p.appendFinding(dst, e)
		dst = p.prefix(dst, e, "")
		text := "▲ " + o.String()
		if e.Data != "" && !o.Again {
			text += ": " + strings.TrimSuffix(oneLine(e.Data, oversizedPreviewRunes), "…") + "…"
		}
		dst = p.paint(dst, sgrRed, sanitize(text))
	case record.KindEnd:
		return dst
	default:
		return dst
	}
	return append(dst, '\n')
}

// appendFinding writes what the ids say about an event, on a line of its
// own, if anything.
func (p *humanPrinter) appendFinding(dst []byte, e *record.Entry) []byte {
	if e.Finding.Kind == client.FindingNone {
		return dst
	}
	dst = p.prefix(dst, e, "")
	dst = p.paint(dst, findingColor(e.Finding.Kind), "▲ "+sanitize(e.Finding.String()))
	return append(dst, '\n')
}

// appendData writes an event's data: JSON pretty-printed below the event
// (on the same line, compacted, with --compact), text on the same line,
// multi-line text below.
func (p *humanPrinter) appendData(dst []byte, data string) []byte {
	trimmed := strings.TrimSpace(data)
	isJSON := len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid([]byte(trimmed))
	if p.compact {
		dst = append(dst, ' ', ' ')
		if isJSON {
			p.scratch.Reset()
			if json.Compact(&p.scratch, []byte(trimmed)) == nil {
				return append(append(dst, sanitize(p.scratch.String())...), '\n')
			}
		}
		return append(append(dst, sanitizeCompact(data)...), '\n')
	}
	if isJSON {
		p.scratch.Reset()
		if json.Indent(&p.scratch, []byte(trimmed), dataIndent, "  ") == nil {
			dst = append(dst, '\n')
			dst = append(dst, dataIndent...)
			dst = append(dst, sanitizeLines(p.scratch.String())...)
			return append(dst, '\n')
		}
	}
	if !strings.Contains(data, "\n") {
		dst = append(dst, ' ', ' ')
		return append(append(dst, sanitize(data)...), '\n')
	}
	for _, line := range strings.Split(data, "\n") {
		dst = append(dst, '\n')
		dst = append(dst, dataIndent...)
		dst = append(dst, sanitize(line)...)
	}
	return append(dst, '\n')
}

// findingColor paints a finding: red for events lost, yellow for the
// others.
func findingColor(k client.FindingKind) string {
	switch k {
	case client.FindingGap, client.FindingLost, client.FindingReset:
		return sgrRed
	}
	return sgrYellow
}

func stateColor(s client.State) string {
	switch s {
	case client.Connecting:
		return sgrCyan
	case client.Open:
		return sgrGreen
	case client.Retrying:
		return sgrYellow
	case client.Stalled:
		return sgrMagenta
	case client.Failed:
		return sgrRed
	}
	return sgrDim
}

// stateText is the line of a state entry: the engine's words for the
// status it records (client.StatusText), as of the change.
func stateText(e *record.Entry) string {
	return client.StatusText(e.ToStatus(), e.Time)
}

// errorReason is the short reason of a state entry's error (see
// client.StatusReason), "" when it records none.
func errorReason(e *record.Entry) string {
	st := e.ToStatus()
	if st.Err == nil {
		return ""
	}
	return client.StatusReason(st)
}

// oneLine reduces s to one sanitized line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		s = string(r[:n]) + "…"
	}
	return sanitize(s)
}

// formatDelta renders the time between two events: "+512ms", "+1.204s",
// "+2m03s".
func formatDelta(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + formatDelta(-d)[1:]
	case d < time.Second:
		return "+" + strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return "+" + strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
	case d < 100*time.Hour:
		m := int64(d / time.Minute)
		s := int64((d % time.Minute) / time.Second)
		if m >= 60 {
			return "+" + strconv.FormatInt(m/60, 10) + "h" + pad2(m%60) + "m"
		}
		return "+" + strconv.FormatInt(m, 10) + "m" + pad2(s) + "s"
	}
	return "+" + d.Round(time.Hour).String()
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// sanitize makes s safe to print on a terminal: control characters (C0,
// DEL, C1) and bidirectional overrides are shown escaped ("\x1b",
// "\u202e") instead of being interpreted; invalid UTF-8 becomes U+FFFD. A
// stream must not be able to move the cursor or recolour the screen.
func sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t':
			b.WriteByte('\t')
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hexDigit(byte(r) >> 4))
			b.WriteByte(hexDigit(byte(r) & 0xf))
		case r >= 0x80 && r < 0xa0, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			b.WriteString(`\u`)
			b.WriteString(strconv.FormatInt(int64(r)|0x10000, 16)[1:])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sanitizeCompact is sanitize with line feeds shown as "\n".
func sanitizeCompact(s string) string { return sanitizeEach(s, `\n`) }

// sanitizeLines sanitizes every line of s, keeping its line feeds.
func sanitizeLines(s string) string { return sanitizeEach(s, "\n") }

// sanitizeEach sanitizes every line of s and joins them with sep.
func sanitizeEach(s, sep string) string {
	if !strings.Contains(s, "\n") {
		return sanitize(s)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = sanitize(l)
	}
	return strings.Join(lines, sep)
}

func hexDigit(b byte) byte { return "0123456789abcdef"[b] }
