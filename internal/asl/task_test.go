package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

const fnArn = "arn:aws:lambda:us-east-1:123456789012:function:f"

// flaky fails with name for the first n calls, then echoes its input.
func flaky(n int64, name string) (TaskRunner, *atomic.Int64) {
	var calls atomic.Int64
	return runnerFunc(func(_ context.Context, _ string, in json.RawMessage) (json.RawMessage, error) {
		if calls.Add(1) <= n {
			return nil, &TaskError{Name: name, Cause: "try again"}
		}
		return in, nil
	}), &calls
}

func TestRetryBackoff(t *testing.T) {
	tests := []struct {
		name    string
		retrier string
		fails   int64
		status  string
		sleeps  []time.Duration
	}{
		{"defaults", `{"ErrorEquals":["E"]}`, 3, StatusSucceeded, []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second}},
		{"exhausted", `{"ErrorEquals":["E"],"MaxAttempts":2,"IntervalSeconds":3,"BackoffRate":1.5}`, 3, StatusFailed, []time.Duration{3 * time.Second, 4500 * time.Millisecond}},
		{"max delay", `{"ErrorEquals":["E"],"MaxAttempts":4,"IntervalSeconds":2,"BackoffRate":3,"MaxDelaySeconds":10}`, 4, StatusSucceeded, []time.Duration{2 * time.Second, 6 * time.Second, 10 * time.Second, 10 * time.Second}},
		{"full jitter", `{"ErrorEquals":["E"],"IntervalSeconds":4,"JitterStrategy":"FULL"}`, 1, StatusSucceeded, []time.Duration{2 * time.Second}},
		{"task failed wildcard", `{"ErrorEquals":["States.TaskFailed"],"MaxAttempts":1}`, 1, StatusSucceeded, []time.Duration{time.Second}},
		{"no match", `{"ErrorEquals":["Other"]}`, 1, StatusFailed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runner, calls := flaky(tt.fails, "E")
			opts, sl := testOptions(runner)
			d, _ := run(t, opts, single(`{"Type":"Task","Resource":"`+fnArn+`","Retry":[`+tt.retrier+`],"End":true}`), `{"k":1}`)
			if d.Status != tt.status {
				t.Fatalf("status %s, want %s", d.Status, tt.status)
			}
			if fmt.Sprint(sl.sleeps) != fmt.Sprint(tt.sleeps) {
				t.Fatalf("sleeps %v, want %v", sl.sleeps, tt.sleeps)
			}
			if want := int64(len(tt.sleeps)) + 1; calls.Load() != want {
				t.Fatalf("%d calls, want %d", calls.Load(), want)
			}
		})
	}
}

// Retry counters belong to the execution: two executions of one parsed
// machine, and two visits of one state, each get the full MaxAttempts.
func TestRetryCountersPerVisit(t *testing.T) {
	var mu sync.Mutex
	fails := map[string]int{}
	runner := runnerFunc(func(_ context.Context, _ string, in json.RawMessage) (json.RawMessage, error) {
		mu.Lock()
		defer mu.Unlock()
		var p struct{ ID string }
		_ = json.Unmarshal(in, &p)
		key := p.ID
		fails[key]++
		if fails[key]%2 == 1 {
			return nil, &TaskError{Name: "E"}
		}
		return in, nil
	})
	sm := mustParse(t, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"`+fnArn+`","Parameters":{"id.$":"$.id","r.$":"$$.State.RetryCount"},"ResultPath":"$.out","Retry":[{"ErrorEquals":["E"],"MaxAttempts":1}],"Next":"C"},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":0,"Next":"Dec"}],"Default":"Done"},
		"Dec":{"Type":"Pass","Parameters":{"id.$":"States.Format('{}-{}', $.id, $.n)","n.$":"States.MathAdd($.n, -1)"},"Next":"T"},
		"Done":{"Type":"Succeed"}}}`)
	opts, _ := testOptions(runner)
	eng := New(opts)
	ctx := context.Background()
	var xs []*Execution
	for i := range 4 {
		x, err := eng.Start(ctx, sm, fmt.Sprint(i), []byte(fmt.Sprintf(`{"id":"x%d","n":2}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, x)
	}
	for _, x := range xs {
		d, _ := x.Wait(ctx)
		if d.Status != StatusSucceeded {
			t.Fatalf("%s: %s %s %s", x.Name(), d.Status, str(d.Error), str(d.Cause))
		}
		if r := d.Output.Value().(map[string]any)["out"].(map[string]any)["r"]; r != int64(1) {
			t.Fatalf("RetryCount %v on the successful attempt, want 1", r)
		}
	}
}

