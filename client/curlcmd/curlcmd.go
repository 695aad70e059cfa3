// Package curlcmd turns a channel's request into a curl command that
// reproduces it, and a pasted curl command (from a terminal, a README or a
// browser's "Copy as cURL") into a channel. It is a leaf of the engine:
// no UI, no network.
package curlcmd

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"unicode"

	"github.com/ssemon/ssemon/client"
	"github.com/ssemon/ssemon/client/record"
)

// MaxCommandBytes caps a pasted command.
const MaxCommandBytes = 1 << 20

// MaxBodyBytes caps a body read from a file named by -d @FILE.
const MaxBodyBytes = 16 << 20

// Build returns a `curl -N` command that sends the request of channel c:
// method, URL, headers (the Accept and Cache-Control the engine adds
// included), Last-Event-ID, body, -k and --cacert. Secrets — the values
// of Authorization, Cookie and token-like headers, token-like query
// parameters and the password of the URL — are written as shell variables
// ("$AUTHORIZATION") unless reveal; ${NAME} references of a workspace
// channel stay references. The command is for a POSIX shell, one flag per
// line.
func Build(c client.ChannelConfig, reveal bool) string {
	parts := []string{"curl -N"}
	method := strings.ToUpper(c.Method)
	switch {
	case method == "" || method == http.MethodGet && c.Body == "":
	case method == http.MethodPost && c.Body != "":
	default:
		parts = append(parts, "-X "+quote(method))
	}
	seen := map[string]bool{}
	for _, h := range c.Headers {
		seen[http.CanonicalHeaderKey(h.Name)] = true
		v := h.Value
		if !reveal && record.SensitiveHeader(h.Name) {
			v = secretValue(h.Name, v)
		}
		v = shellRefs(v)
		parts = append(parts, "-H "+quote(h.Name+": "+v))
	}
	for _, d := range [...][2]string{{"Accept", "text/event-stream"}, {"Cache-Control", "no-cache"}} {
		if !seen[d[0]] {
			parts = append(parts, "-H "+quote(d[0]+": "+d[1]))
		}
	}
	if c.LastEventID != "" && !seen["Last-Event-Id"] {
		parts = append(parts, "-H "+quote("Last-Event-ID: "+c.LastEventID))
	}
	if c.Body != "" {
		parts = append(parts, "--data-raw "+quote(shellRefs(c.Body)))
	}
	if c.Insecure {
		parts = append(parts, "-k")
	}
	if c.CAFile != "" {
		parts = append(parts, "--cacert "+quote(c.CAFile))
	}
	u := c.URL
	if !reveal && !strings.Contains(u, "${") {
		u = secretURL(u)
	}
	parts = append(parts, quote(shellRefs(u)))
	return strings.Join(parts, " \\\n  ")
}

// secretValue replaces the secret part of a header value with a shell
// variable named after the header: "Bearer abc" → "Bearer $AUTHORIZATION".
// A value that is already a ${NAME} reference is kept.
func secretValue(name, v string) string {
	if strings.Contains(v, "${") {
		return v
	}
	vr := "\x00" + varName(name) + "\x00"
	masked := record.MaskHeaderValue(name, v)
	if strings.Contains(masked, record.Masked) {
		return strings.ReplaceAll(masked, record.Masked, vr)
	}
	return vr
}

// secretURL writes the URL's password and token-like query values as
// shell variables.
func secretURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "\x00PASSWORD\x00")
		}
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, v, ok := strings.Cut(p, "=")
			name, _ := url.QueryUnescape(k)
			if ok && v != "" && !strings.Contains(v, "%24%7B") && record.SensitiveParam(name) {
				parts[i] = k + "=\x00" + varName(name) + "\x00"
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	// The userinfo's placeholder is escaped by String.
	return strings.ReplaceAll(u.String(), "%00PASSWORD%00", "\x00PASSWORD\x00")
}

// refPattern matches a workspace ${NAME} reference (not "$${", a literal).
var refPattern = regexp.MustCompile(`\$?\$\{[A-Za-z_][A-Za-z0-9_]*\}`)

// shellRefs marks the ${NAME} references of a workspace value as shell
// variables, and turns its "$${" into a literal "${".
func shellRefs(v string) string {
	return refPattern.ReplaceAllStringFunc(v, func(m string) string {
		if strings.HasPrefix(m, "$$") {
			return m[1:]
		}
		return "\x00" + m[1:] + "\x00"
	})
}

// varName makes a shell variable name from a header or parameter name:
// "X-Api-Key" → "X_API_KEY".
func varName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToUpper(r))
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "V" + s
	}
	return s
}

// quote quotes s for a POSIX shell: single quotes, or double quotes when s
// holds variables, marked \x00NAME\x00 or \x00{NAME}\x00, to expand.
func quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) || strings.ContainsRune("-_./:=@,+%", r))
	}) < 0 {
		return s
	}
	if !strings.Contains(s, "\x00") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			end := strings.IndexByte(s[i+1:], 0)
			b.WriteByte('$')
			b.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case '$', '`', '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Result is a parsed curl command.
