package doctor

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client"
)

// The checks' stable identifiers, in report order.
const (
	CheckConnect         = "connect"
	CheckStatus          = "status"
	CheckContentType     = "content-type"
	CheckCacheControl    = "cache-control"
	CheckBuffering       = "buffering"
	CheckAccelBuffering  = "x-accel-buffering"
	CheckCompression     = "compression"
	CheckHeartbeat       = "heartbeat"
	CheckStreamEnd       = "stream-end"
	CheckIDs             = "event-ids"
	CheckResume          = "resume"
	CheckRetry           = "retry"
	CheckBusyLoop        = "busy-loop"
	CheckTeardown        = "teardown"
	CheckHTTPVersion     = "http-version"
	CheckCORS            = "cors"
	CheckFraming         = "framing"
	burstGap             = 15 * time.Millisecond
	heldHeadersThreshold = 500 * time.Millisecond
	lagError             = 800 * time.Millisecond
	heldSpan             = 500 * time.Millisecond
)

// Thresholds of the heartbeat check.
const (
	// QuietWarn: a silence this long without any comment is a risk.
	QuietWarn = 30 * time.Second
	// IdleTimeout is the shortest common idle timeout of proxies and load
	// balancers (nginx's proxy_read_timeout, AWS ALB, many others).
	IdleTimeout = 60 * time.Second
	// SafeSilence is the longest silence considered safe.
	SafeSilence = 50 * time.Second
)

// Thresholds of the retry check.
const (
	RetryMin = 500 * time.Millisecond
	RetryMax = 10 * time.Minute
)

// Checks lists every check's identifier, in report order.
var Checks = []string{CheckConnect, CheckStatus, CheckContentType, CheckCacheControl, CheckBuffering,
	CheckAccelBuffering, CheckCompression, CheckHeartbeat, CheckStreamEnd, CheckIDs, CheckResume,
	CheckRetry, CheckBusyLoop, CheckTeardown, CheckHTTPVersion, CheckCORS, CheckFraming}

type checkFunc func(o *observation) Finding

// analyze runs every check on an observation.
func analyze(o *observation) []Finding {
	fns := map[string]checkFunc{
		CheckConnect: checkConnect, CheckStatus: checkStatus, CheckContentType: checkContentType,
		CheckCacheControl: checkCacheControl, CheckBuffering: checkBuffering,
		CheckAccelBuffering: checkAccel, CheckCompression: checkCompression,
		CheckHeartbeat: checkHeartbeat, CheckStreamEnd: checkStreamEnd, CheckIDs: checkIDs,
		CheckResume: checkResume, CheckRetry: checkRetry, CheckBusyLoop: checkBusy,
		CheckTeardown: checkTeardown, CheckHTTPVersion: checkHTTPVersion, CheckCORS: checkCORS,
		CheckFraming: checkFraming,
	}
	out := make([]Finding, 0, len(Checks))
	for _, id := range Checks {
		f := fns[id](o)
		f.Check = id
		out = append(out, f)
	}
	return out
}

// notChecked is the finding of a check that had nothing to judge.
func notChecked(why string) Finding {
	return Finding{Severity: Info, Summary: "not checked: " + why}
}

// skipped says why the checks that need an open stream did not run.
func (o *observation) skipped() string {
	m := o.main
	switch {
	case m.err != nil:
		return "no connection"
	case m.headers.IsZero():
		return "no response arrived"
	case m.status != http.StatusOK:
		return "the response is " + m.statusText
	case client.FormatOf(m.header.Get("Content-Type")) == client.FormatNDJSON:
		return "an NDJSON stream (the doctor examines Server-Sent Events)"
	case !m.stream():
		return "the response is not an event stream"
	}
	return ""
}

// sideOff says why the concurrent or abandoned connections did not run.
func (o *observation) sideOff(what string) string {
	if o.cfg.Stream.Method != http.MethodGet {
		return what + " connections are not opened for a " + o.cfg.Stream.Method + " request (repeating it may cost or change something)"
	}
	return what + " connections switched off"
}

func ms(d time.Duration) string { return roundDur(d) }

