package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/ohler55/ojg"
	"github.com/ohler55/ojg/oj"
)

// Values are the generic JSON form ojg produces: map[string]any, []any, int64,
// float64, string, bool and nil. The engine treats every value as immutable once
// built: states build new maps and slices instead of editing their input, so
// history events can hold values without copying them.

// parseJSON decodes one JSON document. Numbers that do not fit an int64 become
// float64 rather than strings. The standard library checks the syntax first
// because ojg's parser panics on some malformed documents (found by FuzzParse:
// testdata/fuzz/FuzzParse/218df9356f4a3f12).
func parseJSON(b []byte) (any, error) {
	if !json.Valid(b) {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		return nil, errors.New("invalid JSON")
	}
	return ojParse(b)
}

// ojParse is oj.Parse turning any panic left in it into an error, so that no
// document a user supplies can bring the engine down.
func ojParse(b []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("invalid JSON: %v", r)
		}
	}()
	return oj.Parse(b, ojg.NumConvFloat64)
}

// toJSON encodes v compactly with object keys sorted, without HTML escaping.
func toJSON(v any) string {
	return string(appendJSON(nil, v))
}

func appendJSON(buf []byte, v any) []byte { return appendJSONKeys(buf, v, nil) }

// appendJSONKeys encodes v; keysOf, when not nil, gives each object's members
// in order (see memberOrder), else they are sorted.
func appendJSONKeys(buf []byte, v any, keysOf func(map[string]any) []string) []byte {
	switch t := v.(type) {
	case nil:
		return append(buf, "null"...)
	case bool:
		if t {
			return append(buf, "true"...)
		}
		return append(buf, "false"...)
	case string:
		return appendString(buf, t)
	case int64:
		return strconv.AppendInt(buf, t, 10)
	case int:
		return strconv.AppendInt(buf, int64(t), 10)
	case float64:
		return appendFloat(buf, t)
	case []any:
		buf = append(buf, '[')
		for i, e := range t {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONKeys(buf, e, keysOf)
		}
		return append(buf, ']')
	case map[string]any:
		buf = append(buf, '{')
		var small [16]string
		keys := small[:0]
		if keysOf != nil {
			keys = keysOf(t)
		} else {
			keys = appendSortedKeys(keys, t)
		}
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, k)
			buf = append(buf, ':')
			buf = appendJSONKeys(buf, t[k], keysOf)
		}
		return append(buf, '}')
	default:
		// Values from outside (json.Number, other numeric types) go through ojg.
		return append(buf, oj.JSON(t, &ojg.Options{Sort: true})...)
	}
}

func appendFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		// JSON has no representation; AWS never produces these.
		return append(buf, "null"...)
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return strconv.AppendInt(buf, int64(f), 10)
	case math.Abs(f) >= 1e-4 && math.Abs(f) < 1e21:
		return strconv.AppendFloat(buf, f, 'f', -1, 64)
	default:
		return strconv.AppendFloat(buf, f, 'E', -1, 64)
	}
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping what JSON requires
// (and invalid UTF-8, as \ufffd), not HTML characters.
func appendString(buf []byte, s string) []byte { return appendQuoted(buf, s, &plainSafe) }

// number reports v as a float64 when it is a JSON number.
func number(v any) (float64, bool) {
	switch t := v.(type) {
	case int64:
		return float64(t), true
	case float64:
		return t, true
	case int:
		return float64(t), true
	}
	return 0, false
}

// integer reports v as an int64 when it is a JSON number with no fraction.
func integer(v any) (int64, bool) {
	switch t := v.(type) {
	case int64:
		return t, true
	case int:
		return int64(t), true
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<63 {
			return int64(t), true
		}
	}
	return 0, false
}

// jsonEqual is deep equality with numbers compared by value (1 == 1.0).
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		if y, ok := b.(int64); ok {
			return x == y
		}
		y, ok := number(b)
		return ok && float64(x) == y
	case float64, int:
		fx, _ := number(a)
		fy, ok := number(b)
		return ok && fx == fy
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}

// typeName names a JSON value's type the way AWS error causes do.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case int64, int, float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// jsonSizeExceeds reports whether v's JSON encoding is longer than limit
// bytes. It first measures a lower bound without encoding (strings without
// their escapes); only a value whose escapes could push it over the limit
// (at most six bytes per byte) is encoded to know exactly.
func jsonSizeExceeds(v any, limit int) bool {
	n := jsonSizeAtLeast(v, limit)
	switch {
	case n > limit:
		return true
	case n*6 <= limit:
		return false
	}
	return len(appendJSON(nil, v)) > limit
}

// jsonSizeAtLeast is a lower bound of v's encoded size, exact but for string
// escapes; it stops counting past limit.
func jsonSizeAtLeast(v any, limit int) int {
	var num [32]byte
	switch t := v.(type) {
	case nil:
		return 4
	case bool:
		if t {
			return 4
		}
		return 5
	case string:
		return len(t) + 2
	case int64:
		return len(strconv.AppendInt(num[:0], t, 10))
	case float64:
		return len(appendFloat(num[:0], t))
	case map[string]any:
		n := 1 + len(t)
		for k, e := range t {
			n += len(k) + 3 + jsonSizeAtLeast(e, limit-n)
			if n > limit {
				return n
			}
		}
		return n
	case []any:
		n := 1 + len(t)
		for _, e := range t {
			n += jsonSizeAtLeast(e, limit-n)
			if n > limit {
				return n
			}
		}
		return n
	}
	return len(appendJSON(nil, v))
}
