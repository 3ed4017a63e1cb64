package jsonata

import (
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

func mustCompile(t *testing.T, src string) *Expr {
	t.Helper()
	e, err := Compile(src)
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	return e
}

func TestCompileSyntaxError(t *testing.T) {
	_, err := Compile(`Account.(`)
	var je *Error
	if !errors.As(err, &je) || je.Code != "S0203" {
		t.Fatalf("got %v, want *Error S0203", err)
	}
	if je.Position == 0 || je.Message == "" {
		t.Errorf("error lacks position or message: %+v", je)
	}
}

func TestEvalUndefinedIsNotNull(t *testing.T) {
	v, ok, err := mustCompile(t, `missing`).Eval(map[string]any{"a": 1.0}, Env{})
	if err != nil || ok || v != nil {
		t.Fatalf("got %v %v %v, want undefined", v, ok, err)
	}
	v, ok, err = mustCompile(t, `a`).Eval(map[string]any{"a": nil}, Env{})
	if err != nil || !ok || v != nil {
		t.Fatalf("got %v %v %v, want null", v, ok, err)
	}
}

func TestVarsAndInt64Input(t *testing.T) {
	input := map[string]any{"n": int64(3), "list": []any{int64(1), int64(2)}}
	env := Env{Vars: map[string]any{"states": map[string]any{"input": input}}}
	v, ok, err := mustCompile(t, `$states.input.n * 2 + $sum($states.input.list)`).Eval(input, env)
	if err != nil || !ok || v != 9.0 {
		t.Fatalf("got %v %v %v, want 9", v, ok, err)
	}
	v, _, _ = mustCompile(t, `list[1]`).Eval(input, Env{})
	if v != int64(2) {
		t.Errorf("an input number passes through as it is: got %#v", v)
	}
}

func TestHostFunctions(t *testing.T) {
	var got []any
	env := Env{Functions: map[string]Function{
		"hash": func(args []any) (any, bool, error) {
			got = args
			return "h(" + args[0].(string) + ")", true, nil
		},
		"nothing": func(args []any) (any, bool, error) { return nil, false, nil },
		"fail":    func(args []any) (any, bool, error) { return nil, false, errors.New("boom") },
		"string":  func(args []any) (any, bool, error) { return "shadowed", true, nil },
	}}
	v, _, err := mustCompile(t, `$hash("x", [1,2], missing)`).Eval(nil, env)
	if err != nil || v != "h(x)" {
		t.Fatalf("got %v %v", v, err)
	}
	if want := []any{"x", []any{1.0, 2.0}, nil}; !reflect.DeepEqual(got, want) {
		t.Errorf("host saw %#v, want %#v", got, want)
	}
	if _, ok, err := mustCompile(t, `$nothing()`).Eval(nil, env); ok || err != nil {
		t.Errorf("undefined host result: ok %v err %v", ok, err)
	}
	v, _, _ = mustCompile(t, `$string(1)`).Eval(nil, env)
	if v != "shadowed" {
		t.Errorf("host function does not shadow the built-in: %v", v)
	}
	v, _, _ = mustCompile(t, `$map(["a","b"], $hash)`).Eval(nil, env)
	if !reflect.DeepEqual(v, []any{"h(a)", "h(b)"}) {
		t.Errorf("host function as a $map argument: %#v", v)
	}
	_, _, err = mustCompile(t, `$fail()`).Eval(nil, env)
	var je *Error
	if !errors.As(err, &je) || je.Message != "boom" || errors.Unwrap(err).Error() != "boom" {
		t.Errorf("host error: %v", err)
	}
}

func TestMemberOrder(t *testing.T) {
	o := newOrdered()
	input, err := o.decode([]byte(`{"z": 1, "a": {"y": 2, "b": 3}}`))
	if err != nil {
		t.Fatal(err)
	}
	env := Env{KeysOf: o.keysOf, Record: o.record}
	for src, want := range map[string]string{
		`$`:                        `{"z":1,"a":{"y":2,"b":3}}`,
		`{"q": 1, "c": a}`:         `{"q":1,"c":{"y":2,"b":3}}`,
		`$keys(a)`:                 `["y","b"]`,
		`$merge([a, {"a": 0}])`:    `{"y":2,"b":3,"a":0}`,
		`$string($)`:               `"{\"z\":1,\"a\":{\"y\":2,\"b\":3}}"`,
		`a.*`:                      `[2,3]`,
		`$ ~> |a|{"new": 1}, "y"|`: `{"z":1,"a":{"b":3,"new":1}}`,
	} {
		v, _, err := mustCompile(t, src).Eval(input, env)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := o.encode(v); got != want {
			t.Errorf("%s = %s, want %s", src, got, want)
		}
	}
}

func TestInputNotMutated(t *testing.T) {
	input := map[string]any{"a": map[string]any{"b": []any{1.0, 2.0}}, "c": []any{map[string]any{"d": 1.0}}}
	before, _ := json.Marshal(input)
	for _, src := range []string{
		`$ ~> |a|{"b": 5}|`, `$ ~> |c|{"d": 7}, ["d"]|`, `a.b ~> $append(3)`, `$merge([a, {"x": 1}])`, `c{"k": d}`, `$sort(a.b, function($x, $y){$x < $y})`,
		`$reverse(a.b)`, `$spread(a)`, `[a, c]`, `$sift(a, function(){true})`,
	} {
		if _, _, err := mustCompile(t, src).Eval(input, Env{}); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if after, _ := json.Marshal(input); string(after) != string(before) {
			t.Fatalf("%s changed its input: %s", src, after)
		}
	}
}

func TestFunctionResult(t *testing.T) {
	v, ok, err := mustCompile(t, `{"f": $uppercase, "g": function($x){$x}, "n": 1}`).Eval(nil, Env{})
	if err != nil || !ok {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if m["f"] != (FunctionValue{Name: "uppercase"}) || m["g"] != (FunctionValue{}) {
		t.Errorf("functions in a result: %#v", m)
	}
}

func TestNowIsFixedPerEvaluation(t *testing.T) {
	at := time.Date(2024, 2, 29, 12, 30, 45, 123e6, time.UTC)
	calls := 0
	env := Env{Now: func() time.Time { calls++; return at }}
	v, _, err := mustCompile(t, `[$now(), $millis(), $now("[Y]-[M01]"), $toMillis("2024", "[Y]")]`).Eval(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"2024-02-29T12:30:45.123Z", float64(at.UnixMilli()), "2024-02", float64(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())}
	if !reflect.DeepEqual(v, want) || calls != 1 {
		t.Errorf("got %#v (clock read %d times), want %#v", v, calls, want)
	}
}

// Regression: unbounded recursion must end in D1011, not a Go stack overflow.
func TestDeepRecursionIsAnError(t *testing.T) {
	for _, src := range []string{
		`($f := function($n){$n + $f($n)}; $f(1))`,
		`($f := function($n){[$f($n)]}; $f(1))`,
	} {
		_, _, err := mustCompile(t, src).Eval(nil, Env{})
		if !isCode(err, "D1011") {
			t.Errorf("%s: got %v, want D1011", src, err)
		}
	}
	deep := ""
	for i := 0; i < 10000; i++ {
		deep += "("
	}
	if _, err := Compile(deep + "1"); !isCode(err, "S0201") {
		t.Errorf("deeply nested expression: got %v, want S0201", err)
	}
}

// A tail-recursive loop runs in constant stack, and an endless one ends at the step budget.
func TestStepBudget(t *testing.T) {
	v, _, err := mustCompile(t, `($f := function($n, $a){$n = 0 ? $a : $f($n - 1, $a + 1)}; $f(100000, 0))`).Eval(nil, Env{})
	if err != nil || v != 100000.0 {
		t.Fatalf("tail recursion: got %v %v", v, err)
	}
	defer func(old int64) { maxSteps = old }(maxSteps)
	maxSteps = 100000
	for _, src := range []string{
		`($f := function(){$f()}; $f())`,
		`[1..1000].([1..1000].($ * 2))`,
		`$pad("", 1000000)`,
	} {
		if _, _, err := mustCompile(t, src).Eval(nil, Env{}); !isCode(err, "D1012") {
			t.Errorf("%s: got %v, want D1012", src, err)
		}
	}
}

func TestConcurrentEvaluations(t *testing.T) {
	e := mustCompile(t, `orders[price > 50]{$string(qty): $sum(price)} ~> $keys()`)
	input := benchInput()
	want, _, err := e.Eval(input, Env{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				got, _, err := e.Eval(input, Env{})
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("concurrent evaluation: %v %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestRegexRefusedAtCompile(t *testing.T) {
	_, err := Compile(`$match(s, /(?<=a)b/)`)
	var je *Error
	if !errors.As(err, &je) || je.Code != "S0303" {
		t.Fatalf("got %v, want S0303", err)
	}
}

// Regression: a string doubled in a loop must meet the step budget before it exhausts memory.
func TestStringGrowthIsCharged(t *testing.T) {
	defer func(old int64) { maxSteps = old }(maxSteps)
	maxSteps = 1_000_000
	for _, src := range []string{
		`($f := function($s){$f($s & $s)}; $f("ab"))`,
		`($f := function($s){$f($join([$s, $s]))}; $f("ab"))`,
		`($f := function($s){$f($replace($s, "a", "aa"))}; $f("ab"))`,
		`($f := function($a){$f([$a, $a])}; $f([1]))`,
	} {
		if _, _, err := mustCompile(t, src).Eval(nil, Env{}); !isCode(err, "D1012") {
			t.Errorf("%s: got %v, want D1012", src, err)
		}
	}
}

// Regression: a transform whose update refers to the matched object itself (found by
// FuzzCompileEval) made a cyclic result, and serializing it overflowed the stack.
func TestTransformUpdateReferringToItsMatch(t *testing.T) {
	o := newOrdered()
	input, _ := o.decode([]byte(`{"a": {"b": 1}}`))
	v, _, err := mustCompile(t, `(|a|{"z": $}|)($)`).Eval(input, Env{KeysOf: o.keysOf, Record: o.record})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o.encode(v), `{"a":{"b":1,"z":{"b":1}}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
