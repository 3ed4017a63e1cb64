package main

import (
	"context"
	"encoding/json"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
)

// environments runs Lambda tasks on a pool of execution environments, as the
// Lambda service scales a function out: asl.LambdaTasks runs one invocation
// at a time per handler value (aws-lambda-go's Invoke hands back a pooled
// buffer), so each environment is its own LambdaTasks with its own handler
// values, serving one task at a time, and as many tasks run at once as there
// are environments.
type environments struct{ free chan asl.TaskRunner }

var _ asl.TaskRunner = (*environments)(nil)

// newEnvironments makes n environments with newEnv.
func newEnvironments(n int, newEnv func() asl.TaskRunner) *environments {
	e := &environments{free: make(chan asl.TaskRunner, n)}
	for i := 0; i < n; i++ {
		e.free <- newEnv()
	}
	return e
}

func (e *environments) RunTask(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	var env asl.TaskRunner
	select {
	case env = <-e.free:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { e.free <- env }()
	return env.RunTask(ctx, resource, input)
}
