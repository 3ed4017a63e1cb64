package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
)

// Handler wraps a Lambda handler so a fraction of its invocations panic,
// half before the handler runs and half after it has done its work (its side
// effects happened, its result is lost). The host recovers the panic as the
// aws-lambda-go runtime does, so the error Step Functions sees is the one a
// real panicking function produces.
func (in *Injector) Handler(name string, h lambda.Handler) lambda.Handler {
	if in.cfg.LambdaPanicRate <= 0 {
		return h
	}
	return panicky{in: in, name: name, next: h}
}

type panicky struct {
	in   *Injector
	name string
	next lambda.Handler
}

func (p panicky) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	p.in.invocations.Add(1)
	x, kind := p.in.draw(2)
	if x < p.in.cfg.LambdaPanicRate && kind == 0 {
		p.in.panicsBefore.Add(1)
		panic(fmt.Sprintf("faults: injected panic in %s before it ran", p.name))
	}
	out, err := p.next.Invoke(ctx, payload)
	if x < p.in.cfg.LambdaPanicRate {
		p.in.panicsAfter.Add(1)
		panic(fmt.Sprintf("faults: injected panic in %s after it ran", p.name))
	}
	return out, err
}

// Tasks wraps the engine's task runner so a fraction of Lambda invocations is
// refused by the (simulated) Lambda service with the error Step Functions
// reports for throttling; the handler does not run. Other tasks pass through.
func (in *Injector) Tasks(next asl.TaskRunner) asl.TaskRunner {
	if in.cfg.LambdaThrottleRate <= 0 {
		return next
	}
	return throttling{in: in, next: next}
}

type throttling struct {
	in   *Injector
	next asl.TaskRunner
}

func (t throttling) RunTask(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	if resource == asl.ResourceLambdaInvoke || strings.HasPrefix(resource, "arn:aws:lambda:") {
		if x, _ := t.in.draw(1); x < t.in.cfg.LambdaThrottleRate {
			t.in.throttles.Add(1)
			return nil, &asl.TaskError{Name: "Lambda.TooManyRequestsException",
				Cause: "Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; Request ID: " +
					requestID() + "; Proxy: null)"}
		}
	}
	return t.next.RunTask(ctx, resource, input)
}
