package asl

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jsonata"
)

// varScope holds workflow variables (Assign). It is never modified: an
// assignment makes a new scope, so a checkpoint, or a Parallel branch or Map
// iteration that assigns, never changes what others see.
type varScope struct {
	vals map[string]any
}

func (s *varScope) lookup(name string) (any, bool) {
	v, ok := s.vals[name]
	return v, ok
}

// with returns a scope holding s's values updated with assigned.
func (s *varScope) with(assigned map[string]any) *varScope {
	vals := make(map[string]any, len(s.vals)+len(assigned))
	for k, v := range s.vals {
		vals[k] = v
	}
	for k, v := range assigned {
		vals[k] = v
	}
	return &varScope{vals: vals}
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
	enteredID  int64 // the StateEntered event, cited in error causes
	item       *mapItem
	vars       *varScope
	rnd        func() float64
	ctxObj     map[string]any

	// states is $states in a JSONata state, nil in a JSONPath one (which
	// keeps evalEnv, allocated for every state, small).
	states *statesVar
}

// statesVar is a JSONata state's $states (input, result, errorOutput; the
// context comes from the evalEnv) and the jsonata.Env built from it.
type statesVar struct {
	ctx                        context.Context // ends the state's evaluations (Stop, timeout, a failed sibling)
	input, result, errorOutput any
	hasResult, hasErrorOutput  bool
	// env is what expressions see (see jsonataEnv): nil when $states
	// changed; envContext says it holds the context object.
	env        *jsonata.Env
	envContext bool
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

// plain shows a value in an error cause: strings bare, the rest as JSON.
func plain(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return toJSON(v)
}

// fail is a failure of the current state, with the cause prefixed as AWS
// does: "An error occurred while executing the state 'S' (entered at the event id #2)."
func (e *evalEnv) fail(name, format string, args ...any) *Failure {
	return fail(name, "An error occurred while executing the state '%s' (entered at the event id #%d). %s", e.st.Name, e.enteredID, fmt.Sprintf(format, args...))
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
			fr.evaluationFailed(st, f)
			return nil, f
		}
		if ctx.Err() != nil {
			// Stopped or timed out while the state ran: even a last state's
			// result does not make the execution succeed.
			return nil, interrupted()
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
	id := fr.x.recordAt(now, &fr.last, st.enteredEvent, &StateEnteredEventDetails{Name: st.Name, Input: fr.x.payload(raw)})
	env := &evalEnv{input: raw, x: fr.x, st: st, entered: now, enteredID: id, vars: fr.vars, rnd: fr.x.eng.o.Random}
	if st.jsonata {
		env.states = &statesVar{ctx: ctx, input: raw}
	}
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
		out, f := fr.exit(env, st, raw, result, result, nil)
		return out, st.nextSt, f
	case "Succeed":
		out, f := fr.exit(env, st, raw, eff, eff, nil)
		return out, nil, f
	case "Wait":
		if f := fr.wait(ctx, env, st, eff); f != nil {
			return nil, nil, f
		}
		out, f := fr.exit(env, st, raw, eff, eff, nil)
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
		return nil, env.fail(ErrRuntime, "Invalid path '%s' : No results for path: %s", st.inputPath.src, st.inputPath.normalized())
	}
	return v, nil
}

