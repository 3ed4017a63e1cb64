package asl

import (
	"fmt"
	"strings"
	"time"
)

// choiceRule is one Choice Rule: a boolean expression (And/Or/Not) or a data
// test comparing Variable with a literal or with another path.
type choiceRule struct {
	and, or []*choiceRule
	not     *choiceRule

	variable  *path
	op        string // comparator name without the Path suffix, e.g. StringEquals
	operand   any    // literal operand
	opPath    *path  // operand from a *Path comparator
	tsOperand time.Time

	// condition is a JSONata rule's Condition: a boolean or an expression.
	condition tnode

	next   string
	nextSt *State
	assign *template
}

var comparators = map[string]string{} // field name -> operand kind: string, number, boolean, timestamp, pattern, test

func init() {
	for _, op := range []string{"Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"} {
		comparators["String"+op] = "string"
		comparators["Numeric"+op] = "number"
		comparators["Timestamp"+op] = "timestamp"
		comparators["String"+op+"Path"] = "path"
		comparators["Numeric"+op+"Path"] = "path"
		comparators["Timestamp"+op+"Path"] = "path"
	}
	comparators["BooleanEquals"] = "boolean"
	comparators["BooleanEqualsPath"] = "path"
	comparators["StringMatches"] = "pattern"
	for _, t := range []string{"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"} {
		comparators[t] = "boolean"
	}
}

// compileRule compiles a Choice Rule at loc; top says it is a member of
// Choices (and so needs Next) rather than nested in And/Or/Not.
func compileRule(v any, loc string, top bool, d *diagnostics) *choiceRule {
	m, ok := v.(map[string]any)
	if !ok {
		d.add(CodeSchema, loc, "A Choice Rule must be an object")
		return nil
	}
	r := &choiceRule{}
	var ops []string
	for k := range m {
		switch k {
		case "Next", "Comment", "Assign", "Variable", "And", "Or", "Not":
		default:
			if _, ok := comparators[k]; ok {
				ops = append(ops, k)
			} else if k == "Condition" {
				d.add(CodeSchema, loc+"/Condition", "The field 'Condition' is only supported with the JSONata query language")
			} else {
				d.add(CodeSchema, loc+"/"+pointerEscape(k), "The field '%s' is not supported by Choice Rules", k)
			}
		}
	}
	if top {
		next, ok := m["Next"].(string)
		if !ok {
			d.add(CodeSchema, loc, "These fields are required: [Next]")
		}
		r.next = next
		if a, ok := m["Assign"]; ok {
			r.assign = compileAssign(a, loc+"/Assign", d)
		}
	} else {
		if _, ok := m["Next"]; ok {
			d.add(CodeSchema, loc+"/Next", "Nested Choice Rules must not have a Next field")
		}
		if _, ok := m["Assign"]; ok {
			d.add(CodeSchema, loc+"/Assign", "Nested Choice Rules must not have an Assign field")
		}
	}
	boolOps := 0
	for _, k := range []string{"And", "Or", "Not"} {
		if _, ok := m[k]; ok {
			boolOps++
		}
	}
	switch {
	case boolOps > 1 || boolOps == 1 && (len(ops) > 0 || m["Variable"] != nil):
		d.add(CodeSchema, loc, "A Choice Rule must have exactly one of And, Or, Not or a comparison")
		return r
	case boolOps == 1:
		if n, ok := m["Not"]; ok {
			r.not = compileRule(n, loc+"/Not", false, d)
			return r
		}
		key := "And"
		if _, ok := m["Or"]; ok {
			key = "Or"
		}
		list, ok := m[key].([]any)
		if !ok || len(list) == 0 {
			d.add(CodeSchema, loc+"/"+key, "The field '%s' must be a non-empty array of Choice Rules", key)
			return r
		}
		rules := make([]*choiceRule, 0, len(list))
		for i, e := range list {
			if c := compileRule(e, fmt.Sprintf("%s/%s/%d", loc, key, i), false, d); c != nil {
				rules = append(rules, c)
			}
		}
		if key == "And" {
			r.and = rules
		} else {
			r.or = rules
		}
		return r
	}
	vs, ok := m["Variable"].(string)
	if !ok {
		d.add(CodeSchema, loc, "These fields are required: [Variable]")
		return r
	}
	p, err := compilePath(vs, false)
	if err != nil {
		d.add(CodeSchema, loc+"/Variable", "%v", err)
	}
	r.variable = p
	if len(ops) != 1 {
		d.add(CodeSchema, loc, "A Choice Rule with a Variable must have exactly one comparison operator, found %d", len(ops))
		return r
	}
	op := ops[0]
	val := m[op]
	oploc := loc + "/" + op
	switch comparators[op] {
	case "string", "pattern":
		if _, ok := val.(string); !ok {
			d.add(CodeSchema, oploc, "The value of '%s' must be a string", op)
		}
	case "number":
		if _, ok := number(val); !ok {
			d.add(CodeSchema, oploc, "The value of '%s' must be a number", op)
		}
	case "boolean":
		if _, ok := val.(bool); !ok {
			d.add(CodeSchema, oploc, "The value of '%s' must be a boolean", op)
		}
	case "timestamp":
		s, _ := val.(string)
		ts, ok := parseTimestamp(s)
		if !ok {
			d.add(CodeSchema, oploc, "The value of '%s' must be an RFC 3339 timestamp", op)
		}
		r.tsOperand = ts
	case "path":
		s, _ := val.(string)
		pp, err := compilePath(s, false)
		if err != nil {
			d.add(CodeSchema, oploc, "%v", err)
		}
		r.opPath = pp
		op = strings.TrimSuffix(op, "Path")
	}
	r.op = op
	r.operand = val
	return r
}

