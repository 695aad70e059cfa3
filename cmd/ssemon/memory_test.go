package main

import "testing"

func TestLimitFor(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int64
	}{
		{0, memoryLimit},
		{60 << 20, memoryLimit},  // the demo: the limit never binds
		{105 << 20, memoryLimit}, // 100 × 100 events/s: the heap stays under the limit
		{200 << 20, 300 << 20},   // a bigger workspace: 1.5 × live, never a collector running all the time
	} {
		if got := limitFor(tc.live); got != tc.want {
			t.Errorf("limitFor(%d MiB) = %d MiB, want %d MiB", tc.live>>20, got>>20, tc.want>>20)
		}
	}
}
