package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strings"
	"testing"
)

// Every API answers malformed requests with the error shape its protocol uses,
// and the stack keeps serving.
func TestBadRequestsGetAWSShapedErrors(t *testing.T) {
	s := start(t, t.TempDir())
	jsonAPI := func(target, version, body string) (int, string, string) {
		status, h, b := rawRequest(t, "POST", s.url+"/", map[string]string{"X-Amz-Target": target, "Content-Type": "application/x-amz-json-" + version}, body)
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal([]byte(b), &e); err != nil && status >= 400 {
			t.Errorf("%s %s: error body is not JSON: %q", target, body, b)
		}
		if status >= 400 && h.Get("x-amzn-ErrorType") != e.Type {
			t.Errorf("%s: x-amzn-ErrorType %q vs __type %q", target, h.Get("x-amzn-ErrorType"), e.Type)
		}
		return status, e.Type, e.Message
	}
	cases := []struct {
		target, version, body, code string
	}{
		{"AWSStepFunctions.StartExecution", "1.0", `{not json`, "SerializationException"},
		{"AWSStepFunctions.StartExecution", "1.0", `{"stateMachineArn":5}`, "SerializationException"},
		{"AWSStepFunctions.StartExecution", "1.0", `{"stateMachineArn":"nope"}`, "InvalidArn"},
		{"AWSStepFunctions.StartExecution", "1.0", `{"stateMachineArn":"` + machineArn + `","input":"[1,"}`, "InvalidExecutionInput"},
		{"AWSStepFunctions.StartExecution", "1.0", `{"stateMachineArn":"` + machineArn + `","name":"bad name"}`, "InvalidName"},
		{"AWSStepFunctions.DescribeExecution", "1.0", `{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:sanitizer:missing"}`, "ExecutionDoesNotExist"},
		{"AWSStepFunctions.CreateStateMachine", "1.0", `{"name":"x","roleArn":"r","definition":"{}"}`, "InvalidDefinition"},
		{"AWSStepFunctions.ListExecutions", "1.0", `{"stateMachineArn":"` + machineArn + `","statusFilter":"DONE"}`, "ValidationException"},
		{"AWSStepFunctions.RedriveExecution", "1.0", `{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:sanitizer:missing"}`, "ExecutionDoesNotExist"},
		{"AWSStepFunctions.NoSuchOperation", "1.0", `{}`, "UnknownOperationException"},
		{"AWSEvents.PutRule", "1.1", `{"Name":"r","EventPattern":"{\"a\":[{\"numeric\":[\">\"]}]}"}`, "InvalidEventPatternException"},
		{"AWSEvents.PutRule", "1.1", `{"Name":"bad name!","EventPattern":"{}"}`, "ValidationException"},
		{"AWSEvents.DescribeRule", "1.1", `{"Name":"missing"}`, "ResourceNotFoundException"},
		{"AWSEvents.PutEvents", "1.1", `{"Entries":[]}`, "ValidationException"},
		{"AWSEvents.TestEventPattern", "1.1", `{"EventPattern":"{\"a\":[1]}","Event":"{}"}`, "ValidationException"},
		{"AWSEvents.PutTargets", "1.1", `{"Rule":"missing","Targets":[{"Id":"a","Arn":"arn:aws:sns:us-east-1:0:t"}]}`, "ResourceNotFoundException"},
	}
	for _, c := range cases {
		status, code, msg := jsonAPI(c.target, c.version, c.body)
		if status != 400 || code != c.code || msg == "" {
			t.Errorf("%s %s: %d %s %q, want 400 %s", c.target, c.body, status, code, msg, c.code)
		}
	}
	// SNS (query protocol): XML ErrorResponse.
	for body, code := range map[string]string{
		"Action=Publish&TopicArn=arn:aws:sns:us-east-1:000000000000:missing&Message=x": "NotFound",
		"Action=CreateTopic&Name=bad%20name":                                           "InvalidParameter",
		"Action=Frobnicate":                                                            "InvalidAction",
		"Action=Subscribe&TopicArn=arn:aws:sns:us-east-1:000000000000:sanitizer-failures&Protocol=email&Endpoint=a@b": "InvalidParameter",
	} {
		status, _, b := rawRequest(t, "POST", s.url+"/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body)
		if status < 400 || !strings.Contains(b, "<ErrorResponse") || !strings.Contains(b, "<Code>"+code+"</Code>") {
			t.Errorf("sns %s: %d %s", body, status, b)
		}
	}
	// S3 (REST): XML Error with the S3 code.
	for _, c := range []struct{ method, path, code string }{
		{"GET", "/no-such-bucket/key", "NoSuchBucket"},
		{"GET", "/uploads/no-such-key.jpg", "NoSuchKey"},
		{"GET", "/uploads/x.jpg?versionId=nope", "NoSuchVersion"},
	} {
		status, _, b := rawRequest(t, c.method, s.url+c.path, nil, "")
		if status != 404 || !strings.Contains(b, "<Code>"+c.code+"</Code>") {
			t.Errorf("s3 %s %s: %d %s", c.method, c.path, status, b)
		}
	}
	// Random garbage at every protocol never takes the stack down.
	r := rand.New(rand.NewPCG(1, 2))
	targets := []string{"AWSStepFunctions.StartExecution", "AWSStepFunctions.GetExecutionHistory", "AWSEvents.PutEvents", "AWSEvents.PutRule", "AWSEvents.TestEventPattern"}
	for i := 0; i < 200; i++ {
		garbage := make([]byte, r.IntN(200))
		for j := range garbage {
			garbage[j] = byte(r.IntN(256))
		}
		if i%2 == 0 {
			garbage = []byte(fmt.Sprintf(`{"stateMachineArn":%q,"Entries":[{"Source":%q,"Detail":%q}],"EventPattern":%q,"executionArn":%q}`,
				string(garbage), string(garbage), string(garbage), string(garbage), string(garbage)))
		}
		status, _, _ := rawRequest(t, "POST", s.url+"/", map[string]string{"X-Amz-Target": targets[i%len(targets)]}, string(garbage))
		if status >= 500 {
			t.Fatalf("garbage %q to %s: status %d", garbage, targets[i%len(targets)], status)
		}
		rawRequest(t, "POST", s.url+"/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "Action=Publish&"+string(garbage))
		rawRequest(t, "PUT", s.url+"/uploads/", nil, string(garbage))
	}
	if status, _, _ := rawRequest(t, "GET", s.url+"/", nil, ""); status != 200 {
		t.Fatalf("ListBuckets after the garbage: %d", status)
	}
}

// The stack binds loopback unless told otherwise. Tests bind only loopback
// addresses, so the token needed off loopback is checked in cmd/sanitizer
// (consoleToken) and internal/console.
func TestBindsLoopbackByDefault(t *testing.T) {
	help, _ := exec.Command(binary, "run", "-h").CombinedOutput()
	if !strings.Contains(string(help), `(default "127.0.0.1:4566")`) {
		t.Errorf("run -h does not show a loopback default:\n%s", help)
	}
	s := start(t, t.TempDir())
	host, _, err := net.SplitHostPort(strings.TrimPrefix(s.url, "http://"))
	if err != nil || !net.ParseIP(host).IsLoopback() {
		t.Errorf("listening on %s", s.url)
	}
}
