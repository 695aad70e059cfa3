// Package redistest runs a real redis-server for the tests of the Redis
// relay and of the commands that use it: a child on a free loopback port,
// its files in a temporary folder, stopped when the test ends. Only test
// code imports it.
package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssemon/ssemon/server/internal/ssetest"
)

// Server is a redis-server child.
type Server struct {
	// URL is the server's redis://127.0.0.1:PORT/0.
	URL string
	// Port is its loopback port.
	Port int

	t     testing.TB
	bin   string
	dir   string
	aof   bool
	child *ssetest.Child
}

// Start starts a redis-server that keeps an append-only file, written
// through at every command, so that a restart (Stop, then Start again)
// keeps the streams. Without redis-server installed the test is skipped
// (it fails when $CI is set).
func Start(t testing.TB) *Server {
	t.Helper()
	return launch(t, true)
}

// StartVolatile starts a redis-server that keeps nothing on disk (for
// measurements: no write waits for the disk).
func StartVolatile(t testing.TB) *Server {
	t.Helper()
	return launch(t, false)
}

func launch(t testing.TB, aof bool) *Server {
	t.Helper()
	s := &Server{t: t, bin: ssetest.RequireBinary(t, "redis-server", "redis-server"), dir: t.TempDir(), Port: ssetest.FreePort(t), aof: aof}
	s.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", s.Port)
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Addr is the server's 127.0.0.1:PORT.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// Start starts the server (again, after Stop) and waits until it answers
// PING; it fails the test if it exits or does not answer within
// ssetest.Wait.
func (s *Server) Start() {
	t := s.t
	t.Helper()
	aof := "no"
	if s.aof {
		aof = "yes"
	}
	cmd := exec.Command(s.bin,
		"--port", fmt.Sprint(s.Port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", aof, "--appendfsync", "always",
		"--daemonize", "no", "--logfile", filepath.Join(s.dir, "redis.log"), "--databases", "4")
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	s.child = ssetest.StartChild(t, cmd, "redis-server", filepath.Join(s.dir, "redis.log"), 20*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err()
	})
}

// Stop ends the server (SIGTERM, SIGKILL after a while); a no-op once
// stopped.
func (s *Server) Stop() {
	if s.child == nil {
		return
	}
	s.child.Stop(syscall.SIGTERM, 10*time.Second, syscall.SIGKILL)
	s.child = nil
}

// Client returns a plain go-redis client of the server, closed when the
// test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}
