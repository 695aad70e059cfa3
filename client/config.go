package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// Defaults of ChannelConfig.
const (
	DefaultRingSize  = 10000
	DefaultRingBytes = 8 << 20
	// MaxRingSize caps RingSize.
	MaxRingSize = 1_000_000
	// MaxNameLen caps a channel name, in bytes.
	MaxNameLen = 200
)

// Header is one request header. A list keeps the order the user wrote.
type Header struct {
	// Name is the header name, e.g. "Authorization".
	Name string `json:"name"`
	// Value is the header value; ${VAR} references are expanded from the
	// environment when the channel connects.
	Value string `json:"value"`
}

// ChannelConfig describes one channel. The zero value of every field selects
// its documented default (or the Manager's default for that field). It is
// also the JSON form of a channel in a workspace file: durations are
// written as Go duration strings ("3s", "1m30s"; "off" for a disabled
// timeout), and unknown fields are rejected.
//
// URL, header values and Body may reference environment variables as
// ${NAME}; they are expanded when the channel connects, never stored
// expanded. Write $${ for a literal "${".
type ChannelConfig struct {
	// Name identifies the channel; unique within a Manager. Required.
	Name string `json:"name"`
	// Group is a free label to group channels in the UI.
	Group string `json:"group,omitempty"`
	// URL is the http or https URL of the stream. Required.
	URL string `json:"url"`
	// Method is the HTTP method; "" means GET.
	Method string `json:"method,omitempty"`
	// Headers are sent with every request.
	Headers []Header `json:"headers,omitempty"`
	// Body is sent with every request (and re-sent on reconnect).
	Body string `json:"body,omitempty"`
	// LastEventID is sent on the first connection; "" sends none.
	LastEventID string `json:"lastEventId,omitempty"`
	// Paused starts the channel paused (no connection until Resume).
	Paused bool `json:"paused,omitempty"`

	// EventTypes, when not empty, keeps only events of these types in the
	// log; others are counted in Stats.Filtered.
	EventTypes []string `json:"eventTypes,omitempty"`
	// ProgressField is the gjson path of the progress value; "" tries
	// progress, percent, pct and percentage.
	ProgressField string `json:"progressField,omitempty"`
	// ProgressScale is ScaleAuto (""), ScalePercent or ScaleFraction.
	ProgressScale string `json:"progressScale,omitempty"`
	// DoneField and TotalField are gjson paths giving progress as
	// done/total; "" tries done, completed, current, processed over total
	// when no progress field is found.
	DoneField string `json:"doneField,omitempty"`
	// TotalField: see DoneField.
	TotalField string `json:"totalField,omitempty"`
	// MessageField is the gjson path of the latest message; "" tries
	// message, status, stage and msg.
	MessageField string `json:"messageField,omitempty"`
	// Charts are the gjson paths of numeric fields charted over time (see
	// package client/series), in display order; at most MaxCharts, each
	// at most MaxWatchTextLen bytes. Set with Manager.SetCharts, which
	// does not reconnect.
	Charts []string `json:"charts,omitempty"`
	// Alerts are alert rules in the text form of package client/alert
	// ("cpu > 90 for 30s", "silent 30s"); at most MaxAlerts, each at most
	// MaxWatchTextLen bytes. Their syntax is checked by whoever watches
	// the channel (the window, ssemon-tail). Set with Manager.SetAlerts,
	// which does not reconnect.
	Alerts []string `json:"alerts,omitempty"`

	// Retry is the reconnection time until the server sends retry:;
	// 0 means DefaultRetry (3 s).
	Retry time.Duration `json:"-"`
	// MaxBackoff caps the backoff; 0 means DefaultMaxBackoff (60 s).
	MaxBackoff time.Duration `json:"-"`
	// StallTimeout is the silence after which a connection is dropped;
	// 0 means DefaultStallTimeout (45 s), negative disables.
	StallTimeout time.Duration `json:"-"`
	// ConnectTimeout bounds the wait for response headers; 0 means
	// DefaultConnectTimeout (30 s), negative disables.
	ConnectTimeout time.Duration `json:"-"`
	// MaxRedirects caps redirects; 0 means DefaultMaxRedirects (10),
	// negative follows none.
	MaxRedirects int `json:"maxRedirects,omitempty"`
	// CAFile is a PEM file of extra trusted certificate authorities.
	CAFile string `json:"caFile,omitempty"`
	// Insecure switches off TLS certificate verification (shown in the
	// status).
	Insecure bool `json:"insecure,omitempty"`

	// RingSize is how many records the log keeps; 0 means
	// DefaultRingSize (10 000), at most MaxRingSize.
	RingSize int `json:"ringSize,omitempty"`
	// RingBytes caps the log's memory (record strings plus overhead);
	// 0 means DefaultRingBytes (8 MiB).
	RingBytes int64 `json:"ringBytes,omitempty"`
	// MaxLineBytes is read from older files and ignored: MaxEventBytes
	// caps lines too.
	//
	// Deprecated: use MaxEventBytes.
	MaxLineBytes int `json:"maxLineBytes,omitempty"`
	// MaxEventBytes is the size cap of an event and of a line: a larger
	// one is skipped, counted (Stats.Oversized) and logged as a
	// RecordOversized; the stream goes on. 0 means DefaultMaxEventBytes
	// (16 MiB).
	MaxEventBytes int `json:"maxEventBytes,omitempty"`

	// Format is how the response is cut into events: "" (auto, by
	// Content-Type), "sse" or "ndjson" (one event per line). See Format.
	Format Format `json:"format,omitempty"`
	// Mode is "subscribe" (reconnect when the stream ends) or "request"
	// (the response ending ends the channel's run; Reconnect — "Run
	// again" — sends it again: model APIs). "" means "request" for a
	// channel with a method other than GET, "subscribe" otherwise.
	Mode string `json:"mode,omitempty"`
}

