package asl

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// varScope holds workflow variables (Assign). A Parallel branch or Map
// iteration reads the enclosing scope and assigns into its own.
type varScope struct {
	vals   map[string]any
	parent *varScope
}

func (s *varScope) lookup(name string) (any, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vals[name]; ok {
			return v, true
		}
	}
	return nil, false
}

// with returns a scope holding s's values updated with assigned; s itself is
// unchanged (checkpoints keep pointing at it).
func (s *varScope) with(assigned map[string]any) *varScope {
	vals := make(map[string]any, len(s.vals)+len(assigned))
	for k, v := range s.vals {
		vals[k] = v
	}
	for k, v := range assigned {
		vals[k] = v
	}
	return &varScope{vals: vals, parent: s.parent}
}

type mapItem struct {
	index int64
	value any
}

// evalEnv is what paths, templates and intrinsics evaluate against.
type evalEnv struct {
	input      any
	x          *Execution
	st         *State
	entered    time.Time
	retryCount int64
	item       *mapItem
	vars       *varScope
	rnd        func() float64
	ctxObj     map[string]any
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// context builds the whole context object ($$).
func (e *evalEnv) context() any {
	if e.ctxObj != nil {
		return e.ctxObj
	}
	c := map[string]any{}
	for _, k := range []string{"Execution", "StateMachine", "State", "Map"} {
		if v, ok := e.contextPart(k); ok {
			c[k] = v
		}
	}
	e.ctxObj = c
	return c
}

// contextPart builds one top-level member of the context object, so that a
// path such as $$.Map.Item.Value does not build the rest.
func (e *evalEnv) contextPart(key string) (any, bool) {
	if e.ctxObj != nil {
		v, ok := e.ctxObj[key]
		return v, ok
	}
	x := e.x
	switch {
	case key == "Execution" && x != nil:
		exec := map[string]any{
			"Id": x.arn, "Input": x.input, "Name": x.name, "RoleArn": x.roleArn(),
			"StartTime": x.startISO, "RedriveCount": x.redriveCount,
		}
		if !x.redriveTime.IsZero() {
			exec["RedriveTime"] = isoTime(x.redriveTime)
		}
		return exec, true
	case key == "StateMachine" && x != nil:
		return map[string]any{"Id": x.smArn, "Name": x.sm.machineName()}, true
	case key == "State" && e.st != nil:
		return map[string]any{"EnteredTime": isoTime(e.entered), "Name": e.st.Name, "RetryCount": e.retryCount}, true
	case key == "Map" && e.item != nil:
		return map[string]any{"Item": map[string]any{"Index": e.item.index, "Value": e.item.value}}, true
	}
	return nil, false
}

func (e *evalEnv) random() float64 {
	if e.rnd == nil {
		return cryptoFloat()
	}
	return e.rnd()
}

func (e *evalEnv) randomBytes(b []byte) {
	if e.rnd == nil {
		_, _ = rand.Read(b)
		return
	}
	for i := range b {
		b[i] = byte(e.random() * 256)
	}
}

// frame runs one sequence of states: the top level, a branch or an iteration.
type frame struct {
	x    *Execution
	vars *varScope
	last int64 // the last event of this thread (previousEventId)
	top  bool
}

func (fr *frame) rec(typ string, details any) int64 { return fr.x.record(&fr.last, typ, details) }

// interrupted is the failure for an execution stopped from outside (Stop,
// its timeout, or the host's context); it is never retried or caught.
func interrupted() *Failure { return &Failure{interrupted: true} }

func (fr *frame) run(ctx context.Context, st *State, input any) (any, *Failure) {
	for {
		if ctx.Err() != nil {
			return nil, interrupted()
		}
		out, next, f := fr.runState(ctx, st, input)
		if f != nil {
			return nil, f
		}
		if next == nil {
			return out, nil
		}
		if fr.top {
			fr.x.checkpoint(next, out, fr.vars, fr.last)
		}
		st, input = next, out
	}
}

func (fr *frame) runState(ctx context.Context, st *State, raw any) (any, *State, *Failure) {
	now := fr.x.eng.o.Now()
	fr.x.recordAt(now, &fr.last, st.enteredEvent, &StateEnteredEventDetails{Name: st.Name, Input: Payload{raw}})
	env := &evalEnv{input: raw, x: fr.x, st: st, entered: now, vars: fr.vars, rnd: fr.x.eng.o.Random}
	if st.Type == "Fail" {
		return nil, nil, fr.failState(env, st, raw)
	}
	eff, f := st.effectiveInput(env, raw)
	if f != nil {
		return nil, nil, f
	}
	switch st.Type {
	case "Pass":
		result := eff
		if st.hasResult {
			result = st.result
		} else if st.parameters != nil {
			env.input = eff
			if result, f = st.parameters.eval(env); f != nil {
				return nil, nil, f
			}
		}
		out, f := fr.exit(env, st, raw, result, nil)
		return out, st.nextSt, f
	case "Succeed":
		out, f := fr.exit(env, st, raw, eff, nil)
		return out, nil, f
	case "Wait":
		if f := fr.wait(ctx, env, st, eff); f != nil {
			return nil, nil, f
		}
		out, f := fr.exit(env, st, raw, eff, nil)
		return out, st.nextSt, f
	case "Choice":
		return fr.choice(env, st, raw, eff)
	case "Task":
		return fr.withRetry(ctx, env, st, raw, func() (any, *Failure) { return fr.task(ctx, env, st, raw, eff) })
	case "Parallel":
		return fr.withRetry(ctx, env, st, raw, func() (any, *Failure) { return fr.parallel(ctx, env, st, raw, eff) })
	case "Map":
		return fr.withRetry(ctx, env, st, raw, func() (any, *Failure) { return fr.mapState(ctx, env, st, raw, eff) })
	}
	return nil, nil, runtimeFailure("unknown state type %s", st.Type)
}

func (st *State) effectiveInput(env *evalEnv, raw any) (any, *Failure) {
	switch {
	case st.inputPathNull:
		return map[string]any{}, nil
	case st.inputPath == nil:
		return raw, nil
	}
	env.input = raw
	v, found, f := st.inputPath.get(env)
	if f != nil {
		return nil, f
	}
	if !found {
		return nil, runtimeFailure("An error occurred while executing the state '%s'. Invalid path '%s' : No results for path: %s", st.Name, st.inputPath.src, st.inputPath.src)
	}
	return v, nil
}

// exit finishes a state that produced result: ResultPath (for states that
// have one), OutputPath, Assign and the StateExited event. Choice, Wait and
// Succeed pass their effective input as result and have no ResultPath.
func (fr *frame) exit(env *evalEnv, st *State, raw, result any, extraAssign *template) (any, *Failure) {
	combined := result
	if st.Type != "Choice" && st.Type != "Wait" && st.Type != "Succeed" {
		var f *Failure
		if combined, f = applyResultPath(st.Name, st.resultPath, st.resultPathNull, raw, result); f != nil {
			return nil, f
		}
	}
	out := combined
	switch {
	case st.outputPathNull:
		out = map[string]any{}
	case st.outputPath != nil:
		env.input = combined
		v, found, f := st.outputPath.get(env)
		if f != nil {
			return nil, f
		}
		if !found {
			return nil, runtimeFailure("An error occurred while executing the state '%s'. Invalid path '%s' : No results for path: %s", st.Name, st.outputPath.src, st.outputPath.src)
		}
		out = v
	}
	if st.assign != nil || extraAssign != nil {
		env.input = result
		if f := fr.assign(env, st.assign, extraAssign); f != nil {
			return nil, f
		}
	}
	// Pass, Choice and Succeed take no time: they exit when they entered.
	var ts time.Time
	switch st.Type {
	case "Pass", "Choice", "Succeed":
		ts = env.entered
	}
	fr.x.recordAt(ts, &fr.last, st.exitedEvent, &StateExitedEventDetails{Name: st.Name, Output: Payload{out}})
	return out, nil
}

// assign evaluates Assign blocks against the same variable values and then
// stores the results (assignments within one state do not see each other).
func (fr *frame) assign(env *evalEnv, blocks ...*template) *Failure {
	var all map[string]any
	for _, t := range blocks {
		if t == nil {
			continue
		}
		v, f := t.eval(env)
		if f != nil {
			return f
		}
		m, _ := v.(map[string]any)
		if all == nil {
			all = m
			continue
		}
		for k, val := range m {
			all[k] = val
		}
	}
	if len(all) > 0 {
		fr.vars = fr.vars.with(all)
	}
	return nil
}

func applyResultPath(state string, p *path, discard bool, raw, result any) (any, *Failure) {
	switch {
	case discard:
		return raw, nil
	case p == nil || p.isRoot():
		return result, nil
	}
	out, ok := setResult(raw, p.steps, result)
	if !ok {
		return nil, fail(ErrResultPathMatchFailure, "An error occurred while executing the state '%s'. Unable to apply ResultPath '%s' to input '%s'", state, p.src, toJSON(raw))
	}
	return out, nil
}

// withRetry runs attempt under the state's Retry and Catch rules. Retry
// counters live here, per visit of the state, never on the definition.
func (fr *frame) withRetry(ctx context.Context, env *evalEnv, st *State, raw any, attempt func() (any, *Failure)) (any, *State, *Failure) {
	var counts []int64
	var delays []float64
	for {
		out, f := attempt()
		if f == nil {
			return out, st.nextSt, nil
		}
		if f.interrupted || f.Error == ErrRuntime {
			return nil, nil, f
		}
		retried := false
		for i, r := range st.retry {
			if !f.matches(r.errorEquals) {
				continue
			}
			if counts == nil {
				counts = make([]int64, len(st.retry))
				delays = make([]float64, len(st.retry))
			}
			if counts[i] >= r.maxAttempts {
				break
			}
			if counts[i] == 0 {
				delays[i] = float64(r.intervalSeconds)
			} else {
				delays[i] *= r.backoffRate
			}
			counts[i]++
			d := delays[i]
			if r.maxDelaySeconds > 0 && d > float64(r.maxDelaySeconds) {
				d = float64(r.maxDelaySeconds)
			}
			if r.jitterFull {
				d *= fr.x.eng.random()
			}
			if sf := fr.x.sleep(ctx, time.Duration(d*float64(time.Second))); sf != nil {
				return nil, nil, sf
			}
			env.retryCount++
			env.ctxObj = nil
			retried = true
			break
		}
		if !retried {
			return fr.catch(env, st, raw, f)
		}
	}
}

func (fr *frame) catch(env *evalEnv, st *State, raw any, f *Failure) (any, *State, *Failure) {
	for _, c := range st.catch {
		if !f.matches(c.errorEquals) {
			continue
		}
		errOut := f.output()
		out, rf := applyResultPath(st.Name, c.resultPath, c.resultPathNull, raw, errOut)
		if rf != nil {
			return nil, nil, rf
		}
		if c.assign != nil {
			env.input = errOut
			if af := fr.assign(env, c.assign); af != nil {
				return nil, nil, af
			}
		}
		return out, c.nextSt, nil
	}
	return nil, nil, f
}

// sleep waits d unless the execution's deadline comes first, in which case it
// waits until the deadline and times the execution out.
func (x *Execution) sleep(ctx context.Context, d time.Duration) *Failure {
	o := x.eng.o
	if !x.deadline.IsZero() {
		if remaining := x.deadline.Sub(o.Now()); d >= remaining {
			_ = o.Sleep(ctx, max(remaining, 0))
			x.mu.Lock()
			cancel := x.cancel
			x.mu.Unlock()
			cancel(errTimedOut)
			return interrupted()
		}
	}
	if d <= 0 {
		return nil
	}
	if err := o.Sleep(ctx, d); err != nil || ctx.Err() != nil {
		return interrupted()
	}
	return nil
}

func (fr *frame) wait(ctx context.Context, env *evalEnv, st *State, eff any) *Failure {
	var d time.Duration
	now := fr.x.eng.o.Now()
	switch {
	case st.hasSeconds:
		d = time.Duration(st.seconds) * time.Second
	case st.hasTimestamp:
		d = st.timestamp.Sub(now)
	case st.secondsPath != nil:
		env.input = eff
		v, found, f := st.secondsPath.get(env)
		if f != nil {
			return f
		}
		n, ok := v.(int64)
		if fv, isF := v.(float64); isF {
			n, ok = integer(fv)
		}
		if !found || !ok || n < 0 {
			return runtimeFailure("An error occurred while executing the state '%s'. The SecondsPath parameter cannot be parsed as a long value: %s == %s", st.Name, st.secondsPath.src, toJSON(v))
		}
		d = time.Duration(n) * time.Second
	case st.timestampPath != nil:
		env.input = eff
		v, found, f := st.timestampPath.get(env)
		if f != nil {
			return f
		}
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !found || !ok {
			return runtimeFailure("An error occurred while executing the state '%s'. The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", st.Name, st.timestampPath.src, toJSON(v))
		}
		d = t.Sub(now)
	}
	return fr.x.sleep(ctx, d)
}

func (fr *frame) choice(env *evalEnv, st *State, raw, eff any) (any, *State, *Failure) {
	env.input = eff
	var next *State
	var ruleAssign *template
	for _, r := range st.choices {
		ok, f := r.eval(env)
		if f != nil {
			f.Cause = fmt.Sprintf("An error occurred while executing the state '%s'. %s", st.Name, f.Cause)
			return nil, nil, f
		}
		if ok {
			next, ruleAssign = r.nextSt, r.assign
			break
		}
	}
	if next == nil {
		if st.defaultSt == nil {
			return nil, nil, fail(ErrNoChoiceMatched, "An error occurred while executing the state '%s'. No Choice Rules matched and no Default was specified", st.Name)
		}
		next = st.defaultSt
	}
	out, f := fr.exit(env, st, raw, eff, ruleAssign)
	return out, next, f
}

func (fr *frame) failState(env *evalEnv, st *State, raw any) *Failure {
	f := &Failure{}
	env.input = raw
	if st.hasError {
		f.Error, f.HasError = st.errorName, true
	} else if st.errorPath != nil {
		v, ff := st.errorPath.eval(env)
		if ff != nil {
			return ff
		}
		s, ok := v.(string)
		if !ok {
			return runtimeFailure("An error occurred while executing the state '%s'. The ErrorPath must resolve to a string, got %s", st.Name, typeName(v))
		}
		f.Error, f.HasError = s, true
	}
	if st.hasCause {
		f.Cause, f.HasCause = st.cause, true
	} else if st.causePath != nil {
		v, ff := st.causePath.eval(env)
		if ff != nil {
			return ff
		}
		s, ok := v.(string)
		if !ok {
			return runtimeFailure("An error occurred while executing the state '%s'. The CausePath must resolve to a string, got %s", st.Name, typeName(v))
		}
		f.Cause, f.HasCause = s, true
	}
	return f
}

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
		if !found || !ok || n <= 0 {
			return nil, runtimeFailure("An error occurred while executing the state '%s'. The value at %s must be a positive integer, got %s", st.Name, p.p.src, toJSON(v))
		}
		*p.dst = n
	}
	kind := classifyResource(st.resource)
	if kind.lambda {
		fr.rec("LambdaFunctionScheduled", &LambdaFunctionScheduledEventDetails{Resource: st.resource, Input: Payload{payload}, TimeoutInSeconds: timeout})
		fr.rec("LambdaFunctionStarted", nil)
	} else {
		fr.rec("TaskScheduled", &TaskScheduledEventDetails{ResourceType: kind.resourceType, Resource: kind.resource, Region: fr.x.eng.o.Region,
			Parameters: Payload{payload}, TimeoutInSeconds: timeout, HeartbeatInSeconds: heartbeat})
		fr.rec("TaskStarted", &TaskStartedEventDetails{ResourceType: kind.resourceType, Resource: kind.resource})
	}
	outJSON, f := fr.callRunner(ctx, st.resource, appendJSON(nil, payload), timeout, heartbeat)
	var res any
	if f == nil && len(outJSON) > MaxPayloadBytes {
		f = fail(ErrDataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", st.Name)
	}
	if f == nil {
		var err error
		if len(outJSON) == 0 {
			res = nil
		} else if res, err = parseJSON(outJSON); err != nil {
			f = fail(ErrTaskFailed, "the task returned invalid JSON: %v", err)
		}
	}
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
		fr.rec("LambdaFunctionSucceeded", &LambdaFunctionSucceededEventDetails{Output: Payload{res}})
	} else {
		fr.rec("TaskSucceeded", &TaskSucceededEventDetails{ResourceType: kind.resourceType, Resource: kind.resource, Output: Payload{res}})
	}
	result := res
	if st.resultSelector != nil {
		env.input = res
		var f *Failure
		if result, f = st.resultSelector.eval(env); f != nil {
			return nil, f
		}
	}
	return fr.exit(env, st, raw, result, nil)
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

