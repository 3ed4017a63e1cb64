package local_test

import (
	"context"
	"fmt"
	"io"
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

// The functions' connection carries whatever HTTP does: bodies larger than
// any buffer on the way, connections reused, and an SDK call with a request
// body and a response larger than one read (which an unbuffered in-memory
// pipe tried before broke: the client closed the connection under the body).
func TestListenLocalCarriesHTTP(t *testing.T) {
	ln, dial, err := local.ListenLocal()
	if err != nil {
		t.Skip(err)
	}
	big := strings.Repeat("x", 200000)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/echo" {
			w.Write([]byte(strings.ToUpper(string(b))))
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		fmt.Fprintf(w, `{"executionArn":"arn:aws:states:us-east-1:1:execution:s:e","status":"SUCCEEDED","startDate":1,"input":%q}`, big)
	})}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	transport := &http.Transport{DialContext: dial}

	client := &http.Client{Transport: transport}
	body := strings.Repeat("photo bytes ", 100_000)
	for range 3 {
		resp, err := client.Post("http://in-process/echo", "text/plain", strings.NewReader(body))
		require.NoError(t, err)
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, strings.ToUpper(body), string(got))
	}

	c := sfn.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		BaseEndpoint: aws.String("http://in-process"), HTTPClient: client})
	for i := range 50 {
		out, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:1:execution:s:e")})
		require.NoError(t, err, "call %d", i)
		require.Len(t, aws.ToString(out.Input), len(big), "call %d", i)
	}

	transport.CloseIdleConnections()
	require.NoError(t, srv.Close())
	assert.ErrorIs(t, <-done, http.ErrServerClosed)
}
