package client

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStreamTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sseHeaders(w)
		writeFlush(w, "data: secure\n\n")
		hold(r)
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("unknown authority fails without retry", func(t *testing.T) {
		run := startStream(t, StreamConfig{URL: srv.URL, Clock: newFakeClock()})
		err := run.result(t)
		ce, ok := errorAs[*ConnectError](err)
		if !ok || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err = %v (%T), want a certificate ConnectError", err, err)
		}
		if ce.Op != "connect" || run.s.Status().State != Failed || run.rec.count(Retrying) != 0 {
			t.Errorf("status = %+v", run.s.Status())
		}
	})
	t.Run("CA file trusted", func(t *testing.T) {
		run := startStream(t, StreamConfig{URL: srv.URL, CAFile: caFile, Clock: newFakeClock()})
		if evs := run.rec.waitEvents(t, 1); evs[0].Data != "secure" {
			t.Errorf("events = %v", evs)
		}
		if run.s.Status().Insecure {
			t.Error("Insecure reported without the opt-in")
		}
	})
	t.Run("insecure opt-in is reported", func(t *testing.T) {
		run := startStream(t, StreamConfig{URL: srv.URL, Insecure: true, Clock: newFakeClock()})
		st := run.rec.waitState(t, Open, 1)
		if !st.Insecure || !run.s.Status().Insecure {
			t.Errorf("status = %+v, want Insecure", st)
		}
	})
	t.Run("insecure on plain HTTP is not reported", func(t *testing.T) {
		plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sseHeaders(w)
			writeFlush(w, "data: plain\n\n")
			hold(r)
		}))
		t.Cleanup(plain.Close)
		run := startStream(t, StreamConfig{URL: plain.URL, Insecure: true, Clock: newFakeClock()})
		if st := run.rec.waitState(t, Open, 1); st.Insecure || run.s.Status().Insecure {
			t.Errorf("status = %+v: no TLS, nothing unverified", st)
		}
	})
	t.Run("CA file without certificates", func(t *testing.T) {
		_, err := NewStream(StreamConfig{URL: srv.URL, CAFile: notPEM}, newRecorder())
		if err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
			t.Errorf("err = %v", err)
		}
	})
}
