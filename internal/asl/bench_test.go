package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// passChain is the aws-local-stepfunctions comparison machine: n Pass states,
// each with a Parameters block copying $.v.
func passChain(n int) string {
	var b strings.Builder
	b.WriteString(`{"StartAt":"S0","States":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Parameters":{"v.$":"$.v"},`, i)
		if i == n-1 {
			b.WriteString(`"End":true}`)
		} else {
			fmt.Fprintf(&b, `"Next":"S%d"}`, i+1)
		}
	}
	b.WriteString(`}}`)
	return b.String()
}

// benchTransitions runs sm b.N times and reports state transitions per
// second and allocations per transition.
func benchTransitions(b *testing.B, eng *Engine, sm *StateMachine, input string, transitions int) {
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		x, err := eng.Start(ctx, sm, "bench", []byte(input))
		if err != nil {
			b.Fatal(err)
		}
		d, _ := x.Wait(ctx)
		if d.Status != StatusSucceeded {
			b.Fatalf("status %s %s", d.Status, str(d.Cause))
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&after)
	total := float64(b.N * transitions)
	b.ReportMetric(total/b.Elapsed().Seconds(), "transitions/s")
	// On a shared machine wall time depends on the neighbours; per CPU
	// second (user+system time of this process, GC included) it does not.
	b.ReportMetric(total/cpu.Seconds(), "transitions/cpu-s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/transition")
}

func BenchmarkPassChain100(b *testing.B) {
	sm := mustParse(b, passChain(100))
	benchTransitions(b, New(Options{}), sm, `{"v":{"k":"value","n":1}}`, 100)
}

// BenchmarkJSONataPassChain100 is BenchmarkPassChain100 in JSONata: each
// state builds its output with an expression and assigns a variable.
func BenchmarkJSONataPassChain100(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"QueryLanguage":"JSONata","StartAt":"S0","States":{`)
	for i := range 100 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"S%d":{"Type":"Pass","Output":{"v":"{%% $states.input.v %%}"},"Assign":{"n":"{%% $states.input.v.n + 1 %%}"},`, i)
		if i == 99 {
			sb.WriteString(`"End":true}`)
		} else {
			fmt.Fprintf(&sb, `"Next":"S%d"}`, i+1)
		}
	}
	sb.WriteString(`}}`)
	sm := mustParse(b, sb.String())
	benchTransitions(b, New(Options{}), sm, `{"v":{"k":"value","n":1}}`, 100)
}

// BenchmarkMap1000 counts each iteration's state and the Map itself.
func BenchmarkMap1000(b *testing.B) {
	sm := mustParse(b, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
		"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Parameters":{"v.$":"$.v"},"End":true}}},"End":true}}}`)
	items := make([]string, 1000)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	benchTransitions(b, New(Options{}), sm, `{"items":[`+strings.Join(items, ",")+`]}`, 1001)
}

// sanitizerMachine has the shape of the project's pipeline: four Lambda
// tasks through lambda:invoke with Retry and Catch, a failure branch
// publishing to SNS.
const sanitizerMachine = `{"StartAt":"Validate","States":{
 "Validate":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"validate","Payload.$":"$"},
  "ResultSelector":{"object.$":"$.Payload"},"ResultPath":"$.validated",
  "Retry":[{"ErrorEquals":["Lambda.ServiceException","Lambda.TooManyRequestsException"],"IntervalSeconds":2,"MaxAttempts":6,"BackoffRate":2,"JitterStrategy":"FULL"}],
  "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"RecordFailure"}],"Next":"Strip"},
 "Strip":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"strip","Payload.$":"$.validated.object"},
  "ResultSelector":{"report.$":"$.Payload"},"ResultPath":"$.stripped",
  "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"RecordFailure"}],"Next":"Write"},
 "Write":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"write","Payload.$":"$.stripped.report"},
  "ResultSelector":{"out.$":"$.Payload"},"ResultPath":"$.written",
  "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"RecordFailure"}],"Next":"Verify"},
 "Verify":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"verify","Payload.$":"$.written.out"},
  "ResultSelector":{"ok.$":"$.Payload"},"ResultPath":"$.verified",
  "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"RecordFailure"}],"Next":"Done"},
 "Done":{"Type":"Succeed"},
 "RecordFailure":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"record-failure","Payload.$":"$"},"ResultPath":null,"Next":"Notify"},
 "Notify":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"arn:aws:sns:us-east-1:123456789012:failures","Message.$":"States.JsonToString($.error)"},"ResultPath":null,"Next":"Failed"},
 "Failed":{"Type":"Fail","Error":"SanitizeFailed"}}}`

func BenchmarkSanitizerMachine(b *testing.B) {
	type object struct {
		Bucket string `json:"bucket"`
		Key    string `json:"key"`
	}
	noop := lambda.NewHandler(func(_ context.Context, o object) (object, error) { return o, nil })
	tasks := &LambdaTasks{Functions: map[string]lambda.Handler{"validate": noop, "strip": noop, "write": noop, "verify": noop, "record-failure": noop}}
	sm := mustParse(b, sanitizerMachine)
	benchTransitions(b, New(Options{Tasks: tasks}), sm, `{"bucket":"in","key":"photos/a.jpg"}`, 5)
}

func BenchmarkParse(b *testing.B) {
	def := []byte(sanitizerMachine)
	for b.Loop() {
		if _, err := Parse(def); err != nil {
			b.Fatal(err)
		}
	}
}

var _ = json.Valid

// cpuTime is the user+system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProjectMachine runs the pipeline's own statemachine/sanitizer.asl.json
// (placeholders filled with dummy ARNs) down its happy path with no-op
// Lambda handlers: Route, Validate, Strip, Write, Published?, Verify, Sanitized.
func BenchmarkProjectMachine(b *testing.B) {
	tmpl, err := os.ReadFile("../../statemachine/sanitizer.asl.json")
	if err != nil {
		b.Skip("statemachine/sanitizer.asl.json not found")
	}
	def := regexp.MustCompile(`\$\{([a-z_]+)\}`).ReplaceAllStringFunc(string(tmpl), func(p string) string {
		if strings.Contains(p, "topic") {
			return "arn:aws:sns:us-east-1:123456789012:failures"
		}
		return "arn:aws:lambda:us-east-1:123456789012:function:" + strings.TrimSuffix(p[2:len(p)-1], "_function_arn")
	})
	noop := lambda.NewHandler(func(context.Context, json.RawMessage) (map[string]any, error) {
		return map[string]any{"published": map[string]any{"outcome": "written"}}, nil
	})
	sm := mustParse(b, def)
	event := `{"version":"0","id":"e","detail-type":"Object Created","source":"aws.s3","account":"123456789012","time":"2024-01-01T00:00:00Z",
		"region":"us-east-1","resources":["arn:aws:s3:::in"],"detail":{"version":"0","bucket":{"name":"in"},"object":{"key":"photos/a.jpg","size":1024,"etag":"x","version-id":"v1","sequencer":"00"}}}`
	benchTransitions(b, New(Options{Tasks: &LambdaTasks{Default: noop}}), sm, event, 7)
}
