package jsonata

import (
	"math"
)

// lambda is a function defined in an expression (or a partial application of one).
type lambda struct {
	input  any
	env    *frame
	params []string
	sig    *signature
	body   *node
	thunk  bool     // a tail call, run by apply's loop
	native *builtin // set when this is a partial application of a built-in
}

// builtin is a library function or a function from Env.Functions.
type builtin struct {
	name  string
	sig   *signature
	arity int // the JavaScript implementation's parameter count: how many arguments $map & co pass
	fn    func(ev *evaluator, c *call, args []any) any
}

// call is what a built-in sees of its call site: the context value, scope and position.
type call struct {
	input any
	env   *frame
	pos   int
	name  string
}

// placeholder marks a '?' argument of a partial application.
type placeholderType struct{}

var placeholder = placeholderType{}

func arity(fn any) int {
	switch f := fn.(type) {
	case *lambda:
		return len(f.params)
	case *builtin:
		return f.arity
	case *regexLiteral:
		return 2
	}
	return 0
}

func procName(expr *node) string {
	if expr.typ == "path" && len(expr.steps) > 0 {
		s, _ := expr.steps[0].value.(string)
		return s
	}
	s, _ := expr.value.(string)
	return s
}

func (ev *evaluator) function(expr *node, input any, env *frame, applied bool, context any) any {
	proc := ev.eval(expr.procedure, input, env)
	if proc == undefined && expr.procedure.typ == "path" {
		if name, ok := expr.procedure.steps[0].value.(string); ok && env.lookup(name) != undefined {
			throw("T1005", expr.pos, name, nil)
		}
	}
	args := make([]any, 0, len(expr.arguments)+1)
	if applied {
		args = append(args, context)
	}
	for _, a := range expr.arguments {
		args = append(args, ev.eval(a, input, env))
	}
	name := procName(expr.procedure)
	ev.noteCall(proc, expr.pos, name)
	// The call expression's own handler fills in a position and a name the error lacks.
	n := len(ev.handlers)
	ev.handlers = append(ev.handlers, handler{site: callSite{pos: expr.pos, name: name}, fill: true})
	r := ev.apply(proc, args, input, env, expr.pos, name)
	ev.handlers = ev.handlers[:n]
	return r
}

// apply calls a function; a tail call comes back as a thunk, which is run here in a loop rather
// than by recursion.
func (ev *evaluator) apply(proc any, args []any, input any, env *frame, pos int, name string) any {
	result := ev.applyInner(proc, args, input, env, pos, name)
	for {
		l, ok := result.(*lambda)
		if !ok || !l.thunk {
			return result
		}
		ev.charge(1)
		call := l.body
		next := ev.eval(call.procedure, l.input, l.env)
		// jsonata-js notes the tail call on the function before it evaluates the arguments.
		tname := ""
		if call.procedure.typ == tokVariable {
			tname = procName(call.procedure)
		}
		ev.noteCall(next, call.procedure.pos, tname)
		targs := make([]any, len(call.arguments))
		for i, a := range call.arguments {
			targs[i] = ev.eval(a, l.input, l.env)
		}
		result = ev.applyInner(next, targs, input, env, call.pos, procName(call.procedure))
	}
}

// applyInner calls proc inside an error handler, as jsonata-js does: an error raised inside the
// call (in a higher-order function's callback too) takes the position and name of the last call
// of the same function object made by a function-call expression. See evaluator.resolve.
func (ev *evaluator) applyInner(proc any, args []any, input any, env *frame, pos int, name string) any {
	n := len(ev.handlers)
	ev.handlers = append(ev.handlers, handler{proc: proc})
	r := ev.applyBody(proc, args, input, env, pos, name)
	ev.handlers = ev.handlers[:n]
	return r
}

// noteCall records a function-call expression's position and name on the function object, as
// jsonata-js sets proc.position and proc.token before applying it.
func (ev *evaluator) noteCall(proc any, pos int, name string) {
	switch proc.(type) {
	case *builtin, *lambda:
		if ev.lastCall == nil {
			ev.lastCall = map[any]callSite{}
		}
		ev.lastCall[proc] = callSite{pos: pos, name: name}
	}
}

