package eventpattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// InvalidPatternError reports why a pattern is refused. Its message has the form
// EventBridge uses for InvalidEventPatternException.
type InvalidPatternError struct {
	Reason string
}

func (e *InvalidPatternError) Error() string {
	return "Event pattern is not valid. Reason: " + e.Reason
}

func invalid(format string, args ...any) error {
	return &InvalidPatternError{Reason: fmt.Sprintf(format, args...)}
}

// numericLimit is the magnitude bound EventBridge puts on numeric matching.
const numericLimit = 5.0e9

// Pattern is a compiled, immutable event pattern; safe for concurrent use.
type Pattern struct {
	root *object
	src  string
}

// String returns the pattern's source text.
func (p *Pattern) String() string { return p.src }

// object is one level of a pattern: all fields must match, and for each $or
// group at least one alternative must match.
type object struct {
	fields []field
	ors    [][]*object
}

// field is a named step: either a nested object or a leaf list of matchers.
type field struct {
	name string
	obj  *object
	leaf []matcher
}

// matcher tests one scalar event value (string, json.Number, bool or nil).
type matcher interface {
	match(v any) bool
}

// Compile parses and validates an EventBridge event pattern.
func Compile(pattern []byte) (*Pattern, error) {
	v, err := decode(pattern)
	if err != nil {
		return nil, invalid("%s", err.Error())
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("Filter is not an object")
	}
	root, err := compileObject(m)
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root, src: string(pattern)}, nil
}

// MustCompile is Compile for patterns known valid at build time; it panics on error.
func MustCompile(pattern string) *Pattern {
	p, err := Compile([]byte(pattern))
	if err != nil {
		panic(err)
	}
	return p
}

func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected content after the JSON value")
	}
	return v, nil
}

// reservedInOr are match-expression names; an object holding one of them is a
// match expression, not a sub-pattern, so "$or" around it is a plain field name
// (Event Ruler's backward-compatibility rule).
var reservedInOr = map[string]bool{
	"anything-but": true, "prefix": true, "suffix": true, "equals-ignore-case": true,
	"wildcard": true, "numeric": true, "exists": true, "cidr": true,
}

func isOrGroup(v any) ([]map[string]any, bool) {
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		return nil, false
	}
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		for k := range m {
			if reservedInOr[k] {
				return nil, false
			}
		}
		out = append(out, m)
	}
	return out, true
}

