package jsonata

import (
	"math"
	"reflect"
	"time"
)

// Limits that keep a hostile expression from exhausting the stack or running forever. jsonata-js
// has the same guards as options (stack depth, timeout); here they are always on.
var (
	maxEvalDepth       = 50_000     // nested evaluate calls (about 14,000 levels of non-tail recursion, 35 MB of stack); D1011 past it
	maxSteps     int64 = 50_000_000 // evaluation steps (and allocated sequence members); D1012 past it
)

// frame is a scope of variable bindings.
type frame struct {
	vars   map[string]any
	parent *frame
	ev     *evaluator
}

func (f *frame) bind(name string, v any) {
	if f.vars == nil {
		f.vars = make(map[string]any, 4)
	}
	f.vars[name] = v
}

func (f *frame) lookup(name string) any {
	for s := f; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v
		}
	}
	return f.ev.global(name)
}

func (f *frame) child() *frame { return &frame{parent: f, ev: f.ev} }

// handler is an error handler jsonata-js would have on the stack: a function call or the right
// side of and/or. Evaluation code pushes and pops them; an error leaves the ones it unwound
// through on the stack, and resolve applies them, innermost first.
type handler struct {
	proc     any      // a function application: the function object
	site     callSite // a call expression, or the and/or operator
	fill     bool     // a call expression: fills in a missing position and name
	operator bool     // the right side of and/or: sets both
}

type callSite struct {
	pos  int
	name string
}

// resolve gives e the position and token jsonata-js's handlers would have given it, applying
// them from the innermost out.
func (ev *evaluator) resolve(e *Error) {
	for i := len(ev.handlers) - 1; i >= 0; i-- {
		h := ev.handlers[i]
		switch {
		case h.operator:
			e.Position, e.Token = h.site.pos, h.site.name
			delete(e.args, "token")
		case h.fill:
			if e.Position == 0 {
				e.Position = h.site.pos
			}
			if e.Token == "" {
				e.Token = h.site.name
			}
		default:
			site, called := callSite{}, false
			switch h.proc.(type) {
			case *builtin, *lambda: // the only function objects a call is noted on
				site, called = ev.lastCall[h.proc]
			}
			if !called {
				continue
			}
			if site.pos > 0 {
				e.Position = site.pos
			}
			if e.Token == "" {
				e.Token = site.name
			}
		}
	}
	ev.handlers = ev.handlers[:0]
}

// evaluator holds the state of one evaluation.
type evaluator struct {
	handlers  []handler
	lastCall  map[any]callSite
	env       Env
	order     *keyOrder
	now       time.Time
	nowRead   bool
	depth     int
	steps     int64
	limit     int64
	nextCheck int64 // the step at which Env.Context is looked at next
	host      map[string]*builtin
	built     []map[string]any
}

func (ev *evaluator) charge(n int64) {
	ev.steps += n
	if ev.steps > ev.limit {
		throw("D1012", 0, "", errArgs{"value": float64(ev.limit)})
	}
	if ev.env.Context != nil && ev.steps >= ev.nextCheck {
		ev.nextCheck = ev.steps + checkEvery
		if err := ev.env.Context.Err(); err != nil {
			panic(canceled{err})
		}
	}
}

// checkEvery is how many steps go between looks at Env.Context.
const checkEvery = 4096

// canceled carries Env.Context's error out of an evaluation.
type canceled struct{ err error }

// chargeBytes charges for a built string, so that doubling a string in a loop meets the step
// budget long before it exhausts memory.
func (ev *evaluator) chargeBytes(n int) { ev.charge(int64(n / 4)) }

// global resolves a name no frame binds: the caller's functions, then the built-ins.
func (ev *evaluator) global(name string) any {
	if b, ok := ev.host[name]; ok {
		return b
	}
	if fn, ok := ev.env.Functions[name]; ok && fn != nil {
		b := hostFunction(name, fn)
		if ev.host == nil {
			ev.host = map[string]*builtin{}
		}
		ev.host[name] = b
		return b
	}
	if b, ok := builtins[name]; ok {
		return b
	}
	return undefined
}

func (ev *evaluator) timestamp() time.Time {
	if !ev.nowRead {
		ev.nowRead = true
		if ev.env.Now != nil {
			ev.now = ev.env.Now()
		} else {
			ev.now = time.Now()
		}
	}
	return ev.now
}