func (ev *evaluator) applyBody(proc any, args []any, input any, env *frame, pos int, name string) any {
	switch p := proc.(type) {
	case *lambda:
		if p.sig != nil {
			args = p.sig.validate(args, input, name, pos)
		}
		return ev.applyProcedure(p, args, pos, name)
	case *builtin:
		if p.sig != nil {
			args = p.sig.validate(args, input, name, pos)
		}
		return p.fn(ev, &call{input: input, env: env, pos: pos, name: name}, args)
	case *regexLiteral:
		s, ok := argAt(args, 0).(string)
		if !ok {
			return undefined
		}
		m := p.exec(s, 0)
		if m == nil {
			return undefined
		}
		return ev.matchObject(p, s, m, pos)
	}
	throw("T1006", pos, name, nil)
	return nil
}

func (ev *evaluator) applyProcedure(p *lambda, args []any, pos int, name string) any {
	env := p.env.child()
	env.vars = make(map[string]any, len(p.params))
	for i, param := range p.params {
		env.vars[param] = argAt(args, i)
	}
	if p.native != nil {
		// A partially applied built-in: its bound arguments live in the enclosing frames.
		full := make([]any, p.native.arity)
		for i := range full {
			full[i] = env.lookup(nativeParam(i))
		}
		if p.native.sig != nil {
			full = trimUndefined(full)
			full = p.native.sig.validate(full, undefined, name, pos)
		}
		return p.native.fn(ev, &call{input: undefined, env: env, pos: pos, name: name}, full)
	}
	return ev.eval(p.body, p.input, env)
}

func trimUndefined(args []any) []any {
	n := len(args)
	for n > 0 && args[n-1] == undefined {
		n--
	}
	return args[:n]
}

func nativeParam(i int) string { return "\x00arg" + itoa(i) }

func (ev *evaluator) partial(expr *node, input any, env *frame) any {
	args := make([]any, len(expr.arguments))
	for i, a := range expr.arguments {
		if a.typ == tokOperator && a.value == "?" {
			args[i] = placeholder
		} else {
			args[i] = ev.eval(a, input, env)
		}
	}
	proc := ev.eval(expr.procedure, input, env)
	if proc == undefined && expr.procedure.typ == "path" {
		if name, ok := expr.procedure.steps[0].value.(string); ok && env.lookup(name) != undefined {
			throw("T1007", expr.pos, name, nil)
		}
	}
	switch p := proc.(type) {
	case *lambda:
		return partialLambda(p, args, env)
	case *builtin:
		params := make([]string, p.arity)
		for i := range params {
			params[i] = nativeParam(i)
		}
		return partialLambda(&lambda{env: env, params: params, native: p, input: undefined}, args, env)
	}
	throw("T1008", expr.pos, procName(expr.procedure), nil)
	return nil
}

func partialLambda(p *lambda, args []any, env *frame) *lambda {
	base := p.env
	if base == nil {
		base = env
	}
	f := base.child()
	var unbound []string
	for i, param := range p.params {
		a := argAt(args, i)
		if a == placeholder {
			unbound = append(unbound, param)
		} else {
			f.bind(param, a)
		}
	}
	return &lambda{input: p.input, env: f, params: unbound, body: p.body, native: p.native}
}

// chainAST composes two functions for `f ~> g` when f is itself a function.
var chainAST = func() *node {
	n, err := parse("function($f, $g) { function($x){ $g($f($x)) } }")
	if err != nil {
		panic(err)
	}
	return n
}()

func (ev *evaluator) applyExpr(expr *node, input any, env *frame) any {
	lhs := ev.eval(expr.lhs, input, env)
	if expr.rhs.typ == "function" {
		return ev.function(expr.rhs, input, env, true, lhs)
	}
	fn := ev.eval(expr.rhs, input, env)
	if !isFunc(fn) {
		throw("T2006", expr.pos, "~>", errArgs{"value": fn})
	}
	if isFunc(lhs) {
		chain := ev.eval(chainAST, nil, env)
		return ev.apply(chain, []any{lhs, fn}, nil, env, expr.pos, "")
	}
	return ev.apply(fn, []any{lhs}, nil, env, expr.pos, "")
}

