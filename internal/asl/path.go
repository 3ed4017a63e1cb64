package asl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ohler55/ojg/jp"
)

// pathSource says what a path is evaluated against.
type pathSource uint8

const (
	fromInput    pathSource = iota // $...   the state's data
	fromContext                    // $$...  the context object
	fromVariable                   // $name... a workflow variable (Assign)
)

// step is one segment of a definite path: an object key or an array index.
type step struct {
	key     string
	index   int
	isIndex bool
}

// path is a compiled JSONPath as the States Language uses it. A definite path
// (only keys and indexes) names at most one node and is walked directly; any
// other path (wildcards, slices, filters, unions, descent) is evaluated with
// ojg and yields the array of its matches, as Step Functions does.
type path struct {
	src      string
	source   pathSource
	varName  string
	expr     jp.Expr
	steps    []step
	definite bool
	// scan marks a path with a descent (..) or wildcard (*): its matches are
	// returned in document order, as Jayway JSONPath (AWS's) returns them.
	scan bool
	// tail is how many located steps the fragments after the path's only
	// descent add: a match sorts by the node the descent reached.
	tail int
	// filters are the located-step positions of a descent-free path's filter
	// ([?(...)]) fragments: AWS's filters never select scalar values.
	filters []int
}

// compilePath parses a Path or Reference Path. reference demands a definite
// path (ResultPath and the like).
func compilePath(s string, reference bool) (*path, error) {
	p := &path{src: s}
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("the value %q is not a valid JSONPath: it must begin with '$'", s)
	}
	rest := s[1:]
	switch {
	case strings.HasPrefix(rest, "$"):
		p.source = fromContext
		rest = rest[1:]
	case rest != "" && rest[0] != '.' && rest[0] != '[':
		p.source = fromVariable
		n := strings.IndexAny(rest, ".[")
		if n < 0 {
			n = len(rest)
		}
		p.varName = rest[:n]
		if !validVariableName(p.varName) {
			return nil, fmt.Errorf("the value %q is not a valid JSONPath: invalid variable name %q", s, p.varName)
		}
		rest = rest[n:]
	}
	x, err := jp.ParseString("$" + rest)
	if err != nil {
		return nil, fmt.Errorf("the value %q is not a valid JSONPath: %v", s, err)
	}
	p.expr = x
	p.definite = true
	for _, f := range x[1:] {
		switch t := f.(type) {
		case jp.Child:
			p.steps = append(p.steps, step{key: string(t)})
		case jp.Nth:
			p.steps = append(p.steps, step{index: int(t), isIndex: true})
		case jp.Descent, jp.Wildcard:
			p.definite, p.scan = false, true
		default:
			p.definite = false
		}
	}
	descents, last := 0, 0
	for i, f := range x {
		if _, ok := f.(jp.Descent); ok {
			descents, last = descents+1, i
		}
	}
	if descents == 1 {
		for _, f := range x[last+1:] {
			if _, ok := f.(jp.Bracket); !ok {
				p.tail++
			}
		}
	}
	if descents == 0 {
		pos := 0
		for _, f := range x[1:] {
			switch f.(type) {
			case jp.Bracket:
				continue
			case *jp.Filter:
				p.filters = append(p.filters, pos)
			}
			pos++
		}
	}
	if reference && !p.definite {
		return nil, fmt.Errorf("the value %q is not a valid reference path: only object keys and array indexes are allowed", s)
	}
	return p, nil
}

