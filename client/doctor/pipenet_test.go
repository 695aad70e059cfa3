package doctor_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"

	"sync"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/ssemon/ssemon/client/doctor"
)

// The doctor judges timing (bursts, held headers, slow side connections),
// so its tests run in a synctest bubble: the servers' schedules and the
// doctor's windows and stamps are on the bubble's clock, which moves only
// when every goroutine waits. What the doctor sees then depends on what
// the servers do, never on how loaded the machine is. The servers are
// reached over an in-memory network (net.Pipe): a real socket would not
// let the bubble's clock move.

// pipeNet is an in-memory network of test servers, one per host name.
type pipeNet struct {
	mu        sync.Mutex
	listeners map[string]*pipeListener
	tr        *http.Transport
}

// bubble runs f in a synctest bubble with its own network.
func bubble(t *testing.T, f func(t *testing.T, n *pipeNet)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		n := &pipeNet{listeners: map[string]*pipeListener{}}
		// as the doctor's own transport: compression seen, no reuse
		n.tr = &http.Transport{DialContext: n.dial, DisableCompression: true, MaxIdleConnsPerHost: -1}
		defer n.tr.CloseIdleConnections()
		f(t, n)
	})
}

// serve starts a test server on the network; it is closed when the test
// ends.
func (n *pipeNet) serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close() // a real socket, replaced
	srv.Listener = n.listen()
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func (n *pipeNet) listen() *pipeListener {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := &pipeListener{addr: pipeAddr(fmt.Sprintf("server%d.test:80", len(n.listeners)+1)),
		conns: make(chan net.Conn), done: make(chan struct{})}
	n.listeners[string(l.addr)] = l
	return l
}

// dial connects to the server listening on addr.
func (n *pipeNet) dial(ctx context.Context, _, addr string) (net.Conn, error) {
	n.mu.Lock()
	l := n.listeners[addr]
	n.mu.Unlock()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	if l == nil {
		return nil, refused
	}
	srv, cli := net.Pipe()
	select {
	case l.conns <- srv:
		return cli, nil
	case <-l.done:
		return nil, refused
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// quick is the test Config of the doctor for url, on this network.
func (n *pipeNet) quick(url string) doctor.Config {
	cfg := quick(url)
	cfg.Stream.Transport = n.tr
	return cfg
}

type pipeListener struct {
	addr  pipeAddr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return l.addr }

type pipeAddr string

func (a pipeAddr) Network() string { return "tcp" }
func (a pipeAddr) String() string  { return string(a) }