// compileCondition compiles a JSONata Choice Rule: Condition (a boolean or
// a {% %} expression), Next, and an optional Assign
// (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html,
// "Choice Rules (JSONata)").
func compileCondition(v any, loc string, d *diagnostics) *choiceRule {
	m, ok := v.(map[string]any)
	if !ok {
		d.add(CodeSchema, loc, "A Choice Rule must be an object")
		return nil
	}
	r := &choiceRule{}
	for k := range m {
		_, isComparator := comparators[k]
		switch {
		case k == "Condition", k == "Next", k == "Assign", k == "Comment":
		case isComparator, k == "Variable", k == "And", k == "Or", k == "Not":
			d.add(CodeSchema, loc+"/"+k, "The field '%s' is only supported with the JSONPath query language", k)
		default:
			d.add(CodeSchema, loc+"/"+pointerEscape(k), "The field '%s' is not supported by Choice Rules", k)
		}
	}
	c, has := m["Condition"]
	s, isString := c.(string)
	switch b, isBool := c.(bool); {
	case !has:
		d.add(CodeSchema, loc, "These fields are required: [Condition]")
	case isBool:
		r.condition = tliteral{b}
	case isString && isJSONataExpr(s):
		if e := compileExpr(s, "Condition", loc+"/Condition", d); e != nil {
			r.condition = e
		}
	default:
		d.add(CodeSchema, loc+"/Condition", "The field 'Condition' must be a boolean or a JSONata expression")
	}
	next, ok := m["Next"].(string)
	if !ok {
		d.add(CodeSchema, loc, "These fields are required: [Next]")
	}
	r.next = next
	if a, ok := m["Assign"]; ok {
		r.assign = compileJSONataAssign(a, loc+"/Assign", d)
	}
	return r
}

// test evaluates a JSONata rule's Condition, which must be a boolean.
func (r *choiceRule) test(e *evalEnv) (bool, *Failure) {
	v, f := r.condition.eval(e)
	if f != nil {
		return false, f
	}
	b, ok := v.(bool)
	if !ok {
		src := ""
		if x, isExpr := r.condition.(*jexpr); isExpr {
			src = x.src
		}
		return false, e.queryFail("Condition", "The JSONata expression '%s' specified for the field 'Condition' returned an unexpected result type: expected a boolean, got %s", src, toJSON(v))
	}
	return b, nil
}