func (fr *frame) callRunner(ctx context.Context, resource string, in []byte, timeout, heartbeat int64) (json.RawMessage, *Failure) {
	o := fr.x.eng.o
	if o.Tasks == nil {
		return nil, fail(ErrTaskFailed, "no task runner is configured for resource %s", resource)
	}
	if timeout == 0 && heartbeat == 0 {
		out, err := o.Tasks.RunTask(ctx, resource, in)
		return out, taskFailure(ctx, err)
	}
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hb := make(chan struct{}, 1)
	tctx = context.WithValue(tctx, heartbeatKey{}, hb)
	type result struct {
		out json.RawMessage
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := o.Tasks.RunTask(tctx, resource, in)
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

// firstFailure keeps the failure that ended a group of branches or
// iterations: the first real one, not the interruptions it caused.
type firstFailure struct {
	mu sync.Mutex
	f  *Failure
}

func (ff *firstFailure) set(f *Failure) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.f == nil || ff.f.interrupted && !f.interrupted {
		ff.f = f
	}
}

func (fr *frame) child(last int64) *frame {
	return &frame{x: fr.x, vars: &varScope{parent: fr.vars}, last: last}
}

func (fr *frame) parallel(ctx context.Context, env *evalEnv, st *State, raw, eff any) (any, *Failure) {
	in := eff
	if st.parameters != nil {
		env.input = eff
		var f *Failure
		if in, f = st.parameters.eval(env); f != nil {
			return nil, f
		}
	}
	started := fr.rec("ParallelStateStarted", nil)
	results := make([]any, len(st.branches))
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ff firstFailure
	var wg sync.WaitGroup
	runBranch := func(i int) {
		out, f := fr.child(started).run(bctx, st.branches[i].start, in)
		if f != nil {
			ff.set(f)
			cancel()
			return
		}
		results[i] = out
	}
	for i := 1; i < len(st.branches); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runBranch(i)
		}()
	}
	runBranch(0)
	wg.Wait()
	if f := ff.f; f != nil {
		if f.interrupted || ctx.Err() != nil {
			fr.rec("ParallelStateAborted", nil)
			return nil, interrupted()
		}
		fr.rec("ParallelStateFailed", nil)
		return nil, f
	}
	fr.rec("ParallelStateSucceeded", nil)
	var result any = results
	if st.resultSelector != nil {
		env.input = results
		var f *Failure
		if result, f = st.resultSelector.eval(env); f != nil {
			return nil, f
		}
	}
	return fr.exit(env, st, raw, result, nil)
}

