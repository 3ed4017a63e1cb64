package faults

import (
	"context"
	"time"
)

// TargetInvoker delivers an event to a rule target (the local stack's
// EventBridge calls it for every matched target).
type TargetInvoker interface {
	InvokeTarget(ctx context.Context, arn string, input []byte) error
}

// Targets wraps event delivery into a storm: each delivery waits a random
// delay up to EventDelay (so later events overtake earlier ones), and a
// fraction is delivered a second time after another delay. EventBridge
// promises at-least-once delivery in no particular order; this makes both
// happen often.
func (in *Injector) Targets(next TargetInvoker) TargetInvoker {
	if in.cfg.EventDuplicateRate <= 0 && in.cfg.EventDelay <= 0 {
		return next
	}
	return storm{in: in, next: next}
}

type storm struct {
	in   *Injector
	next TargetInvoker
}

func (s storm) InvokeTarget(ctx context.Context, arn string, input []byte) error {
	s.in.deliveries.Add(1)
	if err := s.sleep(ctx); err != nil {
		return err
	}
	if err := s.next.InvokeTarget(ctx, arn, input); err != nil {
		return err
	}
	if x, _ := s.in.draw(1); x >= s.in.cfg.EventDuplicateRate {
		return nil
	}
	s.in.duplicates.Add(1)
	if err := s.sleep(ctx); err != nil {
		return nil
	}
	// The first delivery succeeded; a failed duplicate changes nothing.
	s.next.InvokeTarget(ctx, arn, input)
	return nil
}

func (s storm) sleep(ctx context.Context) error {
	if s.in.cfg.EventDelay <= 0 {
		return nil
	}
	t := time.NewTimer(s.in.jitter(0, s.in.cfg.EventDelay))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