func TestCatch(t *testing.T) {
	t.Run("runtime errors are not caught", func(t *testing.T) {
		runner, _ := flaky(0, "")
		opts, _ := testOptions(runner)
		d, _ := run(t, opts, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnArn+`","ResultSelector":{"x.$":"$.nope"},
			"Retry":[{"ErrorEquals":["States.ALL"]}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true},"H":{"Type":"Succeed"}}}`, `{}`)
		expectFailed(t, d, ErrRuntime)
	})
	t.Run("result path match failure is caught", func(t *testing.T) {
		runner, _ := flaky(0, "")
		opts, _ := testOptions(runner)
		d, _ := run(t, opts, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnArn+`","ResultPath":"$.a.b",
			"Catch":[{"ErrorEquals":["States.ResultPathMatchFailure"],"ResultPath":"$.err","Next":"H"}],"End":true},"H":{"Type":"Pass","OutputPath":"$.err.Error","End":true}}}`, `{"a":1}`)
		expectSucceeded(t, d, `"States.ResultPathMatchFailure"`)
	})
	t.Run("task error names and plain errors", func(t *testing.T) {
		runner := runnerFunc(func(context.Context, string, json.RawMessage) (json.RawMessage, error) {
			return nil, errors.New("socket closed")
		})
		opts, _ := testOptions(runner)
		d, _ := run(t, opts, single(`{"Type":"Task","Resource":"`+fnArn+`","End":true}`), `{}`)
		expectFailed(t, d, ErrTaskFailed)
		if str(d.Cause) != "socket closed" {
			t.Fatalf("cause %s", str(d.Cause))
		}
	})
}

// manualTimer hands out timers the test fires by hand.
type manualTimer struct {
	mu     sync.Mutex
	timers map[time.Duration]chan time.Time
	armed  chan time.Duration
}

func newManualTimer() *manualTimer {
	return &manualTimer{timers: map[time.Duration]chan time.Time{}, armed: make(chan time.Duration, 16)}
}

func (m *manualTimer) Timer(d time.Duration) (<-chan time.Time, func() bool) {
	m.mu.Lock()
	c := make(chan time.Time, 1)
	m.timers[d] = c
	m.mu.Unlock()
	m.armed <- d
	return c, func() bool { return true }
}

func (m *manualTimer) fire(t *testing.T, d time.Duration) {
	t.Helper()
	for {
		select {
		case got := <-m.armed:
			if got != d {
				continue
			}
			m.mu.Lock()
			m.timers[d] <- time.Time{}
			m.mu.Unlock()
			return
		case <-time.After(10 * time.Second):
			t.Fatalf("no %v timer was armed", d)
		}
	}
}

// blocking is a task that runs until its context ends, sending heartbeats
// when asked.
func blocking(started chan<- struct{}, beat <-chan struct{}) TaskRunner {
	return runnerFunc(func(ctx context.Context, _ string, _ json.RawMessage) (json.RawMessage, error) {
		started <- struct{}{}
		for {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-beat:
				Heartbeat(ctx)
			}
		}
	})
}