// callback applies a function argument of a higher-order built-in to at most as many of
// (value, index, array) as the function declares parameters.
func (ev *evaluator) callback(c *call, fn any, args ...any) any {
	n := arity(fn)
	if n < len(args) {
		if n < 1 {
			n = 1
		}
		args = args[:n]
	}
	return ev.apply(fn, args, nil, c.env, c.pos, c.name)
}

// group is evaluateGroupExpression: an object constructor, over one value or, on a path, over a
// sequence whose items are grouped by key.
func (ev *evaluator) group(g *group, input any, env *frame) any {
	reduce := false
	if a, ok := input.(*array); ok && a.tuples {
		reduce = true
	}
	items := itemsOf(input)
	if len(items) == 0 && !reduce {
		items = []any{undefined}
	}
	// An entry collects the items of one key as fn.append would, without copying the collected
	// items again for every item added.
	type entry struct {
		first     any
		rest      []any // nil until a second item arrives; then all items, arrays spread
		exprIndex int
	}
	data := func(e *entry) any {
		if e.rest == nil {
			return e.first
		}
		return e.rest
	}
	groups := map[string]*entry{}
	var order []string
	for _, item := range items {
		ctx, genv := item, env
		if reduce {
			t := item.(map[string]any)
			ctx = t["@"]
			genv = tupleFrame(env, t)
		}
		for pi, pair := range g.pairs {
			key := ev.eval(pair[0], ctx, genv)
			if key == undefined {
				continue
			}
			k, ok := key.(string)
			if !ok {
				throw("T1003", g.pos, "", errArgs{"value": key})
			}
			if k == "_jsonata_lambda" || k == "_jsonata_function" {
				throw("D1013", g.pos, "", errArgs{"value": k})
			}
			e, ok := groups[k]
			if !ok {
				groups[k] = &entry{first: item, exprIndex: pi}
				order = append(order, k)
				continue
			}
			if e.exprIndex != pi {
				throw("D1009", g.pos, "", errArgs{"value": k})
			}
			if item == undefined {
				continue
			}
			if e.rest == nil {
				if e.first == undefined {
					e.first = item
					continue
				}
				e.rest = append([]any{}, itemsOf(e.first)...)
			}
			e.rest = append(e.rest, itemsOf(item)...)
		}
	}
	order = jsOrder(order)
	result := make(map[string]any, len(order))
	var keys []string
	for _, k := range order {
		e := groups[k]
		ctx, genv := data(e), env
		if reduce {
			t := reduceTuples(ctx)
			ctx = t["@"]
			delete(t, "@")
			genv = tupleFrame(env, t)
		}
		v := ev.eval(g.pairs[e.exprIndex][1], ctx, genv)
		if v != undefined {
			result[k] = v
			keys = append(keys, k)
		}
	}
	return ev.newObject(result, keys)
}

func reduceTuples(stream any) map[string]any {
	items, ok := asArray(stream)
	if !ok {
		t := stream.(map[string]any)
		out := make(map[string]any, len(t))
		for k, v := range t {
			out[k] = v
		}
		return out
	}
	out := map[string]any{}
	for k, v := range items[0].(map[string]any) {
		out[k] = v
	}
	for _, it := range items[1:] {
		for k, v := range it.(map[string]any) {
			prev, ok := out[k]
			if !ok {
				prev = undefined
			}
			out[k] = appendValues(prev, v)
		}
	}
	return out
}

// appendValues is fn.append: the concatenation of two values, each taken as an array.
func appendValues(a, b any) any {
	if a == undefined {
		return b
	}
	if b == undefined {
		return a
	}
	ai, _ := asArray(a)
	if _, ok := asArray(a); !ok {
		ai = []any{a}
	}
	bi, ok := asArray(b)
	if !ok {
		bi = []any{b}
	}
	out := make([]any, 0, len(ai)+len(bi))
	out = append(out, ai...)
	return append(out, bi...)
}

