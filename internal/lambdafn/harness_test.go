package lambdafn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdafn"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store/s3test"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/statemachine"
)

const topicARN = "arn:aws:sns:us-east-1:123456789012:sanitizer-failures"

func functionARN(name string) string {
	return "arn:aws:lambda:us-east-1:123456789012:function:sanitizer-" + name
}

// pipeline is the whole product on one machine: the real state machine definition on
// the asl engine, the real handlers invoked through lambda.Handler.Invoke, S3 served
// by gofakes3 over HTTP to real SDK clients, and a recording SNS topic.
type pipeline struct {
	s3      *s3test.Server
	client  *s3.Client
	engine  *asl.Engine
	sm      *asl.StateMachine
	sns     *snsRecorder
	tasks   *faultyTasks
	audit   *audit.Reader
	sleeps  *sleepRecorder
	seq     atomic.Int64
	execs   atomic.Int64
	handler map[string]lambda.Handler
}

func newPipeline(t testing.TB) *pipeline {
	t.Helper()
	// The local stack's S3: gofakes3's in-memory backend answers CopyObject (Write's
	// publish) with the source's version ID and ignores the copy's conditions.
	srv := s3test.StartLocal(t, 2,
		s3test.Bucket{Name: "uploads", Versioned: true}, s3test.Bucket{Name: "sanitized"},
		s3test.Bucket{Name: "staging"}, s3test.Bucket{Name: "audit"})
	p := newPipelineOn(t, srv.Client)
	p.s3 = srv
	return p
}

// newPipelineOn is newPipeline with S3 served elsewhere: client must reach buckets
// uploads, sanitized, staging and audit.
func newPipelineOn(t testing.TB, client *s3.Client) *pipeline {
	t.Helper()
	cfg, err := lambdafn.ConfigFromEnv(func(k string) string {
		return map[string]string{"INPUT_BUCKET": "uploads", "OUTPUT_BUCKET": "sanitized", "STAGING_BUCKET": "staging",
			"AUDIT_BUCKET": "audit", "SSE": "AES256"}[k] // the default policy, as deployed
	})
	if err != nil {
		t.Fatal(err)
	}
	handlers := lambdafn.Handlers(lambdafn.NewService(cfg, client, time.Now), slog.New(slog.NewTextHandler(io.Discard, nil)))
	functions := map[string]lambda.Handler{}
	values := map[string]string{statemachine.FailureTopicARN: topicARN}
	for _, name := range lambdafn.Functions {
		functions[functionARN(name)] = handlers[name]
		values[strings.ReplaceAll(name, "-", "_")+"_function_arn"] = functionARN(name)
	}
	def, err := statemachine.Render(values)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := asl.Parse(def)
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline{client: client, sm: sm, sns: &snsRecorder{}, sleeps: &sleepRecorder{},
		audit: &audit.Reader{Objects: s3store.New(client), Bucket: "audit"}, handler: functions}
	p.tasks = &faultyTasks{next: &asl.LambdaTasks{Functions: functions, SNS: p.sns}, calls: map[string]int{}, throttle: map[string]int{}}
	p.engine = asl.New(asl.Options{Tasks: p.tasks, Sleep: p.sleeps.Sleep})
	return p
}

// upload puts body into the input bucket and returns the Object Created event S3
// would send for it, with a sequencer greater than every earlier upload's.
func (p *pipeline) upload(t testing.TB, key string, body []byte) []byte {
	t.Helper()
	out, err := p.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("upload %q: %v", key, err)
	}
	return p.event("Object Created", key, aws.ToString(out.VersionId), sanitize.NormalizeETag(aws.ToString(out.ETag)), int64(len(body)))
}

func (p *pipeline) event(detailType, key, version, etag string, size int64) []byte {
	var ev lambdafn.Event
	ev.Version, ev.ID, ev.DetailType, ev.Source = "0", fmt.Sprintf("event-%d", p.seq.Load()), detailType, "aws.s3"
	ev.Account, ev.Time, ev.Region, ev.Resources = "123456789012", "2026-11-22T08:00:00Z", "us-east-1", []string{"arn:aws:s3:::uploads"}
	ev.Detail.Version, ev.Detail.Bucket.Name = "0", "uploads"
	ev.Detail.Object.Key, ev.Detail.Object.VersionID, ev.Detail.Object.ETag, ev.Detail.Object.Size = key, version, etag, size
	ev.Detail.Object.Sequencer = fmt.Sprintf("0062E%013X", p.seq.Add(1))
	ev.Detail.Reason = "PutObject"
	b, _ := json.Marshal(ev) // strings and numbers only: cannot fail
	return b
}

