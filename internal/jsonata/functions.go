package jsonata

import (
	"encoding/base64"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// builtins is the standard library, with jsonata-js's signatures and the parameter counts of its
// JavaScript implementations (which decide how many arguments $map and friends pass).
var builtins = map[string]*builtin{}

func define(name, sig string, arity int, fn func(ev *evaluator, c *call, args []any) any) {
	builtins[name] = &builtin{name: name, sig: mustSignature(sig), arity: arity, fn: fn}
}

func init() {
	define("sum", "<a<n>:n>", 1, fnSum)
	define("count", "<a:n>", 1, func(ev *evaluator, c *call, a []any) any {
		items, ok := asArray(a[0])
		if !ok {
			return 0.0
		}
		return float64(len(items))
	})
	define("max", "<a<n>:n>", 1, func(ev *evaluator, c *call, a []any) any { return extreme(a[0], 1) })
	define("min", "<a<n>:n>", 1, func(ev *evaluator, c *call, a []any) any { return extreme(a[0], -1) })
	define("average", "<a<n>:n>", 1, func(ev *evaluator, c *call, a []any) any {
		items, _ := asArray(a[0])
		if len(items) == 0 {
			return undefined
		}
		return fnSum(ev, c, a).(float64) / float64(len(items))
	})
	define("string", "<x-b?:s>", 1, func(ev *evaluator, c *call, a []any) any {
		if a[0] == undefined {
			return undefined
		}
		pretty, _ := argAt(a, 1).(bool)
		r := ev.toString(a[0], pretty, c.pos)
		ev.chargeBytes(len(r))
		return r
	})
	define("substring", "<s-nn?:s>", 3, fnSubstring)
	define("substringBefore", "<s-s:s>", 2, func(ev *evaluator, c *call, a []any) any {
		s, ok := a[0].(string)
		if !ok {
			return undefined
		}
		if i := strings.Index(s, jsStringArg(a, 1)); i >= 0 {
			return s[:i]
		}
		return s
	})
	define("substringAfter", "<s-s:s>", 2, func(ev *evaluator, c *call, a []any) any {
		s, ok := a[0].(string)
		if !ok {
			return undefined
		}
		sep := jsStringArg(a, 1)
		if i := strings.Index(s, sep); i >= 0 {
			return s[i+len(sep):]
		}
		return s
	})
	define("lowercase", "<s-:s>", 1, stringFn(jsLower))
	define("uppercase", "<s-:s>", 1, stringFn(jsUpper))
	define("length", "<s-:n>", 1, func(ev *evaluator, c *call, a []any) any {
		s, ok := a[0].(string)
		if !ok {
			return undefined
		}
		return float64(utf8.RuneCountInString(s))
	})
	define("trim", "<s-:s>", 1, stringFn(trim))
	define("pad", "<s-ns?:s>", 3, fnPad)
	define("match", "<s-f<s:o>n?:a<o>>", 3, fnMatch)
	define("contains", "<s-(sf):b>", 2, fnContains)
	define("replace", "<s-(sf)(sf)n?:s>", 4, fnReplace)
	define("split", "<s-(sf)n?:a<s>>", 3, fnSplit)
	define("join", "<a<s>s?:s>", 2, func(ev *evaluator, c *call, a []any) any {
		items, ok := asArray(a[0])
		if !ok {
			return undefined
		}
		strs, _ := arrayOfStrings(items)
		r := strings.Join(strs, strArg(a, 1))
		ev.chargeBytes(len(r))
		return r
	})
	define("formatBase", "<n-n?:s>", 2, fnFormatBase)
	define("number", "<(nsb)-:n>", 1, fnNumber)
	define("floor", "<n-:n>", 1, numberFn(math.Floor))
	define("ceil", "<n-:n>", 1, numberFn(math.Ceil))
	define("abs", "<n-:n>", 1, numberFn(math.Abs))
	define("round", "<n-n?:n>", 2, func(ev *evaluator, c *call, a []any) any {
		x, ok := toNumber(a[0])
		if !ok {
			return undefined
		}
		p, _ := toNumber(argAt(a, 1))
		return round(x, p)
	})
	define("sqrt", "<n-:n>", 1, func(ev *evaluator, c *call, a []any) any {
		x, ok := toNumber(a[0])
		if !ok {
			return undefined
		}
		if x < 0 {
			throw("D3060", c.pos, c.name, errArgs{"value": x})
		}
		return math.Sqrt(x)
	})
	define("power", "<n-n:n>", 2, func(ev *evaluator, c *call, a []any) any {
		x, ok := toNumber(a[0])
		if !ok {
			return undefined
		}
		y, ok := toNumber(argAt(a, 1))
		if !ok {
			y = math.NaN() // Math.pow(x, undefined)
		}
		r := jsPow(x, y)
		if math.IsInf(r, 0) || math.IsNaN(r) {
			throw("D3061", c.pos, c.name, errArgs{"value": x, "exp": argAt(a, 1)})
		}
		return r
	})
	define("random", "<:n>", 0, func(ev *evaluator, c *call, a []any) any { return rand.Float64() })
	define("boolean", "<x-:b>", 1, func(ev *evaluator, c *call, a []any) any { return fnBoolean(a[0]) })
	define("not", "<x-:b>", 1, func(ev *evaluator, c *call, a []any) any {
		if a[0] == undefined {
			return undefined
		}
		return !boolOf(a[0])
	})
	define("map", "<af>", 2, fnMap)
	define("zip", "<a+>", 0, fnZip)
	define("filter", "<af>", 2, fnFilter)
	define("single", "<af?>", 2, fnSingle)
	define("reduce", "<afj?:j>", 3, fnReduce)
	define("sift", "<o-f?:o>", 2, fnSift)
	define("keys", "<x-:a<s>>", 1, func(ev *evaluator, c *call, a []any) any { return ev.objectKeys(a[0]) })
	define("lookup", "<x-s:x>", 2, func(ev *evaluator, c *call, a []any) any {
		k, _ := argAt(a, 1).(string)
		if _, ok := asArray(a[0]); ok {
			return lookupField(a[0], k)
		}
		if _, ok := a[0].(map[string]any); ok {
			return lookupField(a[0], k)
		}
		return undefined
	})
	define("append", "<xx:a>", 2, func(ev *evaluator, c *call, a []any) any {
		r := appendValues(argAt(a, 0), argAt(a, 1))
		if items, ok := r.([]any); ok {
			ev.charge(int64(len(items)))
		}
		return r
	})
	define("exists", "<x:b>", 1, func(ev *evaluator, c *call, a []any) any { return argAt(a, 0) != undefined })
	define("spread", "<x-:a<o>>", 1, func(ev *evaluator, c *call, a []any) any { return ev.spread(a[0]) })
	define("merge", "<a<o>:o>", 1, fnMerge)
	define("reverse", "<a:a>", 1, func(ev *evaluator, c *call, a []any) any {
		items, ok := asArray(a[0])
		if !ok {
			return undefined
		}
		if len(items) <= 1 {
			return a[0]
		}
		out := make([]any, len(items))
		for i, it := range items {
			out[len(items)-1-i] = it
		}
		return out
	})
	define("each", "<o-f:a>", 2, fnEach)
	define("error", "<s?:x>", 1, func(ev *evaluator, c *call, a []any) any {
		msg, _ := argAt(a, 0).(string)
		if msg == "" {
			msg = "$error() function evaluated"
		}
		throw("D3137", c.pos, c.name, errArgs{"message": msg})
		return nil
	})
	define("assert", "<bs?:x>", 2, func(ev *evaluator, c *call, a []any) any {
		if b, _ := argAt(a, 0).(bool); !b {
			msg, _ := argAt(a, 1).(string)
			if msg == "" {
				msg = "$assert() statement failed"
			}
			throw("D3141", c.pos, c.name, errArgs{"message": msg})
		}
		return undefined
	})
	define("type", "<x:s>", 1, func(ev *evaluator, c *call, a []any) any { return typeName(argAt(a, 0)) })
	define("sort", "<af?:a>", 2, fnSort)
	define("shuffle", "<a:a>", 1, func(ev *evaluator, c *call, a []any) any {
		items, ok := asArray(a[0])
		if !ok {
			return undefined
		}
		if len(items) <= 1 {
			return a[0]
		}
		out := append([]any(nil), items...)
		rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	})
	define("distinct", "<x:x>", 1, fnDistinct)
	define("base64encode", "<s-:s>", 1, stringFn(base64encode))
	define("base64decode", "<s-:s>", 1, stringFn(base64decode))
	define("encodeUrlComponent", "<s-:s>", 1, urlFn("encodeUrlComponent", func(s string) (string, bool) { return encodeURI(s, uriUnreservedMarks), true }))
	define("encodeUrl", "<s-:s>", 1, urlFn("encodeUrl", func(s string) (string, bool) { return encodeURI(s, uriUnreservedMarks+uriReserved), true }))
	define("decodeUrlComponent", "<s-:s>", 1, urlFn("decodeUrlComponent", func(s string) (string, bool) { return decodeURI(s, "") }))
	define("decodeUrl", "<s-:s>", 1, urlFn("decodeUrl", func(s string) (string, bool) { return decodeURI(s, uriReserved) }))
	define("eval", "<sx?:x>", 2, fnEval)
	define("clone", "<(oa)-:o>", 1, func(ev *evaluator, c *call, a []any) any {
		if a[0] == undefined {
			return undefined
		}
		return ev.clone(a[0])
	})
	defineDateTime()
	defineFormatting()
}

// jsStringArg is a string argument as String.prototype.indexOf takes it: a missing one is
// the string "undefined".
func jsStringArg(a []any, i int) string {
	if s, ok := argAt(a, i).(string); ok {
		return s
	}
	return "undefined"
}

func strArg(a []any, i int) string {
	s, _ := argAt(a, i).(string)
	return s
}

func stringFn(f func(string) string) func(*evaluator, *call, []any) any {
	return func(ev *evaluator, c *call, a []any) any {
		s, ok := a[0].(string)
		if !ok {
			return undefined
		}
		return f(s)
	}
}

func numberFn(f func(float64) float64) func(*evaluator, *call, []any) any {
	return func(ev *evaluator, c *call, a []any) any {
		x, ok := toNumber(a[0])
		if !ok {
			return undefined
		}
		return f(x)
	}
}

func fnSum(ev *evaluator, c *call, a []any) any {
	items, ok := asArray(a[0])
	if !ok {
		return undefined
	}
	total := 0.0
	for _, it := range items {
		f, _ := toNumber(it)
		total += f
	}
	return total
}

func extreme(v any, sign float64) any {
	items, _ := asArray(v)
	if len(items) == 0 {
		return undefined
	}
	best := math.Inf(-int(sign))
	for _, it := range items {
		f, _ := toNumber(it)
		if math.IsNaN(f) {
			return math.NaN()
		}
		if f*sign > best*sign {
			best = f
		}
	}
	return best
}

// fnSubstring counts in code points, as jsonata-js's stringToArray does.
func fnSubstring(ev *evaluator, c *call, a []any) any {
	s, ok := a[0].(string)
	if !ok {
		return undefined
	}
	rs := []rune(s)
	n := float64(len(rs))
	start, _ := toNumber(argAt(a, 1))
	if n+start < 0 {
		start = 0
	}
	if l, ok := toNumber(argAt(a, 2)); ok {
		if l <= 0 {
			return ""
		}
		end := start + l
		if start < 0 {
			end = n + start + l
		}
		return string(jsSlice(rs, start, end))
	}
	return string(jsSlice(rs, start, n))
}

// jsSlice is Array.prototype.slice: negative bounds count from the end.
func jsSlice[T any](s []T, start, end float64) []T {
	n := float64(len(s))
	norm := func(x float64) int {
		if math.IsNaN(x) {
			return 0
		}
		x = math.Trunc(x)
		if x < 0 {
			x = math.Max(n+x, 0)
		}
		return int(math.Min(x, n))
	}
	i, j := norm(start), norm(end)
	if i >= j {
		return nil
	}
	return s[i:j]
}

var trimSpace = regexp.MustCompile(`[ \t\n\r]+`)

func trim(s string) string {
	r := trimSpace.ReplaceAllString(s, " ")
	r = strings.TrimPrefix(r, " ")
	return strings.TrimSuffix(r, " ")
}

func fnPad(ev *evaluator, c *call, a []any) any {
	s, ok := a[0].(string)
	if !ok {
		return undefined
	}
	w, _ := toNumber(argAt(a, 1))
	ch, _ := argAt(a, 2).(string)
	if ch == "" {
		ch = " "
	}
	w = math.Trunc(w)
	padLenF := math.Abs(w) - float64(utf8.RuneCountInString(s))
	if !(padLenF > 0) { // NaN too
		return s
	}
	ev.charge(int64(min(padLenF, 1<<53)))
	padLen := int(padLenF)
	padding := strings.Repeat(ch, padLen)
	if utf8.RuneCountInString(ch) > 1 {
		padding = string([]rune(padding)[:padLen])
	}
	if w > 0 {
		return s + padding
	}
	return padding + s
}

// found is one match of a matcher: byte offsets into the string, the captured groups, and the
// object a replacement function is given.
type found struct {
	start, end int
	groups     []any
	obj        func() any
}

// findAll lists up to limit (negative: all) matches of a matcher in s. The matcher is a regex or,
// as jsonata-js allows, a function that returns {match, start, end, groups, next} objects.
func (ev *evaluator) findAll(c *call, matcher any, s string, limit int) []found {
	if r, ok := matcher.(*regexLiteral); ok {
		var out []found
		for _, m := range r.matches(s, limit, c.pos) {
			out = append(out, found{start: m[0], end: m[1], groups: groupsOf(s, m),
				obj: func() any { return ev.matchObject(r, s, m, c.pos) }})
		}
		return out
	}
	var out []found
	res := ev.customMatch(c, matcher, s)
	for res != nil && (limit < 0 || len(out) < limit) {
		m := res
		start, _ := toNumber(m["start"])
		matched, _ := m["match"].(string)
		groups, _ := asArray(m["groups"])
		if math.IsNaN(start) || start < 0 {
			start = 0
		}
		// A custom matcher's positions are taken on trust only as far as the string goes.
		b := byteIndex(s, int(math.Min(start, float64(len(s)))))
		e := min(b+len(matched), len(s))
		out = append(out, found{start: b, end: e, groups: groups, obj: func() any { return m }})
		res = ev.customMatch(c, m["next"], undefined)
	}
	return out
}

// customMatch applies a matcher function and checks that it returned a match object.
func (ev *evaluator) customMatch(c *call, fn any, s any) map[string]any {
	if !isFunc(fn) {
		return nil
	}
	res := ev.apply(fn, []any{s}, nil, c.env, c.pos, c.name)
	if res == undefined || res == nil {
		return nil
	}
	m, ok := res.(map[string]any)
	_, hasStart := toNumber(m["start"])
	_, hasGroups := asArray(m["groups"])
	if !ok || !(hasStart || hasGroups || isFunc(m["next"])) {
		throw("T1010", c.pos, c.name, nil)
	}
	return m
}

// byteIndex converts JavaScript's UTF-16 index into s to a byte offset.
func byteIndex(s string, u16 int) int {
	n := 0
	for i, r := range s {
		if n >= u16 {
			return i
		}
		n += utf16.RuneLen(r)
	}
	return len(s)
}

// limitArg reads a limit argument as a count of matches: -1 when there is none. jsonata-js
// compares its match count with the limit, so a fraction counts as the next integer.
func limitArg(c *call, a []any, i int, code string) int {
	l, ok := toNumber(argAt(a, i))
	if !ok {
		return -1
	}
	if l < 0 {
		throw(code, c.pos, c.name, errArgs{"value": l, "index": float64(i + 1)})
	}
	if l > 1<<53 {
		return -1
	}
	return int(math.Ceil(l))
}

// toUint32 is JavaScript's ToUint32, which String.prototype.split applies to its limit.
func toUint32(f float64) int {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	m := math.Mod(math.Trunc(f), 1<<32)
	if m < 0 {
		m += 1 << 32
	}
	return int(m)
}

func fnMatch(ev *evaluator, c *call, a []any) any {
	s, ok := a[0].(string)
	if !ok {
		return undefined
	}
	limit := limitArg(c, a, 2, "D3040")
	out := newSeq()
	if limit == 0 {
		return out
	}
	for _, m := range ev.findAll(c, argAt(a, 1), s, limit) {
		obj := map[string]any{"match": s[m.start:m.end], "index": float64(utf16Index(s, m.start)), "groups": m.groups}
		out.items = append(out.items, ev.newObject(obj, []string{"match", "index", "groups"}))
	}
	return out
}

func fnContains(ev *evaluator, c *call, a []any) any {
	s, ok := a[0].(string)
	if !ok || argAt(a, 1) == undefined {
		return undefined
	}
	if t, ok := argAt(a, 1).(string); ok {
		return strings.Contains(s, t)
	}
	if r, ok := argAt(a, 1).(*regexLiteral); ok {
		return r.exec(s, 0) != nil
	}
	return ev.customMatch(c, argAt(a, 1), s) != nil
}

func fnReplace(ev *evaluator, c *call, a []any) any {
	s, ok := a[0].(string)
	if !ok {
		return undefined
	}
	pattern := argAt(a, 1)
	if pattern == "" {
		throw("D3010", c.pos, c.name, errArgs{"value": pattern, "index": 2.0})
	}
	limit := limitArg(c, a, 3, "D3011")
	if limit == 0 {
		return s
	}
	replacement := argAt(a, 2)
	if p, ok := pattern.(string); ok {
		rep := ev.toString(replacement, false, c.pos)
		var sb strings.Builder
		pos, count := 0, 0
		for limit < 0 || count < limit {
			i := strings.Index(s[pos:], p)
			if i < 0 {
				break
			}
			sb.WriteString(s[pos : pos+i])
			sb.WriteString(rep)
			pos += i + len(p)
			count++
		}
		sb.WriteString(s[pos:])
		ev.chargeBytes(sb.Len())
		return sb.String()
	}
	ms := ev.findAll(c, pattern, s, limit)
	if len(ms) == 0 {
		return s
	}
	var sb strings.Builder
	pos := 0
	for _, m := range ms {
		sb.WriteString(s[min(pos, m.start):m.start])
		if rep, ok := replacement.(string); ok {
			groups := make([]string, len(m.groups))
			for i, g := range m.groups {
				groups[i], _ = g.(string)
			}
			sb.WriteString(substitute(rep, s[m.start:m.end], groups))
		} else {
			res := ev.apply(replacement, []any{m.obj()}, nil, c.env, c.pos, c.name)
			str, ok := res.(string)
			if !ok {
				throw("D3012", c.pos, c.name, errArgs{"value": res})
			}
			sb.WriteString(str)
		}
		pos = m.end
	}
	sb.WriteString(s[pos:])
	ev.chargeBytes(sb.Len())
	return sb.String()
}

// substitute expands $0, $n and $$ in a replacement string as jsonata-js does.
func substitute(rep, match string, groups []string) string {
	var sb strings.Builder
	pos := 0
	for {
		i := strings.IndexByte(rep[pos:], '$')
		if i < 0 || pos >= len(rep) {
			break
		}
		i += pos
		sb.WriteString(rep[pos:i])
		pos = i + 1
		if pos >= len(rep) {
			sb.WriteString("$")
			break
		}
		switch d := rep[pos]; {
		case d == '$':
			sb.WriteString("$")
			pos++
		case d == '0':
			sb.WriteString(match)
			pos++
		default:
			maxDigits := 1
			if len(groups) > 0 {
				maxDigits = int(math.Floor(math.Log10(float64(len(groups))))) + 1
			}
			idx, n := leadingInt(rep[pos:min(pos+maxDigits, len(rep))])
			if maxDigits > 1 && idx > len(groups) {
				idx, n = leadingInt(rep[pos:min(pos+maxDigits-1, len(rep))])
			}
			if n > 0 {
				if len(groups) > 0 && idx >= 1 && idx <= len(groups) {
					sb.WriteString(groups[idx-1])
				}
				pos += len(strconv.Itoa(idx))
			} else {
				sb.WriteString("$")
			}
		}
	}
	if pos < len(rep) {
		sb.WriteString(rep[pos:])
	}
	return sb.String()
}

// leadingInt is parseInt(s, 10) on a digit prefix: the value and how many digits it read.
func leadingInt(s string) (int, int) {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 {
		return 0, 0
	}
	v, _ := strconv.Atoi(s[:n])
	return v, n
}

func fnSplit(ev *evaluator, c *call, a []any) any {
	s, ok := a[0].(string)
	if !ok {
		return undefined
	}
	limit := limitArg(c, a, 2, "D3020")
	out := []any{}
	if limit == 0 {
		return out
	}
	if sep, ok := argAt(a, 1).(string); ok {
		if l, ok := toNumber(argAt(a, 2)); ok {
			limit = toUint32(l) // str.split(sep, limit)
		}
		var parts []string
		if sep == "" {
			for _, r := range s {
				parts = append(parts, string(r))
			}
		} else {
			parts = strings.Split(s, sep)
		}
		for _, p := range parts {
			if limit >= 0 && len(out) >= limit {
				break
			}
			out = append(out, p)
		}
		return out
	}
	ms := ev.findAll(c, argAt(a, 1), s, limit)
	if len(ms) == 0 {
		return []any{s}
	}
	start := 0
	for _, m := range ms {
		out = append(out, s[min(start, m.start):m.start])
		start = m.end
	}
	if limit < 0 || len(ms) < limit {
		out = append(out, s[start:])
	}
	return out
}

func fnFormatBase(ev *evaluator, c *call, a []any) any {
	x, ok := toNumber(a[0])
	if !ok {
		return undefined
	}
	x = round(x, 0)
	radix := 10.0
	if r, ok := toNumber(argAt(a, 1)); ok {
		radix = round(r, 0)
	}
	if radix < 2 || radix > 36 {
		throw("D3100", c.pos, c.name, errArgs{"value": radix})
	}
	return radixString(x, int(radix))
}

// radixString is Number.prototype.toString(radix) for an integer, as V8 prints it: digits
// beyond a double's 53-bit precision are written as zeros.
func radixString(x float64, radix int) string {
	neg := x < 0
	x = math.Abs(x)
	if math.IsInf(x, 0) {
		if neg {
			return "-Infinity"
		}
		return "Infinity"
	}
	if math.IsNaN(x) {
		return "NaN"
	}
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var out []byte
	r := float64(radix)
	for x/r >= 1<<53 {
		x /= r
		out = append(out, '0')
	}
	for {
		rem := math.Mod(x, r)
		out = append(out, digits[int(rem)])
		x = (x - rem) / r
		if x <= 0 {
			break
		}
	}
	if neg {
		out = append(out, '-')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

var (
	numberDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$`)
	numberPrefix  = regexp.MustCompile(`^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$`)
	numberWhole   = regexp.MustCompile(`^\s*0([xX][0-9A-Fa-f]+|[oO][0-7]+|[bB][01]+)\s*$`)
)

func fnNumber(ev *evaluator, c *call, a []any) any {
	switch x := a[0].(type) {
	case undefinedType:
		return undefined
	case string:
		if numberDecimal.MatchString(x) {
			f, err := strconv.ParseFloat(x, 64)
			if err == nil && !math.IsInf(f, 0) {
				return f
			}
		} else if numberPrefix.MatchString(x) {
			// Number() of the whole string: a valid hex/octal/binary literal, else NaN.
			if !numberWhole.MatchString(x) {
				return math.NaN()
			}
			t := strings.ToLower(strings.TrimSpace(x))
			base := map[byte]int{'x': 16, 'o': 8, 'b': 2}[t[1]]
			bi, ok := new(big.Int).SetString(t[2:], base)
			if !ok {
				return math.NaN()
			}
			f, _ := new(big.Float).SetInt(bi).Float64()
			return f
		}
	case bool:
		if x {
			return 1.0
		}
		return 0.0
	default:
		if f, ok := toNumber(x); ok {
			return f
		}
	}
	throw("D3030", c.pos, c.name, errArgs{"value": a[0], "index": 1.0})
	return nil
}

// round is $round: half to even, at a number of decimal places shifted in the decimal exponent
// as jsonata-js does (so that 2.675 rounds as written, not as its binary value).
func round(x, precision float64) float64 {
	if precision != 0 {
		x = shiftExp(x, precision)
	}
	r := math.Floor(x)
	if x-r >= 0.5 {
		r++
	}
	if math.Abs(r-x) == 0.5 && math.Mod(math.Abs(r), 2) == 1 {
		r--
	}
	if precision != 0 {
		r = shiftExp(r, -precision)
	}
	if r == 0 {
		r = 0 // no negative zero
	}
	return r
}

func shiftExp(x, by float64) float64 {
	s := jsNumber(x)
	mant, exp, hasExp := strings.Cut(s, "e")
	e := 0.0
	if hasExp {
		e, _ = strconv.ParseFloat(exp, 64)
	}
	f, err := strconv.ParseFloat(mant+"e"+jsNumber(e+by), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return math.NaN()
	}
	return f
}

// jsPow is Math.pow, which differs from math.Pow for a NaN exponent and |base| = 1. V8 computes
// powers nearly correctly rounded where math.Pow can be a few ulps off, so integer and
// half-integer powers are computed here in extended precision and rounded once.
func jsPow(x, y float64) float64 {
	if math.IsNaN(y) {
		return math.NaN()
	}
	if (x == 1 || x == -1) && math.IsInf(y, 0) {
		return math.NaN()
	}
	half := y*2 == math.Trunc(y*2) && y != math.Trunc(y)
	if (y == math.Trunc(y) || (half && x > 0)) && math.Abs(y) <= 4096 && x != 0 && !math.IsInf(x, 0) && !math.IsNaN(x) {
		const prec = 320
		r := new(big.Float).SetPrec(prec).SetFloat64(1)
		b := new(big.Float).SetPrec(prec).SetFloat64(x)
		if half {
			r.Sqrt(b) // x^0.5; the integer part of |y| follows
		}
		for n := int(math.Abs(math.Trunc(y))); n > 0; n >>= 1 {
			if n&1 == 1 {
				r.Mul(r, b)
			}
			b.Mul(b, b)
		}
		if y < 0 {
			r.Quo(new(big.Float).SetPrec(prec).SetFloat64(1), r)
		}
		f, _ := r.Float64()
		return f
	}
	return math.Pow(x, y)
}

func fnMap(ev *evaluator, c *call, a []any) any {
	items, ok := asArray(a[0])
	if !ok {
		return undefined
	}
	out := newSeq()
	for i, it := range items {
		r := ev.callback(c, a[1], it, float64(i), a[0])
		if r != undefined {
			out.items = append(out.items, r)
		}
	}
	return out
}

func fnFilter(ev *evaluator, c *call, a []any) any {
	items, ok := asArray(a[0])
	if !ok {
		return undefined
	}
	out := newSeq()
	for i, it := range items {
		if boolOf(ev.callback(c, a[1], it, float64(i), a[0])) {
			out.items = append(out.items, it)
		}
	}
	return out
}

func fnSingle(ev *evaluator, c *call, a []any) any {
	items, ok := asArray(a[0])
	if !ok {
		return undefined
	}
	var result any = undefined
	found := false
	for i, it := range items {
		pass := true
		if fn := argAt(a, 1); fn != undefined {
			pass = boolOf(ev.callback(c, fn, it, float64(i), a[0]))
		}
		if pass {
			if found {
				throw("D3138", c.pos, c.name, errArgs{"index": float64(i)})
			}
			result, found = it, true
		}
	}
	if !found {
		throw("D3139", c.pos, c.name, nil)
	}
	return result
}

func fnZip(ev *evaluator, c *call, a []any) any {
	n := math.MaxInt
	for _, arg := range a {
		items, ok := asArray(arg)
		if !ok {
			n = 0
			break
		}
		n = min(n, len(items))
	}
	if len(a) == 0 {
		n = 0
	}
	out := []any{}
	for i := 0; i < n; i++ {
		t := make([]any, len(a))
		for j, arg := range a {
			items, _ := asArray(arg)
			t[j] = items[i]
		}
		out = append(out, t)
	}
	return out
}

func fnReduce(ev *evaluator, c *call, a []any) any {
	items, ok := asArray(a[0])
	if !ok {
		return undefined
	}
	fn := a[1]
	n := arity(fn)
	if n < 2 {
		throw("D3050", c.pos, c.name, errArgs{"index": 1.0})
	}
	var result any
	index := 0
	if init := argAt(a, 2); init == undefined && len(items) > 0 {
		result = items[0]
		index = 1
	} else {
		result = init
	}
	for ; index < len(items); index++ {
		args := []any{result, items[index]}
		if n >= 3 {
			args = append(args, float64(index))
		}
		if n >= 4 {
			args = append(args, a[0])
		}
		result = ev.apply(fn, args, nil, c.env, c.pos, c.name)
	}
	return result
}

func fnSift(ev *evaluator, c *call, a []any) any {
	m, ok := a[0].(map[string]any)
	if !ok {
		return undefined
	}
	out := map[string]any{}
	var keys []string
	for _, k := range ev.keys(m) {
		if boolOf(ev.callback(c, argAt(a, 1), m[k], k, m)) {
			out[k] = m[k]
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return undefined
	}
	return ev.newObject(out, keys)
}

func fnEach(ev *evaluator, c *call, a []any) any {
	m, ok := a[0].(map[string]any)
	out := newSeq()
	if !ok {
		return out
	}
	for _, k := range ev.keys(m) {
		if r := ev.callback(c, argAt(a, 1), m[k], k, m); r != undefined {
			out.items = append(out.items, r)
		}
	}
	return out
}

func (ev *evaluator) objectKeys(v any) any {
	out := newSeq()
	if items, ok := asArray(v); ok {
		seen := map[string]bool{}
		var keys []string
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				for _, k := range ev.keys(m) {
					if !seen[k] {
						seen[k] = true
						keys = append(keys, k)
					}
				}
			}
		}
		for _, k := range jsOrder(keys) {
			out.items = append(out.items, k)
		}
		return out
	}
	if m, ok := v.(map[string]any); ok {
		for _, k := range ev.keys(m) {
			out.items = append(out.items, k)
		}
	}
	return out
}

func (ev *evaluator) spread(v any) any {
	if items, ok := asArray(v); ok {
		var result any = newSeq()
		for _, it := range items {
			result = appendValues(result, ev.spread(it))
		}
		return result
	}
	if m, ok := v.(map[string]any); ok {
		out := newSeq()
		for _, k := range ev.keys(m) {
			out.items = append(out.items, ev.newObject(map[string]any{k: m[k]}, []string{k}))
		}
		return out
	}
	return v
}

func fnMerge(ev *evaluator, c *call, a []any) any {
	items, ok := asArray(a[0])
	if !ok {
		return undefined
	}
	out := map[string]any{}
	ev.newObject(out, nil)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			for _, k := range ev.keys(m) {
				ev.setKey(out, k, m[k])
			}
		}
	}
	return out
}

func typeName(v any) any {
	switch v.(type) {
	case undefinedType:
		return undefined
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	}
	if isNumeric(v) {
		return "number"
	}
	if _, ok := asArray(v); ok {
		return "array"
	}
	if isFunc(v) {
		return "function"
	}
	return "object"
}

// jsTruthy is JavaScript's truthiness, which $sort applies to a comparator's result.
func jsTruthy(v any) bool {
	switch x := v.(type) {
	case undefinedType, nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	}
	if f, ok := toNumber(v); ok {
		return f != 0 && !math.IsNaN(f)
	}
	return true
}

func fnSort(ev *evaluator, c *call, a []any) any {
	items, ok := asArray(a[0])
	if !ok {
		return undefined
	}
	if len(items) <= 1 {
		return a[0]
	}
	fn := argAt(a, 1)
	var greater func(x, y any) bool
	if fn == undefined {
		_, nums := arrayOfNumbers(items)
		_, strs := arrayOfStrings(items)
		if !nums && !strs {
			throw("D3070", c.pos, c.name, errArgs{"index": 1.0})
		}
		greater = func(x, y any) bool {
			if s, ok := x.(string); ok {
				return compareStrings(s, y.(string)) > 0
			}
			fx, _ := toNumber(x)
			fy, _ := toNumber(y)
			return fx > fy
		}
	} else {
		greater = func(x, y any) bool {
			return jsTruthy(ev.apply(fn, []any{x, y}, nil, c.env, c.pos, c.name))
		}
	}
	return ev.mergeSort(items, greater)
}

func fnDistinct(ev *evaluator, c *call, a []any) any {
	items, ok := asArray(a[0])
	if !ok || len(items) <= 1 {
		return a[0]
	}
	var out []any
	for _, it := range items {
		dup := false
		for _, o := range out {
			ev.charge(1)
			if deepEqual(it, o) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, it)
		}
	}
	if isSequence(a[0]) {
		return newSeq(out...)
	}
	if out == nil {
		out = []any{}
	}
	return out
}

// base64encode is btoa over a "binary" string: each UTF-16 code unit contributes its low byte.
func base64encode(s string) string {
	var b []byte
	for _, r := range s {
		if r >= 0x10000 {
			hi, lo := 0xD800+((r-0x10000)>>10), 0xDC00+((r-0x10000)&0x3FF)
			b = append(b, byte(hi), byte(lo))
		} else {
			b = append(b, byte(r))
		}
	}
	return base64.StdEncoding.EncodeToString(b)
}

// base64decode is Node's lenient base64 decoding to a "binary" (Latin-1) string.
func base64decode(s string) string {
	var clean []byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9', ch == '+', ch == '/':
			clean = append(clean, ch)
		case ch == '-':
			clean = append(clean, '+')
		case ch == '_':
			clean = append(clean, '/')
		case ch == '=':
			i = len(s)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	b, err := base64.RawStdEncoding.DecodeString(string(clean))
	if err != nil {
		return ""
	}
	rs := make([]rune, len(b))
	for i, x := range b {
		rs[i] = rune(x)
	}
	return string(rs)
}

const (
	uriUnreservedMarks = "-_.!~*'()"
	uriReserved        = ";/?:@&=+$,#"
)

func urlFn(name string, f func(string) (string, bool)) func(*evaluator, *call, []any) any {
	return func(ev *evaluator, c *call, a []any) any {
		s, ok := a[0].(string)
		if !ok {
			return undefined
		}
		r, ok := f(s)
		if !ok {
			throw("D3140", c.pos, c.name, errArgs{"value": s, "functionName": name})
		}
		return r
	}
}

// encodeURI is JavaScript's encodeURI/encodeURIComponent: keep alphanumerics and the given
// characters, percent-encode the UTF-8 bytes of everything else.
func encodeURI(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x80 && (ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte(keep, ch) >= 0) {
			sb.WriteByte(ch)
			continue
		}
		sb.WriteByte('%')
		sb.WriteByte(hex[ch>>4])
		sb.WriteByte(hex[ch&15])
	}
	return sb.String()
}

// decodeURI is JavaScript's decodeURI/decodeURIComponent: escapes of the reserved characters are
// kept as written; a malformed escape or invalid UTF-8 fails.
func decodeURI(s, reserved string) (string, bool) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		start := i
		b, ok := hexByte(s, i)
		if !ok {
			return "", false
		}
		i += 2
		if b < 0x80 {
			if strings.IndexByte(reserved, b) >= 0 {
				out = append(out, s[start:i+1]...)
			} else {
				out = append(out, b)
			}
			continue
		}
		n := 0
		switch {
		case b&0xE0 == 0xC0:
			n = 1
		case b&0xF0 == 0xE0:
			n = 2
		case b&0xF8 == 0xF0:
			n = 3
		default:
			return "", false
		}
		seq := []byte{b}
		for k := 0; k < n; k++ {
			if i+1 >= len(s) || s[i+1] != '%' {
				return "", false
			}
			c, ok := hexByte(s, i+1)
			if !ok || c&0xC0 != 0x80 {
				return "", false
			}
			seq = append(seq, c)
			i += 3
		}
		if !utf8.Valid(seq) {
			return "", false
		}
		out = append(out, seq...)
	}
	return string(out), true
}

func hexByte(s string, i int) (byte, bool) {
	if i+2 >= len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
	return byte(v), err == nil
}

func fnEval(ev *evaluator, c *call, a []any) (result any) {
	src, ok := a[0].(string)
	if !ok {
		return undefined
	}
	input := c.input
	if f := argAt(a, 1); f != undefined {
		input = f
		if _, ok := f.([]any); ok {
			input = &array{items: []any{f}, sequence: true, outerWrapper: true}
		}
	}
	ast, err := parse(src)
	if err != nil {
		throw("D3120", c.pos, c.name, errArgs{"value": err.(*Error).Message})
	}
	handlers, depth := len(ev.handlers), ev.depth
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok || e.Code == "D1011" || e.Code == "D1012" {
				panic(r)
			}
			// The inner error is complete here; its handlers are gone with it.
			inner := &evaluator{handlers: ev.handlers[handlers:], lastCall: ev.lastCall}
			inner.resolve(e)
			e.fill(ev.order)
			ev.handlers, ev.depth = ev.handlers[:handlers], depth
			throw("D3121", c.pos, c.name, errArgs{"value": e.Message})
		}
	}()
	return ev.eval(ast, input, c.env)
}

// hostFunction adapts a caller's Function to a built-in without a signature.
func hostFunction(name string, fn Function) *builtin {
	return &builtin{name: name, arity: 1, fn: func(ev *evaluator, c *call, a []any) any {
		args := make([]any, len(a))
		for i, x := range a {
			if x == undefined {
				continue
			}
			args[i] = ev.finalize(x)
		}
		v, ok, err := fn(args)
		if err != nil {
			var je *Error
			if errors.As(err, &je) {
				panic(je)
			}
			panic(&Error{Code: "D3137", Position: c.pos, Token: name, Message: err.Error(), cause: err})
		}
		if !ok {
			return undefined
		}
		return v
	}}
}