// newObject registers an object this evaluation built, with its members in JavaScript order.
func (ev *evaluator) newObject(m map[string]any, keys []string) map[string]any {
	ev.order.orders[mapID(m)] = jsOrder(keys)
	ev.built = append(ev.built, m)
	return m
}

func (ev *evaluator) keys(m map[string]any) []string { return ev.order.keys(m) }

// setKey sets a member of an object this evaluation built, keeping the member order.
func (ev *evaluator) setKey(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		id := mapID(m)
		ev.order.orders[id] = jsOrder(append(ev.order.orders[id], k))
	}
	m[k] = v
}

func (ev *evaluator) deleteKey(m map[string]any, k string) {
	if _, ok := m[k]; !ok {
		return
	}
	delete(m, k)
	id := mapID(m)
	ks := ev.order.orders[id]
	out := make([]string, 0, len(ks))
	for _, x := range ks {
		if x != k {
			out = append(out, x)
		}
	}
	ev.order.orders[id] = out
}

// eval is jsonata-js's evaluate: one node, then its predicates and grouping, and a sequence of
// one member collapses to that member unless it must stay an array.
func (ev *evaluator) eval(expr *node, input any, env *frame) any {
	ev.depth++
	if ev.depth > maxEvalDepth {
		throw("D1011", expr.pos, "", nil)
	}
	ev.charge(1)
	var result any
	switch expr.typ {
	case "path":
		result = ev.path(expr, input, env)
	case "binary":
		result = ev.binary(expr, input, env)
	case "unary":
		result = ev.unary(expr, input, env)
	case tokName:
		result = lookupField(input, expr.value.(string))
	case tokString, tokNumber, tokValue:
		result = expr.value
	case "wildcard":
		result = ev.wildcard(input)
	case "descendant":
		result = ev.descendants(input)
	case "parent":
		result = env.lookup(expr.slot.label)
	case "condition":
		if boolOf(ev.eval(expr.condition, input, env)) {
			result = ev.eval(expr.then, input, env)
		} else if expr.els != nil {
			result = ev.eval(expr.els, input, env)
		} else {
			result = undefined
		}
	case "block":
		f := env.child()
		result = undefined
		for _, e := range expr.expressions {
			result = ev.eval(e, input, f)
		}
	case "bind":
		result = ev.eval(expr.rhs, input, env)
		env.bind(expr.lhs.value.(string), result)
	case "regex":
		result = expr.regex
	case "function":
		result = ev.function(expr, input, env, false, nil)
	case tokVariable:
		name := expr.value.(string)
		if name == "" {
			result = input
			if a, ok := input.(*array); ok && a.outerWrapper {
				result = a.items[0]
			}
		} else {
			result = env.lookup(name)
		}
	case "lambda":
		result = &lambda{input: input, env: env, params: expr.params, sig: expr.signature, body: expr.body, thunk: expr.thunk}
	case "partial":
		result = ev.partial(expr, input, env)
	case "apply":
		result = ev.applyExpr(expr, input, env)
	case "transform":
		result = ev.transform(expr, env)
	default:
		result = undefined
	}
	for _, p := range expr.predicate {
		result = ev.filter(p.expr, result, env)
	}
	if expr.typ != "path" && expr.group != nil {
		result = ev.group(expr.group, result, env)
	}
	if a, ok := result.(*array); ok && a.sequence && !a.tuples {
		if expr.keepArray {
			a.keepSingleton = true
		}
		switch len(a.items) {
		case 0:
			result = undefined
		case 1:
			if !a.keepSingleton {
				result = a.items[0]
			}
		}
	}
	ev.depth--
	return result
}

func seqLen(v any) (int, bool) {
	items, ok := asArray(v)
	return len(items), ok
}

// simpleStep reports whether a path step is a bare field name, with nothing attached.
func simpleStep(s *node) bool {
	return s.typ == tokName && s.stages == nil && s.predicate == nil && s.group == nil && !s.tuple &&
		s.focus == "" && !s.hasIndex && s.ancestor == nil && !s.keepArray
}