type Result struct {
	// Channel is the channel that sends the command's request; its Name
	// is the last segment of the URL path (or the host).
	Channel client.ChannelConfig
	// Ignored lists the options that have no meaning for a stream and
	// were left out ("--compressed", "-o out.txt").
	Ignored []string
}

// ParseError reports a command that cannot be read.
type ParseError struct {
	// Msg says what is wrong.
	Msg string
	// Err is the cause, if any.
	Err error
}

func (e *ParseError) Error() string {
	if e.Err != nil {
		return "curl command: " + e.Msg + ": " + e.Err.Error()
	}
	return "curl command: " + e.Msg
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

func parseErr(format string, args ...any) error {
	return &ParseError{Msg: fmt.Sprintf(format, args...)}
}

// Options of curl that take a value, by every name, and that a stream
// does not need: they are skipped (with their value) and reported.
var ignoredWithValue = map[string]bool{
	"-o": true, "--output": true, "-m": true, "--max-time": true, "--connect-timeout": true, "--retry": true,
	"-w": true, "--write-out": true, "-x": true, "--proxy": true, "-e": true, "--referer": true, "-r": true,
	"--range": true, "--limit-rate": true, "-c": true, "--cookie-jar": true, "--resolve": true, "--cert": true,
	"-E": true, "--key": true, "--interface": true, "--retry-delay": true, "--retry-max-time": true,
	"--max-redirs": true, "-T": true, "--upload-file": true, "--proto": true, "--keepalive-time": true,
}

// Parse reads a curl command as pasted — with line continuations
// (backslash-newline, or a caret at the end of a line as Windows' cmd
// writes them) and shell quoting ('...', "...", $'...') — into a channel:
// the URL (http:// when it has no scheme), -X, -H, -d/--data/--data-raw/
// --data-binary (with @FILE read through readFile; nil: os.ReadFile), -k,
// --cacert, -u, -A, -b and --url. Last-Event-ID becomes the channel's
// first Last-Event-ID. Options of no use to a stream (-N, -s, -L,
// --compressed, -o FILE...) are skipped and listed in Result.Ignored.
func Parse(cmd string, readFile func(string) ([]byte, error)) (*Result, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	if len(cmd) > MaxCommandBytes {
		return nil, parseErr("longer than %d bytes", MaxCommandBytes)
	}
	args, err := split(cmd)
	if err != nil {
		return nil, err
	}
	if len(args) > 0 && (args[0] == "curl" || strings.HasSuffix(args[0], "/curl") || strings.EqualFold(args[0], "curl.exe")) {
		args = args[1:]
	}
	if len(args) == 0 {
		return nil, parseErr("no URL")
	}
	res := &Result{}
	c := &res.Channel
	var rawURL string
	var data []string
	value := func(i *int, name, attached string) (string, error) {
		if attached != "" {
			return attached, nil
		}
		if *i+1 >= len(args) {
			return "", parseErr("%s needs a value", name)
		}
		*i++
		return args[*i], nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "" {
			continue
		}
		if a[0] != '-' || a == "-" {
			if rawURL != "" {
				return nil, parseErr("two URLs (%q and %q); paste one command for one stream", rawURL, a)
			}
			rawURL = a
			continue
		}
		name, attached := a, ""
		if strings.HasPrefix(a, "--") {
			if k, v, ok := strings.Cut(a, "="); ok {
				name, attached = k, v
			}
		} else if len(a) > 2 {
			// Short options combine (-sSkN) and take attached values (-HX: y).
			j := 1
			for ; j < len(a); j++ {
				if strings.ContainsRune("XHdubAe", rune(a[j])) || ignoredWithValue["-"+a[j:j+1]] {
					break
				}
				if err := shortFlag(res, "-"+a[j:j+1]); err != nil {
					return nil, err
				}
			}
			if j == len(a) {
				continue
			}
			name, attached = "-"+a[j:j+1], a[j+1:]
		}
		switch name {
		case "-X", "--request":
			v, err := value(&i, name, attached)
			if err != nil {
				return nil, err
			}
			c.Method = strings.ToUpper(v)
		case "-H", "--header":
			v, err := value(&i, name, attached)
			if err != nil {
				return nil, err
			}
			k, hv, ok := strings.Cut(v, ":")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return nil, parseErr("-H %q: want 'Name: value'", v)
			}
			hv = strings.TrimSpace(hv)
			switch http.CanonicalHeaderKey(k) {
			case "Last-Event-Id":
				c.LastEventID = hv
				continue
			case "Accept":
				if hv == "text/event-stream" {
					continue // the engine sends it
				}
			case "Cache-Control":
				if hv == "no-cache" {
					continue
				}
			}
			c.Headers = append(c.Headers, client.Header{Name: k, Value: hv})
		case "-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--json":
			v, err := value(&i, name, attached)
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(v, "@") && name != "--data-raw" {
				b, err := readFile(v[1:])
				if err != nil {
					return nil, &ParseError{Msg: name + " " + v + ": cannot read the file", Err: err}
				}
				if len(b) > MaxBodyBytes {
					return nil, parseErr("%s %s: larger than %d bytes", name, v, MaxBodyBytes)
				}
				v = string(b)
				if name == "-d" || name == "--data" || name == "--data-ascii" {
					v = strings.NewReplacer("\r", "", "\n", "").Replace(v) // as curl does for --data @file
				}
			}
			data = append(data, v)
			if name == "--json" {
				c.Headers = append(c.Headers, client.Header{Name: "Content-Type", Value: "application/json"})
			}
		case "--data-urlencode":
			v, err := value(&i, name, attached)
			if err != nil {
				return nil, err
			}
			if k, content, ok := strings.Cut(v, "="); ok {
				v = k + "=" + url.QueryEscape(content)
			} else {
				v = url.QueryEscape(v)
			}
			data = append(data, v)
		case "-u", "--user":
			v, err := value(&i, name, attached)
			if err != nil {
				return nil, err
			}
			c.Headers = append(c.Headers, client.Header{Name: "Authorization", Value: "Basic " + base64.StdEncoding.EncodeToString([]byte(v))})
		case "-A", "--user-agent":
			v, err := value(&i, name, attached)
			if err != nil {
				return nil, err
			}
			c.Headers = append(c.Headers, client.Header{Name: "User-Agent", Value: v})
		case "-b", "--cookie":
			v, err := value(&i, name, attached)
			if err != nil {
				return nil, err
			}
			if !strings.Contains(v, "=") {
				res.Ignored = append(res.Ignored, name+" "+v+" (a cookie file)")
				continue
			}
			c.Headers = append(c.Headers, client.Header{Name: "Cookie", Value: v})
		case "--cacert":
			v, err := value(&i, name, attached)
			if err != nil {
				return nil, err
			}
			c.CAFile = v
		case "--url":
			v, err := value(&i, name, attached)
			if err != nil {
				return nil, err
			}
			rawURL = v
		default:
			if ignoredWithValue[name] {
				v, err := value(&i, name, attached)
				if err != nil {
					return nil, err
				}
				res.Ignored = append(res.Ignored, name+" "+v)
				continue
			}
			if err := shortFlag(res, name); err != nil {
				return nil, err
			}
		}
	}
	if rawURL == "" {
		return nil, parseErr("no URL")
	}
	if !strings.Contains(rawURL, "://") {
		rawURL = "http://" + strings.TrimPrefix(rawURL, "//")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &ParseError{Msg: "bad URL " + rawURL, Err: errors.Unwrap(err)}
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, parseErr("bad URL %q: want http:// or https:// and a host", rawURL)
	}
	c.URL = rawURL
	if len(data) > 0 {
		c.Body = strings.Join(data, "&")
		if c.Method == "" {
			c.Method = http.MethodPost
		}
	}
	if c.Method == http.MethodGet {
		c.Method = ""
	}
	c.Name = nameOf(u)
	return res, nil
}