// The values of ChannelConfig.Mode.
const (
	ModeAuto      = ""
	ModeSubscribe = "subscribe"
	ModeRequest   = "request"
)

// IsRequest reports whether the channel is a request (see Mode).
func (c *ChannelConfig) IsRequest() bool {
	switch c.Mode {
	case ModeRequest:
		return true
	case ModeSubscribe:
		return false
	}
	return c.Method != "" && !strings.EqualFold(c.Method, http.MethodGet)
}

// Clone returns a deep copy of c.
func (c ChannelConfig) Clone() ChannelConfig {
	c.Headers = slices.Clone(c.Headers)
	c.EventTypes = slices.Clone(c.EventTypes)
	c.Charts = slices.Clone(c.Charts)
	c.Alerts = slices.Clone(c.Alerts)
	return c
}

// jsonDuration is a duration written as a Go duration string.
type jsonDuration time.Duration

// MarshalJSON writes a duration string ("3s"), or "off" when negative.
func (d jsonDuration) MarshalJSON() ([]byte, error) {
	if d < 0 {
		return []byte(`"off"`), nil
	}
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string or "off".
func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"3s\", got %s", b)
	}
	if s == "off" {
		*d = -1
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (examples: \"500ms\", \"3s\", \"1m\", \"off\")", s)
	}
	*d = jsonDuration(v)
	return nil
}

type channelConfigAlias ChannelConfig

// channelConfigJSON overlays the duration fields with their JSON form.
type channelConfigJSON struct {
	*channelConfigAlias
	Retry          jsonDuration `json:"retry,omitempty"`
	MaxBackoff     jsonDuration `json:"maxBackoff,omitempty"`
	StallTimeout   jsonDuration `json:"stallTimeout,omitempty"`
	ConnectTimeout jsonDuration `json:"connectTimeout,omitempty"`
}

// MarshalJSON writes the workspace form of c.
func (c ChannelConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(channelConfigJSON{
		channelConfigAlias: (*channelConfigAlias)(&c),
		Retry:              jsonDuration(c.Retry),
		MaxBackoff:         jsonDuration(c.MaxBackoff),
		StallTimeout:       jsonDuration(c.StallTimeout),
		ConnectTimeout:     jsonDuration(c.ConnectTimeout),
	})
}

