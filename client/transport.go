package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

func (s *Stream) buildClient() error {
	if s.cfg.HTTPClient != nil {
		c := *s.cfg.HTTPClient
		if c.CheckRedirect == nil {
			c.CheckRedirect = s.checkRedirect
		}
		s.client = &c
		return nil
	}
	rt := s.cfg.Transport
	if rt == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		dial := tr.DialContext
		if dial == nil {
			dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &wireConn{Conn: c, s: s}, nil
		}
		tr.Proxy = http.ProxyFromEnvironment
		tr.ResponseHeaderTimeout = 0 // the stream's own connect timeout applies
		tr.MaxResponseHeaderBytes = MaxResponseHeaderBytes
		tc, err := s.cfg.TLSConfig()
		if err != nil {
			return err
		}
		if tc != nil {
			tr.TLSClientConfig = tc
		}
		s.own = tr
		rt = tr
	}
	s.client = &http.Client{Transport: rt, CheckRedirect: s.checkRedirect}
	return nil
}

// TLSConfig returns the TLS options c asks for (CAFile, Insecure), or nil
// when it asks for none. A CAFile that cannot be read or holds no PEM
// certificate is a *ConfigError.
func (c StreamConfig) TLSConfig() (*tls.Config, error) {
	if c.CAFile == "" && !c.Insecure {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.Insecure} //nolint:gosec // explicit, reported opt-in
	if c.CAFile != "" {
		pool, err := loadCAFile(c.CAFile)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Field: "CAFile", Msg: "cannot be read", Err: err}
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &ConfigError{Field: "CAFile", Msg: fmt.Sprintf("%s holds no PEM certificate", path)}
	}
	return pool, nil
}

func (s *Stream) checkRedirect(req *http.Request, via []*http.Request) error {
	if n := max(s.cfg.MaxRedirects, 0); len(via) > n {
		return &RedirectError{Max: n, URL: req.URL.Redacted()}
	}
	return nil
}

// newRequest builds the request of one attempt.
func (s *Stream) newRequest(ctx context.Context) (*http.Request, error) {
	var body io.Reader = http.NoBody
	if len(s.cfg.Body) > 0 {
		body = bytes.NewReader(s.cfg.Body)
	}
	req, err := http.NewRequestWithContext(ctx, s.cfg.Method, s.cfg.URL, body)
	if err != nil {
		return nil, &ConfigError{Field: "URL", Msg: "cannot build request", Err: err}
	}
	req.Header = s.headers.Clone()
	s.idNote = ""
	if id := s.dec.LastEventID(); id != "" {
		if validHeaderValue(id) {
			req.Header.Set("Last-Event-ID", id)
		} else {
			s.idNote = "resumed without Last-Event-ID: the last id contains a control character"
			s.log.Warn("last event id not sent: it contains a control character", "url", s.logURL)
		}
	}
	return req, nil
}

// redactURL returns u without user info, query or fragment, which may hold
// credentials; "?…" marks a removed query.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	query := c.RawQuery != "" || c.ForceQuery
	c.RawQuery, c.ForceQuery = "", false
	if query {
		return c.String() + "?…"
	}
	return c.String()
}
