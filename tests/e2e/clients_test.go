package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsCLI runs the AWS CLI against the stack and returns its stdout.
func awsCLI(t *testing.T, s *stack, args ...string) string {
	t.Helper()
	out, stderr, err := awsRun(s, "/dev/null", args...)
	if err != nil {
		t.Fatalf("aws %v: %v\n%s", args, err, stderr)
	}
	return out
}

// awsRun runs the AWS CLI against the stack with the given config file.
func awsRun(s *stack, config string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command("aws", append([]string{"--endpoint-url", s.url, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=cli", "AWS_SECRET_ACCESS_KEY=cli", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=", "AWS_CONFIG_FILE="+config, "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	return string(out), errb.String(), err
}

func TestAWSCLIDrivesTheStack(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed (pip install awscli): skipping the CLI test")
	}
	s := start(t, t.TempDir())
	dir := t.TempDir()
	one := filepath.Join(dir, "single photo.jpg")
	writeFile(one, photo(11))
	awsCLI(t, s, "s3", "cp", one, "s3://"+inputBucket+"/cli/single photo.jpg")
	sync := filepath.Join(dir, "album")
	os.MkdirAll(sync, 0o755)
	for i, n := range []string{"a.jpg", "b+c.JPG", "ü.jpeg"} {
		writeFile(filepath.Join(sync, n), photo(uint32(20+i)))
	}
	awsCLI(t, s, "s3", "sync", sync, "s3://"+inputBucket+"/album/")
	c := s.s3()
	for _, k := range []string{"cli/single photo.jpg", "album/a.jpg", "album/b+c.JPG", "album/ü.jpeg"} {
		output(t, c, k)
	}
	var execs struct {
		Executions []struct{ ExecutionArn, Status string }
	}
	json.Unmarshal([]byte(awsCLI(t, s, "stepfunctions", "list-executions", "--state-machine-arn", machineArn)), &execs)
	if len(execs.Executions) != 4 {
		t.Fatalf("list-executions: %+v", execs)
	}
	var hist struct{ Events []struct{ Type string } }
	json.Unmarshal([]byte(awsCLI(t, s, "stepfunctions", "get-execution-history", "--execution-arn", execs.Executions[0].ExecutionArn)), &hist)
	if len(hist.Events) == 0 || hist.Events[0].Type != "ExecutionStarted" {
		t.Errorf("get-execution-history: %+v", hist)
	}
	var put struct {
		FailedEntryCount int
		Entries          []struct{ EventId, ErrorCode string }
	}
	json.Unmarshal([]byte(awsCLI(t, s, "events", "put-events", "--entries",
		`[{"Source":"my.app","DetailType":"Ping","Detail":"{\"n\":1}"},{"Source":"aws.s3","DetailType":"Fake","Detail":"{}"}]`)), &put)
	if put.FailedEntryCount != 1 || put.Entries[0].EventId == "" || put.Entries[1].ErrorCode != "NotAuthorizedForSourceException" {
		t.Errorf("put-events: %+v", put)
	}
	var match struct{ Result bool }
	event := `{"id":"1","account":"000000000000","source":"aws.s3","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail-type":"Object Created","detail":{"bucket":{"name":"uploads"},"object":{"key":"x/Y.JPG"}}}`
	pattern, _ := os.ReadFile("../../events/rule-pattern.json")
	json.Unmarshal([]byte(awsCLI(t, s, "events", "test-event-pattern", "--event", event,
		"--event-pattern", strings.ReplaceAll(string(pattern), "${input_bucket}", inputBucket))), &match)
	if !match.Result {
		t.Error("test-event-pattern: the rule does not match an upload of x/Y.JPG")
	}
	if !strings.Contains(awsCLI(t, s, "sns", "list-topics"), "sanitizer-failures") {
		t.Error("sns list-topics lacks the failure topic")
	}
	if !strings.Contains(awsCLI(t, s, "events", "list-rules"), "sanitizer-uploads") {
		t.Error("events list-rules lacks the rule")
	}
}

const boto3Script = `
import json, sys, boto3
url = sys.argv[1]
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="py", aws_secret_access_key="py")
s3 = boto3.client("s3", **kw)
s3.put_object(Bucket="uploads", Key="boto/space key+.jpg", Body=open(sys.argv[2], "rb").read())
sfn = boto3.client("stepfunctions", **kw)
machines = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
events = boto3.client("events", **kw)
ok = events.test_event_pattern(EventPattern=json.dumps({"source": [{"prefix": "aws."}]}),
    Event=json.dumps({"id": "1", "account": "1", "source": "aws.s3", "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [], "detail-type": "x", "detail": {}}))["Result"]
try:
    sfn.describe_execution(executionArn="arn:aws:states:us-east-1:000000000000:execution:sanitizer:nope")
    err = None
except sfn.exceptions.ExecutionDoesNotExist as e:
    err = e.response["Error"]["Code"]
topics = [t["TopicArn"] for t in boto3.client("sns", **kw).list_topics()["Topics"]]
# A managed multipart upload and copy (UploadPartCopy), metadata, S3's messages.
import io
from boto3.s3.transfer import TransferConfig
cfg = TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20)
s3.create_bucket(Bucket="pyscratch")
s3.upload_fileobj(io.BytesIO(b"x" * (6 << 20)), "pyscratch", "big.bin", ExtraArgs={"Metadata": {"Origin": "py"}}, Config=cfg)
s3.copy({"Bucket": "pyscratch", "Key": "big.bin"}, "pyscratch", "copy.bin", Config=cfg)
head = s3.head_object(Bucket="pyscratch", Key="copy.bin")  # a managed copy does not carry metadata, on AWS neither
head["Metadata"] = s3.head_object(Bucket="pyscratch", Key="big.bin")["Metadata"]
try:
    s3.get_object(Bucket="pyscratch", Key="missing")
    missing = None
except s3.exceptions.NoSuchKey as e:
    missing = e.response["Error"]["Message"]
print(json.dumps({"machines": machines, "match": ok, "error": err, "topics": topics,
    "meta": head["Metadata"], "size": head["ContentLength"], "missing": missing}))
`

func TestBoto3DrivesTheStack(t *testing.T) {
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("python3 with boto3 is not available: skipping the boto3 test")
	}
	s := start(t, t.TempDir())
	img := filepath.Join(t.TempDir(), "p.jpg")
	writeFile(img, photo(31))
	out, err := exec.Command("python3", "-c", boto3Script, s.url, img).Output()
	if err != nil {
		var ee *exec.ExitError
		if ok := asExit(err, &ee); ok {
			t.Fatalf("boto3: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var res struct {
		Machines []string
		Match    bool
		Error    string
		Topics   []string
		Meta     map[string]string
		Size     int64
		Missing  string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if len(res.Machines) != 1 || res.Machines[0] != "sanitizer" || !res.Match || res.Error != "ExecutionDoesNotExist" || len(res.Topics) != 1 ||
		res.Meta["origin"] != "py" || res.Size != 6<<20 || res.Missing != "The specified key does not exist." {
		t.Errorf("boto3 saw %+v", res)
	}
	output(t, s.s3(), "boto/space key+.jpg")
}
