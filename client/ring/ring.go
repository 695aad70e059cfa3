// Package ring provides Ring, a bounded FIFO buffer that keeps the newest
// values: pushing into a full ring drops the oldest value. It is a leaf
// package (standard library only) for every log, history and sample
// window of the engine, its front ends and the servers.
package ring

// Ring is a bounded FIFO buffer. Its storage grows on demand (doubling,
// from 64 slots) up to its capacity, so a ring that stays small costs
// little. The zero value has capacity 0 and holds nothing; use New.
// A Ring is not safe for concurrent use.
type Ring[T any] struct {
	buf      []T
	start, n int
	capacity int
}

// New returns an empty ring that holds at most capacity values (at least 1).
func New[T any](capacity int) Ring[T] {
	return Ring[T]{capacity: max(capacity, 1)}
}

// Len returns the number of values held.
func (r *Ring[T]) Len() int { return r.n }

// Cap returns the most values the ring holds.
func (r *Ring[T]) Cap() int { return r.capacity }

// Full reports whether the next Push drops the oldest value.
func (r *Ring[T]) Full() bool { return r.n >= r.capacity }

// At returns a pointer to the i-th value, 0 being the oldest; it is valid
// until the next Push, Drop or Clear. i must be in [0, Len()).
func (r *Ring[T]) At(i int) *T {
	if i < 0 || i >= r.n {
		panic("ring: index out of range")
	}
	return &r.buf[r.wrap(r.start+i)]
}

// Oldest returns a pointer to the oldest value (see At), nil when empty.
func (r *Ring[T]) Oldest() *T {
	if r.n == 0 {
		return nil
	}
	return &r.buf[r.start]
}

// Newest returns a pointer to the newest value (see At), nil when empty.
func (r *Ring[T]) Newest() *T {
	if r.n == 0 {
		return nil
	}
	return r.At(r.n - 1)
}

// Push appends v as the newest value, dropping the oldest when the ring is
// full; it reports whether a value was dropped.
func (r *Ring[T]) Push(v T) (dropped bool) { return r.PushRef(&v) }

// PushRef is Push without copying v on the way in: *v is copied once, into
// its slot. Returns whether a value was dropped.
func (r *Ring[T]) PushRef(v *T) (dropped bool) {
	if r.capacity == 0 {
		return true // the zero Ring holds nothing
	}
	if r.n >= r.capacity {
		// The newest value takes the oldest one's slot: one write.
		r.buf[r.start] = *v
		r.start = r.wrap(r.start + 1)
		return true
	}
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[r.wrap(r.start+r.n)] = *v
	r.n++
	return false
}

// Drop removes the oldest value (zeroing its slot, so that what it points
// to can be collected). It does nothing when the ring is empty.
func (r *Ring[T]) Drop() {
	if r.n == 0 {
		return
	}
	var zero T
	r.buf[r.start] = zero
	r.start = r.wrap(r.start + 1)
	r.n--
}

// Clear removes every value and releases the storage.
func (r *Ring[T]) Clear() {
	r.buf, r.start, r.n = nil, 0, 0
}

// AppendTo appends the values from the i-th (0 being the oldest) to the
// newest, oldest first, to dst.
func (r *Ring[T]) AppendTo(dst []T, i int) []T {
	for i = max(i, 0); i < r.n; i++ {
		dst = append(dst, r.buf[r.wrap(r.start+i)])
	}
	return dst
}

// wrap maps i, in [0, 2*len(buf)), to an index of buf: a compare instead
// of a division on the push path.
func (r *Ring[T]) wrap(i int) int {
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	return i
}

// grow doubles the storage (at least 64 slots, at most the capacity),
// keeping the order.
func (r *Ring[T]) grow() {
	nb := make([]T, min(max(2*len(r.buf), 64), r.capacity))
	k := copy(nb, r.buf[r.start:min(r.start+r.n, len(r.buf))])
	copy(nb[k:r.n], r.buf)
	r.buf, r.start = nb, 0
}