func compileObject(m map[string]any) (*object, error) {
	if len(m) == 0 {
		return nil, invalid("Empty objects are not allowed")
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	o := &object{}
	for _, name := range names {
		v := m[name]
		if name == "$or" {
			if alts, ok := isOrGroup(v); ok {
				group := make([]*object, 0, len(alts))
				for _, alt := range alts {
					sub, err := compileObject(alt)
					if err != nil {
						return nil, err
					}
					group = append(group, sub)
				}
				o.ors = append(o.ors, group)
				continue
			}
		}
		switch v := v.(type) {
		case map[string]any:
			sub, err := compileObject(v)
			if err != nil {
				return nil, err
			}
			o.fields = append(o.fields, field{name: name, obj: sub})
		case []any:
			leaf, err := compileLeaf(v)
			if err != nil {
				return nil, err
			}
			o.fields = append(o.fields, field{name: name, leaf: leaf})
		default:
			return nil, invalid("%q must be an object or an array", name)
		}
	}
	return o, nil
}

func compileLeaf(values []any) ([]matcher, error) {
	if len(values) == 0 {
		return nil, invalid("Empty arrays are not allowed")
	}
	out := make([]matcher, 0, len(values))
	for _, v := range values {
		switch v := v.(type) {
		case map[string]any:
			m, err := compileExpression(v)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		case []any:
			return nil, invalid("Match value must be String, number, true, false, or null")
		case json.Number:
			n, err := exactNumber(v)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		default: // string, bool, nil
			out = append(out, exact{v: v})
		}
	}
	return out, nil
}

func compileExpression(m map[string]any) (matcher, error) {
	if len(m) == 0 {
		return nil, invalid("Match expression name not found")
	}
	if len(m) > 1 {
		return nil, invalid("Only one key allowed in match expression")
	}
	for name, v := range m {
		switch name {
		case "prefix", "suffix":
			return compileAffix(name, v)
		case "equals-ignore-case":
			s, ok := v.(string)
			if !ok {
				return nil, invalid("equals-ignore-case match pattern must be a string")
			}
			return equalsFold{s: fold(s)}, nil
		case "wildcard":
			s, ok := v.(string)
			if !ok {
				return nil, invalid("wildcard match pattern must be a string")
			}
			return compileWildcard(s)
		case "numeric":
			arr, ok := v.([]any)
			if !ok {
				return nil, invalid("Value of numeric must be an array.")
			}
			return compileNumeric(arr)
		case "exists":
			b, ok := v.(bool)
			if !ok {
				return nil, invalid("exists match pattern must be either true or false.")
			}
			return exists(b), nil
		case "cidr":
			s, ok := v.(string)
			if !ok {
				return nil, invalid("cidr match pattern must be a string")
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, invalid("Nonstandard IP address: %s", s)
			}
			return cidr{p: p.Masked()}, nil
		case "anything-but":
			return compileAnythingBut(v)
		default:
			return nil, invalid("Unrecognized match type %s", name)
		}
	}
	panic("unreachable")
}

func compileAffix(kind string, v any) (matcher, error) {
	switch v := v.(type) {
	case string:
		return affix{suffix: kind == "suffix", s: v}, nil
	case map[string]any:
		if s, ok := v["equals-ignore-case"].(string); ok && len(v) == 1 {
			return affix{suffix: kind == "suffix", s: fold(s), fold: true}, nil
		}
		return nil, invalid("Unsupported %s pattern: only equals-ignore-case is allowed inside %s", kind, kind)
	default:
		return nil, invalid("%s match pattern must be a string", kind)
	}
}

func compileAnythingBut(v any) (matcher, error) {
	switch v := v.(type) {
	case string:
		return not{m: exact{v: v}}, nil
	case json.Number:
		n, err := exactNumber(v)
		if err != nil {
			return nil, err
		}
		return not{m: n}, nil
	case []any:
		if len(v) == 0 {
			return nil, invalid("Empty arrays are not allowed")
		}
		var any_ anyOf
		var strs, nums int
		for _, e := range v {
			switch e := e.(type) {
			case string:
				strs++
				any_ = append(any_, exact{v: e})
			case json.Number:
				nums++
				n, err := exactNumber(e)
				if err != nil {
					return nil, err
				}
				any_ = append(any_, n)
			default:
				return nil, invalid("Inside anything but list, start|null|boolean is not supported.")
			}
		}
		if strs > 0 && nums > 0 {
			return nil, invalid("Inside anything but list, either all values are number or string, mixed type is not supported")
		}
		return not{m: any_}, nil
	case map[string]any:
		if len(v) != 1 {
			return nil, invalid("Only one key allowed in match expression")
		}
		for op, arg := range v {
			switch op {
			case "prefix", "suffix":
				s, ok := arg.(string)
				if !ok {
					return nil, invalid("prefix/suffix match pattern must be a string")
				}
				if s == "" {
					return nil, invalid("Null prefix/suffix not allowed")
				}
				return not{m: affix{suffix: op == "suffix", s: s}}, nil
			case "equals-ignore-case", "wildcard":
				list, err := stringOrList(op, arg)
				if err != nil {
					return nil, err
				}
				var alts anyOf
				for _, s := range list {
					if op == "wildcard" {
						w, err := compileWildcard(s)
						if err != nil {
							return nil, err
						}
						alts = append(alts, w)
					} else {
						alts = append(alts, equalsFold{s: fold(s)})
					}
				}
				return not{m: alts}, nil
			default:
				return nil, invalid("Unsupported anything-but pattern: %s", op)
			}
		}
	}
	return nil, invalid("Value of anything-but must be an array or single string/number value.")
}

func stringOrList(op string, v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		if len(v) == 0 {
			return nil, invalid("Empty arrays are not allowed")
		}
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, invalid("Inside anything-but/%s list, number|start|null|boolean is not supported.", op)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, invalid("Inside anything-but/%s list, number|start|null|boolean is not supported.", op)
}

func numberValue(n json.Number) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, invalid("Invalid numeric value %s", n)
	}
	return f, nil
}

