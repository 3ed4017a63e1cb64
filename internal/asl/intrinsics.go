package asl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Intrinsic functions: States.Format(...) and friends, compiled once into a
// call tree and evaluated per use. Failures are States.Runtime, as Step
// Functions reports them for JSONPath-mode intrinsics.

type argKind uint8

const (
	argLiteral argKind = iota
	argPath
	argCall
)

type intrinsicArg struct {
	kind     argKind
	lit      any    // literal value (string literals unescaped)
	raw      string // a string literal as written, escapes kept (for Format)
	isStrLit bool
	path     *path
	call     *intrinsic
}

type intrinsic struct {
	name string
	fn   intrinsicFunc
	args []intrinsicArg
}

type intrinsicFunc struct {
	minArgs, maxArgs int // maxArgs < 0: variadic
	eval             func(e *evalEnv, in *intrinsic, args []any) (any, *Failure)
}

var intrinsics map[string]intrinsicFunc

func init() {
	intrinsics = map[string]intrinsicFunc{
		"States.Format":         {1, -1, fnFormat},
		"States.StringToJson":   {1, 1, fnStringToJSON},
		"States.JsonToString":   {1, 1, fnJSONToString},
		"States.Array":          {0, -1, fnArray},
		"States.ArrayPartition": {2, 2, fnArrayPartition},
		"States.ArrayContains":  {2, 2, fnArrayContains},
		"States.ArrayRange":     {3, 3, fnArrayRange},
		"States.ArrayGetItem":   {2, 2, fnArrayGetItem},
		"States.ArrayLength":    {1, 1, fnArrayLength},
		"States.ArrayUnique":    {1, 1, fnArrayUnique},
		"States.Base64Encode":   {1, 1, fnBase64Encode},
		"States.Base64Decode":   {1, 1, fnBase64Decode},
		"States.Hash":           {2, 2, fnHash},
		"States.JsonMerge":      {3, 3, fnJSONMerge},
		"States.MathRandom":     {2, 3, fnMathRandom},
		"States.MathAdd":        {2, 2, fnMathAdd},
		"States.StringSplit":    {2, 2, fnStringSplit},
		"States.UUID":           {0, 0, fnUUID},
	}
}

// isIntrinsic reports whether a payload-template value is an intrinsic call.
func isIntrinsic(s string) bool { return strings.HasPrefix(s, "States.") }

type intrinsicParser struct {
	s   string
	pos int
}

func compileIntrinsic(s string) (*intrinsic, error) {
	p := &intrinsicParser{s: s}
	call, err := p.call()
	if err != nil {
		return nil, fmt.Errorf("the value %q is not a valid intrinsic function call: %v", s, err)
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("the value %q is not a valid intrinsic function call: unexpected %q after the call", s, p.s[p.pos:])
	}
	return call, nil
}

func (p *intrinsicParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n') {
		p.pos++
	}
}

func (p *intrinsicParser) call() (*intrinsic, error) {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] != '(' {
		p.pos++
	}
	if p.pos >= len(p.s) {
		return nil, fmt.Errorf("missing '('")
	}
	name := strings.TrimSpace(p.s[start:p.pos])
	fn, ok := intrinsics[name]
	if !ok {
		return nil, fmt.Errorf("unknown function %q", name)
	}
	p.pos++ // (
	in := &intrinsic{name: name, fn: fn}
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == ')' {
		p.pos++
	} else {
		for {
			p.space()
			a, err := p.arg()
			if err != nil {
				return nil, err
			}
			in.args = append(in.args, a)
			p.space()
			if p.pos >= len(p.s) {
				return nil, fmt.Errorf("missing ')'")
			}
			c := p.s[p.pos]
			p.pos++
			if c == ')' {
				break
			}
			if c != ',' {
				return nil, fmt.Errorf("expected ',' or ')' at offset %d", p.pos-1)
			}
		}
	}
	if len(in.args) < fn.minArgs || fn.maxArgs >= 0 && len(in.args) > fn.maxArgs {
		return nil, fmt.Errorf("%s takes %s, got %d", name, arity(fn), len(in.args))
	}
	return in, nil
}

func arity(fn intrinsicFunc) string {
	switch {
	case fn.maxArgs < 0:
		return fmt.Sprintf("at least %d arguments", fn.minArgs)
	case fn.minArgs == fn.maxArgs:
		return fmt.Sprintf("%d arguments", fn.minArgs)
	}
	return fmt.Sprintf("%d to %d arguments", fn.minArgs, fn.maxArgs)
}

