package ssetest

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Child is a server that a test runs as a child process.
type Child struct {
	cmd    *exec.Cmd
	exited chan error
}

// StartChild starts cmd and calls ready every poll until it returns nil.
// If the child exits first, t fails with the log the child wrote to
// logPath; if it is not ready within Wait, the child is killed and t fails
// with ready's last error. what names the child in failures.
func StartChild(t testing.TB, cmd *exec.Cmd, what, logPath string, poll time.Duration, ready func() error) *Child {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &Child{cmd: cmd, exited: make(chan error, 1)}
	go func() { c.exited <- cmd.Wait() }()
	deadline := time.Now().Add(Wait)
	for {
		err := ready()
		if err == nil {
			return c
		}
		select {
		case err := <-c.exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited: %v\n%s", what, err, log)
		case <-time.After(poll):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-c.exited
			t.Fatalf("%s did not start: %v", what, err)
		}
	}
}

// Stop sends sig and waits until the child has ended; if it has not after
// grace, it sends then and waits again.
func (c *Child) Stop(sig syscall.Signal, grace time.Duration, then syscall.Signal) {
	_ = c.cmd.Process.Signal(sig)
	select {
	case <-c.exited:
	case <-time.After(grace):
		_ = c.cmd.Process.Signal(then)
		<-c.exited
	}
}