// parseTimestamp accepts the RFC 3339 profile Step Functions uses (an
// uppercase T and Z, or a numeric offset).
func parseTimestamp(s string) (time.Time, bool) {
	if len(s) < 20 || s[10] != 'T' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// choice runs a Choice state: the first matching rule's Next, else Default,
// else States.NoChoiceMatched.
func (fr *frame) choice(env *evalEnv, st *State, raw, eff any) (any, *State, *Failure) {
	env.input = eff
	var next *State
	var ruleAssign *template
	for _, r := range st.choices {
		if st.jsonata {
			ok, f := r.test(env)
			if f != nil {
				return nil, nil, f
			}
			if ok {
				next, ruleAssign = r.nextSt, r.assign
				break
			}
			continue
		}
		ok, f := r.eval(env)
		if f != nil {
			f.Cause = env.fail(f.Error, "%s", f.Cause).Cause
			return nil, nil, f
		}
		if ok {
			next, ruleAssign = r.nextSt, r.assign
			break
		}
	}
	if next == nil {
		if st.defaultSt == nil {
			return nil, nil, env.fail(ErrNoChoiceMatched, "No Choice Rules matched and no Default was specified")
		}
		next = st.defaultSt
	}
	out, f := fr.exit(env, st, raw, eff, eff, ruleAssign)
	return out, next, f
}

// eval reports whether the rule matches the state's input.
func (r *choiceRule) eval(e *evalEnv) (bool, *Failure) {
	switch {
	case r.not != nil:
		ok, f := r.not.eval(e)
		return !ok, f
	case r.and != nil:
		for _, c := range r.and {
			ok, f := c.eval(e)
			if f != nil || !ok {
				return false, f
			}
		}
		return true, nil
	case r.or != nil:
		for _, c := range r.or {
			ok, f := c.eval(e)
			if f != nil || ok {
				return ok, f
			}
		}
		return false, nil
	}
	v, found, f := r.variable.get(e)
	if f != nil {
		return false, f
	}
	switch r.op {
	case "IsPresent":
		return found == r.operand.(bool), nil
	case "IsNull", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp":
		// A missing value is of no type: IsString false matches it (as
		// LocalStack, snapshot-tested against AWS, does).
		var is bool
		switch {
		case !found:
		case r.op == "IsNull":
			is = v == nil
		case r.op == "IsNumeric":
			_, is = number(v)
		case r.op == "IsString":
			_, is = v.(string)
		case r.op == "IsBoolean":
			_, is = v.(bool)
		case r.op == "IsTimestamp":
			s, ok := v.(string)
			_, is = parseTimestamp(s)
			is = is && ok
		}
		return is == r.operand.(bool), nil
	}
	if !found {
		return false, runtimeFailure("Invalid path '%s': The choice state's condition path references an invalid value.", r.variable.src)
	}
	operand := r.operand
	ts := r.tsOperand
	if r.opPath != nil {
		ov, found, f := r.opPath.get(e)
		if f != nil {
			return false, f
		}
		if !found {
			return false, runtimeFailure("Invalid path '%s': The choice state's condition path references an invalid value.", r.opPath.src)
		}
		operand = ov
		if strings.HasPrefix(r.op, "Timestamp") {
			s, ok := ov.(string)
			if !ok {
				return false, nil
			}
			if ts, ok = parseTimestamp(s); !ok {
				return false, nil
			}
		}
	}
	switch {
	case r.op == "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := operand.(bool)
		return ok1 && ok2 && a == b, nil
	case r.op == "StringMatches":
		s, ok := v.(string)
		return ok && wildcardMatch(operand.(string), s), nil
	case strings.HasPrefix(r.op, "String"):
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		return compareOp(r.op[len("String"):], strings.Compare(a, b)), nil
	case strings.HasPrefix(r.op, "Numeric"):
		a, ok1 := number(v)
		b, ok2 := number(operand)
		if !ok1 || !ok2 {
			return false, nil
		}
		c := 0
		if ai, ok := v.(int64); ok {
			if bi, ok := operand.(int64); ok {
				c = cmpInt(ai, bi)
				return compareOp(r.op[len("Numeric"):], c), nil
			}
		}
		switch {
		case a < b:
			c = -1
		case a > b:
			c = 1
		}
		return compareOp(r.op[len("Numeric"):], c), nil
	case strings.HasPrefix(r.op, "Timestamp"):
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		t, ok := parseTimestamp(s)
		if !ok {
			return false, nil
		}
		return compareOp(r.op[len("Timestamp"):], t.Compare(ts)), nil
	}
	return false, runtimeFailure("unknown comparison operator %s", r.op)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareOp(op string, c int) bool {
	switch op {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// wildcardMatch implements StringMatches: '*' matches any run of characters,
// "\*" a literal star and "\\" a literal backslash.
func wildcardMatch(pattern, s string) bool {
	type tok struct {
		star bool
		lit  byte
	}
	toks := make([]tok, 0, len(pattern))
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			i++
			toks = append(toks, tok{lit: pattern[i]})
		case c == '*':
			toks = append(toks, tok{star: true})
		default:
			toks = append(toks, tok{lit: c})
		}
	}
	// Iterative matching with backtracking to the last star.
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(s) {
		switch {
		case ti < len(toks) && !toks[ti].star && toks[ti].lit == s[si]:
			ti++
			si++
		case ti < len(toks) && toks[ti].star:
			starT, starS = ti, si
			ti++
		case starT >= 0:
			ti = starT + 1
			starS++
			si = starS
		default:
			return false
		}
	}
	for ti < len(toks) && toks[ti].star {
		ti++
	}
	return ti == len(toks)
}