func (p *intrinsicParser) arg() (intrinsicArg, error) {
	if p.pos >= len(p.s) {
		return intrinsicArg{}, fmt.Errorf("missing argument")
	}
	switch c := p.s[p.pos]; {
	case c == '\'':
		return p.str()
	case c == '$':
		start := p.pos
		depth := 0
		var quote byte
		for p.pos < len(p.s) {
			c := p.s[p.pos]
			if quote != 0 {
				if c == '\\' && p.pos+1 < len(p.s) { // a trailing backslash stays unterminated
					p.pos++
				} else if c == quote {
					quote = 0
				}
			} else if c == '\'' || c == '"' {
				quote = c
			} else if c == '[' || c == '(' {
				depth++
			} else if c == ']' || c == ')' && depth > 0 {
				depth--
			} else if depth == 0 && (c == ',' || c == ')' || c == ' ') {
				break
			}
			p.pos++
		}
		pt, err := compilePath(p.s[start:p.pos], false)
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{kind: argPath, path: pt}, nil
	case strings.HasPrefix(p.s[p.pos:], "States."):
		c, err := p.call()
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{kind: argCall, call: c}, nil
	default:
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] != ',' && p.s[p.pos] != ')' && p.s[p.pos] != ' ' {
			p.pos++
		}
		tok := p.s[start:p.pos]
		switch tok {
		case "true":
			return intrinsicArg{lit: true}, nil
		case "false":
			return intrinsicArg{lit: false}, nil
		case "null":
			return intrinsicArg{lit: nil}, nil
		}
		if i, err := strconv.ParseInt(tok, 10, 64); err == nil {
			return intrinsicArg{lit: i}, nil
		}
		if f, err := strconv.ParseFloat(tok, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return intrinsicArg{lit: f}, nil
		}
		return intrinsicArg{}, fmt.Errorf("invalid argument %q", tok)
	}
}

// str reads a single-quoted literal; \' \{ \} and \\ are escapes.
func (p *intrinsicParser) str() (intrinsicArg, error) {
	p.pos++ // opening quote
	start := p.pos
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.s) {
				return intrinsicArg{}, fmt.Errorf("unterminated escape in string literal")
			}
			b.WriteByte(p.s[p.pos+1])
			p.pos += 2
			continue
		case '\'':
			raw := p.s[start:p.pos]
			p.pos++
			return intrinsicArg{lit: b.String(), raw: raw, isStrLit: true}, nil
		}
		b.WriteByte(c)
		p.pos++
	}
	return intrinsicArg{}, fmt.Errorf("unterminated string literal")
}

func (in *intrinsic) eval(e *evalEnv) (any, *Failure) {
	var small [4]any
	args := small[:0]
	for i := range in.args {
		a := &in.args[i]
		switch a.kind {
		case argLiteral:
			args = append(args, a.lit)
		case argPath:
			v, found, f := a.path.get(e)
			if f != nil {
				return nil, f
			}
			if !found {
				return nil, runtimeFailure("The JsonPath argument for the field '%s' could not be found in the input", a.path.src)
			}
			args = append(args, v)
		case argCall:
			v, f := a.call.eval(e)
			if f != nil {
				return nil, f
			}
			args = append(args, v)
		}
	}
	return in.fn.eval(e, in, args)
}

func intrinsicFail(in *intrinsic, format string, args ...any) *Failure {
	return runtimeFailure("%s: %s", in.name, fmt.Sprintf(format, args...))
}

func fnFormat(e *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	var tmpl string
	if in.args[0].isStrLit {
		tmpl = in.args[0].raw
	} else {
		s, ok := args[0].(string)
		if !ok {
			return nil, intrinsicFail(in, "the template must be a string, got %s", typeName(args[0]))
		}
		tmpl = s
	}
	vals := args[1:]
	var b strings.Builder
	n := 0
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '\\' && i+1 < len(tmpl):
			i++
			b.WriteByte(tmpl[i])
		case c == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}':
			if n >= len(vals) {
				return nil, intrinsicFail(in, "the template has more placeholders than arguments")
			}
			b.WriteString(formatValue(e, vals[n]))
			n++
			i++
		default:
			b.WriteByte(c)
		}
	}
	if n != len(vals) {
		return nil, intrinsicFail(in, "the template has %d placeholders but %d arguments were given", n, len(vals))
	}
	return b.String(), nil
}

