package faults

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says which faults to inject and how often. The zero value injects
// nothing.
type Config struct {
	// S3ErrorRate is the fraction of S3 requests that fail: answered 500
	// InternalError or 503 SlowDown before they run, or their connection reset
	// before they run or after (the request took effect, its answer is lost).
	S3ErrorRate float64
	// S3Latency delays every S3 request by a random duration between half and
	// one and a half times this (mean S3Latency).
	S3Latency time.Duration
	// LambdaPanicRate is the fraction of Lambda invocations whose handler
	// panics, before doing anything or after finishing its work.
	LambdaPanicRate float64
	// LambdaThrottleRate is the fraction of Lambda invocations the Lambda
	// service refuses with Lambda.TooManyRequestsException (the handler does
	// not run).
	LambdaThrottleRate float64
	// EventDuplicateRate is the fraction of EventBridge deliveries made twice.
	EventDuplicateRate float64
	// EventDelay delays each delivery (and each duplicate) by a random duration
	// up to this, so deliveries overtake each other.
	EventDelay time.Duration
	// Seed seeds the decisions.
	Seed uint64
}

// Enabled reports whether c injects anything.
func (c Config) Enabled() bool {
	return c.S3ErrorRate > 0 || c.S3Latency > 0 || c.LambdaPanicRate > 0 || c.LambdaThrottleRate > 0 ||
		c.EventDuplicateRate > 0 || c.EventDelay > 0
}

// Validate checks rates are fractions and durations are not negative.
func (c Config) Validate() error {
	for name, r := range map[string]float64{"S3 error rate": c.S3ErrorRate, "Lambda panic rate": c.LambdaPanicRate,
		"Lambda throttle rate": c.LambdaThrottleRate, "event duplicate rate": c.EventDuplicateRate} {
		if r < 0 || r > 1 || r != r {
			return fmt.Errorf("faults: %s %v is not between 0 and 1", name, r)
		}
	}
	if c.S3Latency < 0 || c.EventDelay < 0 {
		return fmt.Errorf("faults: negative duration")
	}
	return nil
}

// String describes the configuration in the flags' terms.
func (c Config) String() string {
	if !c.Enabled() {
		return "no faults"
	}
	var parts []string
	add := func(ok bool, f string, v any) {
		if ok {
			parts = append(parts, fmt.Sprintf(f, v))
		}
	}
	add(c.S3ErrorRate > 0, "S3 errors %g", c.S3ErrorRate)
	add(c.S3Latency > 0, "S3 latency %s", c.S3Latency)
	add(c.LambdaPanicRate > 0, "Lambda panics %g", c.LambdaPanicRate)
	add(c.LambdaThrottleRate > 0, "Lambda throttling %g", c.LambdaThrottleRate)
	add(c.EventDuplicateRate > 0, "duplicate events %g", c.EventDuplicateRate)
	add(c.EventDelay > 0, "event delay up to %s", c.EventDelay)
	return strings.Join(parts, ", ") + fmt.Sprintf(" (seed %d)", c.Seed)
}

// Stats counts the faults injected so far.
type Stats struct {
	S3Requests      int64 `json:"s3_requests"`
	S3InternalError int64 `json:"s3_internal_error"`
	S3SlowDown      int64 `json:"s3_slow_down"`
	S3ResetBefore   int64 `json:"s3_reset_before"`
	S3ResetAfter    int64 `json:"s3_reset_after"`
	Invocations     int64 `json:"lambda_invocations"`
	PanicsBefore    int64 `json:"lambda_panics_before"`
	PanicsAfter     int64 `json:"lambda_panics_after"`
	Throttles       int64 `json:"lambda_throttles"`
	Deliveries      int64 `json:"event_deliveries"`
	Duplicates      int64 `json:"event_duplicates"`
}

// Injector makes the fault decisions for one stack.
type Injector struct {
	cfg Config

	mu  sync.Mutex
	rng *rand.Rand

	s3Requests, s3Internal, s3SlowDown, s3ResetBefore, s3ResetAfter atomic.Int64
	invocations, panicsBefore, panicsAfter, throttles               atomic.Int64
	deliveries, duplicates                                          atomic.Int64
}

// New returns an Injector for cfg.
func New(cfg Config) *Injector {
	return &Injector{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
}

// Config returns the configuration the Injector was made with.
func (in *Injector) Config() Config { return in.cfg }

// Stats returns the counts of faults injected so far.
func (in *Injector) Stats() Stats {
	return Stats{
		S3Requests: in.s3Requests.Load(), S3InternalError: in.s3Internal.Load(), S3SlowDown: in.s3SlowDown.Load(),
		S3ResetBefore: in.s3ResetBefore.Load(), S3ResetAfter: in.s3ResetAfter.Load(),
		Invocations: in.invocations.Load(), PanicsBefore: in.panicsBefore.Load(), PanicsAfter: in.panicsAfter.Load(),
		Throttles: in.throttles.Load(), Deliveries: in.deliveries.Load(), Duplicates: in.duplicates.Load(),
	}
}

// draw returns the next number in [0, 1) and another in [0, n) from the
// seeded stream, under one lock so each decision takes a fixed pair.
func (in *Injector) draw(n int) (float64, int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.rng.Float64(), in.rng.IntN(n)
}

// jitter returns a random duration in [lo, hi].
func (in *Injector) jitter(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return lo + time.Duration(in.rng.Int64N(int64(hi-lo)+1))
}