func validVariableName(n string) bool {
	if n == "" || n == "states" {
		return false
	}
	for i, r := range n {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}

// normalized writes a definite path in bracket form, as Jayway JSONPath
// reports it in AWS's error causes: $['a'][0].
func (p *path) normalized() string {
	if !p.definite {
		return p.src
	}
	var b strings.Builder
	b.WriteString(p.src[:strings.IndexAny(p.src+".[", ".[")])
	for _, s := range p.steps {
		if s.isIndex {
			fmt.Fprintf(&b, "[%d]", s.index)
		} else {
			b.WriteString("['" + strings.ReplaceAll(s.key, "'", "\\'") + "']")
		}
	}
	return b.String()
}

// isRoot reports whether the path is exactly "$".
func (p *path) isRoot() bool { return p.source == fromInput && p.definite && len(p.steps) == 0 }

// get evaluates the path. found is false when a definite path names nothing.
func (p *path) get(e *evalEnv) (v any, found bool, f *Failure) {
	var root any
	switch p.source {
	case fromInput:
		root = e.input
	case fromContext:
		if p.definite && len(p.steps) > 0 && !p.steps[0].isIndex {
			part, ok := e.contextPart(p.steps[0].key)
			if !ok {
				return nil, false, nil
			}
			v, found = walk(part, p.steps[1:])
			return v, found, nil
		}
		root = e.context()
	case fromVariable:
		val, ok := e.vars.lookup(p.varName)
		if !ok {
			return nil, false, runtimeFailure("Invalid path '%s': The variable '%s' is not defined", p.src, p.varName)
		}
		root = val
	}
	if p.definite {
		v, found = walk(root, p.steps)
		return v, found, nil
	}
	return p.query(root, e.keysOf), true, nil
}

// eval applies the path to root.
func (p *path) eval(root any) (any, bool) { return p.evalKeys(root, sortedKeys) }

// evalKeys applies the path to root; keysOf orders objects' members, for
// the matches of wildcard and descent paths.
func (p *path) evalKeys(root any, keysOf func(map[string]any) []string) (any, bool) {
	if p.definite {
		return walk(root, p.steps)
	}
	return p.query(root, keysOf), true
}

// query evaluates a non-definite path. ojg's Locate panics on some nested
// filter scripts where its Get does not (found by FuzzJSONPath: $[?$[?0]]);
// such a path falls back to Get, and to no match if that panics too. So does
// a document too large or deep to locate every match in (see locateBound).
func (p *path) query(root any, keysOf func(map[string]any) []string) []any {
	if (p.scan || len(p.filters) > 0) && locatable(root) {
		if res, ok := guarded(func() []any { return p.scanOrdered(root, keysOf) }); ok {
			return res
		}
	}
	res, _ := guarded(func() []any { return p.expr.Get(root) })
	if res == nil {
		res = []any{}
	}
	return res
}

func guarded(f func() []any) (res []any, ok bool) {
	defer func() {
		if recover() != nil {
			res, ok = nil, false
		}
	}()
	return f(), true
}

// locateBound bounds nodes × depth of a document whose matches scanOrdered
// locates: every match's location is as long as its depth, so a deep
// document made the locations grow with the square of its size (a 20 KB
// input nested 10,000 deep would take gigabytes). Beyond it, ojg's Get
// answers, in its own order.
const locateBound = 1 << 20

// locatable reports whether root is within locateBound.
func locatable(root any) bool {
	nodes, deepest := 0, 0
	var visit func(v any, depth int) bool
	visit = func(v any, depth int) bool {
		nodes, deepest = nodes+1, max(deepest, depth)
		if nodes*deepest > locateBound {
			return false
		}
		switch v := v.(type) {
		case map[string]any:
			for _, e := range v {
				if !visit(e, depth+1) {
					return false
				}
			}
		case []any:
			for _, e := range v {
				if !visit(e, depth+1) {
					return false
				}
			}
		}
		return true
	}
	return visit(root, 1)
}

// scanOrdered evaluates a descent or wildcard path in document order, as
// Jayway's deep scan walks: at each node the rest of the path first, then the
// node's children; array elements by index, object members in their order
// (keysOf). ojg's Get returns deep scans bottom-up: $..name on
// {"a":{"name":"x","b":{"name":"y"}}} gave ["y","x"] where AWS gives
// ["x","y"].
func (p *path) scanOrdered(root any, keysOf func(map[string]any) []string) []any {
	type match struct {
		steps []step
		rank  []int // each step's position among its parent's members
	}
	locs := p.expr.Locate(root, 0)
	matches := make([]match, 0, len(locs))
	positions := map[uintptr]map[string]int{}
	for _, loc := range locs {
		m := match{steps: make([]step, 0, len(loc)), rank: make([]int, 0, len(loc))}
		node := root
		for _, f := range loc {
			switch t := f.(type) {
			case jp.Child:
				obj, _ := node.(map[string]any)
				pos, ok := positions[objectID(obj)]
				if !ok {
					pos = map[string]int{}
					for i, k := range keysOf(obj) {
						pos[k] = i
					}
					positions[objectID(obj)] = pos
				}
				m.steps = append(m.steps, step{key: string(t)})
				m.rank = append(m.rank, pos[string(t)])
				node = obj[string(t)]
			case jp.Nth:
				m.steps = append(m.steps, step{index: int(t), isIndex: true})
				m.rank = append(m.rank, int(t))
				arr, _ := node.([]any)
				node = nil
				if int(t) >= 0 && int(t) < len(arr) {
					node = arr[t]
				}
			}
		}
		matches = append(matches, m)
	}
	node := func(r []int) []int {
		if p.tail > 0 && len(r) >= p.tail {
			return r[:len(r)-p.tail]
		}
		return r
	}
	sort.SliceStable(matches, func(i, j int) bool {
		a, b := node(matches[i].rank), node(matches[j].rank)
		if c := compareRanks(a, b); c != 0 {
			return c < 0
		}
		return compareRanks(matches[i].rank, matches[j].rank) < 0
	})
	res := make([]any, 0, len(matches))
	for _, m := range matches {
		if p.filteredScalar(root, m.steps) {
			continue
		}
		if v, ok := walk(root, m.steps); ok {
			res = append(res, v)
		}
	}
	return res
}

// compareRanks orders two matches: a prefix (an ancestor) first, then by the
// first differing position.
func compareRanks(a, b []int) int {
	for k := 0; k < len(a) && k < len(b); k++ {
		if a[k] != b[k] {
			if a[k] < b[k] {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

// filteredScalar reports whether a filter of the path selected a scalar on
// the way to this match. AWS documents that "the @ operator ... does not
// match scalar values. It only matches objects"
// (https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html),
// so $.a[?(@ > 1)] on [1,2,3] selects nothing, where ojg gives [2,3].
func (p *path) filteredScalar(root any, steps []step) bool {
	for _, at := range p.filters {
		if at >= len(steps) {
			continue
		}
		v, ok := walk(root, steps[:at+1])
		if !ok {
			continue
		}
		switch v.(type) {
		case map[string]any, []any:
		default:
			return true
		}
	}
	return false
}

func walk(v any, steps []step) (any, bool) {
	for _, s := range steps {
		if s.isIndex {
			arr, ok := v.([]any)
			if !ok {
				return nil, false
			}
			i := s.index
			if i < 0 {
				i += len(arr)
			}
			if i < 0 || i >= len(arr) {
				return nil, false
			}
			v = arr[i]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok = m[s.key]
		if !ok {
			return nil, false
		}
	}
	return v, true
}

// setResult applies a reference path to a state's input (ResultPath). Only
// objects and arrays can take a result below "$".
func setResult(input any, steps []step, value any) (any, bool) {
	if len(steps) == 0 {
		return value, true
	}
	switch input.(type) {
	case map[string]any, []any:
		return set(input, steps, value)
	}
	return nil, false
}

// set returns a copy of root with value placed at the reference path steps,
// creating missing objects on the way; the input is never modified. It fails
// when the path crosses a value of the wrong type.
func set(root any, steps []step, value any) (any, bool) {
	if len(steps) == 0 {
		return value, true
	}
	s := steps[0]
	if s.isIndex {
		arr, ok := root.([]any)
		if !ok {
			return nil, false
		}
		i := s.index
		if i < 0 {
			i += len(arr)
		}
		if i < 0 || i >= len(arr) {
			return nil, false
		}
		child, ok := set(arr[i], steps[1:], value)
		if !ok {
			return nil, false
		}
		out := make([]any, len(arr))
		copy(out, arr)
		out[i] = child
		return out, true
	}
	var m map[string]any
	switch t := root.(type) {
	case map[string]any:
		m = t
	case nil:
		// A missing intermediate node: created as an object.
	default:
		return nil, false
	}
	var next any
	if m != nil {
		next = m[s.key]
	}
	if next == nil && len(steps) > 1 && !steps[1].isIndex {
		next = map[string]any(nil)
	}
	child, ok := set(next, steps[1:], value)
	if !ok {
		return nil, false
	}
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[s.key] = child
	return out, true
}