func TestTaskTimeouts(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","TimeoutSeconds":30,"HeartbeatSeconds":10,
		"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Wrong"},{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true},
		"Wrong":{"Type":"Fail","Error":"Wrong"},"H":{"Type":"Pass","End":true}}}`
	for _, tc := range []struct {
		fire time.Duration
		want string
	}{{30 * time.Second, ErrTimeout}, {10 * time.Second, ErrHeartbeatTimeout}} {
		t.Run(tc.want, func(t *testing.T) {
			started, beat := make(chan struct{}, 1), make(chan struct{})
			opts, _ := testOptions(blocking(started, beat))
			mt := newManualTimer()
			opts.Timer = mt.Timer
			x, err := New(opts).Start(context.Background(), mustParse(t, def), "t", []byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			<-started
			mt.fire(t, tc.fire)
			d, _ := x.Wait(context.Background())
			expectSucceeded(t, d, `{"Error":"`+tc.want+`","Cause":"`+map[string]string{ErrTimeout: "Task timed out after 30 seconds", ErrHeartbeatTimeout: "Task did not send a heartbeat for 10 seconds"}[tc.want]+`"}`)
			if !strings.Contains(eventTypes(x), "LambdaFunctionTimedOut") {
				t.Fatalf("history %s lacks LambdaFunctionTimedOut", eventTypes(x))
			}
		})
	}
	t.Run("heartbeat resets the timer", func(t *testing.T) {
		started, beat := make(chan struct{}, 1), make(chan struct{})
		opts, _ := testOptions(blocking(started, beat))
		mt := newManualTimer()
		opts.Timer = mt.Timer
		x, _ := New(opts).Start(context.Background(), mustParse(t, def), "t", []byte(`{}`))
		<-started
		beat <- struct{}{}
		// The heartbeat re-arms a 10 s timer; fire the re-armed one.
		for range 3 {
			d := <-mt.armed
			if d == 10*time.Second {
				break
			}
		}
		mt.fire(t, 10*time.Second)
		d, _ := x.Wait(context.Background())
		expectSucceeded(t, d, `{"Error":"States.HeartbeatTimeout","Cause":"Task did not send a heartbeat for 10 seconds"}`)
	})
}

type NotJPEGError struct{ Detected string }

func (e *NotJPEGError) Error() string { return "not a JPEG: " + e.Detected }

type valueError struct{}

func (valueError) Error() string { return "value receiver" }

func TestLambdaTasksErrors(t *testing.T) {
	tests := []struct {
		name      string
		fn        any
		wantError string
		wantCause string
	}{
		{"errors.New", func() error { return errors.New("boom") }, "errorString", `{"errorMessage":"boom","errorType":"errorString"}`},
		{"wrapped", func() error { return fmt.Errorf("strip: %w", &NotJPEGError{"png"}) }, "wrapError", `{"errorMessage":"strip: not a JPEG: png","errorType":"wrapError"}`},
		{"custom pointer", func() error { return &NotJPEGError{"png"} }, "NotJPEGError", `{"errorMessage":"not a JPEG: png","errorType":"NotJPEGError"}`},
		{"custom value", func() error { return valueError{} }, "valueError", `{"errorMessage":"value receiver","errorType":"valueError"}`},
		{"invoke response error", func() error { return messages.InvokeResponse_Error{Message: "m", Type: "NotJPEG"} }, "NotJPEG", `{"errorMessage":"m","errorType":"NotJPEG"}`},
		{"bad input json", func(in struct{ N int }) error { return nil }, "UnmarshalTypeError", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &LambdaTasks{Functions: map[string]lambda.Handler{"f": lambda.NewHandler(tt.fn)}}
			opts, _ := testOptions(l)
			for _, res := range []string{fnArn, ResourceLambdaInvoke} {
				state := `{"Type":"Task","Resource":"` + res + `","End":true}`
				if res == ResourceLambdaInvoke {
					state = `{"Type":"Task","Resource":"` + res + `","Parameters":{"FunctionName":"` + fnArn + `:$LATEST","Payload.$":"$"},"End":true}`
				}
				d, _ := run(t, opts, single(state), `{"N":"not a number"}`)
				expectFailed(t, d, tt.wantError)
				if tt.wantCause != "" && str(d.Cause) != tt.wantCause {
					t.Fatalf("%s: cause %s, want %s", res, str(d.Cause), tt.wantCause)
				}
			}
		})
	}
}

func TestLambdaTasksPanics(t *testing.T) {
	for _, tt := range []struct {
		name  string
		value any
		want  string
	}{
		{"string", "kaboom", "string"},
		{"error", &NotJPEGError{"gif"}, "NotJPEGError"},
		{"invoke response error", messages.InvokeResponse_Error{Message: "m", Type: "Chosen"}, "Chosen"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := &LambdaTasks{Functions: map[string]lambda.Handler{fnArn: lambda.NewHandler(func() error { panic(tt.value) })}}
			opts, _ := testOptions(l)
			d, _ := run(t, opts, single(`{"Type":"Task","Resource":"`+fnArn+`","End":true}`), `{}`)
			expectFailed(t, d, tt.want)
			var body messages.InvokeResponse_Error
			if err := json.Unmarshal([]byte(str(d.Cause)), &body); err != nil || body.Type != tt.want {
				t.Fatalf("cause %s is not the runtime's error body: %v", str(d.Cause), err)
			}
			if tt.name == "string" && (body.Message != "kaboom" || len(body.StackTrace) == 0) {
				t.Fatalf("panic body %+v lacks message or stack", body)
			}
		})
	}
}

func TestLambdaTasksResults(t *testing.T) {
	type in struct{ Key string }
	type out struct {
		Key  string `json:"key"`
		Size int    `json:"size"`
	}
	h := lambda.NewHandler(func(ctx context.Context, e in) (out, error) { return out{e.Key, 3}, nil })
	l := &LambdaTasks{Functions: map[string]lambda.Handler{"sizer": h}}
	t.Run("direct arn returns the raw result", func(t *testing.T) {
		opts, _ := testOptions(l)
		d, _ := run(t, opts, single(`{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:sizer","End":true}`), `{"Key":"a.jpg"}`)
		expectSucceeded(t, d, `{"key":"a.jpg","size":3}`)
	})
	t.Run("lambda invoke wraps the result", func(t *testing.T) {
		opts, _ := testOptions(l)
		d, x := run(t, opts, single(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"sizer","Payload":{"Key.$":"$.k"}},"End":true}`), `{"k":"b.jpg"}`)
		if d.Status != StatusSucceeded {
			t.Fatalf("status %s %s", d.Status, str(d.Cause))
		}
		o := d.Output.Value().(map[string]any)
		if !jsonEqual(o["Payload"], mustJSON(t, `{"key":"b.jpg","size":3}`)) || o["StatusCode"] != int64(200) || o["ExecutedVersion"] != "$LATEST" {
			t.Fatalf("output %s", d.Output.String())
		}
		meta := o["SdkHttpMetadata"].(map[string]any)
		if meta["HttpStatusCode"] != int64(200) || o["SdkResponseMetadata"].(map[string]any)["RequestId"] == "" {
			t.Fatalf("metadata %s", d.Output.String())
		}
		if got := eventTypes(x); got != "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded" {
			t.Fatalf("history %s", got)
		}
	})
	t.Run("unknown function", func(t *testing.T) {
		opts, _ := testOptions(l)
		d, _ := run(t, opts, single(`{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:nope","End":true}`), `{}`)
		expectFailed(t, d, "Lambda.ResourceNotFoundException")
	})
	t.Run("catch on a domain error name", func(t *testing.T) {
		l := &LambdaTasks{Functions: map[string]lambda.Handler{"v": lambda.NewHandler(func() error { return &NotJPEGError{"png"} })}}
		opts, _ := testOptions(l)
		d, _ := run(t, opts, `{"StartAt":"V","States":{"V":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:v",
			"Catch":[{"ErrorEquals":["NotJPEGError"],"ResultPath":"$.error","Next":"R"}],"End":true},
			"R":{"Type":"Pass","Parameters":{"e.$":"$.error.Error","body.$":"States.StringToJson($.error.Cause)"},"End":true}}}`, `{}`)
		expectSucceeded(t, d, `{"e":"NotJPEGError","body":{"errorMessage":"not a JPEG: png","errorType":"NotJPEGError"}}`)
	})
}

