package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The AWS CLI commands an operator runs against S3 and the other services,
// beyond uploads, work on the local stack as on AWS: multipart uploads and
// bucket-to-bucket copies of large files, folder listings over several pages,
// conditional and checksummed reads, S3's error messages, and the Step
// Functions, EventBridge and SNS calls for inspecting the deployment. Each
// check here once failed (see the commits that name it).
func TestAWSCLIOperatorCommands(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed (pip install awscli): skipping the CLI test")
	}
	s := start(t, t.TempDir())
	dir := t.TempDir()
	config := filepath.Join(dir, "config") // multipart from 5 MB, in 5 MB parts
	writeFile(config, []byte("[default]\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n"))
	cli := func(args ...string) string {
		t.Helper()
		out, stderr, err := awsRun(s, config, args...)
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, stderr)
		}
		return out
	}
	cli("s3", "mb", "s3://scratch")

	// A multipart upload, then a copy of it to another bucket (UploadPartCopy).
	big := bytes.Repeat([]byte("0123456789abcdef"), 11<<16) // 11 MiB: three parts
	bigFile := filepath.Join(dir, "big file.bin")
	writeFile(bigFile, big)
	cli("s3", "cp", bigFile, "s3://scratch/in/big file.bin")
	var head struct {
		ETag          string
		ContentLength int64
	}
	json.Unmarshal([]byte(cli("s3api", "head-object", "--bucket", "scratch", "--key", "in/big file.bin")), &head)
	if !strings.HasSuffix(head.ETag, `-3"`) || head.ContentLength != int64(len(big)) {
		t.Errorf("multipart object: %+v", head)
	}
	cli("s3", "cp", "s3://scratch/in/big file.bin", "s3://"+outputBucket+"/copied/big.bin")
	back := filepath.Join(dir, "back.bin")
	cli("s3", "cp", "s3://"+outputBucket+"/copied/big.bin", back)
	if got, _ := os.ReadFile(back); !bytes.Equal(got, big) {
		t.Error("the bucket-to-bucket copy of a multipart object differs")
	}
	var deleted struct {
		Deleted []struct {
			Key                   string
			DeleteMarker          bool
			DeleteMarkerVersionID string `json:"DeleteMarkerVersionId"`
		}
	}
	json.Unmarshal([]byte(cli("s3api", "delete-objects", "--bucket", outputBucket, "--delete", `{"Objects":[{"Key":"copied/big.bin"}]}`)), &deleted)
	if len(deleted.Deleted) != 1 || !deleted.Deleted[0].DeleteMarker || deleted.Deleted[0].DeleteMarkerVersionID == "" {
		t.Errorf("delete-objects in a versioned bucket: %+v", deleted)
	}

	// A folder of folders lists each folder once, however the listing is paged.
	for i := range 6 {
		cli("s3api", "put-object", "--bucket", "scratch", "--key", fmt.Sprintf("album/d%d/k%d", i%2, i), "--body", config)
	}
	ls := cli("s3", "ls", "s3://scratch/album/", "--page-size", "1")
	if strings.Count(ls, "PRE d0/") != 1 || strings.Count(ls, "PRE d1/") != 1 {
		t.Errorf("aws s3 ls --page-size 1:\n%s", ls)
	}

	// Metadata names, conditional reads, checksums, S3's error messages.
	cli("s3api", "put-object", "--bucket", "scratch", "--key", "m.txt", "--body", config, "--metadata", "Origin=cli",
		"--checksum-algorithm", "SHA256", "--cache-control", "max-age=60")
	var meta struct {
		Metadata       map[string]string
		ChecksumSHA256 string
		CacheControl   string
		ETag           string
	}
	json.Unmarshal([]byte(cli("s3api", "head-object", "--bucket", "scratch", "--key", "m.txt", "--checksum-mode", "ENABLED")), &meta)
	if meta.Metadata["origin"] != "cli" || meta.ChecksumSHA256 == "" || meta.CacheControl != "max-age=60" {
		t.Errorf("head-object: %+v", meta)
	}
	cli("s3api", "get-object", "--bucket", "scratch", "--key", "m.txt", "--if-match", meta.ETag, filepath.Join(dir, "m.out"))
	for args, want := range map[string]string{
		"s3api get-object --bucket scratch --key m.txt --if-match \"0000\" " + filepath.Join(dir, "x"): "(PreconditionFailed)",
		"s3api get-object --bucket scratch --key missing " + filepath.Join(dir, "x"):                   "(NoSuchKey) when calling the GetObject operation: The specified key does not exist.",
		"s3api copy-object --bucket scratch --key c --copy-source scratch/missing":                     "(NoSuchKey) when calling the CopyObject operation: The specified key does not exist.",
	} {
		_, stderr, err := awsRun(s, config, strings.Fields(args)...)
		if err == nil || !strings.Contains(stderr, want) {
			t.Errorf("aws %s: %v, %q; want %q", args, err, stderr, want)
		}
	}

	// Step Functions, EventBridge and SNS calls for inspecting the deployment.
	var valid struct {
		Result      string
		Diagnostics []struct{ Code string }
	}
	json.Unmarshal([]byte(cli("stepfunctions", "validate-state-machine-definition", "--definition", `{"StartAt":"B","States":{"A":{"Type":"Succeed"}}}`)), &valid)
	if valid.Result != "FAIL" || len(valid.Diagnostics) == 0 {
		t.Errorf("validate-state-machine-definition: %+v", valid)
	}
	put(t, s.s3(), "cli/p.jpg", photo(41))
	output(t, s.s3(), "cli/p.jpg")
	var execs struct {
		Executions []struct{ ExecutionArn string }
	}
	json.Unmarshal([]byte(cli("stepfunctions", "list-executions", "--state-machine-arn", machineArn)), &execs)
	if len(execs.Executions) != 1 {
		t.Fatalf("list-executions: %+v", execs)
	}
	var machine struct{ Name, Definition string }
	json.Unmarshal([]byte(cli("stepfunctions", "describe-state-machine-for-execution", "--execution-arn", execs.Executions[0].ExecutionArn)), &machine)
	if machine.Name != "sanitizer" || !strings.Contains(machine.Definition, `"StartAt"`) {
		t.Errorf("describe-state-machine-for-execution: %.200s", fmt.Sprint(machine))
	}
	if !strings.Contains(cli("events", "list-rule-names-by-target", "--target-arn", machineArn), "sanitizer-uploads") {
		t.Error("list-rule-names-by-target lacks the rule")
	}
	var topics struct{ Topics []struct{ TopicArn string } }
	json.Unmarshal([]byte(cli("sns", "list-topics")), &topics)
	if len(topics.Topics) != 1 {
		t.Fatalf("list-topics: %+v", topics)
	}
	var sub struct{ SubscriptionArn string }
	json.Unmarshal([]byte(cli("sns", "subscribe", "--topic-arn", topics.Topics[0].TopicArn, "--protocol", "http",
		"--notification-endpoint", "http://127.0.0.1:1/hook", "--return-subscription-arn")), &sub)
	if !strings.HasPrefix(sub.SubscriptionArn, topics.Topics[0].TopicArn+":") {
		t.Fatalf("subscribe --return-subscription-arn: %+v", sub)
	}
	if !strings.Contains(cli("sns", "get-subscription-attributes", "--subscription-arn", sub.SubscriptionArn), `"PendingConfirmation": "true"`) {
		t.Error("get-subscription-attributes")
	}
	cli("sns", "unsubscribe", "--subscription-arn", sub.SubscriptionArn)
}