func checkConnect(o *observation) Finding {
	m := o.main
	tr := m.traced()
	if m.err != nil {
		return Finding{Severity: Error, Summary: "cannot connect",
			Evidence: m.err.Error(),
			Fix:      "check the URL, that the server listens on that host and port, and its TLS certificate (--cacert for a private CA)."}
	}
	if tr.gotConn.IsZero() {
		return Finding{Severity: Error, Summary: "no connection within the watch window",
			Evidence: fmt.Sprintf("no TCP connection after %s", ms(o.cfg.Watch)),
			Fix:      "check that the host is reachable and a server listens on the port."}
	}
	ev := fmt.Sprintf("connected to %s in %s", orDash(tr.remote), ms(tr.gotConn.Sub(m.start)))
	if tr.tlsVer != 0 {
		ev += " (" + tls.VersionName(tr.tlsVer) + ")"
	}
	if !m.headers.IsZero() {
		ev += fmt.Sprintf(", response headers after %s", ms(m.ttfb()))
	}
	return Finding{Severity: OK, Summary: "connected", Evidence: ev}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func checkStatus(o *observation) Finding {
	m := o.main
	if m.err != nil || m.headers.IsZero() {
		return notChecked("no response")
	}
	var redirs []string
	for _, r := range m.redirects {
		redirs = append(redirs, fmt.Sprintf("%d → %s", r.Status, r.To))
	}
	chain := strings.Join(redirs, ", ")
	retryAfter := m.header.Get("Retry-After")
	body := ""
	if m.preview != "" {
		body = "\nbody: " + strconv.Quote(cut(m.preview, 200))
	}
	switch s := m.status; {
	case s == http.StatusOK:
		if len(redirs) > 0 {
			return Finding{Severity: Info, Summary: "200 OK after redirects",
				Evidence: "redirected: " + chain,
				Fix:      "EventSource follows redirects, but every reconnect goes through them again; point clients at the final URL. A redirect to another origin needs CORS there."}
		}
		return Finding{Severity: OK, Summary: m.statusText, Evidence: m.proto + " " + m.statusText}
	case s == http.StatusNoContent:
		return Finding{Severity: Warning, Summary: "204 No Content: clients stop for good",
			Evidence: m.proto + " " + m.statusText,
			Fix:      "204 is how a server tells EventSource never to reconnect. If the stream should run, answer 200 with text/event-stream."}
	case s >= 300 && s < 400:
		return Finding{Severity: Error, Summary: "redirect not followed: " + m.statusText,
			Evidence: fmt.Sprintf("%s %s, Location: %q%s", m.proto, m.statusText, m.header.Get("Location"), body),
			Fix:      "a redirect without a usable Location, or a loop, fails the stream; answer the stream URL directly."}
	case s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable:
		f := Finding{Severity: Error, Summary: m.statusText,
			Evidence: fmt.Sprintf("%s %s%s", m.proto, m.statusText, body),
			Fix:      "browsers' EventSource gives up on any status but 200 and never reads Retry-After; only custom clients (like this monitor) retry. Shed load before the response or serve 200 and send retry:."}
		if retryAfter != "" {
			f.Evidence += "\nRetry-After: " + retryAfter
		} else {
			f.Evidence += "\nno Retry-After header: clients that retry cannot know when"
		}
		return f
	case s >= 400 && s < 500:
		fix := "EventSource fails for good on a 4xx."
		switch s {
		case http.StatusUnauthorized, http.StatusForbidden:
			fix += " Send the credentials the endpoint needs (-H 'Authorization: Bearer …'; browsers' EventSource cannot set headers: use a cookie or a token in the URL)."
		case http.StatusNotFound:
			fix += " Check the path."
		case http.StatusMethodNotAllowed:
			fix += " Check the method: EventSource only sends GET."
		}
		return Finding{Severity: Error, Summary: m.statusText, Evidence: m.proto + " " + m.statusText + body, Fix: fix}
	default:
		f := Finding{Severity: Error, Summary: m.statusText, Evidence: m.proto + " " + m.statusText + body,
			Fix: "a stream must answer 200. Browsers' EventSource gives up on a 5xx and never reconnects."}
		if retryAfter != "" {
			f.Evidence += "\nRetry-After: " + retryAfter
		}
		return f
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}

func checkContentType(o *observation) Finding {
	m := o.main
	if m.err != nil || m.headers.IsZero() {
		return notChecked("no response")
	}
	if m.status != http.StatusOK {
		return notChecked("the response is " + m.statusText)
	}
	ct := m.header.Get("Content-Type")
	fix := "answer the stream with Content-Type: text/event-stream (browsers refuse any other type and do not reconnect)."
	snips := []Snippet{snipHeadersNext, snipHeadersNode, snipHeadersGo}
	if ct == "" {
		return Finding{Severity: Error, Summary: "no Content-Type", Evidence: "the response has no Content-Type header", Fix: fix, Snippets: snips}
	}
	if client.FormatOf(ct) == client.FormatNDJSON {
		return Finding{Severity: Info, Summary: "an NDJSON stream, not Server-Sent Events: only the status and header checks apply",
			Evidence: "Content-Type: " + ct}
	}
	if !isEventStream(ct) {
		ev := "Content-Type: " + ct
		if m.preview != "" {
			ev += "\nbody: " + strconv.Quote(cut(m.preview, 200))
		}
		return Finding{Severity: Error, Summary: "Content-Type is " + ct + ", not text/event-stream", Evidence: ev, Fix: fix, Snippets: snips}
	}
	_, params := mediaParams(ct)
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return Finding{Severity: Warning, Summary: "charset " + cs + " is ignored: event streams are always UTF-8",
			Evidence: "Content-Type: " + ct,
			Fix:      "send UTF-8 and say so (text/event-stream; charset=utf-8) or say nothing."}
	}
	return Finding{Severity: OK, Summary: "text/event-stream", Evidence: "Content-Type: " + ct}
}

// cacheDirectives parses Cache-Control into lower-case directives.
func cacheDirectives(vals []string) map[string]string {
	out := map[string]string{}
	for _, v := range vals {
		for _, d := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
				out[k] = strings.Trim(strings.TrimSpace(val), `"`)
			}
		}
	}
	return out
}

