package jsonata_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jsonata"
)

// A host bounds what an expression it did not write may cost: a step budget
// (D1012 past it) and a context that ends the evaluation.
func TestEvalLimits(t *testing.T) {
	long, err := jsonata.Compile(`$sum($map([1..9000000], function($x){$x*2}))`)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = long.Eval(nil, jsonata.Env{MaxSteps: 100_000})
	var je *jsonata.Error
	if !errors.As(err, &je) || je.Code != "D1012" {
		t.Errorf("past the step budget: %v, want D1012", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := long.Eval(nil, jsonata.Env{Context: ctx}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with a deadline: %v, want context.DeadlineExceeded", err)
	}

	// A cheap expression is not held to either.
	short, _ := jsonata.Compile(`$sum([1..100])`)
	v, ok, err := short.Eval(nil, jsonata.Env{MaxSteps: 100_000, Context: context.Background()})
	if err != nil || !ok || v != float64(5050) {
		t.Errorf("$sum([1..100]) = %v %v %v", v, ok, err)
	}
}