// sortExpr evaluates an order-by step. Each item's sort keys are evaluated once, when a
// comparison first needs them, and compared in the order jsonata-js compares them, so type
// errors (T2007, T2008) arise as they do there.
func (ev *evaluator) sortExpr(expr *node, input any, env *frame) any {
	isTuple := false
	if a, ok := input.(*array); ok && a.tuples {
		isTuple = true
	}
	items, ok := asArray(input)
	if !ok || len(items) <= 1 {
		return input
	}
	keys := make([][]any, len(items))
	key := func(i, term int) any {
		if keys[i] == nil {
			keys[i] = make([]any, len(expr.terms))
			for t := range keys[i] {
				keys[i][t] = placeholder
			}
		}
		if keys[i][term] == placeholder {
			t := &expr.terms[term]
			if isTuple {
				tm := items[i].(map[string]any)
				keys[i][term] = ev.eval(t.expr, tm["@"], tupleFrame(env, tm))
			} else {
				keys[i][term] = ev.eval(t.expr, items[i], env)
			}
		}
		return keys[i][term]
	}
	greater := func(a, b any) bool {
		i, j := a.(int), b.(int)
		comp := 0
		for term := 0; comp == 0 && term < len(expr.terms); term++ {
			aa, bb := key(i, term), key(j, term)
			if aa == undefined {
				if bb == undefined {
					comp = 0
				} else {
					comp = 1
				}
				continue
			}
			if bb == undefined {
				comp = -1
				continue
			}
			ak, bk := kindOf(aa), kindOf(bb)
			if !(ak == 's' || ak == 'n') || !(bk == 's' || bk == 'n') {
				v := bb
				if !(ak == 's' || ak == 'n') {
					v = aa
				}
				throw("T2008", expr.pos, "", errArgs{"value": v})
			}
			if ak != bk {
				throw("T2007", expr.pos, "", errArgs{"value": aa, "value2": bb})
			}
			c := 0
			if ak == 'n' {
				x, _ := toNumber(aa)
				y, _ := toNumber(bb)
				if x == y {
					continue
				} else if x < y {
					c = -1
				} else {
					c = 1
				}
			} else {
				c = compareStrings(aa.(string), bb.(string))
				if c == 0 {
					continue
				}
			}
			if expr.terms[term].descending {
				c = -c
			}
			comp = c
		}
		return comp == 1
	}
	idx := make([]any, len(items))
	for i := range idx {
		idx[i] = i
	}
	sorted := ev.mergeSort(idx, greater).([]any)
	out := make([]any, len(items))
	for k, i := range sorted {
		out[k] = items[i.(int)]
	}
	return out // a plain array, as fn.sort returns: a sorted tuple stream is no longer marked one
}

// mergeSort is fn.sort's merge sort: stable, and it takes the right element first only when
// greater(left, right) holds. Arrays of fewer than two members are returned as they are.
func (ev *evaluator) mergeSort(arr any, greater func(a, b any) bool) any {
	items, ok := asArray(arr)
	if !ok || len(items) <= 1 {
		return arr
	}
	var msort func(a []any) []any
	msort = func(a []any) []any {
		if len(a) <= 1 {
			return a
		}
		mid := len(a) / 2
		l := msort(append([]any(nil), a[:mid]...))
		r := msort(append([]any(nil), a[mid:]...))
		out := make([]any, 0, len(a))
		i, j := 0, 0
		for i < len(l) && j < len(r) {
			ev.charge(1)
			if greater(l[i], r[j]) {
				out = append(out, r[j])
				j++
			} else {
				out = append(out, l[i])
				i++
			}
		}
		out = append(out, l[i:]...)
		return append(out, r[j:]...)
	}
	return msort(items)
}

func (ev *evaluator) transform(expr *node, env *frame) any {
	return &builtin{name: "transform", sig: transformSig, arity: 1, fn: func(ev *evaluator, c *call, args []any) any {
		obj := argAt(args, 0)
		if obj == undefined {
			return undefined
		}
		clone := env.lookup("clone")
		if !isFunc(clone) {
			throw("T2013", expr.pos, "", nil)
		}
		result := ev.apply(clone, []any{obj}, nil, env, expr.pos, "clone")
		matches := ev.eval(expr.pattern, result, env)
		if matches == undefined {
			return result
		}
		for _, match := range itemsOf(matches) {
			update := ev.eval(expr.update, match, env)
			if update != undefined {
				um, ok := update.(map[string]any)
				if !ok {
					throw("T2011", expr.update.pos, "", errArgs{"value": update})
				}
				if mm, ok := match.(map[string]any); ok {
					for _, k := range ev.keys(um) {
						v := um[k]
						if refersTo(v, mm, 0) {
							// jsonata-js would make the object contain itself; a copy of
							// the value as it is now keeps the result a tree.
							v = ev.copyValue(v)
						}
						ev.setKey(mm, k, v)
					}
				}
			}
			if expr.del != nil {
				dels := ev.eval(expr.del, match, env)
				if dels == undefined {
					continue
				}
				names, ok := arrayOfStrings(itemsOf(dels))
				if !ok {
					throw("T2012", expr.del.pos, "", errArgs{"value": dels})
				}
				if mm, ok := match.(map[string]any); ok {
					for _, k := range names {
						ev.deleteKey(mm, k)
					}
				}
			}
		}
		return result
	}}
}