func (ev *evaluator) path(expr *node, input any, env *frame) any {
	start := 0
	if !expr.keepSingletonArray && expr.group == nil && !expr.tuple {
		// Fast path: leading field steps over single objects need no sequences. The general
		// algorithm below gives the same result for them, allocating as it goes.
		cur := input
		for start < len(expr.steps) && simpleStep(expr.steps[start]) {
			m, ok := cur.(map[string]any)
			if !ok {
				break
			}
			v, found := m[expr.steps[start].value.(string)]
			if !found {
				return undefined
			}
			cur = v
			start++
		}
		if start > 0 {
			if items, isArr := cur.([]any); isArr && len(items) == 0 && start < len(expr.steps) {
				return newSeq() // an empty step result ends the path
			}
			if _, flagged := cur.(*array); flagged {
				start = 0 // a sequence built by this evaluation: let the general algorithm flatten it
			} else if start == len(expr.steps) {
				return cur
			} else {
				input = cur
			}
		}
	}
	return ev.pathFrom(expr, input, env, start)
}

// pathFrom is jsonata-js's evaluatePath from step start on: each step maps over the sequence the
// previous one produced; steps with @, # or % bindings switch to a stream of tuples.
func (ev *evaluator) pathFrom(expr *node, input any, env *frame, start int) any {
	var inputSeq any
	// After the fast path, input is the result of the steps before start, which flattens an
	// array whatever the next step is.
	if _, ok := asArray(input); ok && (start > 0 || expr.steps[0].typ != tokVariable) {
		inputSeq = input
	} else {
		inputSeq = newSeq(input)
	}
	var result any = undefined
	isTuple := false
	var tuples any // the tuple stream; nil before the first tuple step
	last := len(expr.steps) - 1
	for i := start; i <= last; i++ {
		step := expr.steps[i]
		if step.tuple {
			isTuple = true
		}
		switch {
		case i == 0 && step.consarray:
			result = ev.eval(step, inputSeq, env)
		case isTuple:
			tuples = ev.tupleStep(step, inputSeq, tuples, env)
		default:
			result = ev.step(step, inputSeq, env, i == last)
		}
		if !isTuple {
			if result == undefined {
				break
			}
			if n, ok := seqLen(result); ok && n == 0 {
				break
			}
		}
		if step.focus == "" {
			inputSeq = result
		}
	}
	if isTuple {
		if expr.tuple {
			result = tuples
		} else {
			s := newSeq()
			if tuples != nil {
				for _, t := range itemsOf(tuples) {
					if tm, ok := t.(map[string]any); ok {
						s.items = append(s.items, tm["@"])
					}
				}
			}
			result = s
		}
	}
	if expr.keepSingletonArray {
		if a, ok := result.(*array); ok && a.cons && !a.sequence {
			result = newSeq(a)
		}
		if a, ok := result.(*array); ok {
			a.keepSingleton = true
		}
	}
	if expr.group != nil {
		if isTuple {
			result = ev.group(expr.group, tuples, env)
		} else {
			result = ev.group(expr.group, result, env)
		}
	}
	return result
}

func itemsOf(v any) []any {
	if items, ok := asArray(v); ok {
		return items
	}
	return []any{v}
}

// step is evaluateStep: one path step over every item of input, its results flattened one level
// (an array built by a constructor stays whole), and a lone array result of the last step kept.
func (ev *evaluator) step(expr *node, input any, env *frame, lastStep bool) any {
	if expr.typ == "sort" {
		result := ev.sortExpr(expr, input, env)
		if expr.stages != nil {
			result = ev.stages(expr.stages, result, env)
		}
		return result
	}
	var results []any
	// Only an array is iterated: jsonata-js loops over input.length, which a single value (the
	// result of a first step like [..][0]) does not have.
	inputItems, _ := asArray(input)
	for _, item := range inputItems {
		res := ev.eval(expr, item, env)
		for _, st := range expr.stages {
			res = ev.filter(st.expr, res, env)
		}
		if res != undefined {
			results = append(results, res)
		}
	}
	if lastStep && len(results) == 1 {
		if _, ok := asArray(results[0]); ok && !isSequence(results[0]) {
			return results[0]
		}
	}
	out := newSeq()
	for _, res := range results {
		items, isArr := asArray(res)
		if a, ok := res.(*array); !isArr || (ok && a.cons) {
			out.items = append(out.items, res)
		} else {
			out.items = append(out.items, items...)
		}
	}
	return out
}

func (ev *evaluator) stages(stages []*stage, input any, env *frame) any {
	result := input
	for _, st := range stages {
		switch st.typ {
		case "filter":
			result = ev.filter(st.expr, result, env)
		case "index":
			items, _ := asArray(result)
			for i, t := range items {
				if m, ok := t.(map[string]any); ok {
					m[st.value] = float64(i)
				}
			}
		}
	}
	return result
}