// shortFlag handles an option without value: -k is kept, the rest is
// ignored and listed.
func shortFlag(res *Result, name string) error {
	switch name {
	case "-k", "--insecure":
		res.Channel.Insecure = true
	case "-N", "--no-buffer", "-s", "--silent", "-S", "--show-error", "-v", "--verbose", "-i", "--include",
		"-L", "--location", "--compressed", "-f", "--fail", "-g", "--globoff", "--http1.1", "--http2", "-#",
		"--progress-bar", "-q", "--no-keepalive", "--fail-with-body":
		res.Ignored = append(res.Ignored, name)
	default:
		return parseErr("unknown option %s", name)
	}
	return nil
}

// nameOf is the last segment of the URL path, else the host.
func nameOf(u *url.URL) string {
	n := path.Base(strings.TrimRight(u.Path, "/"))
	if n == "." || n == "/" || n == "" {
		n = u.Hostname()
	}
	return n
}

// split cuts a command line into words as a POSIX shell would (quotes,
// backslashes, $'...'), joining continued lines (backslash or caret at the
// end of a line).
func split(s string) ([]string, error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "^\n", " ")
	var words []string
	var cur strings.Builder
	in := false // a word is being built
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i++
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\\':
			in = true
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
		case c == '\'':
			in = true
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, parseErr("a ' is not closed")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case c == '$' && i+1 < len(s) && s[i+1] == '\'':
			in = true
			j := i + 2
			for ; j < len(s) && s[j] != '\''; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
					switch s[j] {
					case 'n':
						cur.WriteByte('\n')
					case 't':
						cur.WriteByte('\t')
					case 'r':
						cur.WriteByte('\r')
					default:
						cur.WriteByte(s[j])
					}
					continue
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, parseErr("a $' is not closed")
			}
			i = j
		case c == '"':
			in = true
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("$`\"\\\n", s[j+1]) >= 0 {
					j++
					if s[j] == '\n' {
						continue
					}
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, parseErr(`a " is not closed`)
			}
			i = j
		default:
			in = true
			cur.WriteByte(c)
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}
