//go:build !unix

package client

import (
	"testing"
	"time"
)

// processCPU is not measured on this platform; the metric is left out.
func processCPU(*testing.B) time.Duration { return 0 }