func tupleFrame(env *frame, tuple map[string]any) *frame {
	f := env.child()
	f.vars = make(map[string]any, len(tuple))
	for k, v := range tuple {
		f.vars[k] = v
	}
	return f
}

// tupleStep is evaluateTupleStep: a step over tuples that carry the @, # and % bindings. As in
// jsonata-js, sorting a tuple stream returns a plain array: the stream loses its mark, so a
// predicate or a sort after it sees the tuples themselves as its context.
func (ev *evaluator) tupleStep(expr *node, input any, tuples any, env *frame) any {
	if expr.typ == "sort" {
		var result any
		if tuples != nil {
			result = ev.sortExpr(expr, tuples, env)
		} else {
			sorted := ev.sortExpr(expr, input, env)
			s := &array{sequence: true, tuples: true}
			for i, v := range itemsOf(sorted) {
				t := map[string]any{"@": v}
				if expr.hasIndex {
					t[expr.index] = float64(i)
				}
				s.items = append(s.items, t)
			}
			result = s
		}
		if expr.stages != nil {
			result = ev.stages(expr.stages, result, env)
		}
		return result
	}
	result := &array{sequence: true, tuples: true}
	if tuples == nil {
		s := &array{sequence: true, tuples: true}
		for _, item := range itemsOf(input) {
			s.items = append(s.items, map[string]any{"@": item})
		}
		tuples = s
	}
	for _, tb := range itemsOf(tuples) {
		tuple, ok := tb.(map[string]any)
		if !ok {
			continue
		}
		res := ev.eval(expr, tuple["@"], tupleFrame(env, tuple))
		if res == undefined {
			continue
		}
		resItems, ok := asArray(res)
		if !ok {
			resItems = []any{res}
		}
		resTuples := false
		if a, ok := res.(*array); ok && a.tuples {
			resTuples = true
		}
		for bb, r := range resItems {
			t := make(map[string]any, len(tuple)+2)
			for k, v := range tuple {
				t[k] = v
			}
			if resTuples {
				for k, v := range r.(map[string]any) {
					t[k] = v
				}
			} else {
				if expr.focus != "" {
					t[expr.focus] = r
					t["@"] = tuple["@"]
				} else {
					t["@"] = r
				}
				if expr.hasIndex {
					t[expr.index] = float64(bb)
				}
				if expr.ancestor != nil {
					t[expr.ancestor.label] = tuple["@"]
				}
			}
			result.items = append(result.items, t)
		}
	}
	if expr.stages != nil {
		return ev.stages(expr.stages, result, env)
	}
	return result
}

// filter is evaluateFilter: a predicate is an index (numbers, negative from the end) or a test.
func (ev *evaluator) filter(pred *node, input any, env *frame) any {
	var results any
	res := newSeq()
	results = res
	inTuples := false
	if a, ok := input.(*array); ok && a.tuples {
		res.tuples = true
		inTuples = true
	}
	items := itemsOf(input)
	if pred.typ == tokNumber {
		index := int(math.Floor(pred.value.(float64)))
		if index < 0 {
			index += len(items)
		}
		if index >= 0 && index < len(items) {
			item := items[index]
			if item != undefined {
				if _, ok := asArray(item); ok {
					results = item
				} else {
					res.items = append(res.items, item)
				}
			}
		}
		return results
	}
	for index, item := range items {
		context, fenv := item, env
		if inTuples {
			t := item.(map[string]any)
			context = t["@"]
			fenv = tupleFrame(env, t)
		}
		r := ev.eval(pred, context, fenv)
		if isNumeric(r) {
			r = []any{r}
		}
		if nums, ok := arrayOfNumbers(r); ok {
			for _, n := range nums {
				ii := int(math.Floor(n))
				if ii < 0 {
					ii += len(items)
				}
				if ii == index {
					res.items = append(res.items, item)
				}
			}
		} else if boolOf(r) {
			res.items = append(res.items, item)
		}
	}
	return results
}

func arrayOfNumbers(v any) ([]float64, bool) {
	items, ok := asArray(v)
	if !ok {
		return nil, false
	}
	out := make([]float64, len(items))
	for i, it := range items {
		if !isNumeric(it) {
			return nil, false
		}
		out[i], _ = toNumber(it)
	}
	return out, true
}

