package client

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ssemon/ssemon/client/clock"
)

// Defaults of StreamConfig.
const (
	DefaultRetry          = 3 * time.Second
	DefaultMinRetry       = 100 * time.Millisecond
	DefaultMaxBackoff     = 60 * time.Second
	DefaultHealthyAfter   = 10 * time.Second
	DefaultStallTimeout   = 45 * time.Second
	DefaultConnectTimeout = 30 * time.Second
	DefaultMaxRedirects   = 10
	// MaxRetryAfter caps a server's Retry-After.
	MaxRetryAfter = time.Hour
	// MaxResponseHeaderBytes caps the response headers read by the
	// stream's own transport (net/http's default is 10 MiB).
	MaxResponseHeaderBytes = 256 << 10
)

// StreamConfig configures a Stream. The zero value of every field selects
// its documented default. NewStream copies it: changing the caller's value
// (or its Headers map or Body slice) later has no effect.
type StreamConfig struct {
	// URL is the http or https URL of the event stream. Required.
	URL string
	// Method is the HTTP method. "" means GET. Any method may carry Body,
	// for streams opened by a POST (LLM-style APIs).
	Method string
	// Headers are sent with every request. Accept and Cache-Control are
	// set to text/event-stream and no-cache unless given here, and
	// User-Agent to UserAgent.
	Headers http.Header
	// UserAgent is the User-Agent sent unless Headers has one. "" means
	// DefaultUserAgent() ("ssemon/<version>").
	UserAgent string
	// ExchangeHistory is how many connection attempts Stream.Exchanges
	// keeps. 0 means DefaultExchangeHistory (32); at most
	// MaxExchangeHistory.
	ExchangeHistory int
	// Body is sent with every request, re-sent on every reconnect and on
	// 307/308 redirects. nil means no body.
	Body []byte
	// LastEventID is the last event ID to send on the first connection
	// ("" sends none). Later connections send the id of the last event
	// that had one. It must not contain control characters.
	LastEventID string

	// Retry is the reconnection time until the server sends a retry:
	// field, which replaces it. 0 means DefaultRetry (3 s).
	Retry time.Duration
	// MinRetry is the shortest wait between connections, whatever the
	// server's retry: says (a guard against reconnect storms).
	// 0 means DefaultMinRetry (100 ms); negative means no floor.
	MinRetry time.Duration
	// MaxBackoff caps the exponential backoff applied to consecutive
	// failed attempts (it never shortens the server's reconnection time).
	// 0 means DefaultMaxBackoff (60 s).
	MaxBackoff time.Duration
	// HealthyAfter is how long a connection must stay open, if it brings
	// no event, to count as healthy and reset the backoff. A connection
	// that delivers an event is healthy at once.
	// 0 means DefaultHealthyAfter (10 s).
	HealthyAfter time.Duration
	// StallTimeout closes an open connection that received no byte at all
	// (no event, no comment) for this long, and reconnects. With the
	// stream's own transport, bytes count as they reach the socket, even
	// in the middle of an HTTP chunk; with an injected Transport or
	// HTTPClient, as body reads return them. 0 means
	// DefaultStallTimeout (45 s); negative disables the watchdog.
	StallTimeout time.Duration
	// ConnectTimeout bounds the time from the start of an attempt to the
	// response headers. 0 means DefaultConnectTimeout (30 s); negative
	// disables it.
	ConnectTimeout time.Duration
	// MaxRedirects caps the redirects followed per attempt (301, 302, 303
	// switch to GET without body, 307 and 308 keep method and body).
	// 0 means DefaultMaxRedirects (10); negative follows none.
	MaxRedirects int

	// CAFile is a PEM file of certificate authorities trusted in addition
	// to the system roots. "" adds none.
	CAFile string
	// Insecure switches off TLS certificate verification. An explicit
	// opt-in, reported in every Status.
	Insecure bool
	// Decoder sets the line and event size caps; see DecoderConfig.
	Decoder DecoderConfig
	// Format is how the response body is cut into events: FormatAuto
	// ("", by Content-Type), FormatSSE or FormatNDJSON (one event per
	// line). See Format.
	Format Format
	// Once makes the stream a request, not a subscription: when its
	// response ends, cleanly or not, the stream stops (Closed after a
	// clean end, Failed otherwise) instead of reconnecting; Reconnect runs
	// the request again, once, after the run on its way (never cutting it:
	// see Stream.Reconnect). For model APIs and other POST streams, where
	// reconnecting would send the request again. false reconnects.
	Once bool

	// Clock drives every timer (retry, stall, connect timeout).
	// nil means clock.Real().
	Clock clock.Clock
	// Logger receives transitions (Debug) and failures (Warn).
	// nil discards.
	Logger *slog.Logger
	// Rand draws the backoff jitter. It is used only by the Run goroutine,
	// so it must not be shared. nil means a generator seeded from
	// crypto/rand.
	Rand *rand.Rand
	// HTTPClient replaces the HTTP client (its Timeout must be 0 for a
	// stream). Its CheckRedirect is kept if set, else the MaxRedirects
	// policy is installed. CAFile and Insecure are then ignored.
	// nil means a client of the stream's own.
	HTTPClient *http.Client
	// Transport replaces the transport of the stream's own client (for
	// tests, or a transport shared by many streams). CAFile and Insecure
	// are then ignored. nil means a clone of http.DefaultTransport with
	// the proxy taken from the environment.
	Transport http.RoundTripper
}

