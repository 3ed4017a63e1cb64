package jsonata

import (
	"errors"
	"testing"
)

// FuzzCompileEval feeds arbitrary expressions and inputs through Compile and Eval: neither may
// panic, and every error must be a *Error. The step budget is lowered so that hostile
// expressions ([1..1e7].[1..1e7], unbounded recursion) end quickly with D1011/D1012.
func FuzzCompileEval(f *testing.F) {
	for _, seed := range []string{
		`Account.Order.Product[Price > 30].SKU`, `$sum(a.b)`, `[1..5].($*2)`, `{"a": $count(x)}`,
		`($f := function($n){$n <= 1 ? 1 : $n * $f($n-1)}; $f(5))`, `Phone{type: number[]}`,
		`$replace("abc", /b/, "x")`, `a ~> |b|{"c": 1}|`, `$.a@$x.b#$i[$i>0].%`, `**.x^(>y)`,
		`$string({"a": [1, 2.5e-7, null]}, true)`, `$formatNumber(1234.5, "#,##0.00")`,
		`$fromMillis(0, "[Y0001]-[M01]-[D01]")`, `($g := function(){$g()}; $g())`, `$eval("1+1")`,
	} {
		f.Add(seed, `{"a":{"b":[1,2]},"x":[{"y":1},{"y":"s"}],"Phone":[{"type":"a","number":1}]}`)
	}
	// Every recorded oracle case is a seed too, with its input.
	rec := loadRecording(f)
	for _, c := range rec.Cases {
		input := string(c.Input)
		if c.Data != "" {
			input = string(rec.Datasets[c.Data])
		}
		f.Add(c.Expr, input)
	}
	defer func(old int64) { maxSteps = old }(maxSteps)
	maxSteps = 20000
	f.Fuzz(func(t *testing.T, expr, input string) {
		e, err := Compile(expr)
		if err != nil {
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("Compile(%q) error %T: %v", expr, err, err)
			}
			return
		}
		o := newOrdered()
		in, err := o.decode([]byte(input))
		if err != nil {
			in = input
		}
		_, _, err = e.Eval(in, Env{KeysOf: o.keysOf, Record: o.record})
		if err != nil {
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("Eval(%q) error %T: %v", expr, err, err)
			}
		}
	})
}