// formatValue renders a States.Format argument as Step Functions (Java)
// does: strings bare, arrays as [a, b], objects as {k=v} in member order,
// other values as JSON.
func formatValue(e *evalEnv, v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = formatValue(e, x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := e.keysOf(t)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + formatValue(e, t[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return string(e.json(v))
}

func fnStringToJSON(e *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	s, ok := args[0].(string)
	if !ok {
		return nil, intrinsicFail(in, "the argument must be a string, got %s", typeName(args[0]))
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	v, err := parseJSON([]byte(s))
	if err != nil {
		return nil, intrinsicFail(in, "the argument is not valid JSON: %v", err)
	}
	if e != nil && e.x != nil {
		e.x.order.recordJSON([]byte(s), v)
	}
	return v, nil
}

func fnJSONToString(e *evalEnv, _ *intrinsic, args []any) (any, *Failure) {
	return string(e.json(args[0])), nil
}

func fnArray(_ *evalEnv, _ *intrinsic, args []any) (any, *Failure) {
	out := make([]any, len(args))
	copy(out, args)
	return out, nil
}

func arrayArg(in *intrinsic, v any) ([]any, *Failure) {
	a, ok := v.([]any)
	if !ok {
		return nil, intrinsicFail(in, "the first argument must be an array, got %s", typeName(v))
	}
	return a, nil
}

func intArg(in *intrinsic, v any, what string) (int64, *Failure) {
	i, ok := integer(v)
	if !ok {
		return 0, intrinsicFail(in, "the %s must be an integer, got %s", what, toJSON(v))
	}
	return i, nil
}

func fnArrayPartition(_ *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	a, f := arrayArg(in, args[0])
	if f != nil {
		return nil, f
	}
	size, f := roundedArg(in, args[1], "chunk size")
	if f != nil {
		return nil, f
	}
	if size <= 0 {
		return nil, intrinsicFail(in, "the chunk size must be greater than 0, got %d", size)
	}
	out := []any{}
	for i := 0; i < len(a); i += int(size) {
		end := min(i+int(size), len(a))
		chunk := make([]any, end-i)
		copy(chunk, a[i:end])
		out = append(out, chunk)
	}
	return out, nil
}

func fnArrayContains(_ *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	a, f := arrayArg(in, args[0])
	if f != nil {
		return nil, f
	}
	for _, e := range a {
		if jsonEqual(e, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

// maxArrayRange is AWS's limit on the elements States.ArrayRange may produce.
const maxArrayRange = 1000

func fnArrayRange(_ *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	first, f := roundedArg(in, args[0], "first argument")
	if f != nil {
		return nil, f
	}
	last, f := roundedArg(in, args[1], "second argument")
	if f != nil {
		return nil, f
	}
	stepv, f := roundedArg(in, args[2], "step")
	if f != nil {
		return nil, f
	}
	if stepv == 0 {
		return nil, intrinsicFail(in, "the step must not be 0")
	}
	out := []any{}
	for i := first; stepv > 0 && i <= last || stepv < 0 && i >= last; i += stepv {
		if len(out) == maxArrayRange {
			return nil, intrinsicFail(in, "the range has more than %d elements", maxArrayRange)
		}
		out = append(out, i)
	}
	return out, nil
}

// roundedArg is a numeric argument rounded to the nearest integer, as AWS
// does for ArrayRange and MathRandom.
func roundedArg(in *intrinsic, v any, what string) (int64, *Failure) {
	n, ok := number(v)
	if !ok {
		return 0, intrinsicFail(in, "the %s must be a number, got %s", what, typeName(v))
	}
	return javaRound(n), nil
}

func fnArrayGetItem(_ *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	a, f := arrayArg(in, args[0])
	if f != nil {
		return nil, f
	}
	i, f := intArg(in, args[1], "index")
	if f != nil {
		return nil, f
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, intrinsicFail(in, "index %d is out of range for an array of length %d", i, len(a))
	}
	return a[i], nil
}

func fnArrayLength(_ *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	a, f := arrayArg(in, args[0])
	if f != nil {
		return nil, f
	}
	return int64(len(a)), nil
}

func fnArrayUnique(_ *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	a, f := arrayArg(in, args[0])
	if f != nil {
		return nil, f
	}
	out := make([]any, 0, len(a))
next:
	for _, e := range a {
		for _, seen := range out {
			if jsonEqual(seen, e) {
				continue next
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// maxEncodeChars is AWS's input limit for Base64Encode/Decode and Hash.
const maxEncodeChars = 10000

func stringArg(in *intrinsic, v any, what string) (string, *Failure) {
	s, ok := v.(string)
	if !ok {
		return "", intrinsicFail(in, "the %s must be a string, got %s", what, typeName(v))
	}
	return s, nil
}

func fnBase64Encode(_ *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	s, f := stringArg(in, args[0], "argument")
	if f != nil {
		return nil, f
	}
	if utf8.RuneCountInString(s) > maxEncodeChars {
		return nil, intrinsicFail(in, "the input is longer than %d characters", maxEncodeChars)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(_ *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	s, f := stringArg(in, args[0], "argument")
	if f != nil {
		return nil, f
	}
	if len(s) > maxEncodeChars {
		return nil, intrinsicFail(in, "the input is longer than %d characters", maxEncodeChars)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, intrinsicFail(in, "the input is not valid base64: %v", err)
	}
	return string(b), nil
}

func fnHash(_ *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	data, f := stringArg(in, args[0], "data")
	if f != nil {
		return nil, f
	}
	if utf8.RuneCountInString(data) > maxEncodeChars {
		return nil, intrinsicFail(in, "the input is longer than %d characters", maxEncodeChars)
	}
	alg, f := stringArg(in, args[1], "algorithm")
	if f != nil {
		return nil, f
	}
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, intrinsicFail(in, "unsupported algorithm %q (MD5, SHA-1, SHA-256, SHA-384, SHA-512)", alg)
	}
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnJSONMerge(e *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	a, ok1 := args[0].(map[string]any)
	b, ok2 := args[1].(map[string]any)
	if !ok1 || !ok2 {
		return nil, intrinsicFail(in, "both values to merge must be objects")
	}
	deep, ok := args[2].(bool)
	if !ok {
		return nil, intrinsicFail(in, "the third argument must be a boolean")
	}
	if deep {
		// AWS supports only the shallow mode.
		return nil, intrinsicFail(in, "deep merging is not supported; the third argument must be false")
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	if e != nil && e.x != nil && e.x.order != nil {
		// The first object's members in their order, then the second's new ones.
		keys := append([]string(nil), e.keysOf(a)...)
		for _, k := range e.keysOf(b) {
			if _, had := a[k]; !had {
				keys = append(keys, k)
			}
		}
		e.x.order.put(out, keys)
	}
	return out, nil
}

// fnMathRandom returns an integer from start to end, both included
// (non-integers rounded), as AWS does.
func fnMathRandom(e *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	start, f := roundedArg(in, args[0], "start")
	if f != nil {
		return nil, f
	}
	end, f := roundedArg(in, args[1], "end")
	if f != nil {
		return nil, f
	}
	if end < start {
		return nil, intrinsicFail(in, "the end (%d) must not be less than the start (%d)", end, start)
	}
	var r float64
	if len(args) == 3 {
		seed, f := intArg(in, args[2], "seed")
		if f != nil {
			return nil, f
		}
		r = seededFloat(seed)
	} else {
		r = e.random()
	}
	return start + int64(r*float64(end-start+1)), nil
}

// seededFloat is a deterministic value in [0,1) for a seed (splitmix64).
func seededFloat(seed int64) float64 {
	z := uint64(seed) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

// javaRound is Java's Math.round: half up, towards positive infinity.
func javaRound(f float64) int64 { return int64(math.Floor(f + 0.5)) }

func fnMathAdd(_ *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	var sum int64
	for i, a := range args {
		n, ok := number(a)
		if !ok {
			return nil, intrinsicFail(in, "argument %d must be a number, got %s", i+1, typeName(a))
		}
		r := javaRound(n)
		if r < math.MinInt32 || r > math.MaxInt32 {
			return nil, intrinsicFail(in, "argument %d is outside the 32-bit integer range", i+1)
		}
		sum += r
	}
	return sum, nil
}

// fnStringSplit splits on every character of the delimiter string and drops
// empty pieces, as Java's StringTokenizer does.
func fnStringSplit(_ *evalEnv, in *intrinsic, args []any) (any, *Failure) {
	s, f := stringArg(in, args[0], "first argument")
	if f != nil {
		return nil, f
	}
	d, f := stringArg(in, args[1], "delimiter")
	if f != nil {
		return nil, f
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(d, r) })
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func fnUUID(e *evalEnv, _ *intrinsic, _ []any) (any, *Failure) {
	var b [16]byte
	e.randomBytes(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:]), nil
}