// UnmarshalJSON reads the workspace form of a channel, rejecting unknown
// fields.
func (c *ChannelConfig) UnmarshalJSON(b []byte) error {
	var v ChannelConfig
	j := channelConfigJSON{channelConfigAlias: (*channelConfigAlias)(&v)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	v.Retry = time.Duration(j.Retry)
	v.MaxBackoff = time.Duration(j.MaxBackoff)
	v.StallTimeout = time.Duration(j.StallTimeout)
	v.ConnectTimeout = time.Duration(j.ConnectTimeout)
	*c = v
	return nil
}

// withDefaults fills the zero fields of c from d.
func (c ChannelConfig) withDefaults(d ChannelConfig) ChannelConfig {
	if len(d.Headers) > 0 {
		c.Headers = append(slices.Clone(d.Headers), c.Headers...)
	}
	setIfZero(&c.Method, d.Method)
	setIfZero(&c.Retry, d.Retry)
	setIfZero(&c.MaxBackoff, d.MaxBackoff)
	setIfZero(&c.StallTimeout, d.StallTimeout)
	setIfZero(&c.ConnectTimeout, d.ConnectTimeout)
	setIfZero(&c.MaxRedirects, d.MaxRedirects)
	setIfZero(&c.CAFile, d.CAFile)
	setIfZero(&c.RingSize, d.RingSize)
	setIfZero(&c.RingBytes, d.RingBytes)
	setIfZero(&c.MaxEventBytes, d.MaxEventBytes)
	setIfZero(&c.ProgressField, d.ProgressField)
	setIfZero(&c.ProgressScale, d.ProgressScale)
	setIfZero(&c.DoneField, d.DoneField)
	setIfZero(&c.TotalField, d.TotalField)
	setIfZero(&c.MessageField, d.MessageField)
	c.Insecure = c.Insecure || d.Insecure
	return c
}

func setIfZero[T comparable](dst *T, def T) {
	var zero T
	if *dst == zero {
		*dst = def
	}
}

// validate checks what NewStream does not: name, caps, scale.
func (c *ChannelConfig) validate() error {
	name := strings.TrimSpace(c.Name)
	switch {
	case name == "":
		return &ConfigError{Field: "Name", Msg: "is empty"}
	case len(c.Name) > MaxNameLen:
		return &ConfigError{Field: "Name", Msg: fmt.Sprintf("is longer than %d bytes", MaxNameLen)}
	case !validHeaderValue(c.Name):
		return &ConfigError{Field: "Name", Msg: "contains a control character"}
	}
	return c.validateFields()
}

// validateFields checks caps, scale and header names.
func (c *ChannelConfig) validateFields() error {
	switch c.ProgressScale {
	case ScaleAuto, ScalePercent, ScaleFraction:
	default:
		return &ConfigError{Field: "ProgressScale", Msg: fmt.Sprintf("%q is not one of \"\", %q, %q", c.ProgressScale, ScalePercent, ScaleFraction)}
	}
	switch {
	case c.RingSize < 0 || c.RingSize > MaxRingSize:
		return &ConfigError{Field: "RingSize", Msg: fmt.Sprintf("%d is outside 0..%d", c.RingSize, MaxRingSize)}
	case c.RingBytes < 0:
		return &ConfigError{Field: "RingBytes", Msg: "is negative"}
	case c.MaxEventBytes < 0:
		return &ConfigError{Field: "MaxEventBytes", Msg: "is negative"}
	case c.Retry < 0:
		return &ConfigError{Field: "Retry", Msg: "is negative"}
	case c.MaxBackoff < 0:
		return &ConfigError{Field: "MaxBackoff", Msg: "is negative"}
	}
	if _, err := ParseFormat(string(c.Format)); err != nil || (c.Format != FormatAuto && c.Format != FormatSSE && c.Format != FormatNDJSON) {
		return &ConfigError{Field: "Format", Msg: fmt.Sprintf("%q is not one of \"\", %q, %q", c.Format, FormatSSE, FormatNDJSON)}
	}
	switch c.Mode {
	case ModeAuto, ModeSubscribe, ModeRequest:
	default:
		return &ConfigError{Field: "Mode", Msg: fmt.Sprintf("%q is not one of \"\", %q, %q", c.Mode, ModeSubscribe, ModeRequest)}
	}
	if err := validateWatch(c.Charts, c.Alerts); err != nil {
		return err
	}
	for _, h := range c.Headers {
		if !validToken(h.Name) {
			return &ConfigError{Field: "Headers", Msg: fmt.Sprintf("%q is not a valid header name", h.Name)}
		}
	}
	return nil
}

// StreamConfig returns the StreamConfig that connects this channel, for a
// caller that runs a Stream itself (the terminal client reading a
// workspace): ${NAME} references in URL, header values and Body are
// expanded through lookup (nil means os.LookupEnv), and the result is
// validated as NewStream would (URL scheme and host, method, header names
// and values, LastEventID, CA file). Fields the channel leaves zero stay
// zero, so the caller can fill them; Clock, Logger, Rand, HTTPClient and
// Transport are left to the caller. Errors are a *ConfigError or an
// *EnvError naming the field.
func (c ChannelConfig) StreamConfig(lookup func(name string) (string, bool)) (StreamConfig, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if err := c.validateFields(); err != nil {
		return StreamConfig{}, err
	}
	exp, err := c.expand(lookup)
	if err != nil {
		return StreamConfig{}, err
	}
	sc := exp.streamConfig()
	check := sc
	if err := normalizeStreamConfig(&check); err != nil {
		return StreamConfig{}, err
	}
	if check.CAFile != "" {
		if _, err := loadCAFile(check.CAFile); err != nil {
			return StreamConfig{}, err
		}
	}
	return sc, nil
}

// streamConfig converts an expanded channel config to a StreamConfig.
func (c *ChannelConfig) streamConfig() StreamConfig {
	var h http.Header
	if len(c.Headers) > 0 {
		h = make(http.Header, len(c.Headers))
		for _, kv := range c.Headers {
			h.Add(kv.Name, kv.Value)
		}
	}
	var body []byte
	if c.Body != "" {
		body = []byte(c.Body)
	}
	return StreamConfig{
		URL:            c.URL,
		Method:         c.Method,
		Headers:        h,
		Body:           body,
		LastEventID:    c.LastEventID,
		Retry:          c.Retry,
		MaxBackoff:     c.MaxBackoff,
		StallTimeout:   c.StallTimeout,
		ConnectTimeout: c.ConnectTimeout,
		MaxRedirects:   c.MaxRedirects,
		CAFile:         c.CAFile,
		Insecure:       c.Insecure,
		Decoder:        DecoderConfig{MaxEventBytes: c.MaxEventBytes},
		Format:         c.Format,
		Once:           c.IsRequest(),
	}
}

// expand returns c with ${NAME} references in URL, header values and Body
// replaced through lookup. An undefined variable is an error naming it.
func (c ChannelConfig) expand(lookup func(string) (string, bool)) (ChannelConfig, error) {
	var err error
	if c.URL, err = expandVars(c.URL, lookup); err != nil {
		return c, &ConfigError{Field: "URL", Msg: "cannot expand", Err: err}
	}
	c.Headers = slices.Clone(c.Headers)
	for i := range c.Headers {
		if c.Headers[i].Value, err = expandVars(c.Headers[i].Value, lookup); err != nil {
			return c, &ConfigError{Field: "Headers", Msg: "cannot expand " + c.Headers[i].Name, Err: err}
		}
	}
	if c.Body, err = expandVars(c.Body, lookup); err != nil {
		return c, &ConfigError{Field: "Body", Msg: "cannot expand", Err: err}
	}
	return c, nil
}

// EnvError reports a ${NAME} reference to an undefined variable, or a
// malformed reference.
type EnvError struct {
	// Name is the variable name ("" for a malformed reference).
	Name string
	// Msg describes a malformed reference.
	Msg string
}

// Error names the unset variable or describes the malformed reference.
func (e *EnvError) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return "environment variable " + e.Name + " is not set"
}

// expandVars replaces ${NAME} (NAME: letters, digits, underscore, not
// starting with a digit) with lookup(NAME); "$${" stands for a literal
// "${". A lone "$" is kept, so JSON bodies with "$schema" and URLs with
// "$filter" need no escaping (os.Expand would eat them).
func expandVars(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i]) // "$$" + "{": the first '$' is the escape
			b.WriteString("{")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", &EnvError{Msg: fmt.Sprintf("unterminated ${ at %q", truncateUTF8(s[i:], 20))}
		}
		name := s[i+2 : i+2+end]
		if !validEnvName(name) {
			return "", &EnvError{Msg: fmt.Sprintf("${%s} is not a valid variable reference", truncateUTF8(name, 40))}
		}
		v, ok := lookup(name)
		if !ok {
			return "", &EnvError{Name: name}
		}
		b.WriteString(v)
		s = s[i+2+end+1:]
	}
}

func validEnvName(n string) bool {
	if n == "" || (n[0] >= '0' && n[0] <= '9') {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