func checkCacheControl(o *observation) Finding {
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	vals := o.main.header.Values("Cache-Control")
	d := cacheDirectives(vals)
	ev := "Cache-Control: " + orNone(strings.Join(vals, ", "))
	if e := o.main.header.Get("Expires"); e != "" {
		ev += "\nExpires: " + e
	}
	fix := "send Cache-Control: no-cache, no-transform (no public, no max-age) so that no proxy or CDN caches or rewrites the stream."
	snips := []Snippet{snipHeadersNext, snipHeadersGo}
	var cacheable []string
	for _, k := range []string{"max-age", "s-maxage"} {
		if v, ok := d[k]; ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				cacheable = append(cacheable, k+"="+v)
			}
		}
	}
	if _, ok := d["public"]; ok {
		cacheable = append(cacheable, "public")
	}
	_, noCache := d["no-cache"]
	_, noStore := d["no-store"]
	_, noTransform := d["no-transform"]
	switch {
	case len(cacheable) > 0:
		return Finding{Severity: Error, Summary: "the stream is cacheable (" + strings.Join(cacheable, ", ") + ")",
			Evidence: ev, Fix: fix, Snippets: snips}
	case !noCache && !noStore:
		return Finding{Severity: Error, Summary: "no-cache missing", Evidence: ev, Fix: fix, Snippets: snips}
	case !noTransform:
		return Finding{Severity: Warning, Summary: "no-transform missing: proxies may compress or rewrite the stream",
			Evidence: ev, Fix: fix, Snippets: snips}
	}
	return Finding{Severity: OK, Summary: "not cacheable, not transformable", Evidence: ev}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// burstVerdict is what the arrival pattern says about buffering.
type burstVerdict struct {
	sev      Severity
	summary  string
	evidence string
}

