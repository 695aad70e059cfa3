package ssetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RequireBinary returns the path of an external program a test needs, the
// first of names found on PATH or in the system folders. Missing, the test
// is skipped — or fails when $CI is set, since make test installs the
// Debian package pkg.
func RequireBinary(t testing.TB, pkg string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/bin"} {
			p := filepath.Join(dir, n)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
		}
	}
	msg := fmt.Sprintf("%s not installed (apt-get install -y %s)", names[0], pkg)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// StartNginx runs nginx (the binary at path nginx) as a child with a
// private prefix in a temporary folder, proxying round-robin to the
// upstreams ("127.0.0.1:PORT", each retried at once after a failure) with
// nginx's defaults — proxy_buffering on, HTTP/1.0 to the upstream — plus
// the location directives extra. It returns nginx's base URL and stops it
// (SIGQUIT, then SIGTERM) when the test ends.
func StartNginx(t testing.TB, nginx string, upstreams []string, extra string) string {
	t.Helper()
	dir := t.TempDir()
	port := FreePort(t)
	var servers strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&servers, "        server %s max_fails=0;\n", u)
	}
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 1;
user root;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    upstream backends {
%[3]s    }
    server {
        listen 127.0.0.1:%[2]d;
        location / {
            proxy_pass http://backends;
            proxy_read_timeout 1h;
            %[4]s
        }
    }
}
`, dir, port, servers.String(), extra)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := StartChild(t, cmd, "nginx", filepath.Join(dir, "error.log"), 10*time.Millisecond, func() error {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
		}
		return err
	})
	t.Cleanup(func() { c.Stop(syscall.SIGQUIT, 5*time.Second, syscall.SIGTERM) }) // graceful: the master stops its workers
	return "http://" + addr
}
