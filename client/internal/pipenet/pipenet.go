// Package pipenet is an in-memory network of HTTP test servers, for tests
// that run in a testing/synctest bubble: a bubble's clock moves only when
// every goroutine in it waits on something of the bubble's, which a real
// socket is not, while net.Pipe is. Tests of code that judges timing (the
// stream doctor) run their servers here, so that what the code sees
// depends only on what the servers do, never on how loaded the machine
// is.
package pipenet

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
)

// Network is a set of servers, each on a host name of its own
// (server1.test:80, server2.test:80, …). Create it inside the bubble.
type Network struct {
	mu        sync.Mutex
	listeners map[string]*listener
}

// New returns an empty network.
func New() *Network { return &Network{listeners: map[string]*listener{}} }

// Serve starts an httptest server for h on the network, closed when the
// test ends; its URL names its host on the network.
func (n *Network) Serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close() // a real socket, replaced
	srv.Listener = n.Listen()
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// Listen returns a listener on a new host of the network (for servers
// started otherwise, e.g. with TLS).
func (n *Network) Listen() net.Listener {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := &listener{addr: addr(fmt.Sprintf("server%d.test:80", len(n.listeners)+1)),
		conns: make(chan net.Conn), done: make(chan struct{})}
	n.listeners[string(l.addr)] = l
	return l
}

// Dial connects to the server listening on address (an http.Transport's
// DialContext); an address nobody listens on is refused.
func (n *Network) Dial(ctx context.Context, _, address string) (net.Conn, error) {
	n.mu.Lock()
	l := n.listeners[address]
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

// Transport returns a transport over the network, set up as the stream
// doctor's own (compression left to the caller, no connection reused);
// close its idle connections before the bubble ends.
func (n *Network) Transport() *http.Transport {
	return &http.Transport{DialContext: n.Dial, DisableCompression: true, MaxIdleConnsPerHost: -1}
}

type listener struct {
	addr  addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *listener) Addr() net.Addr { return l.addr }

type addr string

func (a addr) Network() string { return "tcp" }
func (a addr) String() string  { return string(a) }
