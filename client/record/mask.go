package record

import (
	"net/http"
	"net/url"
	"strings"
)

// Masked replaces a secret in output and recordings.
const Masked = "***"

// SensitiveHeader reports whether the values of the header called name are
// secrets: Authorization, Proxy-Authorization, Cookie, Set-Cookie, and any
// header whose name contains "token", "secret", "password", "api-key",
// "apikey" or "session" (X-Auth-Token, X-Api-Key, ...).
func SensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	for _, s := range [...]string{"token", "secret", "password", "api-key", "apikey", "session"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// SensitiveParam reports whether a query parameter or key=value pair
// called name carries a secret: token, key, sig, auth, password and any
// name ending in token, secret, password, passwd, signature, apikey, _key
// or -key (access_token, api_key, X-Amz-Signature, ...).
func SensitiveParam(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "token", "key", "sig", "auth", "password", "pass", "pwd", "secret", "apikey", "code_verifier":
		return true
	}
	for _, s := range [...]string{"token", "secret", "password", "passwd", "signature", "apikey", "_key", "-key", ".key"} {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// MaskHeaderValue returns the value of header name with its secret masked
// when SensitiveHeader(name): "Bearer abc" becomes "Bearer ***", a cookie
// list "a=1; b=2" becomes "a=***; b=***", a Set-Cookie keeps its
// attributes. Other values are returned as they are.
func MaskHeaderValue(name, value string) string {
	if !SensitiveHeader(name) || value == "" {
		return value
	}
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization":
		scheme, rest, ok := strings.Cut(strings.TrimSpace(value), " ")
		if ok && strings.TrimSpace(rest) != "" && isToken(scheme) {
			return scheme + " " + Masked
		}
		return Masked
	case "cookie":
		parts := strings.Split(value, ";")
		for i, p := range parts {
			parts[i] = maskPair(p)
		}
		return strings.Join(parts, ";")
	case "set-cookie":
		first, attrs, ok := strings.Cut(value, ";")
		if ok {
			return maskPair(first) + ";" + attrs
		}
		return maskPair(first)
	}
	return Masked
}

// maskPair masks the value of one "name=value" cookie pair.
func maskPair(p string) string {
	k, _, ok := strings.Cut(p, "=")
	if !ok {
		return Masked
	}
	return k + "=" + Masked
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// MaskHeaders returns a copy of h with every secret value masked
// (MaskHeaderValue). It returns nil for an empty h.
func MaskHeaders(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		mv := make([]string, len(vs))
		for i, v := range vs {
			mv[i] = MaskHeaderValue(k, v)
		}
		out[k] = mv
	}
	return out
}

// MaskURL returns raw with its secrets masked: the user information
// ("user:***@", or "***@" for a user name alone, which is often a token),
// and the values of query (and fragment) parameters named as
// SensitiveParam says. A string that does not parse as a URL is masked as
// text (MaskText).
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return MaskText(raw)
	}
	changed := false
	userinfo := ""
	if u.User != nil {
		// Built by hand: url.UserPassword would percent-encode the mask.
		if _, has := u.User.Password(); has {
			userinfo = u.User.Username() + ":" + Masked
		} else {
			userinfo = Masked
		}
		u.User = nil
		changed = true
	}
	if q, ok := maskQuery(u.RawQuery); ok {
		u.RawQuery = q
		changed = true
	}
	if u.Fragment != "" {
		if f := MaskText(u.Fragment); f != u.Fragment {
			u.Fragment, u.RawFragment = f, ""
			changed = true
		}
	}
	if !changed {
		return raw
	}
	out := u.String()
	if prefix := u.Scheme + "://"; userinfo != "" && strings.HasPrefix(out, prefix) {
		out = prefix + userinfo + "@" + out[len(prefix):]
	}
	return out
}

// maskQuery masks the sensitive values of a raw query, keeping its order
// and encoding; ok is false when nothing changed.
func maskQuery(q string) (string, bool) {
	if q == "" {
		return q, false
	}
	parts := strings.Split(q, "&")
	changed := false
	for i, p := range parts {
		k, v, has := strings.Cut(p, "=")
		if !has || v == "" {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if SensitiveParam(name) {
			parts[i] = k + "=" + Masked
			changed = true
		}
	}
	return strings.Join(parts, "&"), changed
}

// MaskText masks secrets inside free text such as an error message:
// key=value pairs whose key SensitiveParam reports, the credentials of
// "Bearer"/"Basic" authorizations, and the user information of URLs.
func MaskText(s string) string {
	if !strings.ContainsAny(s, "=@") && !containsFold(s, "bearer") && !containsFold(s, "basic") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '=' && i > 0:
			k := i
			for k > 0 && isKeyByte(s[k-1]) {
				k--
			}
			j := i + 1
			for j < len(s) && !isValueEnd(s[j]) {
				j++
			}
			if k < i && j > i+1 && SensitiveParam(s[k:i]) {
				b.WriteString("=" + Masked)
				i = j
				continue
			}
		case c == '@':
			// user information of a URL: "scheme://userinfo@"
			if k := strings.LastIndex(s[:i], "://"); k >= 0 {
				ui := s[k+3 : i]
				if ui != "" && !strings.ContainsAny(ui, "/?# \t\"'") && strings.HasSuffix(b.String(), ui) {
					out := b.String()
					out = out[:len(out)-len(ui)]
					b.Reset()
					b.WriteString(out)
					if u, _, has := strings.Cut(ui, ":"); has {
						b.WriteString(u + ":" + Masked)
					} else {
						b.WriteString(Masked)
					}
				}
			}
		case c == 'b' || c == 'B':
			if n := authWord(s[i:]); n > 0 && (i == 0 || !isKeyByte(s[i-1])) {
				j := i + n
				for j < len(s) && s[j] == ' ' {
					j++
				}
				e := j
				for e < len(s) && !isValueEnd(s[e]) && s[e] != ' ' {
					e++
				}
				if e > j {
					b.WriteString(s[i:j])
					b.WriteString(Masked)
					i = e
					continue
				}
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// authWord returns the length of "Bearer" or "Basic" at the start of s
// when followed by a space, else 0.
func authWord(s string) int {
	for _, w := range [...]string{"bearer ", "basic "} {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) {
			return len(w) - 1
		}
	}
	return 0
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), sub)
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

func isValueEnd(c byte) bool {
	switch c {
	case '&', ' ', '\t', '\n', '\r', '"', '\'', '#', ';', ',', ')', ']', '}', '>':
		return true
	}
	return false
}
