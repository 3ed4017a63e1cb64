// Package jsonata evaluates JSONata 2.x expressions (https://docs.jsonata.org), the query
// language AWS Step Functions accepts with "QueryLanguage": "JSONata". It is written to behave
// as the reference implementation, jsonata-js 2.2.2, does: the same sequence semantics, the same
// standard library, the same error codes (S0xxx syntax, T type, D dynamic), and the same output
// formatting of numbers and object member order.
//
// Compile an expression once and evaluate it many times:
//
//	e, err := jsonata.Compile(`Account.Order.Product[Price > 30].SKU`)
//	v, ok, err := e.Eval(input, jsonata.Env{Vars: map[string]any{"states": states}})
//
// Values are the generic JSON form (map[string]any, []any, float64 or int64, string, bool, nil).
// ok is false when the result is JSONata's "nothing" (undefined), which is not null.
//
// Differences from jsonata-js, on purpose:
//   - Regular expressions run on Go's RE2: JavaScript-only features (lookaround, backreferences)
//     are refused when the expression is compiled, with code S0303.
//   - Evaluation is bounded: nesting deeper than a few thousand calls fails with D1011 instead of
//     exhausting the stack, and an evaluation that runs more than maxSteps steps fails with D1012,
//     so that an expression from a user cannot hang its caller.
//   - Dates without an offset are read as UTC.
package jsonata
