// Package reuse keeps big slices for reuse across photos: zeroing memory
// already touched costs far less than the page faults of fresh memory, and on
// a busy machine (a virtual machine whose host backs memory lazily above all)
// those cost more than the work done on the bytes.
package reuse

import "sync"

// List holds freed slices. Unlike a sync.Pool, which every garbage
// collection empties (and photo-sized allocations make collections frequent),
// it holds at most Budget elements in total, for as long as the process lives.
// The zero List holds nothing.
type List[T any] struct {
	Budget int // elements of capacity it may hold

	mu   sync.Mutex
	free [][]T
	held int // elements of capacity in free
}

// Get returns a slice of length n, reused when one large enough is free:
// its contents are then arbitrary; a new one (reused false) is all zero.
func (f *List[T]) Get(n int) (s []T, reused bool) {
	f.mu.Lock()
	best := -1
	for i, s := range f.free {
		if cap(s) >= n && (best < 0 || cap(s) < cap(f.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		s := f.free[best]
		last := len(f.free) - 1
		f.free[best], f.free[last] = f.free[last], nil
		f.free = f.free[:last]
		f.held -= cap(s)
		f.mu.Unlock()
		return s[:n], true
	}
	f.mu.Unlock()
	return make([]T, n), false
}

// Put hands s back for reuse, unless that would hold more than the budget:
// then the smallest free slices make room for it if they can, or it is
// dropped.
func (f *List[T]) Put(s []T) {
	c := cap(s)
	if c == 0 || c > f.Budget {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.held+c > f.Budget {
		small := 0
		for i := range f.free {
			if cap(f.free[i]) < cap(f.free[small]) {
				small = i
			}
		}
		f.held -= cap(f.free[small])
		last := len(f.free) - 1
		f.free[small], f.free[last] = f.free[last], nil
		f.free = f.free[:last]
	}
	f.free = append(f.free, s[:0])
	f.held += c
}
