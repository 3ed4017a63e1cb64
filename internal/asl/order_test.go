package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// decoderOrder is the member order of every object in b as json.Decoder's
// tokens give it, the reference for memberOrder's own scanner.
func decoderOrder(t *testing.T, b []byte) [][]string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	var out [][]string
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			var keys []string
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				if k := kt.(string); !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
				if err := walk(); err != nil {
					return err
				}
			}
			if len(keys) >= 2 {
				out = append(out, keys)
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	if err := walk(); err != nil {
		t.Fatalf("reference walk of %s: %v", b, err)
	}
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(strings.Join(a, "\x00"), strings.Join(b, "\x00")) })
	return out
}

// recordedOrder is what memberOrder recorded for the objects of b, parsed.
func recordedOrder(t *testing.T, b []byte) [][]string {
	t.Helper()
	v, err := parseJSON(b)
	if err != nil {
		t.Fatalf("parse %s: %v", b, err)
	}
	o := newMemberOrder()
	o.recordJSON(b, v)
	var out [][]string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if k := o.of(v); k != nil {
				out = append(out, k)
			} else if len(v) >= 2 {
				t.Errorf("%s: no order recorded for %v", b, v)
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(strings.Join(a, "\x00"), strings.Join(b, "\x00")) })
	return out
}

func TestMemberOrderScan(t *testing.T) {
	cases := []string{
		`{"b":1,"a":2}`,
		` { "z" : { "y" : [ 1 , { "q":true, "p":null } ] , "x" : "s" } , "a" : -1.5e+3 } `,
		`{"k\"ey":1,"a\\":2,"\u00e9t\u00e9":3,"b":"}\"]"}`,
		`{"dup":1,"a":2,"dup":{"n":1,"m":2}}`,
		`[{"b":1,"a":2},[],{},[{"d":[{"f":1,"e":2}],"c":3}]]`,
		"{\"t\"\t:\r\n1,\"s\":[\"a,b\",\"]\"]}",
		`"just a string"`, `42`, `null`, `[]`,
	}
	for _, c := range cases {
		want, got := decoderOrder(t, []byte(c)), recordedOrder(t, []byte(c))
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Errorf("%s: recorded %q, want %q", c, got, want)
		}
	}
}

// Random documents, the scanner against the decoder: object nesting, arrays,
// strings with escapes and delimiters, numbers in every form.
func TestMemberOrderScanRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	scalars := []string{`0`, `-12.5e-3`, `1E+21`, `true`, `false`, `null`, `""`, `"a\"b"`, `"x\\"`, `"{,}[:]"`, `"\u2028"`}
	names := []string{"a", "b", "c", "Z", "k\\\"q", "é", "a b", "0", "d"}
	var gen func(depth int) string
	gen = func(depth int) string {
		switch n := rng.IntN(4); {
		case depth > 3 || n == 0:
			return scalars[rng.IntN(len(scalars))]
		case n == 1:
			parts := make([]string, rng.IntN(4))
			for i := range parts {
				parts[i] = gen(depth + 1)
			}
			return "[" + strings.Join(parts, " , ") + "]"
		default:
			// Distinct names: with a name given twice, the first value is
			// gone from the parsed document, and so is any order of it.
			perm := rng.Perm(len(names))[:rng.IntN(6)]
			parts := make([]string, len(perm))
			for i, n := range perm {
				parts[i] = `"` + names[n] + `"` + strings.Repeat(" ", rng.IntN(2)) + ":" + gen(depth+1)
			}
			return "{" + strings.Join(parts, ",\n") + "}"
		}
	}
	for range 2000 {
		doc := gen(0)
		want, got := decoderOrder(t, []byte(doc)), recordedOrder(t, []byte(doc))
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Fatalf("%s: recorded %q, want %q", doc, got, want)
		}
	}
}

// An object the execution no longer holds must not pass its order on to a new
// object given the same address.
func TestMemberOrderNotInheritedByAddress(t *testing.T) {
	o := newMemberOrder()
	for i := range 200 {
		func() {
			old := map[string]any{"b": 1, "a": 2}
			o.put(old, []string{"b", "a"})
		}()
		runtime.GC()
		for range 50 {
			fresh := map[string]any{"a": i, "b": i}
			if k := o.of(fresh); k != nil {
				t.Fatalf("a new object inherited the order %q of a freed one", k)
			}
		}
	}
}
