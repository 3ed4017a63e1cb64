package asl

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jsonata"
)

// JSONata states (QueryLanguage "JSONata") take their data through
// Arguments, Output, Assign, Items, ItemSelector and Condition, in which any
// string written "{% expression %}" is a JSONata expression and every other
// value a literal, at any depth of objects and arrays. An expression sees the
// reserved variable $states (input, result, errorOutput, context) and the
// workflow variables. See
// https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html.

// jexpr is one compiled {% %} expression of a JSONata state.
type jexpr struct {
	src   string // the text between {% and %}, as AWS quotes it in causes
	field string // where it sits, as AWS names it: Arguments/Input/key
	e     *jsonata.Expr
	// usesContext: the expression may read $states.context, which costs
	// building the context object.
	usesContext bool
}

// isJSONataExpr reports whether s is written as an expression: AWS takes
// "{%" at its very start and "%}" at its very end, with no spaces around.
func isJSONataExpr(s string) bool {
	return len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}")
}

// compileExpr compiles s (which isJSONataExpr) at parse time, so that a
// syntax error refuses the definition before any execution starts.
func compileExpr(s, field, loc string, d *diagnostics) *jexpr {
	src := strings.TrimSpace(s[2 : len(s)-2])
	e, err := jsonata.Compile(src)
	if err != nil {
		d.add(CodeSchema, loc, "The JSONata expression '%s' specified for the field '%s' is invalid: %s", src, field, jsonataMessage(err))
		return nil
	}
	return &jexpr{src: src, field: field, e: e, usesContext: mayReadContext(src)}
}

// mayReadContext reports whether expression src can reach
// $states.context: it names "context", or uses $states other than through
// .input, .result or .errorOutput (a whole $states can reach anything).
func mayReadContext(src string) bool {
	if strings.Contains(src, "context") {
		return true
	}
	for rest := src; ; {
		i := strings.Index(rest, "$states")
		if i < 0 {
			return false
		}
		rest = rest[i+len("$states"):]
		if !strings.HasPrefix(rest, ".input") && !strings.HasPrefix(rest, ".result") && !strings.HasPrefix(rest, ".errorOutput") {
			return true
		}
	}
}

// jsonataMessage is an evaluator error as AWS quotes it: "T0410: Argument 1 ...".
func jsonataMessage(err error) string {
	var je *jsonata.Error
	if errors.As(err, &je) && je.Code != "" {
		return je.Code + ": " + je.Message
	}
	return err.Error()
}

// compileJSONata compiles a JSONata state's field value: objects and arrays
// are walked, "{% %}" strings compiled, everything else kept as a literal.
// field names the value in causes (Arguments/a/b), loc in diagnostics.
func compileJSONata(v any, field, loc string, d *diagnostics) *template {
	n, lit := compileJNode(v, field, loc, d)
	return &template{root: n, literal: lit}
}

