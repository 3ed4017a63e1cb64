package asl

import (
	"context"
	"sync"
	"time"
)

// VirtualClock is a clock whose Sleep returns at once after moving the time
// forward: Wait states and retry intervals take no real time, while their
// effect on timestamps and timeouts is kept. Use its Now and Sleep in Options.
type VirtualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewVirtualClock starts a virtual clock at start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{t: start} }

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Sleep advances the virtual time by d; it fails only when ctx has ended.
func (c *VirtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.mu.Lock()
		c.t = c.t.Add(d)
		c.mu.Unlock()
	}
	return nil
}