var transformSig = mustSignature("<(oa):o>")

func mustSignature(sig string) *signature {
	s, err := parseSignature(sig)
	if err != nil {
		panic("jsonata: bad signature " + sig + ": " + err.Message)
	}
	return s
}

func arrayOfStrings(items []any) ([]string, bool) {
	out := make([]string, len(items))
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// clone is $clone: JSON.parse($string(v)), so numbers pass through the 15-digit rounding and
// functions become "".
func (ev *evaluator) clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		var keys []string
		for _, k := range ev.keys(x) {
			c := x[k]
			if c == undefined {
				continue
			}
			out[k] = ev.clone(c)
			keys = append(keys, k)
		}
		return ev.newObject(out, keys)
	case string, bool, nil:
		return x
	}
	if isFunc(v) {
		return ""
	}
	if f, ok := toNumber(v); ok {
		if math.IsInf(f, 0) {
			isNumeric(f)
		}
		if math.IsNaN(f) {
			return nil
		}
		return precision15(f)
	}
	if items, ok := asArray(v); ok {
		if a, ok := v.(*array); ok && a.outerWrapper && len(items) > 0 {
			return ev.clone(items[0])
		}
		out := make([]any, len(items))
		for i, it := range items {
			if it == undefined {
				out[i] = nil
			} else {
				out[i] = ev.clone(it)
			}
		}
		return out
	}
	return nil
}

// toString is fn.string.
func (ev *evaluator) toString(v any, pretty bool, pos int) string {
	switch x := v.(type) {
	case string:
		return x
	}
	if isFunc(v) {
		return ""
	}
	if f, ok := toNumber(v); ok {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			throw("D3001", pos, "", errArgs{"value": f})
		}
		return jsNumber(precision15(f))
	}
	return stringify(v, pretty, ev.order)
}

// fnBoolean is fn.boolean; undefined stays undefined.
func fnBoolean(v any) any {
	switch x := v.(type) {
	case undefinedType:
		return undefined
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case map[string]any:
		return len(x) > 0
	}
	if items, ok := asArray(v); ok {
		switch len(items) {
		case 0:
			return false
		case 1:
			return fnBoolean(items[0])
		}
		for _, it := range items {
			if b, _ := fnBoolean(it).(bool); b {
				return true
			}
		}
		return false
	}
	if isNumeric(v) {
		f, _ := toNumber(v)
		return f != 0
	}
	return false
}

func boolOf(v any) bool {
	b, _ := fnBoolean(v).(bool)
	return b
}

// refersTo reports whether v is or contains the object m.
func refersTo(v any, m map[string]any, depth int) bool {
	if depth > maxEvalDepth {
		return true // too deep to tell: copying is safe
	}
	switch x := v.(type) {
	case map[string]any:
		if mapID(x) == mapID(m) {
			return true
		}
		for _, c := range x {
			if refersTo(c, m, depth+1) {
				return true
			}
		}
	default:
		if items, ok := asArray(v); ok {
			for _, c := range items {
				if refersTo(c, m, depth+1) {
					return true
				}
			}
		}
	}
	return false
}

// copyValue deep-copies the objects and arrays of v, keeping member order.
func (ev *evaluator) copyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		keys := ev.keys(x)
		for _, k := range keys {
			out[k] = ev.copyValue(x[k])
		}
		return ev.newObject(out, keys)
	case *array:
		c := *x
		c.items = make([]any, len(x.items))
		for i, it := range x.items {
			c.items[i] = ev.copyValue(it)
		}
		return &c
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = ev.copyValue(it)
		}
		return out
	}
	return v
}