type recordingSNS struct {
	mu  sync.Mutex
	got []SNSPublishInput
}

func (r *recordingSNS) Publish(_ context.Context, in SNSPublishInput) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, in)
	return fmt.Sprintf("msg-%d", len(r.got)), nil
}

func TestSNSPublish(t *testing.T) {
	sns := &recordingSNS{}
	opts, _ := testOptions(&LambdaTasks{SNS: sns})
	d, _ := run(t, opts, single(`{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Subject":"s",
		"Message":{"key.$":"$.key"},"MessageAttributes":{"kind":{"DataType":"String","StringValue":"failure"}}},"ResultSelector":{"id.$":"$.MessageId"},"End":true}`), `{"key":"a.jpg"}`)
	expectSucceeded(t, d, `{"id":"msg-1"}`)
	got := sns.got[0]
	if got.Message != `{"key":"a.jpg"}` || got.TopicArn != "arn:aws:sns:us-east-1:123456789012:t" || got.Subject != "s" || got.MessageAttributes["kind"].StringValue != "failure" {
		t.Fatalf("published %+v", got)
	}
}

func TestDataLimitExceeded(t *testing.T) {
	big := `"` + strings.Repeat("x", MaxPayloadBytes) + `"`
	runner := runnerFunc(func(context.Context, string, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(big), nil
	})
	opts, _ := testOptions(runner)
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","Retry":[{"ErrorEquals":["States.ALL"]}],
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true},"H":{"Type":"Succeed"}}}`
	d, _ := run(t, opts, def, `{}`)
	expectFailed(t, d, ErrDataLimitExceeded)
	d, _ = run(t, opts, strings.Replace(def, `"Catch":[{"ErrorEquals":["States.ALL"]`, `"Catch":[{"ErrorEquals":["States.DataLimitExceeded"]`, 1), `{}`)
	expectSucceeded(t, d, `{"Error":"States.DataLimitExceeded","Cause":"The state/task 'T' returned a result with a size exceeding the maximum number of bytes service limit."}`)
	if _, err := New(opts).Start(context.Background(), mustParse(t, def), "big", []byte(big)); err == nil {
		t.Fatal("Start accepted an input over 256 KiB")
	}
}

// valueRunner serves every task through the value path (ValueTaskRunner).
type valueRunner struct{ v any }

func (r valueRunner) RunTask(context.Context, string, json.RawMessage) (json.RawMessage, error) {
	return nil, errors.New("RunTask called: the engine should take the value path")
}

func (r valueRunner) HasValue(string) bool { return true }

func (r valueRunner) RunTaskValue(context.Context, string, json.RawMessage) (any, error) {
	return r.v, nil
}

// A result handed back as a value is held to the same limit as one handed
// back as text, even when ResultSelector would keep only a small part of it.
func TestDataLimitExceededThroughTheValuePath(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnArn + `","ResultSelector":{"n.$":"$.n"},
		"Catch":[{"ErrorEquals":["States.DataLimitExceeded"],"Next":"H"}],"End":true},"H":{"Type":"Succeed"}}}`
	opts, _ := testOptions(valueRunner{map[string]any{"Payload": strings.Repeat("x", MaxPayloadBytes), "n": int64(1)}})
	d, _ := run(t, opts, def, `{}`)
	expectSucceeded(t, d, `{"Error":"States.DataLimitExceeded","Cause":"The state/task 'T' returned a result with a size exceeding the maximum number of bytes service limit."}`)
	opts, _ = testOptions(valueRunner{map[string]any{"Payload": "small", "n": int64(1)}})
	d, _ = run(t, opts, def, `{}`)
	expectSucceeded(t, d, `{"n":1}`)
}

type apiError struct{ code string }

func (e apiError) Error() string     { return "api error " + e.code }
func (e apiError) ErrorCode() string { return e.code }

type failingSNS struct{ err error }

func (f failingSNS) Publish(context.Context, SNSPublishInput) (string, error) { return "", f.err }

func TestLambdaTasksRouting(t *testing.T) {
	echo := lambda.NewHandler(func(in json.RawMessage) (json.RawMessage, error) { return in, nil })
	next := runnerFunc(func(_ context.Context, res string, _ json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"from":"next","resource":"` + res + `"}`), nil
	})
	l := &LambdaTasks{Functions: map[string]lambda.Handler{"arn:aws:lambda:us-east-1:123456789012:function:echo": echo}, Next: next}
	ctx := context.Background()
	// lambda:invoke through the plain TaskRunner interface, found by name.
	out, err := l.RunTask(ctx, ResourceLambdaInvoke, json.RawMessage(`{"FunctionName":"echo","Payload":{"a":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Payload    map[string]int
		StatusCode int
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.Payload["a"] != 1 || resp.StatusCode != 200 {
		t.Fatalf("invoke response %s: %v", out, err)
	}
	if _, err := l.RunTask(ctx, ResourceLambdaInvoke, json.RawMessage(`{"Payload":{}}`)); err == nil {
		t.Fatal("lambda:invoke without FunctionName accepted")
	}
	// Asynchronous invocation answers 202 at once.
	out, err = l.RunTask(ctx, ResourceLambdaInvoke, json.RawMessage(`{"FunctionName":"echo","InvocationType":"Event"}`))
	if err != nil || !strings.Contains(string(out), `"StatusCode":202`) {
		t.Fatalf("async invoke %s: %v", out, err)
	}
	// Other resources go to Next; sns:publish too when no SNS is set.
	for _, res := range []string{"arn:aws:states:::sqs:sendMessage", ResourceSNSPublish} {
		out, err = l.RunTask(ctx, res, json.RawMessage(`{}`))
		if err != nil || !strings.Contains(string(out), res) {
			t.Fatalf("%s: %s %v", res, out, err)
		}
	}
	l.Next = nil
	if _, err := l.RunTask(ctx, "arn:aws:states:::sqs:sendMessage", nil); err == nil {
		t.Fatal("unknown resource accepted without Next")
	}
	// SNS errors: API error codes become SNS.<code>; TaskErrors pass through.
	for _, tc := range []struct {
		err  error
		want string
	}{{apiError{"NotFound"}, "SNS.NotFound"}, {fmt.Errorf("wrapped: %w", apiError{"AuthorizationError"}), "SNS.AuthorizationError"}, {&TaskError{Name: "Custom"}, "Custom"}} {
		l.SNS = failingSNS{tc.err}
		_, err := l.RunTask(ctx, ResourceSNSPublish, json.RawMessage(`{"TopicArn":"arn:aws:sns:us-east-1:1:t","Message":"m"}`))
		var te *TaskError
		if !errors.As(err, &te) || te.Name != tc.want {
			t.Fatalf("SNS error %v, want %s", err, tc.want)
		}
	}
	if _, err := l.RunTask(ctx, ResourceSNSPublish, json.RawMessage(`{"Message":"m"}`)); err == nil {
		t.Fatal("sns:publish without a topic accepted")
	}
}
