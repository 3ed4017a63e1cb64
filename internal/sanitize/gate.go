package sanitize

import (
	"container/heap"
	"context"
	"sync"
)

// Gate bounds how much work runs at once. Acquire waits for a slot; among
// those waiting, a higher priority is served first, then the earliest.
type Gate interface {
	Acquire(ctx context.Context, priority int) error
	Release()
}

// The steps' priorities at the gate: work on a photo already under way goes
// before a new photo's, so that a busy machine finishes what it started
// instead of sharing itself out over ever more photos in flight (which makes
// every photo late rather than some).
const (
	priorityValidate = iota
	priorityStrip
	priorityVerify
)

// PriorityGate is a Gate of n slots.
type PriorityGate struct {
	mu      sync.Mutex
	free    int
	seq     uint64
	waiting waiters
}

// NewPriorityGate returns a gate of n slots (at least one).
func NewPriorityGate(n int) *PriorityGate { return &PriorityGate{free: max(n, 1)} }

func (g *PriorityGate) Acquire(ctx context.Context, priority int) error {
	g.mu.Lock()
	if g.free > 0 {
		g.free--
		g.mu.Unlock()
		return nil
	}
	w := &waiter{priority: priority, seq: g.seq, ready: make(chan struct{})}
	g.seq++
	heap.Push(&g.waiting, w)
	g.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		granted := w.index < 0
		if !granted {
			heap.Remove(&g.waiting, w.index)
		}
		g.mu.Unlock()
		if granted {
			g.Release() // handed a slot while giving up: pass it on
		}
		return ctx.Err()
	}
}

// Release hands the slot to the first waiter, or frees it.
func (g *PriorityGate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiting) == 0 {
		g.free++
		return
	}
	w := heap.Pop(&g.waiting).(*waiter)
	close(w.ready)
}

type waiter struct {
	priority int
	seq      uint64
	ready    chan struct{}
	index    int // in waiters; -1 once handed a slot
}

// waiters is a heap: highest priority first, then lowest seq.
type waiters []*waiter

func (h waiters) Len() int { return len(h) }
func (h waiters) Less(i, j int) bool {
	if h[i].priority != h[j].priority {
		return h[i].priority > h[j].priority
	}
	return h[i].seq < h[j].seq
}
func (h waiters) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *waiters) Push(x any) {
	w := x.(*waiter)
	w.index = len(*h)
	*h = append(*h, w)
}
func (h *waiters) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	w.index = -1
	return w
}
