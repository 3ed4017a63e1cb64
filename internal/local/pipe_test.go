package local_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/local"
)

func TestPipeListenerCarriesHTTP(t *testing.T) {
	pl := local.NewPipeListener()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write([]byte(strings.ToUpper(string(b))))
	})}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(pl) }()
	client := &http.Client{Transport: &http.Transport{DialContext: pl.DialContext}}

	body := strings.Repeat("photo bytes ", 100_000) // larger than any buffer on the way
	for range 3 {                                   // the second and third reuse the connection
		resp, err := client.Post("http://in-process/x", "text/plain", strings.NewReader(body))
		require.NoError(t, err)
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, strings.ToUpper(body), string(got))
	}

	require.NoError(t, srv.Close())
	assert.ErrorIs(t, <-done, http.ErrServerClosed)
	_, err := pl.DialContext(context.Background(), "tcp", "x")
	assert.True(t, errors.Is(err, net.ErrClosed), "dial after close: %v", err)
}

func TestPipeListenerDialHonoursContext(t *testing.T) {
	pl := local.NewPipeListener() // nobody accepts
	defer pl.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := pl.DialContext(ctx, "tcp", "x")
	assert.ErrorIs(t, err, context.Canceled)
}

// An SDK call with a request body and a response larger than one read: over a
// plain net.Pipe, net/http's client was still writing the request when the
// response came and closed the connection under its body (call 9 failed
// with "read/write on closed pipe").
func TestPipeSDKLargeResponse(t *testing.T) {
	pl := local.NewPipeListener()
	big := strings.Repeat("x", 200000)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		fmt.Fprintf(w, `{"executionArn":"arn:aws:states:us-east-1:1:execution:s:e","status":"SUCCEEDED","startDate":1,"input":%q}`, big)
	})}
	go srv.Serve(pl)
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		BaseEndpoint: aws.String("http://in-process"),
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: pl.DialContext}}}
	c := sfn.NewFromConfig(cfg)
	for i := range 50 {
		out, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:1:execution:s:e")})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if len(aws.ToString(out.Input)) != len(big) {
			t.Fatalf("call %d: input %d bytes", i, len(aws.ToString(out.Input)))
		}
	}
}