func exactNumber(n json.Number) (matcher, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, invalid("Invalid numeric value %s", n)
	}
	return number{text: string(n), f: f}, nil
}

func compileNumeric(arr []any) (matcher, error) {
	var r numeric
	i := 0
	next := func(op string) (float64, error) {
		if i >= len(arr) {
			return 0, invalid("Value of %s must be numeric", op)
		}
		n, ok := arr[i].(json.Number)
		if !ok {
			return 0, invalid("Value of %s must be numeric", op)
		}
		i++
		f, err := numberValue(n)
		if err != nil {
			return 0, err
		}
		if f < -numericLimit || f > numericLimit {
			return 0, invalid("Value %s is out of the range %.1E to %.1E", n, -numericLimit, numericLimit)
		}
		return f, nil
	}
	if len(arr) == 0 {
		return nil, invalid("Invalid member in numeric match: ]")
	}
	op, ok := arr[0].(string)
	if !ok {
		return nil, invalid("Invalid member in numeric match: %v", arr[0])
	}
	i = 1
	var err error
	switch op {
	case "=":
		r.eq = true
		if r.lo, err = next(op); err != nil {
			return nil, err
		}
		r.hi = r.lo
		r.hasLo, r.hasHi = true, true
	case ">", ">=":
		if r.lo, err = next(op); err != nil {
			return nil, err
		}
		r.hasLo, r.loOpen = true, op == ">"
		if i < len(arr) {
			op2, ok := arr[i].(string)
			if !ok {
				return nil, invalid("Bad value in numeric range: %v", arr[i])
			}
			if op2 != "<" && op2 != "<=" {
				return nil, invalid("Bad numeric range operator: %s", op2)
			}
			i++
			if r.hi, err = next(op2); err != nil {
				return nil, err
			}
			r.hasHi, r.hiOpen = true, op2 == "<"
			if r.hi < r.lo || (r.hi == r.lo && (r.loOpen || r.hiOpen)) {
				return nil, invalid("Bottom must be less than top")
			}
		}
	case "<", "<=":
		if r.hi, err = next(op); err != nil {
			return nil, err
		}
		r.hasHi, r.hiOpen = true, op == "<"
	default:
		return nil, invalid("Unrecognized numeric range operator: %s", op)
	}
	if i != len(arr) {
		return nil, invalid("Too many elements in numeric expression")
	}
	return r, nil
}

// compileWildcard splits a wildcard pattern into literal segments around
// unescaped '*'. Escapes: \* is a literal star, \\ a literal backslash.
func compileWildcard(s string) (matcher, error) {
	var segs []string
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, invalid("Invalid escape character at pos %d", i)
			}
			i++
			cur.WriteByte(s[i])
			prevStar = false
		case '*':
			if prevStar {
				return nil, invalid("Consecutive wildcard characters at pos %d", i)
			}
			segs = append(segs, cur.String())
			cur.Reset()
			prevStar = true
		default:
			cur.WriteByte(c)
			prevStar = false
		}
	}
	segs = append(segs, cur.String())
	return wildcard{segs: segs}, nil
}

func fold(s string) string { return strings.ToLower(strings.ToUpper(s)) }
