package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// transportFailure classifies an error from http.Client.Do.
func (s *Stream) transportFailure(err error) outcome {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var re *RedirectError
	if errors.As(err, &re) {
		return outcome{act: actFail, err: re}
	}
	ce := &ConnectError{Op: "connect", Err: err}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) {
		// Retrying cannot fix a certificate; the user must (CAFile, Insecure).
		return outcome{act: actFail, err: ce}
	}
	return outcome{act: actRetry, err: ce}
}

// checkResponse decides whether resp opens the stream; ok is false with the
// outcome when it does not.
func (s *Stream) checkResponse(resp *http.Response) (outcome, bool) {
	code := resp.StatusCode
	switch {
	case code == http.StatusOK:
		ct := resp.Header.Get("Content-Type")
		if s.framing(ct) != FormatAuto {
			return outcome{}, true
		}
		body := readPreview(resp.Body)
		return outcome{act: actFail, err: &ContentTypeError{ContentType: ct, Body: body}, httpStatus: code, body: body}, false
	case code == http.StatusNoContent:
		return outcome{act: actClose, httpStatus: code}, false
	}
	body := readPreview(resp.Body)
	he := &HTTPError{Status: code, Body: body}
	if retryableStatus(code) {
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			he.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), s.clk.Now())
		}
		return outcome{act: actRetry, err: he, httpStatus: code, body: body, retryAfter: he.RetryAfter}, false
	}
	return outcome{act: actFail, err: he, httpStatus: code, body: body}, false
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d <= 0 {
			return 0
		}
		return min(d, MaxRetryAfter)
	}
	return 0
}

// readPreview reads the start of an error body for display: at most
// BodyPreviewBytes bytes, cut on a character boundary, as valid UTF-8.
func readPreview(r io.Reader) string {
	buf := make([]byte, BodyPreviewBytes+utf8.UTFMax)
	n := 0
	for reads := 0; n < len(buf) && reads < 16; reads++ {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			break
		}
	}
	return truncateUTF8(strings.ToValidUTF8(string(buf[:n]), "\uFFFD"), BodyPreviewBytes)
}

// truncateUTF8 cuts valid UTF-8 s to at most n bytes on a rune boundary.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
