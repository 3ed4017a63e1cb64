package jsonata

import (
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// undefinedType is JSONata's "nothing" during an evaluation. JSON null is nil, as in the inputs,
// so that values read from the input need no conversion.
type undefinedType struct{}

var undefined any = undefinedType{}

// array is an array that carries jsonata-js's flags: a sequence (the result of a path, which
// collapses to its single member), keepSingleton (the [] modifier), outerWrapper (the input
// array wrapped as a sequence), tupleStream (a path with @/# bindings), cons (built by [...]).
// Plain []any are arrays without flags, as they come from the input.
type array struct {
	items                                         []any
	sequence, keepSingleton, outerWrapper, tuples bool
	cons                                          bool
}

func newSeq(items ...any) *array { return &array{items: items, sequence: true} }

// asArray returns the members of a JSON array or a flagged array.
func asArray(v any) ([]any, bool) {
	switch a := v.(type) {
	case []any:
		return a, true
	case *array:
		return a.items, true
	}
	return nil, false
}

func isSequence(v any) bool {
	a, ok := v.(*array)
	return ok && a.sequence
}

// toNumber reports v as a float64 when it is a number of any Go numeric type an input may hold.
func toNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float32:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// isNumeric is utils.isNumeric: numbers that are not NaN; an infinite number is an error (D1001).
func isNumeric(v any) bool {
	f, ok := toNumber(v)
	if !ok || math.IsNaN(f) {
		return false
	}
	if math.IsInf(f, 0) {
		throw("D1001", 0, "", errArgs{"value": f})
	}
	return true
}

func isFunc(v any) bool {
	switch v.(type) {
	case *lambda, *builtin, *regexLiteral:
		return true
	}
	return false
}

// jsNumber formats f as JavaScript's Number.prototype.toString does.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	// Shortest round-trip digits and the decimal exponent, then ECMA-262 Number::toString layout.
	s := strconv.FormatFloat(math.Abs(f), 'e', -1, 64)
	mant, expStr, _ := strings.Cut(s, "e")
	digits := strings.Replace(mant, ".", "", 1)
	e, _ := strconv.Atoi(expStr)
	n := e + 1 // position of the decimal point relative to the digits
	k := len(digits)
	var out string
	switch {
	case k <= n && n <= 21:
		out = digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		out = digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		out = "0." + strings.Repeat("0", -n) + digits
	default:
		sign := "+"
		if n-1 < 0 {
			sign = "-"
		}
		exp := strconv.Itoa(int(math.Abs(float64(n - 1))))
		if k == 1 {
			out = digits + "e" + sign + exp
		} else {
			out = digits[:1] + "." + digits[1:] + "e" + sign + exp
		}
	}
	if f < 0 {
		out = "-" + out
	}
	return out
}

// precision15 is Number(val.toPrecision(15)), which $string applies to non-integers.
func precision15(f float64) float64 {
	if f == math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'e', 14, 64), 64)
	if err != nil {
		return f
	}
	return r
}

// jsonQuote quotes s as JSON.stringify does: only '"', '\\' and control characters are escaped.
func jsonQuote(s string) string {
	var sb strings.Builder
	sb.Grow(len(s) + 2)
	sb.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			sb.WriteString(`\"`)
		case r == '\\':
			sb.WriteString(`\\`)
		case r == '\b':
			sb.WriteString(`\b`)
		case r == '\f':
			sb.WriteString(`\f`)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r < 0x20:
			sb.WriteString(`\u00`)
			sb.WriteByte("0123456789abcdef"[r>>4])
			sb.WriteByte("0123456789abcdef"[r&0xF])
		case r == utf8.RuneError && size == 1:
			sb.WriteString(`\ufffd`)
		default:
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	sb.WriteByte('"')
	return sb.String()
}

// stringify is JSON.stringify with jsonata-js's $string replacer: non-integers are rounded to 15
// significant digits and functions become "". indent is two spaces when pretty.
func stringify(v any, pretty bool, ord *keyOrder) string {
	var sb strings.Builder
	writeJSON(&sb, v, pretty, 0, ord, true)
	return sb.String()
}

