package asl

import (
	"fmt"
	"strings"
)

// template is a compiled payload template (Parameters, ItemSelector,
// ResultSelector, Assign): a JSON value in which object keys ending in ".$"
// take their value from a path or an intrinsic function.
type template struct {
	root tnode
	// usesContext says whether any path reads $$ (so the context object must
	// be built); literal-only templates return their value unchanged.
	literal bool
}

type tnode interface {
	eval(e *evalEnv) (any, *Failure)
}

type tliteral struct{ v any }

func (n tliteral) eval(*evalEnv) (any, *Failure) { return n.v, nil }

type tobject struct {
	keys  []string
	nodes []tnode
	src   map[string]any // the definition's object, for its member order
}

func (n *tobject) eval(e *evalEnv) (any, *Failure) {
	out := make(map[string]any, len(n.keys))
	for i, k := range n.keys {
		v, f := n.nodes[i].eval(e)
		if f != nil {
			return nil, f
		}
		out[k] = v
	}
	e.recordTemplate(n.src, out)
	return out, nil
}

type tarray struct{ nodes []tnode }

func (n *tarray) eval(e *evalEnv) (any, *Failure) {
	out := make([]any, len(n.nodes))
	for i, c := range n.nodes {
		v, f := c.eval(e)
		if f != nil {
			return nil, f
		}
		out[i] = v
	}
	return out, nil
}

type tpath struct {
	field string
	p     *path
}

func (n *tpath) eval(e *evalEnv) (any, *Failure) {
	v, found, f := n.p.get(e)
	if f != nil {
		return nil, f
	}
	if !found {
		return nil, runtimeFailure("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", n.p.src, n.field, toJSON(e.input))
	}
	return v, nil
}

type tcall struct{ in *intrinsic }

func (n tcall) eval(e *evalEnv) (any, *Failure) { return n.in.eval(e) }

// compileTemplate compiles v; problems are reported against loc (a JSON pointer).
func compileTemplate(v any, loc string, d *diagnostics) *template {
	n, lit := compileNode(v, loc, d)
	return &template{root: n, literal: lit}
}

func compileNode(v any, loc string, d *diagnostics) (tnode, bool) {
	switch t := v.(type) {
	case map[string]any:
		obj := &tobject{src: t}
		literal := true
		for _, k := range sortedKeys(t) {
			val := t[k]
			kloc := loc + "/" + pointerEscape(k)
			if strings.HasSuffix(k, ".$") {
				literal = false
				name := strings.TrimSuffix(k, ".$")
				if _, dup := t[name]; dup {
					d.add(CodeSchema, kloc, "The field '%s' is given twice, as '%s' and '%s'", name, name, k)
				}
				s, ok := val.(string)
				if !ok {
					d.add(CodeSchema, kloc, "The value for the field '%s' must be a STRING that contains a JSONPath but was an %s", k, strings.ToUpper(typeName(val)))
					continue
				}
				var node tnode
				if isIntrinsic(s) {
					in, err := compileIntrinsic(s)
					if err != nil {
						d.add(CodeSchema, kloc, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call: %v", k, err)
						continue
					}
					node = tcall{in}
				} else {
					p, err := compilePath(s, false)
					if err != nil {
						d.add(CodeSchema, kloc, "The value for the field '%s' must be a valid JSONPath: %v", k, err)
						continue
					}
					node = &tpath{field: k, p: p}
				}
				obj.keys = append(obj.keys, name)
				obj.nodes = append(obj.nodes, node)
				continue
			}
			n, lit := compileNode(val, kloc, d)
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
			return compileNode(e, fmt.Sprintf("%s/%d", loc, i), d)
		})
	}
	return tliteral{v}, true
}

// compileArray compiles a template's array, each element by compile; an
// array of literals stays the definition's own value.
func compileArray(a []any, compile func(i int, e any) (tnode, bool)) (tnode, bool) {
	arr := &tarray{}
	literal := true
	for i, e := range a {
		n, lit := compile(i, e)
		literal = literal && lit
		arr.nodes = append(arr.nodes, n)
	}
	if literal {
		return tliteral{a}, true
	}
	return arr, false
}

func (t *template) eval(e *evalEnv) (any, *Failure) { return t.root.eval(e) }

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
