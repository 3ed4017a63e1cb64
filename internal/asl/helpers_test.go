package asl

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// runnerFunc adapts a function to TaskRunner.
type runnerFunc func(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error)

func (f runnerFunc) RunTask(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	return f(ctx, resource, input)
}

// sleepLog is a Sleep that records durations and returns at once, advancing
// a virtual clock.
type sleepLog struct {
	mu     sync.Mutex
	clock  *VirtualClock
	sleeps []time.Duration
}

func (s *sleepLog) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.sleeps = append(s.sleeps, d)
	s.mu.Unlock()
	return s.clock.Sleep(ctx, d)
}

var testStart = time.Date(2024, 3, 14, 1, 59, 0, 0, time.UTC)

func testOptions(tasks TaskRunner) (Options, *sleepLog) {
	c := NewVirtualClock(testStart)
	sl := &sleepLog{clock: c}
	return Options{Tasks: tasks, Now: c.Now, Sleep: sl.Sleep, Random: func() float64 { return 0.5 }}, sl
}

func mustParse(t testing.TB, def string) *StateMachine {
	t.Helper()
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return sm
}

// run executes def to the end and returns its description.
func run(t testing.TB, opts Options, def, input string) (Description, *Execution) {
	t.Helper()
	sm := mustParse(t, def)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	x, err := New(opts).Start(ctx, sm, "test", []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	d, err := x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return d, x
}

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	v, err := parseJSON([]byte(s))
	if err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	return v
}

func expectSucceeded(t testing.TB, d Description, want string) {
	t.Helper()
	if d.Status != StatusSucceeded {
		t.Fatalf("status %s error %s cause %s, want SUCCEEDED", d.Status, str(d.Error), str(d.Cause))
	}
	if !jsonEqual(d.Output.Value(), mustJSON(t, want)) {
		t.Fatalf("output %s, want %s", d.Output.String(), want)
	}
}

func expectFailed(t testing.TB, d Description, errName string) {
	t.Helper()
	if d.Status != StatusFailed {
		out := ""
		if d.Output != nil {
			out = d.Output.String()
		}
		t.Fatalf("status %s output %s, want FAILED %s", d.Status, out, errName)
	}
	if str(d.Error) != errName {
		t.Fatalf("error %s (cause %s), want %s", str(d.Error), str(d.Cause), errName)
	}
}

func eventTypes(x *Execution) string {
	var b strings.Builder
	for i, e := range x.History() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.Type)
	}
	return b.String()
}