// payloadTime finds a timestamp in a JSON payload's top-level fields.
func payloadTime(data string) (time.Time, bool) {
	if len(data) < 2 || data[0] != '{' {
		return time.Time{}, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(data), &m) != nil {
		return time.Time{}, false
	}
	for _, k := range []string{"timestamp", "ts", "time", "t", "sentAt", "sent_at", "createdAt", "created_at", "at", "date"} {
		raw, ok := m[k]
		if !ok {
			continue
		}
		var n float64
		if json.Unmarshal(raw, &n) == nil {
			switch a := math.Abs(n); {
			case a > 1e17:
				return time.Unix(0, int64(n)), true
			case a > 1e14:
				return time.UnixMicro(int64(n)), true
			case a > 1e11:
				return time.UnixMilli(int64(n)), true
			case a > 1e8:
				return time.Unix(0, int64(n*1e9)), true
			}
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// bursts judges the arrival pattern of events. With timestamps in the
// payloads it measures how much later than its own timestamp each event
// arrived, relative to the others (the clocks' offset cancels out): a
// spread of lagError or more means the events were held and released
// together. Without timestamps, events arriving in groups within
// burstGap, separated by quiet, suggest a buffer but do not prove one.
func bursts(ev []event, ended bool) burstVerdict {
	if len(ev) < 3 {
		return burstVerdict{sev: Info, summary: "too few events to judge the arrival pattern",
			evidence: fmt.Sprintf("%d events", len(ev))}
	}
	// groups of events arriving within burstGap of each other
	groups, maxGroup, inGroups := 1, 1, 0
	cur := 1
	for i := 1; i < len(ev); i++ {
		if ev[i].At.Sub(ev[i-1].At) < burstGap {
			cur++
			continue
		}
		if cur > 1 {
			inGroups += cur
		}
		maxGroup = max(maxGroup, cur)
		groups++
		cur = 1
	}
	if cur > 1 {
		inGroups += cur
	}
	maxGroup = max(maxGroup, cur)
	pattern := fmt.Sprintf("%d events in %d arrival groups (largest %d within %s)", len(ev), groups, maxGroup, burstGap)

	var lagMin, lagMax time.Duration
	stamped := 0
	var a0, p0 time.Time
	for _, e := range ev {
		p, ok := payloadTime(e.Data)
		if !ok {
			continue
		}
		if stamped == 0 {
			a0, p0 = e.At, p
		}
		lag := e.At.Sub(a0) - p.Sub(p0)
		if stamped == 0 || lag < lagMin {
			lagMin = lag
		}
		if stamped == 0 || lag > lagMax {
			lagMax = lag
		}
		stamped++
	}
	if stamped >= 3 && stamped*2 >= len(ev) {
		spread := lagMax - lagMin
		held := heldGroups(ev)
		ev := fmt.Sprintf("%s; against their payload timestamps, events arrived up to %s late relative to each other, %d groups held %s or more", pattern, ms(spread), held, ms(heldSpan))
		if held >= 2 && spread >= lagError {
			return burstVerdict{sev: Error, summary: fmt.Sprintf("events were held back up to %s and arrived in bursts", ms(spread)), evidence: ev}
		}
		return burstVerdict{sev: OK, summary: "events arrive as they are stamped", evidence: ev}
	}
	if groups == 1 && ended {
		return burstVerdict{sev: Error, summary: "all events arrived at once, when the response ended", evidence: pattern}
	}
	if groups >= 2 && maxGroup >= 2 && inGroups*2 >= len(ev) {
		return burstVerdict{sev: Warning, summary: "events arrive in bursts (no payload timestamps to prove buffering)",
			evidence: pattern + "; add a timestamp field to the payloads to tell a buffer from a batching server"}
	}
	return burstVerdict{sev: OK, summary: "events arrive one by one", evidence: pattern}
}

// heldGroups counts the groups of events that arrived together (within
// burstGap) although their payload timestamps span heldSpan or more:
// events made at different times, released at once. One such group can
// be a stall of the client or the network; buffering repeats.
func heldGroups(ev []event) int {
	n := 0
	start := 0
	for i := 1; i <= len(ev); i++ {
		if i < len(ev) && ev[i].At.Sub(ev[i-1].At) < burstGap {
			continue
		}
		if i-start >= 2 {
			p0, ok0 := payloadTime(ev[start].Data)
			p1, ok1 := payloadTime(ev[i-1].Data)
			if ok0 && ok1 && p1.Sub(p0) >= heldSpan {
				n++
			}
		}
		start = i
	}
	return n
}

func bufferFix() (string, []Snippet) {
	return "make every hop flush each event: X-Accel-Buffering: no from the app (or proxy_buffering off in nginx), no compression on the stream, and a flush after every write in the app.",
		[]Snippet{snipNginxStream, snipHeadersNext, snipFlushGo}
}

func checkBuffering(o *observation) Finding {
	m := o.main
	fix, snips := bufferFix()
	if m.err == nil && m.headers.IsZero() {
		tr := m.traced()
		if !tr.wrote.IsZero() {
			waited := m.end.Sub(m.start)
			return Finding{Severity: Error, Summary: fmt.Sprintf("no response at all in %s: something holds the whole response", ms(waited)),
				Evidence: fmt.Sprintf("connected and sent the request, then no response byte for %s (nginx with proxy_buffering on and its default HTTP/1.0 upstream holds even the headers until the stream ends)", ms(waited)),
				Fix:      fix, Snippets: snips}
		}
	}
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	v := bursts(m.sc.events, m.byServer)
	headersLate := m.ttfb()
	if heldHeaders(m) && v.sev < Warning && (len(o.side) == 0 || slices.ContainsFunc(o.side, heldHeaders)) {
		return Finding{Severity: Warning, Summary: fmt.Sprintf("response headers held back %s, until the first event", ms(headersLate)),
			Evidence: fmt.Sprintf("request sent, headers after %s, first event %s after them; clients show \"connecting\" meanwhile and may time out",
				ms(headersLate), ms(m.sc.events[0].At.Sub(m.headers))),
			Fix:      "send the headers (and a first comment) as soon as the request arrives.",
			Snippets: []Snippet{snipFlushNode, snipHeadersGo}}
	}
	f := Finding{Severity: v.sev, Summary: v.summary, Evidence: v.evidence}
	if v.sev >= Warning {
		f.Fix, f.Snippets = fix, snips
	}
	if len(m.sc.events) > 0 {
		f.Evidence += fmt.Sprintf("; headers after %s, first event after %s", ms(headersLate), ms(m.firstEvent()))
	}
	return f
}

// heldHeaders reports whether the response headers of c came late and
// together with its first event.
func heldHeaders(c *conn) bool {
	return len(c.sc.events) > 0 && c.ttfb() >= heldHeadersThreshold && c.sc.events[0].At.Sub(c.headers) < burstGap
}

// buffered reports whether the buffering check found the stream held.
func buffered(o *observation) bool {
	return checkBuffering(o).Severity == Error
}

func viaNginx(h http.Header) bool {
	return strings.Contains(strings.ToLower(h.Get("Server")), "nginx")
}

func checkAccel(o *observation) Finding {
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	h := o.main.header
	v := h.Get("X-Accel-Buffering")
	switch {
	case strings.EqualFold(strings.TrimSpace(v), "no"):
		return Finding{Severity: OK, Summary: "X-Accel-Buffering: no", Evidence: "X-Accel-Buffering: " + v}
	case v == "" && viaNginx(h) && checkBuffering(o).Severity <= Info:
		return Finding{Severity: Info, Summary: "nginx in front streams promptly",
			Evidence: "Server: " + h.Get("Server") + "; nginx consumes X-Accel-Buffering, so its absence here says nothing; events were not held"}
	case v == "":
		fix, snips := bufferFix()
		return Finding{Severity: Warning, Summary: "X-Accel-Buffering: no missing: nginx buffers such a response by default",
			Evidence: "no X-Accel-Buffering header", Fix: fix, Snippets: snips}
	}
	fix, snips := bufferFix()
	return Finding{Severity: Warning, Summary: "X-Accel-Buffering: " + v + " asks nginx to buffer", Evidence: "X-Accel-Buffering: " + v, Fix: fix, Snippets: snips}
}

func checkCompression(o *observation) Finding {
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	m := o.main
	enc := m.header.Get("Content-Encoding")
	if enc == "" || strings.EqualFold(enc, "identity") {
		return Finding{Severity: OK, Summary: "not compressed", Evidence: "no Content-Encoding (the request offered gzip, deflate)"}
	}
	ev := "Content-Encoding: " + enc
	if m.decodeErr != nil {
		ev += "; " + m.decodeErr.Error() + ", so events could not be read"
	}
	fix := "do not compress text/event-stream: a compressor holds bytes until its block fills, and proxies may too."
	snips := []Snippet{snipNginxGzip, {Lang: "Node", Code: `app.use(compression({ filter: (req, res) =>
  res.getHeader('Content-Type') !== 'text/event-stream' && compression.filter(req, res) }));`}}
	if buffered(o) || (m.decodeErr == nil && len(m.sc.events) == 0 && m.readCount > 0) {
		return Finding{Severity: Error, Summary: "the compressed stream is held back", Evidence: ev, Fix: fix, Snippets: snips}
	}
	return Finding{Severity: Warning, Summary: "the stream is compressed (" + enc + ")", Evidence: ev + "; events still arrived one by one here", Fix: fix, Snippets: snips}
}

// longestSilence is the longest time without a body byte from the
// headers to the end of the watch.
func longestSilence(c *conn) time.Duration {
	prev := c.headers
	var longest time.Duration
	for _, r := range c.reads {
		longest = max(longest, r.At.Sub(prev))
		prev = r.At
	}
	if !c.end.IsZero() && !c.byServer {
		longest = max(longest, c.end.Sub(prev))
	}
	return longest
}

func checkHeartbeat(o *observation) Finding {
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	m := o.main
	silence := longestSilence(m)
	watched := m.end.Sub(m.headers)
	comments := m.sc.commentCount
	ev := fmt.Sprintf("longest silence %s in %s watched; %d comments, %d events", ms(silence), ms(watched), comments, m.sc.eventCount)
	fix := fmt.Sprintf("send a comment line (\": ping\") every 15–30 s: proxies and load balancers close connections idle for %s (nginx proxy_read_timeout) to 350 s.", ms(IdleTimeout))
	snips := []Snippet{snipHeartbeatNext, snipHeartbeatGo, snipNginxTimeout}
	switch {
	case silence >= SafeSilence:
		return Finding{Severity: Warning, Summary: fmt.Sprintf("silent for %s: idle timeouts (nginx %s, load balancers 60–350 s) will cut the stream", ms(silence), ms(IdleTimeout)),
			Evidence: ev, Fix: fix, Snippets: snips}
	case silence >= QuietWarn && comments == 0:
		return Finding{Severity: Warning, Summary: fmt.Sprintf("silent for %s with no heartbeat", ms(silence)), Evidence: ev, Fix: fix, Snippets: snips}
	case comments > 0:
		return Finding{Severity: OK, Summary: "heartbeats seen", Evidence: ev}
	case watched < IdleTimeout:
		return Finding{Severity: Info, Summary: "no heartbeat comment seen (data kept the connection busy)",
			Evidence: ev + fmt.Sprintf("; a watch shorter than %s cannot see a heartbeat sent less often", ms(IdleTimeout)),
			Fix:      "if the stream can go quiet, send \": ping\" every 15–30 s.", Snippets: []Snippet{snipHeartbeatGo}}
	}
	return Finding{Severity: OK, Summary: "never silent long", Evidence: ev}
}

func checkStreamEnd(o *observation) Finding {
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	m := o.main
	cl := m.header.Get("Content-Length")
	if !m.byServer {
		if cl != "" {
			return Finding{Severity: Warning, Summary: "a Content-Length on a stream", Evidence: "Content-Length: " + cl,
				Fix: "a stream has no length: leave Content-Length out (chunked encoding or HTTP/2 framing)."}
		}
		return Finding{Severity: OK, Summary: "the stream stayed open", Evidence: fmt.Sprintf("open for the whole %s watch", ms(o.cfg.Watch))}
	}
	how := "the server ended the response"
	if m.endErr != nil {
		how = "the connection broke: " + m.endErr.Error()
	}
	ev := fmt.Sprintf("%s after %s and %d events", how, ms(m.end.Sub(m.headers)), m.sc.eventCount)
	if cl != "" {
		ev += "; Content-Length: " + cl
	}
	if m.sc.eventCount <= 1 {
		return Finding{Severity: Warning, Summary: "the server ends the response after at most one event",
			Evidence: ev,
			Fix:      "keep the response open and write events as they happen; ending it turns the stream into slow polling (every event costs a reconnect after retry:).",
			Snippets: []Snippet{snipHeartbeatGo}}
	}
	return Finding{Severity: Info, Summary: "the server closed the stream during the watch", Evidence: ev,
		Fix: "clients reconnect after retry: and resume with Last-Event-ID; make sure the server means to close."}
}

func isUint(s string) (uint64, bool) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func checkIDs(o *observation) Finding {
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	all := slices.Clone(o.main.sc.events)
	nul := o.main.sc.frame.NULInID
	samples := o.main.sc.idInvalidVals
	if o.resume != nil {
		all = append(all, o.resume.sc.events...)
		nul += o.resume.sc.frame.NULInID
		samples = append(samples, o.resume.sc.idInvalidVals...)
	}
	main := o.main.sc.events
	if len(main) == 0 {
		return notChecked(fmt.Sprintf("no event in %s", ms(o.cfg.Watch)))
	}
	fix := "give every event an id: field with a value that identifies it (a counter or a log offset), and resume after the Last-Event-ID the client sends back."
	snips := []Snippet{snipIDsNext, snipIDsGo}
	var bad []string
	for _, e := range all {
		if !e.HasID {
			continue
		}
		if why := client.IDProblem(e.ID); why != "" {
			bad = append(bad, fmt.Sprintf("%q %s", e.ID, why))
			if len(bad) == MaxSamples {
				break
			}
		}
	}
	if nul > 0 {
		return Finding{Severity: Error, Summary: fmt.Sprintf("%d id fields contain NUL: clients ignore them", nul),
			Evidence: "ids " + strings.Join(samples, ", "), Fix: fix, Snippets: snips}
	}
	if len(bad) > 0 {
		return Finding{Severity: Error, Summary: "invalid event ids", Evidence: strings.Join(bad, "; "), Fix: fix, Snippets: snips}
	}
	with := 0
	for _, e := range main {
		if e.HasID {
			with++
		}
	}
	if with == 0 {
		return Finding{Severity: Error, Summary: "no event has an id: a reconnecting client cannot resume and loses events",
			Evidence: fmt.Sprintf("%d events, none with an id: field", len(main)), Fix: fix, Snippets: snips}
	}
	ev := fmt.Sprintf("%d of %d events carry an id (first %q, last %q)", with, len(main), firstID(main), o.main.sc.lastID)
	// monotonic where numeric
	var prev uint64
	numeric, backwards, repeats := true, []string{}, 0
	seen := 0
	for _, e := range main {
		if !e.HasID {
			continue
		}
		n, ok := isUint(e.ID)
		if !ok {
			numeric = false
			break
		}
		if seen > 0 {
			switch {
			case n < prev:
				if len(backwards) < MaxSamples {
					backwards = append(backwards, fmt.Sprintf("%d after %d", n, prev))
				}
			case n == prev:
				repeats++
			}
		}
		prev = n
		seen++
	}
	if numeric && (len(backwards) > 0 || repeats > 0) {
		ev += fmt.Sprintf("; numeric ids go back (%s), %d repeat", strings.Join(backwards, ", "), repeats)
		return Finding{Severity: Warning, Summary: "numeric ids are not increasing: a client may resume from the wrong place",
			Evidence: ev, Fix: "make ids increase with every event, so that \"after id N\" means one thing.", Snippets: snips}
	}
	if with < len(main) {
		return Finding{Severity: Warning, Summary: fmt.Sprintf("%d events without an id", len(main)-with),
			Evidence: ev + "; an event without an id keeps the previous id, so a client reconnecting after it gets it again or loses it",
			Fix:      fix, Snippets: snips}
	}
	if numeric {
		ev += ", increasing"
	}
	return Finding{Severity: OK, Summary: "every event has a valid id", Evidence: ev}
}

func firstID(ev []event) string {
	for _, e := range ev {
		if e.HasID {
			return e.ID
		}
	}
	return ""
}

func checkResume(o *observation) Finding {
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	if o.resume == nil {
		return notChecked("the deliberate reconnect did not run")
	}
	last := o.main.sc.lastID
	if last == "" {
		return notChecked("no id to resume from (see " + CheckIDs + ")")
	}
	r := o.resume
	fix := "on a request with Last-Event-ID, send the events after that id (keep a history of recent events), then go on live."
	snips := []Snippet{snipIDsNext, snipIDsGo}
	sent := fmt.Sprintf("reconnected %s after the first connection ended, with Last-Event-ID: %s", ms(o.pause), last)
	if r.err != nil {
		return Finding{Severity: Error, Summary: "the reconnect failed", Evidence: sent + "; " + r.err.Error(), Fix: fix}
	}
	if r.headers.IsZero() {
		return Finding{Severity: Error, Summary: "no response to the reconnect", Evidence: sent + fmt.Sprintf("; no response in %s", ms(o.cfg.ResumeWindow)), Fix: fix}
	}
	if !r.stream() {
		ev := sent + "; the answer: " + r.statusText + ", Content-Type " + orNone(r.header.Get("Content-Type"))
		if r.preview != "" {
			ev += "\nbody: " + strconv.Quote(cut(r.preview, 200))
		}
		return Finding{Severity: Error, Summary: "the server rejects the Last-Event-ID reconnect", Evidence: ev, Fix: fix, Snippets: snips}
	}
	var first *event
	for i := range r.sc.events {
		if r.sc.events[i].HasID {
			first = &r.sc.events[i]
			break
		}
	}
	if first == nil {
		return Finding{Severity: Info, Summary: "could not judge: no event with an id after the reconnect",
			Evidence: sent + fmt.Sprintf("; %d events without id in %s", len(r.sc.events), ms(o.cfg.ResumeWindow))}
	}
	ev := sent + fmt.Sprintf("; the first id after it: %q", first.ID)
	mainIDs := map[string]bool{}
	for _, e := range o.main.sc.events {
		if e.HasID {
			mainIDs[e.ID] = true
		}
	}
	ln, lok := isUint(last)
	fn, fok := isUint(first.ID)
	firstMain, _ := isUint(firstID(o.main.sc.events))
	if lok && fok {
		switch {
		case fn == ln+1:
			return Finding{Severity: OK, Summary: "resumes right after the last id", Evidence: ev}
		case fn <= ln && (fn <= 1 || fn == firstMain) && ln > 1:
			return Finding{Severity: Error, Summary: "restarts from the beginning instead of resuming", Evidence: ev, Fix: fix, Snippets: snips}
		case fn <= ln:
			return Finding{Severity: Error, Summary: fmt.Sprintf("sends %d events again", ln-fn+1), Evidence: ev + " (duplicates)", Fix: fix, Snippets: snips}
		}
		if consecutive(o.main.sc.events) {
			return Finding{Severity: Error, Summary: fmt.Sprintf("loses %d events across the reconnect", fn-ln-1),
				Evidence: ev + fmt.Sprintf("; ids %d…%d were missed (published while away, ids run consecutively)", ln+1, fn-1), Fix: fix, Snippets: snips}
		}
		return Finding{Severity: OK, Summary: "continues after the last id", Evidence: ev + " (ids are not consecutive, so a gap cannot be told)"}
	}
	switch {
	case first.ID == last || mainIDs[first.ID] && first.ID != firstID(o.main.sc.events):
		return Finding{Severity: Error, Summary: "sends events again that were already received", Evidence: ev + " (seen on the first connection)", Fix: fix, Snippets: snips}
	case mainIDs[first.ID]:
		return Finding{Severity: Error, Summary: "restarts from the beginning instead of resuming", Evidence: ev + " (the first id of the first connection)", Fix: fix, Snippets: snips}
	}
	return Finding{Severity: OK, Summary: "continues with new ids", Evidence: ev + " (ids are not numeric: a gap cannot be told)"}
}

// consecutive reports whether numeric ids of events rose by exactly one
// (with at least three ids).
func consecutive(ev []event) bool {
	n, prev := 0, uint64(0)
	for _, e := range ev {
		if !e.HasID {
			continue
		}
		v, ok := isUint(e.ID)
		if !ok || (n > 0 && v != prev+1) {
			return false
		}
		prev = v
		n++
	}
	return n >= 3
}

func checkRetry(o *observation) Finding {
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	sc := o.main.sc
	if sc.frame.BadRetry > 0 && len(sc.retries) == 0 {
		return Finding{Severity: Warning, Summary: "retry: has a value that is not a number of milliseconds",
			Evidence: fmt.Sprintf("%d retry fields with non-digits, ignored by clients", sc.frame.BadRetry),
			Fix:      "send retry: with digits only, in milliseconds.", Snippets: []Snippet{snipRetry}}
	}
	if len(sc.retries) == 0 {
		return Finding{Severity: Info, Summary: "no retry: field",
			Evidence: "clients reconnect after their own default (about 3 s in browsers)",
			Fix:      "send retry: once per connection to choose the reconnect delay.", Snippets: []Snippet{snipRetry}}
	}
	v := time.Duration(sc.retries[len(sc.retries)-1]) * time.Millisecond
	ev := fmt.Sprintf("retry: %d (%s)", sc.retries[len(sc.retries)-1], ms(v))
	switch {
	case v < RetryMin:
		return Finding{Severity: Warning, Summary: "retry: is very short: a failing server gets a reconnect storm",
			Evidence: ev, Fix: fmt.Sprintf("use at least %s; a few seconds is common.", ms(RetryMin)), Snippets: []Snippet{snipRetry}}
	case v > RetryMax:
		return Finding{Severity: Warning, Summary: "retry: is very long: clients stay away after any drop",
			Evidence: ev, Fix: fmt.Sprintf("use at most %s; a few seconds is common.", ms(RetryMax)), Snippets: []Snippet{snipRetry}}
	}
	return Finding{Severity: OK, Summary: "retry: sent, " + ms(v), Evidence: ev}
}

func connTiming(c *conn) string {
	switch {
	case c.err != nil:
		return "failed: " + c.err.Error()
	case c.headers.IsZero():
		return "no response"
	case !c.stream():
		return c.statusText
	}
	s := "headers " + ms(c.ttfb())
	if fe := c.firstEvent(); fe > 0 {
		s += ", first event " + ms(fe)
	} else {
		s += ", no event"
	}
	return s
}

// late reports whether side is markedly slower than base.
func late(side, base time.Duration) bool {
	return side > max(2*base, base+time.Second)
}

func checkBusy(o *observation) Finding {
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	if len(o.side) == 0 {
		return notChecked(o.sideOff("concurrent"))
	}
	m := o.main
	picks := []*conn{o.side[0]}
	if len(o.side) > 1 {
		picks = append(picks, o.side[len(o.side)-1])
	}
	parts := []string{"1st: " + connTiming(m)}
	var problems []string
	gap := medianGap(m.sc.events)
	for _, c := range picks {
		parts = append(parts, c.label+": "+connTiming(c))
		switch {
		case c.err != nil || c.headers.IsZero() || !c.stream():
			problems = append(problems, c.label+" connection got "+connTiming(c))
		case late(c.ttfb(), m.ttfb()):
			problems = append(problems, fmt.Sprintf("the %s connection waited %s for headers (the 1st %s)", c.label, ms(c.ttfb()), ms(m.ttfb())))
		case len(m.sc.events) >= 2 && c.firstEvent() == 0 && gap > 0 && gap*4 < o.cfg.SideWait:
			problems = append(problems, fmt.Sprintf("the %s connection got no event in %s while the 1st got one every %s", c.label, ms(o.cfg.SideWait), ms(gap)))
		case c.firstEvent() > 0 && m.firstEvent() > 0 && gap > 0 && late(c.firstEvent(), max(m.firstEvent(), 2*gap)):
			problems = append(problems, fmt.Sprintf("the %s connection waited %s for its first event (the 1st %s)", c.label, ms(c.firstEvent()), ms(m.firstEvent())))
		}
	}
	ev := strings.Join(parts, "; ")
	if len(problems) > 0 {
		return Finding{Severity: Warning, Summary: "later connections are served slower: a busy loop or a connection cap",
			Evidence: ev + "\n" + strings.Join(problems, "; "),
			Fix:      "keep the stream handler non-blocking: no synchronous work in the loop that writes events; move heavy work to workers or a queue; raise connection caps.",
			Snippets: []Snippet{snipBusyNode, snipHeartbeatGo}}
	}
	return Finding{Severity: OK, Summary: fmt.Sprintf("%d concurrent connections served as promptly as one", len(o.side)+1), Evidence: ev}
}

func checkTeardown(o *observation) Finding {
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	if len(o.abandoned) == 0 {
		return notChecked(o.sideOff("abandoned"))
	}
	opened := 0
	for _, c := range o.abandoned {
		if c.stream() {
			opened++
		}
	}
	r := o.resume
	ev := fmt.Sprintf("best effort: opened and abandoned %d connections (%d got a stream); before: %s", len(o.abandoned), opened, connTiming(o.main))
	if r == nil || !r.stream() {
		return Finding{Severity: Info, Summary: "could not compare: no stream after the abandoned connections", Evidence: ev}
	}
	ev += "; after: " + connTiming(r)
	before, after := medianGap(o.main.sc.events), medianGap(r.sc.events)
	slower := late(r.ttfb(), o.main.ttfb())
	if before > 0 && after > 0 && after > max(2*before, before+time.Second) {
		slower = true
		ev += fmt.Sprintf("; events every %s before, %s after", ms(before), ms(after))
	}
	if opened < len(o.abandoned) || slower {
		return Finding{Severity: Info, Summary: "the stream changed after connections were abandoned (best effort)",
			Evidence: ev,
			Fix:      "stop each connection's timers and subscriptions when its request ends (request.signal in Next.js, r.Context() in Go, 'close' on the request in Node).",
			Snippets: []Snippet{snipTeardownNext, snipTeardownGo}}
	}
	return Finding{Severity: OK, Summary: "timing unchanged after abandoned connections (best effort)", Evidence: ev}
}

func checkHTTPVersion(o *observation) Finding {
	m := o.main
	if m.err != nil || m.headers.IsZero() {
		return notChecked("no response")
	}
	if m.proto != "" && !strings.HasPrefix(m.proto, "HTTP/1.") {
		return Finding{Severity: OK, Summary: m.proto + ": many streams share one connection", Evidence: "protocol " + m.proto}
	}
	ev := "protocol " + m.proto
	fix := "serve HTTP/2 (over TLS): browsers then multiplex every EventSource of a host on one connection."
	if strings.HasPrefix(strings.ToLower(o.cfg.Stream.URL), "http:") {
		ev += " over plain http (browsers speak HTTP/2 only over TLS)"
	}
	return Finding{Severity: Info, Summary: "HTTP/1.1: a browser holds at most 6 connections per host, so a 7th EventSource (or any other request) to this host waits",
		Evidence: ev, Fix: fix, Snippets: []Snippet{snipHTTP2}}
}

func checkCORS(o *observation) Finding {
	if o.cfg.Origin == "" {
		return notChecked("no Origin given")
	}
	m := o.main
	if m.err != nil || m.headers.IsZero() {
		return notChecked("no response")
	}
	acao := m.header.Get("Access-Control-Allow-Origin")
	acac := m.header.Get("Access-Control-Allow-Credentials")
	ev := fmt.Sprintf("Origin: %s → Access-Control-Allow-Origin: %s", o.cfg.Origin, orNone(acao))
	if acac != "" {
		ev += ", Access-Control-Allow-Credentials: " + acac
	}
	creds := o.cfg.Stream.Headers.Get("Cookie") != "" || o.cfg.Stream.Headers.Get("Authorization") != ""
	fix := "answer the page's origin in Access-Control-Allow-Origin (and Access-Control-Allow-Credentials: true for EventSource withCredentials)."
	snips := []Snippet{snipCORSGo, snipCORSNext}
	switch {
	case acao == "":
		return Finding{Severity: Warning, Summary: "no CORS header: a page from " + o.cfg.Origin + " cannot read the stream", Evidence: ev, Fix: fix, Snippets: snips}
	case acao == "*" && creds:
		return Finding{Severity: Warning, Summary: "Access-Control-Allow-Origin: * does not allow credentials", Evidence: ev + "; the request carries credentials", Fix: fix, Snippets: snips}
	case acao != "*" && !strings.EqualFold(strings.TrimRight(acao, "/"), strings.TrimRight(o.cfg.Origin, "/")):
		return Finding{Severity: Warning, Summary: "CORS allows another origin", Evidence: ev, Fix: fix, Snippets: snips}
	}
	return Finding{Severity: OK, Summary: "a page from " + o.cfg.Origin + " may read the stream", Evidence: ev}
}

func checkFraming(o *observation) Finding {
	if why := o.skipped(); why != "" {
		return notChecked(why)
	}
	f := o.main.sc.frame
	var warn, info []string
	if f.CR > 0 {
		warn = append(warn, fmt.Sprintf("%d lines end in a lone CR", f.CR))
	}
	kinds := 0
	for _, n := range []int{f.LF, f.CRLF, f.CR} {
		if n > 0 {
			kinds++
		}
	}
	if kinds > 1 {
		warn = append(warn, fmt.Sprintf("mixed line ends (LF %d, CRLF %d, CR %d)", f.LF, f.CRLF, f.CR))
	}
	if f.BOMLater > 0 {
		warn = append(warn, fmt.Sprintf("%d lines start with a byte order mark (such a line is an unknown field: its event is lost)", f.BOMLater))
	}
	if f.NoColon > 0 {
		warn = append(warn, fmt.Sprintf("%d lines without a colon (%s)", f.NoColon, strings.Join(f.NoColonSamples, ", ")))
	}
	if f.Unknown > 0 {
		warn = append(warn, fmt.Sprintf("%d unknown fields, ignored by clients (%s)", f.Unknown, strings.Join(f.UnknownSamples, ", ")))
	}
	if f.LongLines > 0 {
		warn = append(warn, fmt.Sprintf("%d lines longer than %d bytes (longest %d): many clients cap a line", f.LongLines, o.cfg.LongLine, f.MaxLine))
	}
	if f.Unfinished {
		warn = append(warn, "the stream ended inside an event (clients drop it)")
	}
	if f.BOMStart {
		info = append(info, "the stream starts with a byte order mark (stripped by browsers, not by every client)")
	}
	ev := fmt.Sprintf("%d lines: LF %d, CRLF %d, CR %d; longest %d bytes", f.LF+f.CRLF+f.CR, f.LF, f.CRLF, f.CR, f.MaxLine)
	if len(warn) > 0 {
		return Finding{Severity: Warning, Summary: strings.Join(warn, "; "),
			Evidence: ev + "\n" + strings.Join(append(warn, info...), "\n"),
			Fix:      "write \"field: value\\n\" lines with LF line ends and a blank line after each event; only data, event, id and retry fields; split large payloads into several data: lines or events."}
	}
	if len(info) > 0 {
		return Finding{Severity: Info, Summary: strings.Join(info, "; "), Evidence: ev}
	}
	return Finding{Severity: OK, Summary: "well-formed", Evidence: ev}
}

// median of durations (0 for none).
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
