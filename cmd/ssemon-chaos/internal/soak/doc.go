// Package soak holds the short soak of SSE Monitor, run by make test: 100
// channels of the demo server, the flaky scenario among them (its faults
// sped up), watched for 20 s while the monitor's memory and goroutines are
// sampled every 2 s. It is a package of its own so that it runs beside the
// other reliability tests. The long form is ssemon-chaos -run soak (make
// chaos).
package soak
