// Package backoff computes the waits between retries of a failing
// operation: exponential, capped, with equal jitter. It is a leaf package
// (no dependencies beyond the standard library) shared by the engine's
// reconnecting streams and the servers' readers.
package backoff

import "time"

// Policy describes a backoff. The zero value waits nothing.
type Policy struct {
	// Base is the wait after the first failure; each further consecutive
	// failure doubles it.
	Base time.Duration
	// Max caps the doubling. A Max below Base means Base.
	Max time.Duration
	// KeepBase keeps every wait at or above Base: the first wait is exactly
	// Base and the jitter only spreads what the doubling added. When false,
	// every wait (the first included) is a random point in the upper half
	// of the doubled value.
	KeepBase bool
}

// Delay returns the wait after n consecutive failures (n < 1 counts as
// 1): Base doubled n-1 times, capped by Max, then with equal jitter (a
// random point in the upper half). int63n draws the jitter (for example
// rand.Int64N); it is not called when the result cannot vary.
func (p Policy) Delay(n int, int63n func(int64) int64) time.Duration {
	ceiling := max(p.Max, p.Base)
	d := p.Base
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	floor := time.Duration(0)
	if p.KeepBase {
		floor = p.Base
	}
	if d <= floor || d <= 0 {
		return max(d, 0)
	}
	half := d / 2
	return max(half+time.Duration(int63n(int64(d-half)+1)), floor)
}
