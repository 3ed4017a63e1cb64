package jsonata_test

import (
	"fmt"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jsonata"
)

func Example() {
	e, err := jsonata.Compile(`{"key": $states.input.detail.object.key, "big": $states.input.detail.object.size > 1024}`)
	if err != nil {
		panic(err)
	}
	input := map[string]any{"detail": map[string]any{"object": map[string]any{"key": "photos/a.jpg", "size": 2048.0}}}
	var order []string
	v, ok, err := e.Eval(input, jsonata.Env{
		Vars:   map[string]any{"states": map[string]any{"input": input}},
		Record: func(m map[string]any, keys []string) { order = keys },
	})
	fmt.Println(v, ok, err, order)
	// Output: map[big:true key:photos/a.jpg] true <nil> [key big]
}

func ExampleError() {
	_, _, err := must(jsonata.Compile(`"a" + 1`)).Eval(nil, jsonata.Env{})
	fmt.Println(err)
	// Output: The left side of the "+" operator must evaluate to a number (T2001 at 5, token "+")
}

func must(e *jsonata.Expr, err error) *jsonata.Expr {
	if err != nil {
		panic(err)
	}
	return e
}