// run starts an execution for event and waits for it to end.
func (p *pipeline) run(t testing.TB, event []byte) (asl.Description, *asl.Execution) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	x, err := p.engine.Start(ctx, p.sm, fmt.Sprintf("exec-%d", p.execs.Add(1)), event)
	if err != nil {
		t.Fatal(err)
	}
	d, err := x.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return d, x
}

// output reads the output bucket's object for key; ok is false when there is none.
func (p *pipeline) output(t testing.TB, key string) (body []byte, meta map[string]string, ok bool) {
	t.Helper()
	out, err := p.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("sanitized"), Key: aws.String(key)})
	if err != nil {
		return nil, nil, false
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ContentType) != "image/jpeg" {
		t.Errorf("%q: content type %q", key, aws.ToString(out.ContentType))
	}
	return b, out.Metadata, true
}

// statesEntered lists the states an execution went through, in order.
func statesEntered(x *asl.Execution) []string {
	var names []string
	for _, ev := range x.History() {
		if d, ok := ev.Details.(*asl.StateEnteredEventDetails); ok {
			names = append(names, d.Name)
		}
	}
	return names
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// snsRecorder is the failure topic.
type snsRecorder struct {
	mu   sync.Mutex
	msgs []asl.SNSPublishInput
}

func (r *snsRecorder) Publish(_ context.Context, in asl.SNSPublishInput) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, in)
	return fmt.Sprintf("msg-%d", len(r.msgs)), nil
}

// forKey returns the messages about key.
func (r *snsRecorder) forKey(t *testing.T, key string) []sanitize.FailureMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sanitize.FailureMessage
	for _, in := range r.msgs {
		var m sanitize.FailureMessage
		if err := json.Unmarshal([]byte(in.Message), &m); err != nil {
			t.Fatalf("SNS message is not JSON: %q", in.Message)
		}
		if in.TopicArn != topicARN || in.Subject == "" {
			t.Errorf("SNS publish %+v", in)
		}
		if m.Key == key {
			out = append(out, m)
		}
	}
	return out
}

// faultyTasks injects Lambda throttling before chosen functions and counts invocations.
type faultyTasks struct {
	next     asl.TaskRunner
	mu       sync.Mutex
	calls    map[string]int
	throttle map[string]int
}

func (f *faultyTasks) RunTask(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	if resource == asl.ResourceLambdaInvoke {
		var params struct{ FunctionName string }
		json.Unmarshal(input, &params)
		name := strings.TrimPrefix(params.FunctionName, functionARN(""))
		f.mu.Lock()
		f.calls[name]++
		throttled := f.throttle[name] > 0
		if throttled {
			f.throttle[name]--
		}
		f.mu.Unlock()
		if throttled {
			return nil, &asl.TaskError{Name: "Lambda.TooManyRequestsException",
				Cause: "Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException)"}
		}
	}
	return f.next.RunTask(ctx, resource, input)
}

func (f *faultyTasks) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// panicking panics on its first n invocations, then runs h.
type panicking struct {
	h lambda.Handler
	n atomic.Int32
}

func (p *panicking) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if p.n.Add(-1) >= 0 {
		var m map[string]int
		//lint:ignore SA5000 the nil map write is the point: a runtime panic, as a real bug would raise
		m["boom"]++
	}
	return p.h.Invoke(ctx, payload)
}

// sleepRecorder stands in for time: retries wait for nothing, and the waits are kept.
type sleepRecorder struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleepRecorder) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// digest is the image-data digest of a JPEG (metadata.Inspect's).
func digest(t *testing.T, b []byte) string {
	t.Helper()
	insp, err := metadata.Inspect(bytes.NewReader(b), metadata.DefaultPolicy())
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	return insp.ImageDigest
}
