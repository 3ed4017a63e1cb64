package jsonata

import (
	"context"
	"math"
	"time"
	"unsafe"
)

// Expr is a compiled expression. It is immutable: one Expr may be evaluated many times, also
// from several goroutines at once.
type Expr struct {
	src string
	ast *node
}

// Env is what an evaluation sees besides its input.
type Env struct {
	// Vars are bound variables by name without '$' ("states" is visible as $states).
	Vars map[string]any
	// Functions are extra functions by name without '$'; they shadow the built-ins. A function
	// passed to a higher-order built-in such as $map receives only the value argument.
	Functions map[string]Function
	// KeysOf gives the member order of an input object; nil, or a nil result: sorted keys.
	KeysOf func(map[string]any) []string
	// Record is told the member order of every object the evaluation builds; may be nil.
	Record func(m map[string]any, keys []string)
	// Now is the clock for $now() and $millis(); nil: time.Now. It is read once per evaluation.
	Now func() time.Time
	// Context, when set, ends an evaluation once it is done: Eval then returns the
	// context's error. It is checked every few thousand steps.
	Context context.Context
	// MaxSteps bounds the evaluation's steps, sequence members and string bytes
	// built (D1012 past it); 0: 50,000,000. A host running expressions it did not
	// write sets it far lower.
	MaxSteps int64
}

// Function is a host function: (value, defined, error). A nil argument slot or a missing
// argument is undefined; arguments and results are in the generic JSON form.
type Function func(args []any) (any, bool, error)

// FunctionValue stands for a function in a result. JSON has no functions: jsonata-js shows them
// as "" in $string, and a caller serializing a result should refuse or replace it.
type FunctionValue struct {
	Name string // the built-in's name; empty for a lambda
}

// Compile parses a JSONata expression. A syntax error is a *Error with a jsonata-js code (S0xxx).
func Compile(expr string) (*Expr, error) {
	ast, err := parse(expr)
	if err != nil {
		return nil, err
	}
	return &Expr{src: expr, ast: ast}, nil
}

// String returns the expression's source text.
func (e *Expr) String() string { return e.src }

// Eval evaluates e against input. ok is false when the result is undefined (JSONata's "nothing",
// distinct from null). Errors are *Error with jsonata-js codes. Numbers in the result are float64
// (int64 and other numbers of the input pass through); NaN and infinities become null, and -0
// becomes 0, as JSON.stringify shows them. Functions in the result are FunctionValue.
func (e *Expr) Eval(input any, env Env) (v any, ok bool, err error) {
	ev := &evaluator{
		env:   env,
		order: &keyOrder{orders: map[unsafe.Pointer][]string{}, keysOf: env.KeysOf},
		limit: maxSteps,
	}
	if env.MaxSteps > 0 {
		ev.limit = env.MaxSteps
	}
	defer func() {
		if r := recover(); r != nil {
			if c, isCanceled := r.(canceled); isCanceled {
				v, ok, err = nil, false, c.err
				return
			}
			e, isErr := r.(*Error)
			if !isErr {
				panic(r)
			}
			ev.resolve(e)
			e.fill(ev.order)
			v, ok, err = nil, false, e
		}
	}()
	root := &frame{ev: ev, vars: make(map[string]any, len(env.Vars)+1)}
	for k, val := range env.Vars {
		root.vars[k] = val
	}
	root.vars["$"] = input
	if _, isArr := input.([]any); isArr {
		// jsonata-js wraps an array input in a singleton sequence, so that $ is the whole array.
		input = &array{items: []any{input}, sequence: true, outerWrapper: true}
	}
	res := ev.eval(e.ast, input, root)
	if res == undefined {
		return nil, false, nil
	}
	out := ev.finalize(res)
	if env.Record != nil {
		for _, m := range ev.built {
			env.Record(m, ev.order.orders[mapID(m)])
		}
	}
	return out, true, nil
}

// finalize turns evaluation values into the generic JSON form: flagged arrays become []any,
// functions FunctionValue. Objects the evaluation built are updated in place; input values are
// never changed (an input array is copied when one of its members changes).
func (ev *evaluator) finalize(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int64:
		return v
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		if x == 0 {
			return 0.0 // no negative zero
		}
		return v // the original interface value: re-boxing x would allocate
	case undefinedType:
		return nil
	case map[string]any:
		if _, built := ev.order.orders[mapID(x)]; built {
			for k, val := range x {
				if val == undefined {
					ev.deleteKey(x, k)
					continue
				}
				x[k] = ev.finalize(val)
			}
		}
		return x
	case *array:
		out := make([]any, len(x.items))
		for i, it := range x.items {
			out[i] = ev.finalize(it)
		}
		return out
	case []any:
		var out []any
		for i, it := range x {
			f := ev.finalize(it)
			if out == nil && !sameValue(f, it) {
				out = make([]any, len(x))
				copy(out, x[:i])
			}
			if out != nil {
				out[i] = f
			}
		}
		if out == nil {
			return x
		}
		return out
	case *lambda:
		return FunctionValue{}
	case *builtin:
		return FunctionValue{Name: x.name}
	case *regexLiteral:
		return FunctionValue{}
	}
	return v
}

func sameValue(a, b any) bool {
	switch x := a.(type) {
	case map[string]any, []any:
		return strictEqual(a, b)
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || (math.IsNaN(x) && math.IsNaN(y))) && math.Signbit(x) == math.Signbit(y)
	case nil, string, bool, int64:
		return a == b
	}
	return false
}
