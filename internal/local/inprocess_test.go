package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inProcessClient is an SDK configuration whose requests t hands to its handler.
func inProcessClient(t *InProcess) aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String("http://in-process"), HTTPClient: &http.Client{Transport: t}}
}

// The stack's S3, reached in the process by a real SDK client: objects larger
// than any buffer on the way go in and come back whole, HEAD carries the length
// without a body, errors arrive as S3 error documents.
func TestInProcessCarriesS3(t *testing.T) {
	ts := startStack(t, "")
	tr := &InProcess{}
	tr.Serve(ts.Stack)
	c := s3.NewFromConfig(inProcessClient(tr), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	photo := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MB: the SDK adds Expect: 100-continue
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("a b/photo.jpg"), Body: bytes.NewReader(photo)})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("empty"), Body: bytes.NewReader(nil)})
	require.NoError(t, err)

	for range 3 {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("staging"), Key: aws.String("a b/photo.jpg")})
		require.NoError(t, err)
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		require.NoError(t, err)
		require.True(t, bytes.Equal(photo, got), "GET returned %d bytes, want the %d put", len(got), len(photo))
		assert.Equal(t, int64(len(photo)), aws.ToInt64(out.ContentLength))
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("staging"), Key: aws.String("a b/photo.jpg")})
	require.NoError(t, err)
	assert.Equal(t, int64(len(photo)), aws.ToInt64(head.ContentLength))
	empty, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("staging"), Key: aws.String("empty")})
	require.NoError(t, err)
	b, err := io.ReadAll(empty.Body)
	empty.Body.Close()
	require.NoError(t, err)
	assert.Empty(t, b)

	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("staging"), Key: aws.String("missing")})
	var nsk interface{ ErrorCode() string }
	require.ErrorAs(t, err, &nsk)
	assert.Equal(t, "NoSuchKey", nsk.ErrorCode())
}

// A JSON API answer larger than one read, many times over (what an
// unbuffered in-memory connection tried before broke).
func TestInProcessCarriesJSONAPIs(t *testing.T) {
	big := strings.Repeat("x", 200000)
	tr := &InProcess{}
	tr.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		fmt.Fprintf(w, `{"executionArn":"arn:aws:states:us-east-1:1:execution:s:e","status":"SUCCEEDED","startDate":1,"input":%q}`, big)
	}))
	c := sfn.NewFromConfig(inProcessClient(tr))
	for i := range 50 {
		out, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:1:execution:s:e")})
		require.NoError(t, err, "call %d", i)
		require.Len(t, aws.ToString(out.Input), len(big), "call %d", i)
	}
}

// A connection reset (what the faults do to a request: Hijack, then Close)
// reaches the SDK as one, and the SDK retries it.
func TestInProcessResetIsRetried(t *testing.T) {
	ts := startStack(t, "")
	var calls atomic.Int64
	tr := &InProcess{}
	tr.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		ts.Stack.ServeHTTP(w, r)
	}))
	c := s3.NewFromConfig(inProcessClient(tr), func(o *s3.Options) { o.UsePathStyle = true })
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("staging"), Key: aws.String("k"), Body: strings.NewReader("photo")})
	require.NoError(t, err)
	assert.EqualValues(t, 3, calls.Load())

	calls.Store(0)
	_, err = (&http.Client{Transport: tr}).Get("http://in-process/")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection reset by peer")
}

// A client that stops reading, or whose context ends, stops the handler: its
// writes fail, and nothing is left running.
func TestInProcessClientGoneStopsHandler(t *testing.T) {
	returned := make(chan error, 2)
	tr := &InProcess{}
	tr.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		for range 1 << 14 { // 1 GB, far more than the client reads
			if _, err := w.Write(chunk); err != nil {
				returned <- err
				return
			}
		}
		returned <- nil
	}))
	client := &http.Client{Transport: tr}
	resp, err := client.Get("http://in-process/")
	require.NoError(t, err)
	_, err = io.ReadFull(resp.Body, make([]byte, 100<<10))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Error(t, receive(t, returned), "the handler's write after the client closed the body")

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://in-process/", nil)
	resp, err = client.Do(req)
	require.NoError(t, err)
	cancel()
	_, err = io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Error(t, receive(t, returned), "the handler's write after the client's context ended")
	resp.Body.Close()
}

// Like a listener: refused before Serve and after Shutdown, which waits for the
// requests being handled. A handler's panic is the client's error, not the process's.
func TestInProcessLifecycle(t *testing.T) {
	tr := &InProcess{}
	client := &http.Client{Transport: tr}
	_, err := client.Get("http://in-process/")
	assert.ErrorContains(t, err, "connection refused")

	release, entered := make(chan struct{}), make(chan struct{})
	tr.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("handler bug")
		case "/other":
			return
		}
		close(entered)
		<-release
		io.WriteString(w, "done")
	}))
	_, err = client.Get("http://in-process/panic")
	assert.ErrorContains(t, err, "handler panicked")

	answer := make(chan string, 1)
	go func() {
		resp, err := client.Get("http://in-process/slow")
		if err != nil {
			answer <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answer <- string(b)
	}()
	<-entered
	shut := make(chan error, 1)
	go func() { shut <- tr.Shutdown(context.Background()) }()
	deadline := time.Now().Add(5 * time.Second)
	for { // bounded: until new requests are refused
		_, err := client.Get("http://in-process/other")
		if err != nil && strings.Contains(err.Error(), "connection refused") {
			break
		}
		require.True(t, time.Now().Before(deadline), "Shutdown never refused new requests")
		runtime.Gosched()
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	default:
	}
	close(release)
	assert.Equal(t, "done", receive(t, answer))
	assert.NoError(t, receive(t, shut))
}

// receive waits a bounded time for a value from c.
func receive[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out")
		var zero T
		return zero
	}
}