func normalizeStreamConfig(cfg *StreamConfig) error {
	if err := validateURL(cfg.URL); err != nil {
		return err
	}
	if cfg.Method == "" {
		cfg.Method = http.MethodGet
	}
	if !validToken(cfg.Method) {
		return &ConfigError{Field: "Method", Msg: fmt.Sprintf("%q is not a valid HTTP method", cfg.Method)}
	}
	h := make(http.Header, len(cfg.Headers)+3)
	for k, vs := range cfg.Headers {
		if !validToken(k) {
			return &ConfigError{Field: "Headers", Msg: fmt.Sprintf("%q is not a valid header name", k)}
		}
		for _, v := range vs {
			if !validHeaderValue(v) {
				return &ConfigError{Field: "Headers", Msg: fmt.Sprintf("value of %s contains a control character", k)}
			}
		}
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", "text/event-stream")
	}
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	if h.Get("User-Agent") == "" {
		if cfg.UserAgent == "" {
			cfg.UserAgent = DefaultUserAgent()
		}
		if !validHeaderValue(cfg.UserAgent) {
			return &ConfigError{Field: "UserAgent", Msg: "contains a control character"}
		}
		h.Set("User-Agent", cfg.UserAgent)
	}
	if cfg.ExchangeHistory <= 0 {
		cfg.ExchangeHistory = DefaultExchangeHistory
	}
	cfg.ExchangeHistory = min(cfg.ExchangeHistory, MaxExchangeHistory)
	cfg.Headers = h
	if cfg.Body != nil {
		cfg.Body = bytes.Clone(cfg.Body)
	}
	if !validHeaderValue(cfg.LastEventID) || strings.ContainsRune(cfg.LastEventID, 0) {
		return &ConfigError{Field: "LastEventID", Msg: "contains a control character"}
	}
	if cfg.Retry <= 0 {
		cfg.Retry = DefaultRetry
	}
	if cfg.MinRetry == 0 {
		cfg.MinRetry = DefaultMinRetry
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.HealthyAfter <= 0 {
		cfg.HealthyAfter = DefaultHealthyAfter
	}
	if cfg.StallTimeout == 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// validateURL checks that raw is an absolute http or https URL with a host.
func validateURL(raw string) error {
	if strings.TrimSpace(raw) == "" {
		return &ConfigError{Field: "URL", Msg: "is empty"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &ConfigError{Field: "URL", Msg: fmt.Sprintf("%q is not a valid URL", raw), Err: err}
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return &ConfigError{Field: "URL", Msg: fmt.Sprintf("%q has no scheme (want http:// or https://)", raw)}
	default:
		return &ConfigError{Field: "URL", Msg: fmt.Sprintf("scheme %q is not supported (want http or https)", u.Scheme)}
	}
	if u.Host == "" {
		return &ConfigError{Field: "URL", Msg: fmt.Sprintf("%q has no host", raw)}
	}
	return nil
}

// validToken reports whether s is a non-empty RFC 9110 token.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v can be sent as a header value: no
// control characters other than horizontal tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
