package local

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
)

// waitForRoom holds a delivery while max executions run, lets it go when
// one ends, and gives up when its context ends.
func TestWaitForRoom(t *testing.T) {
	s := &StepFunctions{live: map[string]*asl.Execution{"a": nil, "b": nil, "c": nil}, ended: make(chan struct{})}
	ctx := context.Background()
	if err := s.waitForRoom(ctx, 4); err != nil {
		t.Fatalf("room for a fourth: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.waitForRoom(ctx, 3) }()
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
	go func() { done <- s.waitForRoom(cctx, 3) }()
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
