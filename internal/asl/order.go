package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Member order. Values hold objects as map[string]any, which forgets the
// order of an object's members; AWS keeps it, and it shows wherever an object
// becomes text or a list: States.JsonToString, States.Format, wildcard and
// descent paths, and what a task receives. A memberOrder remembers, for the
// objects of one execution (or of one definition), the order their members
// were written in: parsed JSON in text order, a payload template in the
// definition's order, a copy made by ResultPath or States.JsonMerge with the
// new members last. An object it does not know, or that no longer has the
// members it recorded, falls back to sorted keys.
//
// Objects are told apart by identity. Values are never modified once built
// (see value.go), so an object's members cannot change under its record.
type memberOrder struct {
	mu   sync.Mutex
	keys map[uintptr]orderRecord
}

// orderRecord holds the object itself: while its record exists, no other
// object can be given its address and inherit its order. Records live as long
// as the execution, like its history.
type orderRecord struct {
	object map[string]any
	keys   []string
}

func newMemberOrder() *memberOrder { return &memberOrder{keys: map[uintptr]orderRecord{}} }

func objectID(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }

// put records keys as m's member order.
func (o *memberOrder) put(m map[string]any, keys []string) {
	if o == nil || len(m) < 2 {
		return
	}
	o.mu.Lock()
	o.keys[objectID(m)] = orderRecord{m, keys}
	o.mu.Unlock()
}

// of returns m's recorded member order, or nil.
func (o *memberOrder) of(m map[string]any) []string {
	if o == nil || len(m) < 2 {
		return nil
	}
	o.mu.Lock()
	keys := o.keys[objectID(m)].keys
	o.mu.Unlock()
	if len(keys) != len(m) {
		return nil
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return nil
		}
	}
	return keys
}

// recordJSON records the member order of every object in v, the value parsed
// from the JSON text b. It scans b itself rather than through json.Decoder's
// tokens, which allocate for every value: every task result of an execution
// passes through here.
func (o *memberOrder) recordJSON(b []byte, v any) {
	if o == nil {
		return
	}
	o.scan(b, 0, v)
}

// scan reads the JSON value that starts at or after b[i] alongside v, and
// returns the index just past it. b is text that parsed into v, so it is
// valid JSON; the bounds checks only keep a mismatch from running past its end.
func (o *memberOrder) scan(b []byte, i int, v any) int {
	i = skipSpace(b, i)
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '{':
		m, _ := v.(map[string]any)
		keys := make([]string, 0, len(m))
		i++
		for i = skipSpace(b, i); i < len(b) && b[i] != '}'; i = skipSpace(b, i) {
			if b[i] == ',' {
				i++
				continue
			}
			end := stringEnd(b, i)
			k := jsonKey(b[i:end])
			keys = append(keys, k)
			i = skipSpace(b, end) + 1 // the colon
			i = o.scan(b, i, m[k])
		}
		if len(keys) > len(m) {
			keys = firstOccurrences(keys) // a name given twice keeps its first place
		}
		o.put(m, keys)
		return i + 1
	case '[':
		a, _ := v.([]any)
		i++
		for n := 0; ; n++ {
			if i = skipSpace(b, i); i >= len(b) || b[i] == ']' {
				return i + 1
			}
			if b[i] == ',' {
				i++
			}
			var e any
			if n < len(a) {
				e = a[n]
			}
			j := o.scan(b, i, e)
			if j <= i {
				return len(b) // not JSON after all
			}
			i = j
		}
	case '"':
		return stringEnd(b, i)
	}
	for i < len(b) && !strings.ContainsRune(" \t\r\n,]}", rune(b[i])) {
		i++
	}
	return i
}

func firstOccurrences(keys []string) []string {
	seen := make(map[string]bool, len(keys))
	return slices.DeleteFunc(keys, func(k string) bool {
		dup := seen[k]
		seen[k] = true
		return dup
	})
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string that starts at b[i].
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// jsonKey decodes a quoted member name; only names with escapes need the decoder.
func jsonKey(q []byte) string {
	if len(q) >= 2 && bytes.IndexByte(q, '\\') < 0 {
		return string(q[1 : len(q)-1])
	}
	var k string
	json.Unmarshal(q, &k)
	return k
}

// keysOf returns m's members in their order: recorded for the execution or
// the definition, else sorted.
func (e *evalEnv) keysOf(m map[string]any) []string {
	if e != nil && e.x != nil {
		if k := e.x.order.of(m); k != nil {
			return k
		}
		if k := e.x.sm.order.of(m); k != nil {
			return k
		}
	}
	return sortedKeys(m)
}

// json encodes v with objects' members in their order.
func (e *evalEnv) json(v any) []byte { return appendJSONKeys(nil, v, e.keysOf) }

// extendedOrder records the order of out, a copy of m with key set: m's
// members in their order, then key if m did not have it.
func (e *evalEnv) extendedOrder(m, out map[string]any, key string) {
	if e == nil || e.x == nil || e.x.order == nil {
		return
	}
	keys := append([]string(nil), e.keysOf(m)...)
	if _, had := m[key]; !had {
		keys = append(keys, key)
	}
	e.x.order.put(out, keys)
}

// recordTemplate records a template's output object in the definition's
// member order (keys ending in ".$" named without the suffix).
func (e *evalEnv) recordTemplate(src, out map[string]any) {
	if e == nil || e.x == nil || e.x.order == nil {
		return
	}
	def := e.x.sm.order.of(src)
	if def == nil {
		return
	}
	keys := make([]string, 0, len(def))
	for _, k := range def {
		name := strings.TrimSuffix(k, ".$")
		if _, ok := out[name]; ok {
			keys = append(keys, name)
		}
	}
	e.x.order.put(out, keys)
}

// orderKey carries an execution's memberOrder to task runners in this
// package, so a task's result keeps its members' order.
type orderKey struct{}

func withOrder(ctx context.Context, o *memberOrder) context.Context {
	if o == nil {
		return ctx
	}
	return context.WithValue(ctx, orderKey{}, o)
}

func orderFrom(ctx context.Context) *memberOrder {
	o, _ := ctx.Value(orderKey{}).(*memberOrder)
	return o
}

// orderSensitive reports whether a definition can show member order in a
// result: it calls States.JsonToString or States.Format, or uses a wildcard
// or descent path, or has JSONata expressions ("{%"), whose $string, $keys,
// $each and object constructors all show it. Only then does an execution
// record orders (a cost of a second pass over each JSON text it parses). A
// false positive (a "*" in a StringMatches pattern) only costs that pass.
func orderSensitive(definition []byte) bool {
	for _, s := range []string{"States.JsonToString", "States.Format", "*", "..", "{%"} {
		if bytes.Contains(definition, []byte(s)) {
			return true
		}
	}
	return false
}
