package dct

import "sync"

// freeList keeps big slices for reuse across images: zeroing memory already
// touched costs far less than the page faults of fresh memory, and on a busy
// machine those cost more than the decoding. Unlike a sync.Pool, which every
// garbage collection empties (and images of tens of megabytes make
// collections frequent), it holds at most budget elements in total, for as
// long as the process lives.
type freeList[T any] struct {
	mu     sync.Mutex
	free   [][]T
	held   int // elements of capacity in free
	budget int
}

// get returns a slice of length n, reused when one large enough is free:
// its contents are then arbitrary; a new one (reused false) is all zero.
func (f *freeList[T]) get(n int) (s []T, reused bool) {
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

// put hands s back for reuse, unless that would hold more than the budget:
// then the smallest free slices make room for it if they can, or it is
// dropped.
func (f *freeList[T]) put(s []T) {
	c := cap(s)
	if c == 0 || c > f.budget {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.held+c > f.budget {
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
