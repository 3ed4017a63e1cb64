package sanitize

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// queued waits until n callers wait at g.
func queued(t *testing.T, g *PriorityGate, n int) {
	t.Helper()
	for range 2000 {
		g.mu.Lock()
		k := len(g.waiting)
		g.mu.Unlock()
		if k == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%d callers did not queue at the gate", n)
}

// Waiters are served highest priority first, in arrival order within one
// priority, and the later steps' priorities rank above the earlier ones'.
func TestPriorityGateOrder(t *testing.T) {
	if !(priorityVerify > priorityStrip && priorityStrip > priorityValidate) {
		t.Fatal("a photo's later steps must rank above its earlier ones")
	}
	g := NewPriorityGate(1)
	ctx := context.Background()
	if err := g.Acquire(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	for i, w := range []struct {
		name     string
		priority int
	}{{"validate-1", priorityValidate}, {"verify-1", priorityVerify}, {"strip-1", priorityStrip}, {"verify-2", priorityVerify}, {"validate-2", priorityValidate}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.Acquire(ctx, w.priority); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, w.name)
			mu.Unlock()
			g.Release()
		}()
		queued(t, g, i+1)
	}
	g.Release()
	wg.Wait()
	want := []string{"verify-1", "verify-2", "strip-1", "validate-1", "validate-2"}
	if len(order) != len(want) {
		t.Fatalf("served %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("served %v, want %v", order, want)
		}
	}
	if g.free != 1 {
		t.Errorf("free slots after all released: %d, want 1", g.free)
	}
}

// A waiter whose context ends leaves the queue and costs no slot, whether it
// gave up before being served or as it was being served.
func TestPriorityGateCancel(t *testing.T) {
	g := NewPriorityGate(2)
	bg := context.Background()
	for range 2 {
		if err := g.Acquire(bg, 0); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error)
	go func() { done <- g.Acquire(ctx, 5) }()
	queued(t, g, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	queued(t, g, 0)

	// Served and cancelled at once: the slot it was handed goes back.
	for range 200 {
		ctx, cancel := context.WithCancel(bg)
		go func() { done <- g.Acquire(ctx, 1) }()
		queued(t, g, 1)
		go cancel()
		g.Release()
		if err := <-done; err == nil {
			g.Release()
		}
		if err := g.Acquire(bg, 0); err != nil { // the slot is back either way
			t.Fatal(err)
		}
	}
	g.Release()
	g.Release()
	if g.free != 2 || len(g.waiting) != 0 {
		t.Errorf("free %d, waiting %d; want 2 and 0", g.free, len(g.waiting))
	}
}