// defaultMapConcurrency is how many inline Map iterations run at once when
// MaxConcurrency is 0; AWS documents up to 40.
const defaultMapConcurrency = 40

func (fr *frame) mapState(ctx context.Context, env *evalEnv, st *State, raw, eff any) (any, *Failure) {
	items := eff
	env.input = eff
	if st.itemsPath != nil {
		v, found, f := st.itemsPath.get(env)
		if f != nil {
			return nil, f
		}
		if !found {
			return nil, runtimeFailure("An error occurred while executing the state '%s'. Invalid path '%s': No results for path", st.Name, st.itemsPath.src)
		}
		items = v
	}
	arr, ok := items.([]any)
	if !ok {
		return nil, runtimeFailure("An error occurred while executing the state '%s'. Map items must be a JSON array, got %s", st.Name, typeName(items))
	}
	intAt := func(p *path, what string) (int64, *Failure) {
		v, found, f := p.get(env)
		if f != nil {
			return 0, f
		}
		n, ok := integer(v)
		if !found || !ok || n < 0 {
			return 0, runtimeFailure("An error occurred while executing the state '%s'. %s at %s must be a non-negative integer, got %s", st.Name, what, p.src, toJSON(v))
		}
		return n, nil
	}
	maxConc := st.maxConcurrency
	if st.maxConcurrencyPath != nil {
		var f *Failure
		if maxConc, f = intAt(st.maxConcurrencyPath, "MaxConcurrency"); f != nil {
			return nil, f
		}
	}
	tolerance := -1.0 // failures allowed; negative: none tolerated (fail fast)
	count, percent := st.toleratedCount, st.toleratedPercent
	hasCount, hasPercent := st.hasToleratedCount, st.hasToleratedPercent
	if st.toleratedCountPath != nil {
		var f *Failure
		if count, f = intAt(st.toleratedCountPath, "ToleratedFailureCount"); f != nil {
			return nil, f
		}
		hasCount = true
	}
	if st.toleratedPercentPath != nil {
		v, found, f := st.toleratedPercentPath.get(env)
		if f != nil {
			return nil, f
		}
		p, ok := number(v)
		if !found || !ok || p < 0 || p > 100 {
			return nil, runtimeFailure("An error occurred while executing the state '%s'. ToleratedFailurePercentage at %s must be a number between 0 and 100", st.Name, st.toleratedPercentPath.src)
		}
		percent, hasPercent = p, true
	}
	if hasCount {
		tolerance = float64(count)
	}
	if hasPercent {
		if t := percent / 100 * float64(len(arr)); tolerance < 0 || t > tolerance {
			tolerance = t
		}
	}

	started := fr.rec("MapStateStarted", &MapStateStartedEventDetails{Length: int64(len(arr))})
	results := make([]any, len(arr))
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ff firstFailure
	var failures atomic.Int64
	iterate := func(i int) {
		child := fr.child(started)
		in := arr[i]
		if st.itemSelector != nil {
			ienv := &evalEnv{input: eff, x: fr.x, st: st, entered: env.entered, item: &mapItem{index: int64(i), value: arr[i]}, vars: fr.vars, rnd: env.rnd}
			var f *Failure
			if in, f = st.itemSelector.eval(ienv); f != nil {
				ff.set(f)
				cancel()
				return
			}
		}
		child.rec("MapIterationStarted", &MapIterationEventDetails{Name: st.Name, Index: int64(i)})
		out, f := child.run(mctx, st.iterator.start, in)
		switch {
		case f == nil:
			child.rec("MapIterationSucceeded", &MapIterationEventDetails{Name: st.Name, Index: int64(i)})
			results[i] = out
		case f.interrupted:
			child.rec("MapIterationAborted", &MapIterationEventDetails{Name: st.Name, Index: int64(i)})
			ff.set(f)
		default:
			child.rec("MapIterationFailed", &MapIterationEventDetails{Name: st.Name, Index: int64(i)})
			n := failures.Add(1)
			if tolerance >= 0 && float64(n) <= tolerance {
				results[i] = f.output()
				return
			}
			if tolerance >= 0 {
				f = fail(ErrExceedToleratedFailure, "The specified tolerated failure threshold was exceeded")
			}
			ff.set(f)
			cancel()
		}
	}
	workers := len(arr)
	if maxConc == 0 {
		maxConc = defaultMapConcurrency
	}
	workers = min(workers, int(maxConc))
	var next atomic.Int64
	work := func() {
		for mctx.Err() == nil {
			i := int(next.Add(1)) - 1
			if i >= len(arr) {
				return
			}
			iterate(i)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	if workers > 0 {
		work()
	}
	wg.Wait()
	if f := ff.f; f != nil {
		if f.interrupted || ctx.Err() != nil {
			fr.rec("MapStateAborted", nil)
			return nil, interrupted()
		}
		fr.rec("MapStateFailed", nil)
		return nil, f
	}
	fr.rec("MapStateSucceeded", nil)
	var result any = results
	if st.resultSelector != nil {
		env.input = results
		var f *Failure
		if result, f = st.resultSelector.eval(env); f != nil {
			return nil, f
		}
	}
	return fr.exit(env, st, raw, result, nil)
}
