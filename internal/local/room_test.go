package local

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
)

// waitForRoom holds a delivery while max executions run or are being
// started, lets it go when one ends or a start gives its room back, and gives
// up when its context ends.
func TestWaitForRoom(t *testing.T) {
	s := &StepFunctions{live: map[string]*asl.Execution{"a": nil, "b": nil}, ended: make(chan struct{})}
	ctx := context.Background()
	release, err := s.waitForRoom(ctx, 3)
	if err != nil {
		t.Fatalf("room for a third: %v", err)
	}
	done := make(chan error, 1)
	wait := func(ctx context.Context) {
		release, err := s.waitForRoom(ctx, 3)
		if err == nil {
			release()
		}
		done <- err
	}
	go wait(ctx)
	select {
	case err := <-done:
		t.Fatalf("went on with 2 running and a third being started: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	s.mu.Lock()
	s.live["c"] = nil // the third start put its execution in live
	s.mu.Unlock()
	release()
	select {
	case err := <-done:
		t.Fatalf("went on with 3 of 3 running: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	select {
	case err := <-done:
		t.Fatalf("went on with 3 of 3 running: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	s.mu.Lock()
	s.leave("b")
	s.mu.Unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting after an execution ended")
	}

	s.mu.Lock()
	s.live["d"] = nil
	s.mu.Unlock()
	cctx, cancel := context.WithCancel(ctx)
	go wait(cctx)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled wait did not return")
	}
}
