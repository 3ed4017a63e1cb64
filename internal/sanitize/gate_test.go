package sanitize_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// countingGate is a one-slot gate that records how often it was taken and
// how many holders it ever had at once.
type countingGate struct {
	slot          chan struct{}
	mu            sync.Mutex
	held, maxHeld int
	taken         int
}

func (g *countingGate) Acquire(ctx context.Context) error {
	select {
	case g.slot <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	g.held++
	g.taken++
	g.maxHeld = max(g.maxHeld, g.held)
	g.mu.Unlock()
	return nil
}

func (g *countingGate) Release() {
	g.mu.Lock()
	g.held--
	g.mu.Unlock()
	<-g.slot
}

// Validate, Strip and Verify each take the compute gate once, concurrent
// pipelines never hold it beyond its size, and a step that cannot get it
// before its context ends fails with the context's error.
func TestComputeGate(t *testing.T) {
	e := newEnv(t, true)
	g := &countingGate{slot: make(chan struct{}, 1)}
	e.svc.Compute = g
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		job := e.upload(t, fmt.Sprintf("k%d.jpg", i), photo(t, i), fmt.Sprintf("%02d", i+1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.run(t, fmt.Sprintf("exec-%d", i), job)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if g.taken != 3*n || g.maxHeld != 1 {
		t.Errorf("gate taken %d times (want %d), at most %d holders (want 1)", g.taken, 3*n, g.maxHeld)
	}

	g.slot <- struct{}{} // occupied: the next step waits for it
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	job := e.upload(t, "late.jpg", photo(t, 99), "99")
	if _, err := e.svc.Validate(ctx, sanitize.Attempt{Execution: "late", Number: 1}, job); !errors.Is(err, context.Canceled) {
		t.Errorf("validate with no slot and a cancelled context: %v", err)
	}
}
