// Package soak holds the short soak of SSE Monitor, run by make test: 100
// channels of the demo server, the flaky scenario among them, watched for
// two minutes while the monitor's memory and goroutines are sampled every
// 10 s. It is a package of its own so that it runs beside the other
// reliability tests. The long form is ssemon-chaos -soak (make chaos).
package soak
