package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// resourceKind tells how a Task's Resource is reported in history.
type resourceKind struct {
	lambda       bool // a direct function ARN: LambdaFunction* events
	resourceType string
	resource     string
}

func classifyResource(arn string) resourceKind {
	if strings.HasPrefix(arn, "arn:aws:lambda:") {
		return resourceKind{lambda: true}
	}
	// arn:aws:states:::service:action[.pattern]
	if rest, ok := strings.CutPrefix(arn, "arn:aws:states:::"); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			return resourceKind{resourceType: rest[:i], resource: rest[i+1:]}
		}
	}
	return resourceKind{resourceType: "activity", resource: arn}
}

func (fr *frame) task(ctx context.Context, env *evalEnv, st *State, raw, eff any) (any, *Failure) {
	payload := eff
	if st.parameters != nil {
		env.input = eff
		var f *Failure
		if payload, f = st.parameters.eval(env); f != nil {
			return nil, f
		}
	}
	timeout, heartbeat := st.timeoutSeconds, st.heartbeatSeconds
	for _, p := range []struct {
		p   *path
		dst *int64
	}{{st.timeoutSecondsPath, &timeout}, {st.heartbeatSecondsPath, &heartbeat}} {
		if p.p == nil {
			continue
		}
		env.input = eff
		v, found, f := p.p.get(env)
		if f != nil {
			return nil, f
		}
		n, ok := integer(v)
		if !found || !ok || n <= 0 || n > maxSeconds {
			return nil, env.fail(ErrRuntime, "The value at %s must be a positive integer, got %s", p.p.src, toJSON(v))
		}
		*p.dst = n
	}
	for _, e := range []struct {
		e   *jexpr
		dst *int64
	}{{st.timeoutExpr, &timeout}, {st.heartbeatExpr, &heartbeat}} {
		if e.e == nil {
			continue
		}
		n, f := intExpr(env, e.e, 1, maxSeconds)
		if f != nil {
			return nil, f
		}
		*e.dst = n
	}
	kind := classifyResource(st.resource)
	if kind.lambda {
		fr.rec("LambdaFunctionScheduled", &LambdaFunctionScheduledEventDetails{Resource: st.resource, Input: Payload{v: payload}, TimeoutInSeconds: timeout})
		fr.rec("LambdaFunctionStarted", nil)
	} else {
		fr.rec("TaskScheduled", &TaskScheduledEventDetails{ResourceType: kind.resourceType, Resource: kind.resource, Region: fr.x.eng.o.Region,
			Parameters: Payload{v: payload}, TimeoutInSeconds: timeout, HeartbeatInSeconds: heartbeat})
		fr.rec("TaskStarted", &TaskStartedEventDetails{ResourceType: kind.resourceType, Resource: kind.resource})
	}
	res, f := fr.callRunner(ctx, st.Name, st.resource, env.json(payload), timeout, heartbeat)
	if f != nil {
		if f.interrupted {
			return nil, f
		}
		timedOut := f.Error == ErrTimeout || f.Error == ErrHeartbeatTimeout
		switch {
		case kind.lambda && timedOut:
			fr.rec("LambdaFunctionTimedOut", errorDetails(f))
		case kind.lambda:
			fr.rec("LambdaFunctionFailed", errorDetails(f))
		case timedOut:
			ed := errorDetails(f)
			fr.rec("TaskTimedOut", &TaskFailedEventDetails{ResourceType: kind.resourceType, Resource: kind.resource, Error: ed.Error, Cause: ed.Cause})
		default:
			ed := errorDetails(f)
			fr.rec("TaskFailed", &TaskFailedEventDetails{ResourceType: kind.resourceType, Resource: kind.resource, Error: ed.Error, Cause: ed.Cause})
		}
		return nil, f
	}
	if kind.lambda {
		fr.rec("LambdaFunctionSucceeded", &LambdaFunctionSucceededEventDetails{Output: Payload{v: res}})
	} else {
		fr.rec("TaskSucceeded", &TaskSucceededEventDetails{ResourceType: kind.resourceType, Resource: kind.resource, Output: Payload{v: res}})
	}
	result := res
	if st.resultSelector != nil {
		env.input = res
		var f *Failure
		if result, f = st.resultSelector.eval(env); f != nil {
			return nil, f
		}
	}
	return fr.exit(env, st, raw, result, res, nil)
}