func (ev *evaluator) binary(expr *node, input any, env *frame) any {
	op := expr.value.(string)
	lhs := ev.eval(expr.lhs, input, env)
	if op == "and" || op == "or" {
		l := boolOf(lhs)
		if (op == "and" && !l) || (op == "or" && l) {
			return l
		}
		// jsonata-js evaluates the right side inside the operator's error handler, so its
		// errors are reported at the operator.
		n := len(ev.handlers)
		ev.handlers = append(ev.handlers, handler{site: callSite{pos: expr.pos, name: op}, operator: true})
		r := boolOf(ev.eval(expr.rhs, input, env))
		ev.handlers = ev.handlers[:n]
		return r
	}
	rhs := ev.eval(expr.rhs, input, env)
	switch op {
	case "+", "-", "*", "/", "%":
		for _, v := range []any{lhs, rhs} {
			if f, ok := toNumber(v); ok && math.IsInf(f, 0) {
				throw("D1001", expr.pos, op, errArgs{"value": f}) // inside the operator's handler
			}
		}
		if lhs != undefined && !isNumeric(lhs) {
			throw("T2001", expr.pos, op, errArgs{"value": lhs})
		}
		if rhs != undefined && !isNumeric(rhs) {
			throw("T2002", expr.pos, op, errArgs{"value": rhs})
		}
		if lhs == undefined || rhs == undefined {
			return undefined
		}
		a, _ := toNumber(lhs)
		b, _ := toNumber(rhs)
		switch op {
		case "+":
			return a + b
		case "-":
			return a - b
		case "*":
			return a * b
		case "/":
			return a / b
		default:
			return math.Mod(a, b)
		}
	case "=", "!=":
		if lhs == undefined || rhs == undefined {
			return false
		}
		return deepEqual(lhs, rhs) == (op == "=")
	case "<", "<=", ">", ">=":
		return compare(lhs, rhs, op, expr.pos)
	case "&":
		r := ev.str(lhs, expr.pos) + ev.str(rhs, expr.pos)
		ev.chargeBytes(len(r))
		return r
	case "..":
		return ev.rangeOf(lhs, rhs, expr.pos)
	case "in":
		if lhs == undefined || rhs == undefined {
			return false
		}
		for _, it := range itemsOf(rhs) {
			if strictEqual(it, lhs) {
				return true
			}
		}
		return false
	}
	return undefined
}

// str is fn.string for the & operator: undefined is the empty string.
func (ev *evaluator) str(v any, pos int) string {
	if v == undefined {
		return ""
	}
	return ev.toString(v, false, pos)
}

