package doctor_test

import (
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/ssemon/ssemon/client/doctor"
	"github.com/ssemon/ssemon/client/internal/pipenet"
)

// The doctor judges timing (bursts, held headers, slow side connections),
// so its tests run in a synctest bubble: the servers' schedules and the
// doctor's windows and stamps are on the bubble's clock, which moves only
// when every goroutine waits. What the doctor sees then depends on what
// the servers do, never on how loaded the machine is. The servers are
// reached over an in-memory network (pipenet): a real socket would not
// let the bubble's clock move.

// pipeNet is a bubble's network and the transport to it.
type pipeNet struct {
	*pipenet.Network
	tr *http.Transport
}

// bubble runs f in a synctest bubble with its own network.
func bubble(t *testing.T, f func(t *testing.T, n *pipeNet)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		n := &pipeNet{Network: pipenet.New()}
		n.tr = n.Transport()
		defer n.tr.CloseIdleConnections()
		f(t, n)
	})
}

// quick is the test Config of the doctor for url, on this network.
func (n *pipeNet) quick(url string) doctor.Config {
	cfg := quick(url)
	cfg.Stream.Transport = n.tr
	return cfg
}
