package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// checkNotifiedReplay runs the replay command of a failure notification as an
// operator would paste it: split by a real shell, with no endpoint in the
// environment and another default region. It must start a new execution with
// the failed one's input on the stack that sent the notification.
func checkNotifiedReplay(t *testing.T, m *Main, message string, failed string) {
	t.Helper()
	var note sanitize.FailureMessage
	if err := json.Unmarshal([]byte(message), &note); err != nil {
		t.Fatalf("notification: %v", err)
	}
	out, err := exec.Command("sh", "-c", "set -- "+note.Replay+`; printf '%s\0' "$@"`).Output()
	if err != nil {
		t.Fatalf("sh cannot split %q: %v", note.Replay, err)
	}
	args := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(args) < 3 || args[0] != "sanitizer" || args[1] != "replay" || args[len(args)-1] != failed {
		t.Fatalf("replay command %q splits into %q", note.Replay, args)
	}
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": "", "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
		"AWS_ACCESS_KEY_ID": "operator", "AWS_SECRET_ACCESS_KEY": "operator", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_MAX_ATTEMPTS": "1"} {
		t.Setenv(k, v)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args[1:], stdio{in: strings.NewReader(""), out: &stdout, err: &stderr}); code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", note.Replay, code, stdout.String(), stderr.String())
	}
	replayed := strings.TrimSpace(stdout.String())
	if replayed == failed || !strings.Contains(replayed, ":execution:") {
		t.Fatalf("replay printed %q", replayed)
	}
	c := sfn.NewFromConfig(m.AWSConfig())
	waitExecution(t, c, replayed, sfntypes.ExecutionStatusFailed) // the same input fails the same way
	was, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(failed)})
	if err != nil {
		t.Fatal(err)
	}
	now, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(replayed)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(now.Input) != aws.ToString(was.Input) || aws.ToString(now.StateMachineArn) != aws.ToString(was.StateMachineArn) {
		t.Errorf("the replay's input or machine differs from the failed execution's")
	}
}

// Commands about one execution sign for, and so reach, the region its ARN names,
// whatever the operator's default region; --region still wins.
func TestExecutionCommandsUseTheRegionOfTheARN(t *testing.T) {
	var mu sync.Mutex
	var scopes []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Credential=AKID/date/region/service/aws4_request
		_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
		parts := strings.Split(cred, "/")
		mu.Lock()
		if len(parts) > 3 {
			scopes = append(scopes, parts[2]+"/"+parts[3])
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"ExecutionDoesNotExist","message":"no such execution"}`)
	}))
	defer srv.Close()
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	const arn = "arn:aws:states:ap-southeast-2:123456789012:execution:sanitizer:run-1"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", arn}, "ap-southeast-2/states"},
		{[]string{"redrive", arn}, "ap-southeast-2/states"},
		{[]string{"replay", "--region", "us-west-2", arn}, "us-west-2/states"},
	} {
		scopes = nil
		args := append([]string{tc.args[0], "--endpoint-url", srv.URL}, tc.args[1:]...)
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errb}); code == 0 ||
			!strings.Contains(errb.String(), "ExecutionDoesNotExist") {
			t.Errorf("%v: exit %d\n%s", args, code, errb.String())
		}
		mu.Lock()
		if len(scopes) == 0 || scopes[0] != tc.want {
			t.Errorf("%v signed for %v, want %s", args, scopes, tc.want)
		}
		mu.Unlock()
	}
}
