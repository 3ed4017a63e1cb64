package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
)

// blockingEnv is an execution environment whose invocations wait for release.
type blockingEnv struct {
	entered chan struct{}
	release chan struct{}
}

func (e *blockingEnv) RunTask(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	e.entered <- struct{}{}
	<-e.release
	return json.RawMessage(`"lambda"`), nil
}

func (e *blockingEnv) HasValue(resource string) bool { return resource == asl.ResourceLambdaInvoke }

func (e *blockingEnv) RunTaskValue(ctx context.Context, resource string, input json.RawMessage) (any, error) {
	out, err := e.RunTask(ctx, resource, input)
	return string(out), err
}

type recordingRunner struct{ resources []string }

func (r *recordingRunner) RunTask(_ context.Context, resource string, _ json.RawMessage) (json.RawMessage, error) {
	r.resources = append(r.resources, resource)
	return json.RawMessage(`{"MessageId":"m"}`), nil
}

// While every environment is busy with a Lambda invocation, a failure
// notification still goes out: sns:publish takes no environment.
func TestLambdaPoolLeavesEnvironmentsToLambdas(t *testing.T) {
	env := &blockingEnv{entered: make(chan struct{}, 1), release: make(chan struct{})}
	other := &recordingRunner{}
	pool := &lambdaPool{free: make(chan asl.TaskRunner, 1), other: other}
	assert.False(t, pool.HasValue(asl.ResourceLambdaInvoke), "environments without a value path")
	pool.values = env
	pool.free <- env

	done := make(chan error, 1)
	go func() {
		_, err := pool.RunTaskValue(context.Background(), asl.ResourceLambdaInvoke, json.RawMessage(`{}`))
		done <- err
	}()
	<-env.entered // the only environment is taken

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	assert.True(t, pool.HasValue(asl.ResourceLambdaInvoke))
	assert.False(t, pool.HasValue(asl.ResourceSNSPublish), "sns:publish has no value path; the engine asks RunTask")
	out, err := pool.RunTask(ctx, asl.ResourceSNSPublish, json.RawMessage(`{}`))
	require.NoError(t, err, "sns:publish waited for an environment")
	assert.JSONEq(t, `{"MessageId":"m"}`, string(out))
	assert.Equal(t, []string{asl.ResourceSNSPublish}, other.resources)

	// A Lambda task does wait for the environment.
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	_, err = pool.RunTask(short, "arn:aws:lambda:us-east-1:000000000000:function:sanitizer-validate", json.RawMessage(`{}`))
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	close(env.release)
	require.NoError(t, <-done)
}
