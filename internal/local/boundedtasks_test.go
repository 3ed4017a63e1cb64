package local

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
)

// lambdaOnly has a value path for lambda:invoke alone, and records the
// bound's occupancy whenever it runs.
type lambdaOnly struct {
	b    *boundedTasks
	held []int
}

func (l *lambdaOnly) RunTask(context.Context, string, json.RawMessage) (json.RawMessage, error) {
	l.held = append(l.held, len(l.b.sem))
	return json.RawMessage(`{}`), nil
}

func (l *lambdaOnly) HasValue(resource string) bool { return resource == asl.ResourceLambdaInvoke }

func (l *lambdaOnly) RunTaskValue(context.Context, string, json.RawMessage) (any, error) {
	l.held = append(l.held, len(l.b.sem))
	return map[string]any{}, nil
}

// The bound answers for the runner it wraps which resources have a value
// path, so a task without one (sns:publish) passes the bound once, on
// RunTask, and one with a value path holds a place while it runs.
func TestBoundedTasksAskTheRunnerForValuePaths(t *testing.T) {
	inner := &lambdaOnly{}
	b := &boundedTasks{next: inner, sem: make(chan struct{}, 2)}
	inner.b = b
	if !b.HasValue(asl.ResourceLambdaInvoke) || b.HasValue(asl.ResourceSNSPublish) {
		t.Fatalf("HasValue: lambda:invoke %v, sns:publish %v", b.HasValue(asl.ResourceLambdaInvoke), b.HasValue(asl.ResourceSNSPublish))
	}
	if _, err := b.RunTaskValue(context.Background(), asl.ResourceLambdaInvoke, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.RunTask(context.Background(), asl.ResourceSNSPublish, nil); err != nil {
		t.Fatal(err)
	}
	if len(inner.held) != 2 || inner.held[0] != 1 || inner.held[1] != 1 || len(b.sem) != 0 {
		t.Errorf("places held while running %v, after %d; want [1 1], 0", inner.held, len(b.sem))
	}
	plain := &boundedTasks{next: &recordingTasks{}, sem: make(chan struct{}, 1)}
	if plain.HasValue(asl.ResourceLambdaInvoke) {
		t.Error("a runner without a value path was said to have one")
	}
}

type recordingTasks struct{}

func (recordingTasks) RunTask(context.Context, string, json.RawMessage) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}
