package local

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/statemachine"
)

// stepRequest is the payload the pipeline's state machine gives each step.
type stepRequest struct {
	ExecutionID string         `json:"executionId"`
	RetryCount  int            `json:"retryCount"`
	Event       map[string]any `json:"event,omitempty"`
	Job         map[string]any `json:"job,omitempty"`
}

// field names where each step reports in the job, as the pipeline's do.
var field = map[string]string{"validate": "validation", "strip": "stripped", "write": "published", "verify": "verified",
	"unpublish": "unpublish", "record_failure": "failure"}

// benchStep is a trivial handler for one step: it adds a report of about
// 700 bytes to the job, so the job passed along grows to a few KB, as the
// pipeline's does.
func benchStep(step string) lambda.Handler {
	report := map[string]any{"outcome": "written", "policyVersion": "2024-06-01.keep-orientation",
		"sha256": strings.Repeat("ab", 32), "bytes": 1048576, "removed": []any{
			map[string]any{"kind": "APP1 Exif", "bytes": 23456, "count": 1},
			map[string]any{"kind": "APP1 XMP", "bytes": 4096, "count": 1},
			map[string]any{"kind": "COM", "bytes": 40, "count": 2}},
		"sensitiveTags": []any{"GPSLatitude", "GPSLongitude", "Make", "Model", "SerialNumber", "DateTimeOriginal"},
		"note":          "a step report with \"quotes\", a tab\t, unicode é and </script> in it",
		"audit":         "s3://audit/executions/" + strings.Repeat("0f", 32) + "/" + step + "-1.json"}
	return lambda.NewHandler(func(_ context.Context, req stepRequest) (map[string]any, error) {
		job := req.Job
		if job == nil {
			d := req.Event["detail"].(map[string]any)
			job = map[string]any{"detailType": req.Event["detail-type"], "eventSource": req.Event["source"],
				"eventId": req.Event["id"], "eventTime": req.Event["time"], "source": d["object"]}
		}
		job[field[step]] = report
		return job, nil
	})
}

// BenchmarkSanitizerExecution runs the pipeline's own state machine through
// StepFunctions down its happy path (Route, Validate, Strip, Write,
// Published?, Verify, Sanitized) with trivial in-process handlers, 16
// executions at a time as the stack runs them, the history, checkpoints and
// records persisted as always. cpu-ns/op and allocs/op are per execution:
// the Step Functions side (engine, Lambda invoke path, persistence) plus the
// trivial handlers.
func BenchmarkSanitizerExecution(b *testing.B) {
	values := map[string]string{}
	functions := map[string]lambda.Handler{}
	for _, p := range statemachine.Placeholders {
		name := strings.TrimSuffix(p, "_function_arn")
		arn := "arn:aws:lambda:us-east-1:000000000000:function:" + name
		values[p] = arn
		functions[arn] = benchStep(name)
	}
	values[statemachine.FailureTopicARN] = "arn:aws:sns:us-east-1:000000000000:failures"
	def, err := statemachine.Render(values)
	if err != nil {
		b.Fatal(err)
	}
	st, err := Open(Options{Dir: b.TempDir(), InputBucket: "uploads", Buckets: []string{"uploads"}, Versioned: []string{"uploads"},
		Tasks: &asl.LambdaTasks{Functions: functions}})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	machineArn, err := st.SFN.EnsureStateMachine("sanitizer", def)
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	input := func() []byte {
		i := n.Add(1)
		return fmt.Appendf(nil, `{"version":"0","id":"%d","detail-type":"Object Created","source":"aws.s3","account":"000000000000","time":"2024-01-01T00:00:00Z",
"region":"us-east-1","resources":["arn:aws:s3:::uploads"],"detail":{"version":"0","bucket":{"name":"uploads"},"object":{"key":"photos/%d.jpg","size":1048576,"etag":"d41d8cd98f00b204e9800998ecf8427e","version-id":"v%d","sequencer":"0055AED6DCD90281E5"},
"request-id":"C3D13FE58DE4C810","requester":"000000000000","source-ip-address":"127.0.0.1","reason":"PutObject"}}`, i, i, i)
	}
	run := func() {
		res, err := st.SFN.Start(machineArn, "", input())
		if err != nil {
			b.Error(err)
			return
		}
		st.SFN.mu.Lock()
		x := st.SFN.live[res.ExecutionArn]
		st.SFN.mu.Unlock()
		if x != nil {
			<-x.Done()
			if d := x.Describe(); d.Status != asl.StatusSucceeded {
				b.Errorf("execution %s: %v %v", d.Status, *d.Error, *d.Cause)
			}
		}
	}
	b.ReportAllocs()
	defer cpuPerOp(b)()
	b.SetParallelism(8) // 16 at a time on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			run()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	st.SFN.wait(ctx)
	cancel()
}