func compileJNode(v any, field, loc string, d *diagnostics) (tnode, bool) {
	switch t := v.(type) {
	case string:
		if !isJSONataExpr(t) {
			return tliteral{v}, true
		}
		if e := compileExpr(t, field, loc, d); e != nil {
			return e, false
		}
		return tliteral{nil}, true
	case map[string]any:
		obj := &tobject{src: t}
		literal := true
		for _, k := range sortedKeys(t) {
			kloc := loc + "/" + pointerEscape(k)
			if strings.HasSuffix(k, ".$") {
				d.add(CodeSchema, kloc, "The field '%s' ends in '.$', which only JSONPath states use; a JSONata state writes the value as \"{%% expression %%}\"", k)
			}
			n, lit := compileJNode(t[k], field+"/"+k, kloc, d)
			literal = literal && lit
			obj.keys = append(obj.keys, k)
			obj.nodes = append(obj.nodes, n)
		}
		if literal {
			return tliteral{v}, true
		}
		return obj, false
	case []any:
		return compileArray(t, func(i int, e any) (tnode, bool) {
			return compileJNode(e, fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%s/%d", loc, i), d)
		})
	}
	return tliteral{v}, true
}

// compileJSONataAssign compiles a JSONata state's (or Catcher's or Choice
// Rule's) Assign: an object of variable names, each value a JSONata field.
func compileJSONataAssign(v any, loc string, d *diagnostics) *template {
	m, ok := v.(map[string]any)
	if !ok {
		d.add(CodeSchema, loc, "The field 'Assign' must be an object")
		return nil
	}
	for k := range m {
		if !validVariableName(k) {
			d.add(CodeSchema, loc+"/"+pointerEscape(k), "'%s' is not a valid variable name", k)
		}
	}
	return compileJSONata(m, "Assign", loc, d)
}

// jsonataMaxSteps bounds one expression's work (steps, sequence members,
// string bytes built). Definitions and inputs come from users, and a state's
// data is at most 256 KiB, so a million is far above what real expressions
// need and a few tenths of a second of CPU at most; AWS refuses such
// expressions too (States.QueryEvaluationError on its memory limit).
const jsonataMaxSteps = 1_000_000

func (n *jexpr) eval(e *evalEnv) (any, *Failure) {
	v, ok, err := safeEval(n.e, e.jsonataEnv(n.usesContext))
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, interrupted()
	}
	if err != nil {
		return nil, e.queryFail(n.field, "The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %s", n.src, n.field, jsonataMessage(err))
	}
	if !ok {
		return nil, e.queryFail(n.field, "The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", n.src, n.field)
	}
	if !isJSONValue(v) {
		return nil, e.queryFail(n.field, "The JSONata expression '%s' specified for the field '%s' returned an unsupported result type.", n.src, n.field)
	}
	return v, nil
}

// safeEval is Eval turning a panic left in the evaluator into an error: the
// expressions and their inputs come from users, and the engine runs inside a
// host (the local stack) that one bad expression must not bring down.
func safeEval(e *jsonata.Expr, env jsonata.Env) (v any, ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, ok, err = nil, false, fmt.Errorf("internal error in the JSONata evaluator: %v", r)
		}
	}()
	return e.Eval(nil, env)
}

