package jsonata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// recordedCase is one case of testdata/recorded.json, as record.js wrote it from jsonata-js.
type recordedCase struct {
	Group     string          `json:"group"`
	Expr      string          `json:"expr"`
	Data      string          `json:"data"`
	Input     json.RawMessage `json:"input"`
	Bindings  json.RawMessage `json:"bindings"`
	JSON      *string         `json:"json"`
	Undefined bool            `json:"undefined"`
	Function  bool            `json:"function"`
	Error     string          `json:"error"`
	Message   string          `json:"message"`
	Position  *int            `json:"position"`
}

type recording struct {
	Jsonata string `json:"jsonata"`
	Now     int64  `json:"now"` // the fixed clock of the recording, ms

	Datasets map[string]json.RawMessage `json:"datasets"`
	Cases    []recordedCase             `json:"cases"`
}

// ordered decodes JSON into the generic form and remembers each object's member order, as the
// ASL engine does for the documents it reads.
type ordered struct {
	keys map[unsafe.Pointer][]string
}

func newOrdered() *ordered { return &ordered{keys: map[unsafe.Pointer][]string{}} }

func (o *ordered) decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := o.value(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

func (o *ordered) value(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			var keys []string
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				v, err := o.value(dec)
				if err != nil {
					return nil, err
				}
				if _, dup := m[k]; !dup {
					keys = append(keys, k)
				}
				m[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			o.keys[mapID(m)] = keys
			return m, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := o.value(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
	case json.Number:
		return t.Float64()
	}
	return tok, nil
}

func (o *ordered) keysOf(m map[string]any) []string { return o.keys[mapID(m)] }

func (o *ordered) record(m map[string]any, keys []string) { o.keys[mapID(m)] = keys }

// encode writes v as JSON.stringify would: members in their recorded order, numbers as
// JavaScript prints them, functions as "__function__" (record.js's marker).
func (o *ordered) encode(v any) string {
	var sb strings.Builder
	o.write(&sb, v)
	return sb.String()
}

func (o *ordered) write(sb *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		sb.WriteString("null")
	case bool:
		fmt.Fprint(sb, x)
	case string:
		sb.WriteString(jsonQuote(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			sb.WriteString("null")
		} else {
			sb.WriteString(jsNumber(x))
		}
	case int64:
		fmt.Fprint(sb, x)
	case FunctionValue:
		sb.WriteString(`"__function__"`)
	case []any:
		sb.WriteByte('[')
		for i, it := range x {
			if i > 0 {
				sb.WriteByte(',')
			}
			o.write(sb, it)
		}
		sb.WriteByte(']')
	case map[string]any:
		keys := o.keys[mapID(x)]
		if len(keys) != len(x) {
			keys = (*keyOrder)(nil).keys(x)
			sb.WriteString("/*unordered*/")
		}
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(jsonQuote(k))
			sb.WriteByte(':')
			o.write(sb, x[k])
		}
		sb.WriteByte('}')
	default:
		fmt.Fprintf(sb, "/*%T*/", v)
	}
}

// loadRecording reads testdata/recorded.json, or the file JSONATA_RECORDED names (for ad hoc
// differential runs against other recordings).
func loadRecording(t testing.TB) *recording {
	file := "testdata/recorded.json"
	if f := os.Getenv("JSONATA_RECORDED"); f != "" {
		file = f
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r recording
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// runCase evaluates one recorded case and describes how it differs from jsonata-js ("" if not).
func runCase(rec *recording, c recordedCase) (diff string) {
	o := newOrdered()
	var input any = nil
	hasInput := false
	if c.Data != "" {
		v, err := o.decode(rec.Datasets[c.Data])
		if err != nil {
			return "bad dataset: " + err.Error()
		}
		input, hasInput = v, true
	} else if len(c.Input) > 0 {
		v, err := o.decode(c.Input)
		if err != nil {
			return "bad input: " + err.Error()
		}
		input, hasInput = v, true
	}
	env := Env{KeysOf: o.keysOf, Record: o.record}
	if rec.Now != 0 {
		env.Now = func() time.Time { return time.UnixMilli(rec.Now) }
	}
	if len(c.Bindings) > 0 {
		b, err := o.decode(c.Bindings)
		if err != nil {
			return "bad bindings: " + err.Error()
		}
		env.Vars = b.(map[string]any)
	}
	defer func() {
		if r := recover(); r != nil {
			diff = fmt.Sprintf("panic: %v", r)
		}
	}()
	e, err := Compile(c.Expr)
	var v any
	var ok bool
	if err == nil {
		if hasInput {
			v, ok, err = e.Eval(input, env)
		} else {
			v, ok, err = e.evalUndefined(env)
		}
	}
	if err != nil {
		var je *Error
		if !errors.As(err, &je) {
			return fmt.Sprintf("error of type %T: %v", err, err)
		}
		if c.Error == je.Code {
			if je.Message != c.Message {
				return fmt.Sprintf("message %q, want %q", je.Message, c.Message)
			}
			if c.Position != nil && je.Position != *c.Position {
				return fmt.Sprintf("position %d, want %d (%s)", je.Position, *c.Position, je.Code)
			}
			return ""
		}
		return fmt.Sprintf("got error %s (%s), want %s", je.Code, je.Message, want(c))
	}
	if c.Error != "" || c.Undefined || c.Function {
		if c.Undefined && !ok {
			return ""
		}
		if _, isFn := v.(FunctionValue); c.Function && isFn && ok {
			return ""
		}
		if !ok {
			return "got undefined, want " + want(c)
		}
		return "got " + o.encode(v) + ", want " + want(c)
	}
	if !ok {
		return "got undefined, want " + want(c)
	}
	if got := o.encode(v); got != *c.JSON {
		return "got " + got + ", want " + *c.JSON
	}
	return ""
}

func want(c recordedCase) string {
	switch {
	case c.Error != "":
		return "error " + c.Error
	case c.Undefined:
		return "undefined"
	case c.Function:
		return "a function"
	}
	return *c.JSON
}

// re2Refusals are cases where jsonata-js runs a JavaScript-only regex feature (lookahead,
// backreferences) that RE2 cannot do; this package refuses them at compile time instead.
var re2Refusals = map[string]bool{
	`$match("abc", /(?=b)/)`: true,
	`$match("aa", /(a)\1/)`:  true,
}

// knownDifferences are cases where this package gives another answer than jsonata-js, with the
// answer it gives. jsonata-js evaluates the members of an array constructor and the values of an
// object constructor concurrently (async functions under Promise.all), so whether a variable bound
// in one member is seen by a sibling depends on how many awaits each takes; here members are
// evaluated in order, and a binding is seen by the members after it.
var knownDifferences = map[string]string{
	"$ ~> | $ | { 'b': $c := a, 'c': $c } |": `[{"a":1,"b":1,"c":1},{"a":2,"b":2,"c":2}]`,
	`($x := 0; [$x := 1, $x])`:               `[1,1]`,
	`($x := 0; {"a": $x := 1, "b": $x})`:     `{"a":1,"b":1}`,
	// V8's pow (fdlibm's) is nearly correctly rounded; this package rounds 1/49 correctly.
	`$power(7, -2)`: `0.02040816326530612`,
}

// TestOracle compares every recorded case with what jsonata-js 2.2.2 gave for it.
func TestOracle(t *testing.T) {
	rec := loadRecording(t)
	if rec.Jsonata != "2.2.2" {
		t.Fatalf("recorded with jsonata %s, want 2.2.2", rec.Jsonata)
	}
	failed := 0
	for i, c := range rec.Cases {
		if re2Refusals[c.Expr] {
			if _, err := Compile(c.Expr); !isCode(err, "S0303") {
				t.Errorf("case %d %s: got %v, want the RE2 refusal S0303", i, c.Expr, err)
			}
			continue
		}
		if alt, ok := knownDifferences[c.Expr]; ok {
			c.JSON, c.Error, c.Undefined = &alt, "", false
		}
		if d := runCase(rec, c); d != "" {
			failed++
			t.Errorf("case %d [%s] %s: %s", i, c.Group, c.Expr, d)
		}
	}
	t.Logf("%d cases, %d agree with jsonata-js", len(rec.Cases), len(rec.Cases)-failed)
}

// evalUndefined evaluates with no input at all (JSONata's undefined input), which the public
// API does not offer: an ASL state always has an input.
func (e *Expr) evalUndefined(env Env) (any, bool, error) {
	return e.Eval(undefined, env)
}

func isCode(err error, code string) bool {
	var je *Error
	return errors.As(err, &je) && je.Code == code
}