// MaxPayloadBytes is Step Functions' limit on an execution's input and a
// task's result (256 KiB).
const MaxPayloadBytes = 262144

type heartbeatKey struct{}

// Heartbeat tells the engine that the task running under ctx is alive,
// restarting its HeartbeatSeconds timer. It does nothing outside a task with
// HeartbeatSeconds.
func Heartbeat(ctx context.Context) {
	if ch, ok := ctx.Value(heartbeatKey{}).(chan struct{}); ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// ValueTaskRunner is a TaskRunner that can also hand back a task's result
// as a JSON value in the engine's form (what it parses JSON into:
// map[string]any, []any, string, int64, float64, bool, nil), sparing an
// encode and a parse of every result; LambdaTasks does for lambda:invoke.
// The engine calls RunTaskValue only for the resources HasValue names, and
// RunTask for the rest. A TaskRunner that wraps another (a pool, a limit)
// implements it by asking the one it wraps, or its tasks take the plain path.
type ValueTaskRunner interface {
	TaskRunner
	HasValue(resource string) bool
	RunTaskValue(ctx context.Context, resource string, input json.RawMessage) (any, error)
}

// runTask calls the runner and decodes its result.
func runTask(ctx context.Context, r TaskRunner, state, resource string, in []byte) (any, error) {
	if vr, ok := r.(ValueTaskRunner); ok && vr.HasValue(resource) {
		v, err := vr.RunTaskValue(ctx, resource, in)
		if err == nil && jsonSizeExceeds(v, MaxPayloadBytes) {
			return nil, dataLimitError(state)
		}
		return v, err
	}
	out, err := r.RunTask(ctx, resource, in)
	if err != nil {
		return nil, err
	}
	if len(out) > MaxPayloadBytes {
		return nil, dataLimitError(state)
	}
	if len(out) == 0 {
		return nil, nil
	}
	v, err := parseJSON(out)
	if err != nil {
		return nil, &TaskError{Name: ErrTaskFailed, Cause: fmt.Sprintf("the task returned invalid JSON: %v", err)}
	}
	orderFrom(ctx).recordJSON(out, v)
	return v, nil
}

func dataLimitError(state string) error {
	return &TaskError{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", state)}
}

func (fr *frame) callRunner(ctx context.Context, state, resource string, in []byte, timeout, heartbeat int64) (any, *Failure) {
	o := fr.x.eng.o
	ctx = withOrder(ctx, fr.x.order)
	if o.Tasks == nil {
		return nil, fail(ErrTaskFailed, "no task runner is configured for resource %s", resource)
	}
	if timeout == 0 && heartbeat == 0 {
		out, err := runTask(ctx, o.Tasks, state, resource, in)
		return out, taskFailure(ctx, err)
	}
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hb := make(chan struct{}, 1)
	tctx = context.WithValue(tctx, heartbeatKey{}, hb)
	type result struct {
		out any
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := runTask(tctx, o.Tasks, state, resource, in)
		done <- result{out, err}
	}()
	var timeoutC, heartbeatC <-chan time.Time
	if timeout > 0 {
		c, stop := o.Timer(time.Duration(timeout) * time.Second)
		defer stop()
		timeoutC = c
	}
	stopHeartbeat := func() bool { return false }
	if heartbeat > 0 {
		heartbeatC, stopHeartbeat = o.Timer(time.Duration(heartbeat) * time.Second)
	}
	defer func() { stopHeartbeat() }()
	for {
		select {
		case r := <-done:
			return r.out, taskFailure(ctx, r.err)
		case <-timeoutC:
			return nil, fail(ErrTimeout, "Task timed out after %d seconds", timeout)
		case <-heartbeatC:
			return nil, fail(ErrHeartbeatTimeout, "Task did not send a heartbeat for %d seconds", heartbeat)
		case <-hb:
			stopHeartbeat()
			heartbeatC, stopHeartbeat = o.Timer(time.Duration(heartbeat) * time.Second)
		case <-ctx.Done():
			return nil, interrupted()
		}
	}
}

func taskFailure(ctx context.Context, err error) *Failure {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return interrupted()
	}
	var te *TaskError
	if errors.As(err, &te) {
		return &Failure{Error: te.Name, Cause: te.Cause, HasError: true, HasCause: true}
	}
	return fail(ErrTaskFailed, "%s", err.Error())
}