// isJSONValue reports whether v can be a state's data: a function, or a
// number JSON cannot write, cannot.
func isJSONValue(v any) bool {
	switch t := v.(type) {
	case nil, bool, string, int64:
		return true
	case float64:
		return !math.IsNaN(t) && !math.IsInf(t, 0)
	case []any:
		for _, e := range t {
			if !isJSONValue(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range t {
			if !isJSONValue(e) {
				return false
			}
		}
		return true
	}
	return false
}

// queryFail is a States.QueryEvaluationError of the current state; field is
// the EvaluationFailed event's location.
func (e *evalEnv) queryFail(field, format string, args ...any) *Failure {
	f := e.fail(ErrQueryEvaluationError, format, args...)
	f.location = field
	return f
}

// jsonataEnv is what an expression of the current state sees: the workflow
// variables and $states, Step Functions' own functions, and the member order
// of the objects it reads and builds. It is built once per state and built
// again when $states changes (a result, an error output, a retry) or when an
// expression needs the context object it was built without.
func (e *evalEnv) jsonataEnv(withContext bool) jsonata.Env {
	sv := e.states
	if sv == nil {
		sv = &statesVar{input: e.input}
		e.states = sv
	}
	if sv.env != nil && (sv.envContext || !withContext) {
		return *sv.env
	}
	var n int
	if e.vars != nil {
		n = len(e.vars.vals)
	}
	vars := make(map[string]any, n+1)
	if e.vars != nil {
		for k, v := range e.vars.vals {
			vars[k] = v
		}
	}
	states := map[string]any{"input": sv.input}
	if withContext {
		states["context"] = e.context()
	}
	if sv.hasResult {
		states["result"] = sv.result
	}
	if sv.hasErrorOutput {
		states["errorOutput"] = sv.errorOutput
	}
	vars["states"] = states
	env := jsonata.Env{Vars: vars, KeysOf: e.keysOf, Context: sv.ctx, MaxSteps: jsonataMaxSteps}
	if e.x != nil {
		env.Functions = e.x.jsonataFunctions()
		env.Now = e.x.eng.o.Now
		if o := e.x.order; o != nil {
			env.Record = o.put
		}
	} else {
		env.Functions = e.stepFunctions()
	}
	sv.env, sv.envContext = &env, withContext
	return env
}

// jsonataFunctions are the execution's Step Functions functions, built once.
func (x *Execution) jsonataFunctions() map[string]jsonata.Function {
	x.jsonataOnce.Do(func() {
		x.jsonataFuncs = (&evalEnv{x: x, rnd: x.eng.o.Random}).stepFunctions()
	})
	return x.jsonataFuncs
}

// stepFunctions are the functions Step Functions adds to JSONata, and $eval,
// which it removes
// (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html,
// "JSONata functions provided by Step Functions").
func (e *evalEnv) stepFunctions() map[string]jsonata.Function {
	intrinsicFn := func(name string, minArgs, maxArgs int, fn func(*evalEnv, *intrinsic, []any) (any, *Failure)) jsonata.Function {
		in := &intrinsic{name: "$" + name}
		return func(args []any) (any, bool, error) {
			if len(args) < minArgs || len(args) > maxArgs {
				return nil, false, fmt.Errorf("$%s takes %s, got %d", name, argCount(minArgs, maxArgs), len(args))
			}
			v, f := fn(e, in, args)
			if f != nil {
				return nil, false, errors.New(f.Cause)
			}
			return v, true, nil
		}
	}
	return map[string]jsonata.Function{
		"partition": intrinsicFn("partition", 2, 2, fnArrayPartition),
		"range":     intrinsicFn("range", 3, 3, fnArrayRange),
		"hash":      intrinsicFn("hash", 2, 2, fnHash),
		"uuid":      intrinsicFn("uuid", 0, 0, fnUUID),
		"random":    e.jsonataRandom,
		"parse":     e.jsonataParse,
		"eval": func([]any) (any, bool, error) {
			return nil, false, errors.New("$eval is not supported by Step Functions; use $parse")
		},
	}
}

func argCount(minArgs, maxArgs int) string {
	switch {
	case minArgs == maxArgs && minArgs == 1:
		return "1 argument"
	case minArgs == maxArgs:
		return fmt.Sprintf("%d arguments", minArgs)
	}
	return fmt.Sprintf("%d to %d arguments", minArgs, maxArgs)
}

// jsonataRandom is $random([seed]): a number in [0,1), the same for the
// same seed.
func (e *evalEnv) jsonataRandom(args []any) (any, bool, error) {
	switch len(args) {
	case 0:
		return e.random(), true, nil
	case 1:
		if n, ok := integer(args[0]); ok {
			return javaRandomDouble(n), true, nil
		}
		h := fnv.New64a()
		h.Write(appendJSON(nil, args[0]))
		return javaRandomDouble(int64(h.Sum64())), true, nil
	}
	return nil, false, fmt.Errorf("$random takes at most 1 argument, got %d", len(args))
}

// javaRandomDouble is new java.util.Random(seed).nextDouble(): what AWS's
// $random(seed) gives ($random(42) is 0.7275636800328681 there, as reported
// by people comparing emulators with AWS; the docs say only "seeded").
func javaRandomDouble(seed int64) float64 {
	const mult, mask = 0x5DEECE66D, 1<<48 - 1
	s := (seed ^ mult) & mask
	next := func(bits uint) int64 {
		s = (s*mult + 0xB) & mask
		return s >> (48 - bits)
	}
	hi := next(26)
	return float64(hi<<27+next(27)) * (1.0 / (1 << 53))
}

// jsonataParse is $parse(text): the JSON value text holds, its objects
// keeping their members' order.
func (e *evalEnv) jsonataParse(args []any) (any, bool, error) {
	if len(args) != 1 {
		return nil, false, fmt.Errorf("$parse takes 1 argument, got %d", len(args))
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, false, fmt.Errorf("$parse: the argument must be a string, got %s", typeName(args[0]))
	}
	v, err := parseJSON([]byte(s))
	if err != nil {
		return nil, false, fmt.Errorf("$parse: the argument is not valid JSON: %v", err)
	}
	if e.x != nil {
		e.x.order.recordJSON([]byte(s), v)
	}
	return v, true, nil
}
