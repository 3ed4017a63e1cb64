package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/faults"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/local"
)

// faultFlags adds the fault-injection flags of `sanitizer run` to fs. All are
// off by default.
func faultFlags(fs *flag.FlagSet) *faults.Config {
	c := &faults.Config{}
	fs.Float64Var(&c.S3ErrorRate, "fault-s3-error-rate", 0, "fraction of S3 requests answered 500 InternalError, 503 SlowDown or with a reset connection")
	fs.DurationVar(&c.S3Latency, "fault-s3-latency", 0, "mean latency added to every S3 request (e.g. 50ms)")
	fs.Float64Var(&c.LambdaPanicRate, "fault-lambda-panic-rate", 0, "fraction of Lambda invocations whose handler panics")
	fs.Float64Var(&c.LambdaThrottleRate, "fault-lambda-throttle-rate", 0, "fraction of Lambda invocations refused with Lambda.TooManyRequestsException")
	fs.Float64Var(&c.EventDuplicateRate, "fault-event-duplicate-rate", 0, "fraction of EventBridge deliveries made twice")
	fs.DurationVar(&c.EventDelay, "fault-event-delay", 0, "random delay up to this before each EventBridge delivery (reorders events)")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed of the fault decisions")
	return c
}

// injectFaults installs an injector for c on m's hooks; it returns nil when c
// injects nothing, so the stack runs exactly as without it.
func (m *Main) injectFaults(c *faults.Config) (*faults.Injector, error) {
	if c == nil || !c.Enabled() {
		return nil, nil
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	inj := faults.New(*c)
	m.WrapS3 = chain(m.WrapS3, inj.S3)
	m.WrapHandler = func(name string, h lambda.Handler) lambda.Handler { return inj.Handler(name, h) }
	prevTasks := m.WrapTasks
	m.WrapTasks = func(t asl.TaskRunner) asl.TaskRunner {
		if prevTasks != nil {
			t = prevTasks(t)
		}
		return inj.Tasks(t)
	}
	m.WrapTargets = func(t local.TargetInvoker) local.TargetInvoker { return inj.Targets(t) }
	return inj, nil
}

func chain(a, b func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	if a == nil {
		return b
	}
	return func(h http.Handler) http.Handler { return b(a(h)) }
}

// reportFaults prints the counts of injected faults as one JSON line.
func reportFaults(w io.Writer, inj *faults.Injector) {
	b, _ := json.Marshal(inj.Stats())
	fmt.Fprintf(w, "faults injected: %s\n", b)
}
