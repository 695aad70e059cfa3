package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssemon/ssemon/client/doctor"
)

// checkReport runs ssemon-tail --check --json on url and returns the exit
// code and the report.
func checkReport(t *testing.T, url string, extra ...string) (int, map[string]doctor.Finding) {
	t.Helper()
	res := run(t, append([]string{"--check", "--json", "--check-for", "2s"}, append(extra, url)...)...)
	var rep struct {
		Findings []doctor.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("exit %d, bad report: %v\n%s\n%s", res.code, err, res.stdout, res.stderr)
	}
	out := map[string]doctor.Finding{}
	for _, f := range rep.Findings {
		out[f.Check] = f
	}
	return res.code, out
}

// TestCheckDemoServer: the demo server, as shipped, has no error finding.
func TestCheckDemoServer(t *testing.T) {
	t.Parallel()
	hs := demo(t)
	for _, ch := range []string{"deploy", "metrics"} {
		code, fs := checkReport(t, hs.URL+"/api/stream/"+ch)
		for _, f := range fs {
			if f.Severity == doctor.Error {
				t.Errorf("%s: %s %s: %s (%s)", ch, f.Severity, f.Check, f.Summary, f.Evidence)
			}
			if f.Severity == doctor.Warning {
				t.Logf("%s: warning %s: %s (%s)", ch, f.Check, f.Summary, f.Evidence)
			}
		}
		if code != 0 {
			t.Errorf("%s: exit %d, want 0", ch, code)
		}
		for _, c := range []string{doctor.CheckIDs, doctor.CheckResume, doctor.CheckBuffering, doctor.CheckCacheControl} {
			if fs[c].Severity != doctor.OK {
				t.Errorf("%s: %s: %s %q (%s)", ch, c, fs[c].Severity, fs[c].Summary, fs[c].Evidence)
			}
		}
	}
}

// TestCheckBehindNginx runs the doctor through a real nginx in its
// default configuration (proxy_buffering on, HTTP/1.0 to the upstream):
// a stream without X-Accel-Buffering: no is held, one with it is not.
func TestCheckBehindNginx(t *testing.T) {
	t.Parallel()
	nginx := requireNginx(t)
	plain := httptest.NewServer(eventStream(false))
	t.Cleanup(plain.Close)
	accel := httptest.NewServer(eventStream(true))
	t.Cleanup(accel.Close)
	t.Run("without X-Accel-Buffering", func(t *testing.T) {
		t.Parallel()
		base := startNginx(t, nginx, strings.TrimPrefix(plain.URL, "http://"))
		code, fs := checkReport(t, base+"/events")
		if f := fs[doctor.CheckBuffering]; code != 1 || f.Severity != doctor.Error || !strings.Contains(f.Summary, "no response") {
			t.Fatalf("exit %d, buffering %s %q (%s)", code, f.Severity, f.Summary, f.Evidence)
		}
	})
	t.Run("with X-Accel-Buffering: no", func(t *testing.T) {
		t.Parallel()
		base := startNginx(t, nginx, strings.TrimPrefix(accel.URL, "http://"))
		code, fs := checkReport(t, base+"/events")
		if f := fs[doctor.CheckBuffering]; code != 0 || f.Severity != doctor.OK {
			t.Fatalf("exit %d, buffering %s %q (%s)", code, f.Severity, f.Summary, f.Evidence)
		}
		// nginx consumes the header: the doctor says so instead of warning
		if f := fs[doctor.CheckAccelBuffering]; f.Severity != doctor.Info || !strings.Contains(f.Summary, "nginx") {
			t.Fatalf("x-accel-buffering: %s %q", f.Severity, f.Summary)
		}
		if f := fs[doctor.CheckResume]; f.Severity != doctor.OK {
			t.Fatalf("resume through nginx: %s %q (%s)", f.Severity, f.Summary, f.Evidence)
		}
	})
	t.Run("demo server", func(t *testing.T) {
		t.Parallel()
		hs := demo(t)
		base := startNginx(t, nginx, strings.TrimPrefix(hs.URL, "http://"))
		code, fs := checkReport(t, base+"/api/stream/deploy")
		if f := fs[doctor.CheckBuffering]; code != 0 || f.Severity != doctor.OK {
			t.Fatalf("exit %d, buffering %s %q (%s)", code, f.Severity, f.Summary, f.Evidence)
		}
	})
}

// eventStream is a well-behaved stream (an event every 50 ms, ids,
// replay after Last-Event-ID), with or without X-Accel-Buffering: no.
func eventStream(accel bool) http.Handler {
	t0 := time.Now()
	const every = 50 * time.Millisecond
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache, no-transform")
		if accel {
			h.Set("X-Accel-Buffering", "no")
		}
		rc := http.NewResponseController(w)
		n := int(time.Since(t0)/every) + 1
		if last := r.Header.Get("Last-Event-ID"); last != "" {
			fmt.Sscan(last, &n)
			n++
		}
		fmt.Fprint(w, "retry: 2000\n\n")
		rc.Flush()
		for ; ; n++ {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Until(t0.Add(time.Duration(n) * every))):
			}
			fmt.Fprintf(w, "id: %d\ndata: {\"n\":%d,\"timestamp\":%d}\n\n: ping\n\n", n, n, time.Now().UnixMilli())
			rc.Flush()
		}
	})
}

func requireNginx(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"nginx", "/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("nginx not installed (apt-get install -y nginx-light)")
	}
	t.Skip("nginx not installed (apt-get install -y nginx-light)")
	return ""
}

// startNginx runs nginx as a child with a private prefix, proxying to
// upstream ("127.0.0.1:PORT") with nginx's defaults: proxy_buffering on,
// HTTP/1.0 to the upstream. It returns the base URL and stops nginx when
// the test ends (SIGQUIT to the master, then SIGTERM).
func startNginx(t *testing.T, nginx, upstream string) string {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 1;
user root;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen 127.0.0.1:%[2]d;
        location / {
            proxy_pass http://%[3]s;
        }
    }
}
`, dir, port, upstream)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(runLimit)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s", err, log)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("nginx did not start")
		}
	}
}
