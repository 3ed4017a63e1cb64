// Package jsonata evaluates JSONata 2.x expressions (https://docs.jsonata.org), the query
// language AWS Step Functions accepts with "QueryLanguage": "JSONata". It is written to behave
// as the reference implementation, jsonata-js 2.2.2, does: the same grammar and sequence
// semantics, the same standard library, the same error codes (S0xxx syntax, T type, D dynamic),
// messages and positions, and the same formatting of numbers and order of object members.
// testdata/recorded.json holds the cases it is checked against, recorded from jsonata-js by
// testdata/record.js.
//
// Compile an expression once and evaluate it many times, from any number of goroutines:
//
//	e, err := jsonata.Compile(`Account.Order.Product[Price > 30].SKU`)
//	v, ok, err := e.Eval(input, jsonata.Env{Vars: map[string]any{"states": states}})
//
// Values are the generic JSON form (map[string]any, []any, float64 or int64, string, bool, nil);
// inputs are never modified. ok is false when the result is JSONata's "nothing" (undefined),
// which is not null. Results hold float64 numbers (an input number is passed through as it is),
// NaN and infinities become null and -0 becomes 0, as JSON.stringify shows them. A function in a
// result is a FunctionValue. Objects keep their member order: Env.KeysOf tells the order of
// input objects, and Env.Record learns the order of each object the evaluation builds.
//
// Errors are *Error (but for Env.Context's error). A host function's (Env.Functions) error becomes an *Error with code D3137
// that unwraps to it, unless it is an *Error itself.
//
// Differences from jsonata-js, on purpose:
//   - Regular expressions run on Go's RE2: JavaScript-only features (lookaround, backreferences)
//     are refused when the expression is compiled, with code S0303 (not a jsonata-js code). A
//     character outside the Basic Multilingual Plane (an emoji) is one character to a regex here;
//     JavaScript's regexes, without the u flag, see its two UTF-16 halves.
//   - Evaluation is bounded: about 14,000 levels of non-tail recursion fail with D1011 (tail calls
//     run in constant stack, as in jsonata-js), and an evaluation that takes more than
//     Env.MaxSteps steps (50 million by default), counting the members and bytes it builds, fails
//     with D1012, so that an expression from a user can neither exhaust the stack nor run forever.
//     Env.Context ends an evaluation early; Eval then returns the context's error.
//   - $power computes integer and half-integer powers correctly rounded and others with
//     math.Pow; V8's pow (fdlibm's) is nearly correctly rounded, so a result can differ from
//     JavaScript's in its last binary digit.
//   - Date-times without an offset are read as UTC (jsonata-js uses the host's time zone).
//   - Members of array and object constructors are evaluated in order. jsonata-js evaluates them
//     concurrently, so there a variable bound in one member may not yet be visible to the next,
//     and when several members fail, which error is reported depends on timing.
package jsonata
