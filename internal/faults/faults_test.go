package faults_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/faults"
)

// okS3 answers every request as a successful S3 PutObject and counts them.
func okS3(n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		n.Add(1)
		w.Header().Set("ETag", `"d41d8cd98f00b204e9800998ecf8427e"`)
		w.WriteHeader(http.StatusOK)
	})
}

func TestS3FaultsAreWhatTheSDKSeesFromS3(t *testing.T) {
	var served atomic.Int64
	inj := faults.New(faults.Config{S3ErrorRate: 1, Seed: 1})
	srv := httptest.NewServer(inj.S3(okS3(&served)))
	defer srv.Close()
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), RetryMaxAttempts: 1})
	codes := map[string]int{}
	for i := 0; i < 40; i++ {
		_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x")})
		if err == nil {
			t.Fatal("a request succeeded with an error rate of 1")
		}
		var api smithy.APIError
		switch {
		case errors.As(err, &api):
			codes[api.ErrorCode()]++
		case strings.Contains(err.Error(), "request send failed") || strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "EOF"):
			codes["reset"]++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	for _, want := range []string{"InternalError", "SlowDown", "reset"} {
		if codes[want] == 0 {
			t.Errorf("no %s among %v", want, codes)
		}
	}
	st := inj.Stats()
	if st.S3ResetAfter == 0 || served.Load() != st.S3ResetAfter {
		t.Errorf("requests that ran = %d, resets after running = %d: only those may reach the handler", served.Load(), st.S3ResetAfter)
	}
	if st.S3InternalError+st.S3SlowDown+st.S3ResetBefore+st.S3ResetAfter != 40 {
		t.Errorf("stats %+v do not add up to 40 faults", st)
	}
}

func TestS3LatencyAndPassThrough(t *testing.T) {
	var served atomic.Int64
	inj := faults.New(faults.Config{S3Latency: 40 * time.Millisecond, Seed: 2})
	srv := httptest.NewServer(inj.S3(okS3(&served)))
	defer srv.Close()
	began := time.Now()
	for i := 0; i < 5; i++ {
		resp, err := http.Get(srv.URL + "/b/k")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d with no error rate", resp.StatusCode)
		}
	}
	if d := time.Since(began); d < 5*20*time.Millisecond {
		t.Errorf("5 requests took %s, want at least 5×20ms of injected latency", d)
	}
	if off := faults.New(faults.Config{}); off.S3(okS3(&served)) == nil {
		t.Fatal("nil handler")
	}
}

func TestSameSeedSameFaults(t *testing.T) {
	decisions := func(seed uint64) string {
		var served atomic.Int64
		inj := faults.New(faults.Config{S3ErrorRate: 0.3, Seed: seed})
		h := inj.S3(okS3(&served))
		var b strings.Builder
		for i := 0; i < 200; i++ {
			rec := httptest.NewRecorder()
			func() {
				defer func() { recover() }() // the recorder cannot be hijacked: reset falls back to 500
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/b/k", nil))
			}()
			b.WriteByte(byte('0' + rec.Code/100))
		}
		return b.String()
	}
	a, b, c := decisions(7), decisions(7), decisions(8)
	if a != b {
		t.Error("the same seed gave different faults")
	}
	if a == c {
		t.Error("different seeds gave the same faults")
	}
	if n := strings.Count(a, "2"); n < 110 || n > 170 {
		t.Errorf("%d of 200 requests succeeded with an error rate of 0.3", n)
	}
}

type echo struct{ calls atomic.Int64 }

func (e *echo) Invoke(_ context.Context, p []byte) ([]byte, error) { e.calls.Add(1); return p, nil }

func TestPanicsReachStepFunctionsAsFromTheGoRuntime(t *testing.T) {
	inj := faults.New(faults.Config{LambdaPanicRate: 1, Seed: 3})
	h := &echo{}
	var _ lambda.Handler = h
	tasks := &asl.LambdaTasks{Functions: map[string]lambda.Handler{"fn": inj.Handler("fn", h)}}
	for i := 0; i < 20; i++ {
		_, err := tasks.RunTask(context.Background(), "arn:aws:lambda:us-east-1:000000000000:function:fn", json.RawMessage(`{}`))
		var te *asl.TaskError
		if !errors.As(err, &te) || te.Name != "string" || !strings.Contains(te.Cause, "injected panic") {
			t.Fatalf("err = %v, want the Lambda Go runtime's panic error (errorType string)", err)
		}
	}
	st := inj.Stats()
	if st.PanicsBefore == 0 || st.PanicsAfter == 0 || h.calls.Load() != st.PanicsAfter {
		t.Errorf("stats %+v, handler ran %d times: panics after running must be the only runs", st, h.calls.Load())
	}
}

func TestThrottling(t *testing.T) {
	inj := faults.New(faults.Config{LambdaThrottleRate: 1, Seed: 4})
	h := &echo{}
	tasks := inj.Tasks(&asl.LambdaTasks{Functions: map[string]lambda.Handler{"fn": h}})
	_, err := tasks.RunTask(context.Background(), asl.ResourceLambdaInvoke, json.RawMessage(`{"FunctionName":"fn","Payload":{}}`))
	var te *asl.TaskError
	if !errors.As(err, &te) || te.Name != "Lambda.TooManyRequestsException" || !strings.Contains(te.Cause, "Status Code: 429") {
		t.Fatalf("err = %v", err)
	}
	if h.calls.Load() != 0 {
		t.Error("a throttled invocation ran the handler")
	}
}

type countTargets struct{ n atomic.Int64 }

func (c *countTargets) InvokeTarget(context.Context, string, []byte) error { c.n.Add(1); return nil }

func TestEventStormDeliversTwice(t *testing.T) {
	inj := faults.New(faults.Config{EventDuplicateRate: 1, EventDelay: 5 * time.Millisecond, Seed: 5})
	next := &countTargets{}
	tg := inj.Targets(next)
	for i := 0; i < 10; i++ {
		if err := tg.InvokeTarget(context.Background(), "arn", []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	if next.n.Load() != 20 {
		t.Errorf("%d deliveries of 10 events, want 20", next.n.Load())
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (faults.Config{S3ErrorRate: 1.5}).Validate(); err == nil {
		t.Error("rate 1.5 accepted")
	}
	if (faults.Config{}).Enabled() {
		t.Error("zero config enabled")
	}
	if s := (faults.Config{S3ErrorRate: 0.1, Seed: 9}).String(); !strings.Contains(s, "S3 errors 0.1") || !strings.Contains(s, "seed 9") {
		t.Errorf("String() = %q", s)
	}
}
