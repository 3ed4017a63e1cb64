package asl

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
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
	keys map[uintptr][]string
}

func newMemberOrder() *memberOrder { return &memberOrder{keys: map[uintptr][]string{}} }

func objectID(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }

// put records keys as m's member order.
func (o *memberOrder) put(m map[string]any, keys []string) {
	if o == nil || len(m) < 2 {
		return
	}
	o.mu.Lock()
	o.keys[objectID(m)] = keys
	o.mu.Unlock()
}

// of returns m's recorded member order, or nil.
func (o *memberOrder) of(m map[string]any) []string {
	if o == nil || len(m) < 2 {
		return nil
	}
	o.mu.Lock()
	keys := o.keys[objectID(m)]
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
// from the JSON text b.
func (o *memberOrder) recordJSON(b []byte, v any) {
	if o == nil {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	_ = o.walk(dec, v)
}

// walk reads one JSON value from dec alongside v.
func (o *memberOrder) walk(dec *json.Decoder, v any) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		m, _ := v.(map[string]any)
		keys := make([]string, 0, len(m))
		seen := make(map[string]bool, len(m))
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := kt.(string)
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
			if err := o.walk(dec, m[k]); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		o.put(m, keys)
	case json.Delim('['):
		a, _ := v.([]any)
		for i := 0; dec.More(); i++ {
			var e any
			if i < len(a) {
				e = a[i]
			}
			if err := o.walk(dec, e); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	return nil
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
// or descent path. Only then does an execution record orders (a cost of a
// second pass over each JSON text it parses). A false positive (a "*" in a
// StringMatches pattern) only costs that pass.
func orderSensitive(definition []byte) bool {
	for _, s := range []string{"States.JsonToString", "States.Format", "*", ".."} {
		if bytes.Contains(definition, []byte(s)) {
			return true
		}
	}
	return false
}
