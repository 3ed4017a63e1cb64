package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
)

// Regression: aws-lambda-go's Handler.Invoke returns bytes of a pooled buffer
// it has already released, so concurrent invocations of one handler used to
// read each other's results (seen as a data race in the pipeline corpus test).
func TestLambdaTasksConcurrentInvocationsKeepTheirOwnResults(t *testing.T) {
	type in struct{ N int }
	h := lambda.NewHandler(func(_ context.Context, e in) (map[string]int, error) {
		return map[string]int{"n": e.N, "square": e.N * e.N}, nil
	})
	tasks := &LambdaTasks{Functions: map[string]lambda.Handler{"sq": h}}
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:sq"

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := tasks.RunTask(context.Background(), arn, json.RawMessage(fmt.Sprintf(`{"N":%d}`, i)))
			if err != nil {
				errs <- err
				return
			}
			var got map[string]int
			if err := json.Unmarshal(out, &got); err != nil {
				errs <- fmt.Errorf("%d: %w: %s", i, err, out)
				return
			}
			if got["n"] != i || got["square"] != i*i {
				errs <- fmt.Errorf("invocation %d got %v", i, got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