func compare(lhs, rhs any, op string, pos int) any {
	lk, rk := kindOf(lhs), kindOf(rhs)
	lok := lk == 'm' || lk == 's' || lk == 'n'
	rok := rk == 'm' || rk == 's' || rk == 'n'
	if !lok || !rok {
		v := rhs
		if !(lk == 's' || lk == 'n') {
			v = lhs
		}
		throw("T2010", pos, op, errArgs{"value": v})
	}
	if lk == 'm' || rk == 'm' {
		return undefined
	}
	if lk != rk {
		throw("T2009", pos, op, errArgs{"value": lhs, "value2": rhs})
	}
	var c int
	if lk == 'n' {
		a, _ := toNumber(lhs)
		b, _ := toNumber(rhs)
		switch {
		case a < b:
			c = -1
		case a > b:
			c = 1
		case a == b:
			c = 0
		default: // NaN compares false every way
			return false
		}
	} else {
		c = compareStrings(lhs.(string), rhs.(string))
	}
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// compareStrings orders strings by UTF-16 code units, as JavaScript's < does.
func compareStrings(a, b string) int {
	if a == b {
		return 0
	}
	ua, ub := []rune(a), []rune(b)
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			ca, cb := utf16Key(ua[i]), utf16Key(ub[i])
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	if len(ua) < len(ub) {
		return -1
	}
	return 1
}

// utf16Key maps a rune to a value that orders as its first UTF-16 code unit, then the rune.
func utf16Key(r rune) int64 {
	if r >= 0x10000 {
		hi := 0xD800 + ((r - 0x10000) >> 10)
		return int64(hi)<<21 | int64(r)
	}
	return int64(r) << 21
}

// kindOf is JavaScript's typeof reduced to what the operators check: m(issing), s, n, other.
func kindOf(v any) byte {
	switch v.(type) {
	case undefinedType:
		return 'm'
	case string:
		return 's'
	}
	if _, ok := toNumber(v); ok {
		return 'n'
	}
	return 'x'
}

// strictEqual is JavaScript's ===: values for scalars, identity for objects and arrays.
func strictEqual(a, b any) bool {
	if fa, ok := toNumber(a); ok {
		fb, ok := toNumber(b)
		return ok && fa == fb
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && mapID(x) == mapID(y)
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	case *array:
		return a == b
	case nil, string, bool, undefinedType:
		return a == b
	}
	return reflect.ValueOf(a).Kind() == reflect.Pointer && a == b
}

func (ev *evaluator) rangeOf(lhs, rhs any, pos int) any {
	isInt := func(v any) bool {
		f, ok := toNumber(v)
		return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	if lhs != undefined && !isInt(lhs) {
		throw("T2003", pos, "..", errArgs{"value": lhs})
	}
	if rhs != undefined && !isInt(rhs) {
		throw("T2004", pos, "..", errArgs{"value": rhs})
	}
	if lhs == undefined || rhs == undefined {
		return undefined
	}
	a, _ := toNumber(lhs)
	b, _ := toNumber(rhs)
	if a > b {
		return undefined
	}
	size := b - a + 1
	if size > 1e7 {
		throw("D2014", pos, "..", errArgs{"value": size})
	}
	ev.charge(int64(size))
	s := &array{sequence: true, items: make([]any, 0, int(size))}
	for x := a; x <= b; x++ {
		s.items = append(s.items, x)
	}
	return s
}

func (ev *evaluator) unary(expr *node, input any, env *frame) any {
	switch expr.value {
	case "-":
		v := ev.eval(expr.expression, input, env)
		if v == undefined {
			return undefined
		}
		if isNumeric(v) {
			f, _ := toNumber(v)
			return -f
		}
		throw("D1002", expr.pos, "-", errArgs{"value": v})
	case "[":
		result := []any{}
		for _, item := range expr.expressions {
			v := ev.eval(item, input, env)
			if v == undefined {
				continue
			}
			if item.value == "[" {
				result = append(result, v)
			} else if items, ok := asArray(v); ok {
				result = append(result, items...)
			} else {
				result = append(result, v)
			}
		}
		ev.charge(int64(len(result)))
		if expr.consarray {
			return &array{items: result, cons: true}
		}
		return result
	case "{":
		return ev.group(&group{pairs: expr.pairs, pos: expr.pos}, input, env)
	}
	return undefined
}

// lookupField is fn.lookup: a member of an object, mapped over arrays.
func lookupField(input any, key string) any {
	switch x := input.(type) {
	case map[string]any:
		if v, ok := x[key]; ok {
			return v
		}
		return undefined
	case []any, *array:
		items, _ := asArray(x)
		out := newSeq()
		for _, it := range items {
			res := lookupField(it, key)
			if res == undefined {
				continue
			}
			if ri, ok := asArray(res); ok {
				out.items = append(out.items, ri...)
			} else {
				out.items = append(out.items, res)
			}
		}
		return out
	}
	return undefined
}

func (ev *evaluator) wildcard(input any) any {
	out := newSeq()
	if a, ok := input.(*array); ok && a.outerWrapper && len(a.items) > 0 {
		input = a.items[0]
	}
	var members []any
	if m, ok := input.(map[string]any); ok {
		for _, k := range ev.keys(m) {
			members = append(members, m[k])
		}
	} else if items, ok := asArray(input); ok {
		members = items // a JavaScript array is an object whose keys are its indexes
	}
	for _, v := range members {
		if _, ok := asArray(v); ok {
			out.items = appendFlat(out.items, v)
		} else {
			out.items = append(out.items, v)
		}
	}
	return out
}

func appendFlat(dst []any, v any) []any {
	if items, ok := asArray(v); ok {
		for _, it := range items {
			dst = appendFlat(dst, it)
		}
		return dst
	}
	return append(dst, v)
}

func (ev *evaluator) descendants(input any) any {
	if input == undefined {
		return undefined
	}
	out := newSeq()
	var rec func(v any)
	rec = func(v any) {
		ev.charge(1)
		if items, ok := asArray(v); ok {
			for _, it := range items {
				rec(it)
			}
			return
		}
		out.items = append(out.items, v)
		if m, ok := v.(map[string]any); ok {
			for _, k := range ev.keys(m) {
				rec(m[k])
			}
		}
	}
	rec(input)
	if len(out.items) == 1 {
		return out.items[0]
	}
	return out
}