func writeJSON(sb *strings.Builder, v any, pretty bool, depth int, ord *keyOrder, strict bool) {
	nl := func(d int) {
		if pretty {
			sb.WriteByte('\n')
			sb.WriteString(strings.Repeat("  ", d))
		}
	}
	switch x := v.(type) {
	case nil, undefinedType:
		sb.WriteString("null")
	case bool:
		if x {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case string:
		sb.WriteString(jsonQuote(x))
	case map[string]any:
		keys := ord.keys(x)
		first := true
		sb.WriteByte('{')
		for _, k := range keys {
			val := x[k]
			if val == undefined {
				continue
			}
			if !first {
				sb.WriteByte(',')
			}
			first = false
			nl(depth + 1)
			sb.WriteString(jsonQuote(k))
			sb.WriteByte(':')
			if pretty {
				sb.WriteByte(' ')
			}
			writeJSON(sb, val, pretty, depth+1, ord, strict)
		}
		if !first {
			nl(depth)
		}
		sb.WriteByte('}')
	default:
		if isFunc(v) {
			sb.WriteString(`""`)
			return
		}
		if f, ok := toNumber(v); ok {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				if strict && math.IsInf(f, 0) {
					isNumeric(f) // D1001, as jsonata-js's replacer throws
				}
				sb.WriteString("null")
				return
			}
			if strict {
				f = precision15(f)
			}
			sb.WriteString(jsNumber(f))
			return
		}
		if items, ok := asArray(v); ok {
			if a, ok := v.(*array); ok && a.outerWrapper && depth == 0 && len(items) > 0 {
				writeJSON(sb, items[0], pretty, depth, ord, strict)
				return
			}
			sb.WriteByte('[')
			for i, it := range items {
				if i > 0 {
					sb.WriteByte(',')
				}
				nl(depth + 1)
				if isFunc(it) {
					sb.WriteString(`""`)
				} else {
					writeJSON(sb, it, pretty, depth+1, ord, strict)
				}
			}
			if len(items) > 0 {
				nl(depth)
			}
			sb.WriteByte(']')
			return
		}
		sb.WriteString("null")
	}
}

// deepEqual is utils.isDeepEqual.
func deepEqual(a, b any) bool {
	if fa, ok := toNumber(a); ok {
		fb, ok := toNumber(b)
		return ok && fa == fb
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case undefinedType:
		return b == undefined
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !deepEqual(v, w) {
				return false
			}
		}
		return true
	}
	if xa, ok := asArray(a); ok {
		ya, ok := asArray(b)
		if !ok || len(xa) != len(ya) {
			return false
		}
		for i := range xa {
			if !deepEqual(xa[i], ya[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// keyOrder knows the member order of objects: the ones this evaluation built (recorded here)
// and input objects (asked of Env.KeysOf, else sorted).
type keyOrder struct {
	orders map[unsafe.Pointer][]string
	keysOf func(map[string]any) []string
}

// mapID identifies a map by its header pointer; holding it keeps the map alive, so an ID is
// never reused within an evaluation.
func mapID(m map[string]any) unsafe.Pointer {
	return reflect.ValueOf(m).UnsafePointer()
}

// keys lists m's members in order.
func (o *keyOrder) keys(m map[string]any) []string {
	if o != nil {
		if ks, ok := o.orders[mapID(m)]; ok && len(ks) == len(m) {
			return ks
		}
		if o.keysOf != nil {
			if ks := o.keysOf(m); ks != nil && len(ks) == len(m) {
				return ks
			}
		}
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// jsOrder reorders keys as a JavaScript object lists its properties: integer-like keys first in
// ascending numeric order, then the others in insertion order. jsonata-js builds objects as plain
// JS objects, so this is the order its results show.
func jsOrder(keys []string) []string {
	var ints []string
	for _, k := range keys {
		if isArrayIndex(k) {
			ints = append(ints, k)
		}
	}
	if len(ints) == 0 {
		return keys
	}
	sort.Slice(ints, func(i, j int) bool {
		a, _ := strconv.ParseUint(ints[i], 10, 64)
		b, _ := strconv.ParseUint(ints[j], 10, 64)
		return a < b
	})
	out := ints
	for _, k := range keys {
		if !isArrayIndex(k) {
			out = append(out, k)
		}
	}
	return out
}

func isArrayIndex(k string) bool {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	n, _ := strconv.ParseUint(k, 10, 64)
	return n < 4294967295
}

// utf16Len is a string's length in UTF-16 code units, JavaScript's String.length.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