// exit finishes a state that produced result: ResultPath (for states that
// have one), OutputPath, Assign and the StateExited event. Choice, Wait and
// Succeed pass their effective input as result and have no ResultPath.
// assignIn is what Assign's "$" paths read: the state's raw result, before
// any ResultSelector. That is the order LocalStack's interpreter (and moto's
// port of it) follows, whose Assign tests are recorded against AWS; none of
// those recordings combines Assign with ResultSelector, so this is the
// best-supported reading rather than a verified one.
func (fr *frame) exit(env *evalEnv, st *State, raw, result, assignIn any, extraAssign *template) (any, *Failure) {
	if st.jsonata {
		return fr.exitJSONata(env, st, result, extraAssign)
	}
	combined := result
	if st.Type != "Choice" && st.Type != "Wait" && st.Type != "Succeed" {
		var f *Failure
		if combined, f = applyResultPath(env, st.resultPath, st.resultPathNull, raw, result); f != nil {
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
			return nil, env.fail(ErrRuntime, "Invalid path '%s' : No results for path: %s", st.outputPath.src, st.outputPath.normalized())
		}
		out = v
	}
	if jsonSizeExceeds(out, MaxPayloadBytes) {
		return nil, fail(ErrDataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", st.Name)
	}
	var assigned map[string]any
	if st.assign != nil || extraAssign != nil {
		env.input = assignIn
		var f *Failure
		if assigned, f = fr.assign(env, st.assign, extraAssign); f != nil {
			return nil, f
		}
	}
	fr.exited(exitTime(env, st), st, out, assigned)
	return out, nil
}

// exitTime is when a state exits in history: Pass, Choice and Succeed take
// no time, they exit when they entered; zero means now.
func exitTime(env *evalEnv, st *State) time.Time {
	switch st.Type {
	case "Pass", "Choice", "Succeed":
		return env.entered
	}
	return time.Time{}
}

// exitJSONata finishes a JSONata state: Output (by default the result of a
// Task, Parallel or Map, the input of the others) and Assign, both
// evaluated against the variables as they were when the state was entered
// (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html).
func (fr *frame) exitJSONata(env *evalEnv, st *State, result any, extraAssign *template) (any, *Failure) {
	switch st.Type {
	case "Task", "Parallel", "Map":
		env.states.result, env.states.hasResult, env.states.env = result, true, nil
	}
	out := result
	if st.output != nil {
		var f *Failure
		if out, f = st.output.eval(env); f != nil {
			return nil, f
		}
	}
	if jsonSizeExceeds(out, MaxPayloadBytes) {
		return nil, fail(ErrDataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", st.Name)
	}
	assigned, f := fr.assign(env, st.assign, extraAssign)
	if f != nil {
		return nil, f
	}
	fr.exited(exitTime(env, st), st, out, assigned)
	return out, nil
}

// evaluationFailed records the EvaluationFailed event AWS writes when a
// JSONata expression of st fails, once per failure.
func (fr *frame) evaluationFailed(st *State, f *Failure) {
	if f.location == "" {
		return
	}
	ed := errorDetails(f)
	fr.rec("EvaluationFailed", &EvaluationFailedEventDetails{Error: ed.Error, Cause: ed.Cause, Location: f.location, State: st.Name})
	f.location = ""
}

// exited records the StateExited event, with the variables the state assigned.
func (fr *frame) exited(ts time.Time, st *State, out any, assigned map[string]any) {
	d := &StateExitedEventDetails{Name: st.Name, Output: fr.x.payload(out)}
	if len(assigned) > 0 {
		d.AssignedVariables = make(map[string]string, len(assigned))
		for k, v := range assigned {
			d.AssignedVariables[k] = toJSON(v)
		}
		d.AssignedVariablesDetails = &PayloadDetails{}
	}
	fr.x.recordAt(ts, &fr.last, st.exitedEvent, d)
}

// assign evaluates Assign blocks against the same variable values and then
// stores the results (assignments within one state do not see each other).
func (fr *frame) assign(env *evalEnv, blocks ...*template) (map[string]any, *Failure) {
	var all map[string]any
	for _, t := range blocks {
		if t == nil {
			continue
		}
		v, f := t.eval(env)
		if f != nil {
			return nil, f
		}
		// A literal block evaluates to the definition's own map: copy from
		// it, never into it.
		m, _ := v.(map[string]any)
		if all == nil {
			all = make(map[string]any, len(m))
		}
		for k, val := range m {
			all[k] = val
		}
	}
	if len(all) > 0 {
		fr.vars = fr.vars.with(all)
	}
	return all, nil
}

func applyResultPath(env *evalEnv, p *path, discard bool, raw, result any) (any, *Failure) {
	switch {
	case discard:
		return raw, nil
	case p == nil || p.isRoot():
		return result, nil
	}
	out, ok := setResult(raw, p.steps, result)
	if !ok {
		return nil, env.fail(ErrResultPathMatchFailure, "Unable to apply ResultPath '%s' to input '%s'", p.src, toJSON(raw))
	}
	// The objects copied along the path keep their members' order, the
	// result's member last when new.
	in, at := raw, out
	for _, s := range p.steps {
		if s.isIndex {
			a, _ := in.([]any)
			b, _ := at.([]any)
			in, at = nil, nil
			if i := s.index; i >= 0 && i < len(a) && i < len(b) {
				in, at = a[i], b[i]
			}
			continue
		}
		m, _ := in.(map[string]any)
		o, ok := at.(map[string]any)
		if !ok {
			break
		}
		env.extendedOrder(m, o, s.key)
		in, at = m[s.key], o[s.key]
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
		fr.evaluationFailed(st, f)
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
			if env.states != nil {
				env.states.env = nil
			}
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
		fr.x.order.put(errOut, []string{"Error", "Cause"}) // as AWS writes it
		if st.jsonata {
			return fr.catchJSONata(env, st, c, errOut)
		}
		out, rf := applyResultPath(env, c.resultPath, c.resultPathNull, raw, errOut)
		if rf != nil {
			return nil, nil, rf
		}
		var assigned map[string]any
		if c.assign != nil {
			env.input = errOut
			var af *Failure
			if assigned, af = fr.assign(env, c.assign); af != nil {
				return nil, nil, af
			}
		}
		// AWS records the state's exit with the Catch's output.
		fr.exited(time.Time{}, st, out, assigned)
		return out, c.nextSt, nil
	}
	return nil, nil, f
}

// catchJSONata passes a caught error on from a JSONata state: the Catcher's
// Output, by default the error output, and its Assign, both seeing
// $states.errorOutput.
func (fr *frame) catchJSONata(env *evalEnv, st *State, c *catcher, errOut map[string]any) (any, *State, *Failure) {
	env.states.hasResult, env.states.env = false, nil
	env.states.errorOutput, env.states.hasErrorOutput = errOut, true
	var out any = errOut
	if c.output != nil {
		var f *Failure
		if out, f = c.output.eval(env); f != nil {
			return nil, nil, f
		}
	}
	assigned, f := fr.assign(env, c.assign)
	if f != nil {
		return nil, nil, f
	}
	fr.exited(time.Time{}, st, out, assigned)
	return out, c.nextSt, nil
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
			return env.fail(ErrRuntime, "The SecondsPath parameter cannot be parsed as a long value: %s == %s", st.secondsPath.src, plain(v))
		}
		if n > maxSeconds {
			return env.fail(ErrRuntime, "The SecondsPath parameter must be at most %d: %s == %s", maxSeconds, st.secondsPath.src, plain(v))
		}
		d = time.Duration(n) * time.Second
	case st.secondsExpr != nil:
		n, f := intExpr(env, st.secondsExpr, 0, maxSeconds)
		if f != nil {
			return f
		}
		d = time.Duration(n) * time.Second
	case st.timestampExpr != nil:
		v, f := st.timestampExpr.eval(env)
		if f != nil {
			return f
		}
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !ok {
			return env.queryFail("Timestamp", "The JSONata expression '%s' specified for the field 'Timestamp' returned an unexpected result: expected an RFC 3339 timestamp string, got %s", st.timestampExpr.src, toJSON(v))
		}
		d = t.Sub(now)
	case st.timestampPath != nil:
		env.input = eff
		v, found, f := st.timestampPath.get(env)
		if f != nil {
			return f
		}
		s, _ := v.(string)
		t, ok := parseTimestamp(s)
		if !found || !ok {
			return env.fail(ErrRuntime, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", st.timestampPath.src, plain(v))
		}
		d = t.Sub(now)
	}
	return fr.x.sleep(ctx, d)
}

// maxSeconds is the largest Wait, TimeoutSeconds and HeartbeatSeconds value
// (state-wait.html: "integer value from 0 to 99999999"); beyond about 9.2e9
// seconds a time.Duration would overflow and wait not at all.
const maxSeconds = 99999999

// intExpr evaluates a JSONata number field (TimeoutSeconds, Seconds,
// MaxConcurrency...), which must be an integer from least to most.
func intExpr(env *evalEnv, e *jexpr, least, most int64) (int64, *Failure) {
	v, f := e.eval(env)
	if f != nil {
		return 0, f
	}
	n, ok := integer(v)
	if !ok || n < least || n > most {
		return 0, env.queryFail(e.field, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result: expected an integer from %d to %d, got %s", e.src, e.field, least, most, toJSON(v))
	}
	return n, nil
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
		if !ok && st.jsonata {
			return env.queryFail("Error", "The JSONata expression '%s' specified for the field 'Error' returned an unexpected result: expected a string, got %s", st.errorPath.(*jexpr).src, toJSON(v))
		}
		if !ok {
			return env.fail(ErrRuntime, "The ErrorPath must resolve to a string, got %s", typeName(v))
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
		if !ok && st.jsonata {
			return env.queryFail("Cause", "The JSONata expression '%s' specified for the field 'Cause' returned an unexpected result: expected a string, got %s", st.causePath.(*jexpr).src, toJSON(v))
		}
		if !ok {
			return env.fail(ErrRuntime, "The CausePath must resolve to a string, got %s", typeName(v))
		}
		f.Cause, f.HasCause = s, true
	}
	return f
}
