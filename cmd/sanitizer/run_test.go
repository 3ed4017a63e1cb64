package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// startMain runs the production wiring of `sanitizer run` on a temp dir and port 0.
func startMain(t *testing.T, dir string) *Main {
	t.Helper()
	m := NewMain()
	m.Addr = "127.0.0.1:0"
	if dir == "" {
		dir = t.TempDir()
	}
	m.DataDir = dir
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestRunSamplesAreSanitized(t *testing.T) {
	m := startMain(t, "")
	var out bytes.Buffer
	if err := uploadSamples(context.Background(), m, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	c := s3.NewFromConfig(m.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	for _, p := range samplePhotos() {
		body, err := waitForOutput(context.Background(), c, m.OutputBucket, p.key, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		in, err := metadata.Inspect(bytes.NewReader(body), metadata.DefaultPolicy())
		if err != nil || !in.Clean || len(in.SensitiveTags) != 0 {
			t.Errorf("%s: output not clean: %v %+v", p.key, err, in)
		}
	}
	if !strings.Contains(out.String(), "SerialNumber") || !strings.Contains(out.String(), "clean=true") {
		t.Errorf("sample report:\n%s", out.String())
	}
}

func TestRunFailureNotifiesAndAudits(t *testing.T) {
	m := startMain(t, "")
	ctx := context.Background()
	c := s3.NewFromConfig(m.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(m.InputBucket), Key: aws.String("not really.jpg"), Body: bytes.NewReader(png)}); err != nil {
		t.Fatal(err)
	}
	client := sfn.NewFromConfig(m.AWSConfig())
	var failed *sfntypes.ExecutionListItem
	for deadline := time.Now().Add(10 * time.Second); failed == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		l, err := client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(m.StateMachineArn), StatusFilter: sfntypes.ExecutionStatusFailed})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Executions) > 0 {
			failed = &l.Executions[0]
		}
	}
	if failed == nil {
		t.Fatal("no failed execution for a PNG named .jpg")
	}
	msgs, err := m.Stack.SNS.Messages()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("notifications: %v %v", msgs, err)
	}
	if !strings.Contains(msgs[0].Message, "not really.jpg") {
		t.Errorf("notification does not name the key: %s", msgs[0].Message)
	}
	recs, err := auditReader(m).ByExecution(ctx, aws.ToString(failed.ExecutionArn))
	if err != nil || len(recs) == 0 {
		t.Fatalf("audit: %v %v", recs, err)
	}
	var steps []string
	for _, r := range recs {
		steps = append(steps, r.Step+":"+string(r.Outcome))
	}
	if !strings.Contains(strings.Join(steps, ","), "validate:failed") {
		t.Errorf("audit steps %v", steps)
	}
	if recs[0].Source.Key != "not really.jpg" || recs[0].Error == nil {
		t.Errorf("validate record: %+v", recs[0])
	}
	checkNotifiedReplay(t, m, msgs[0].Message, aws.ToString(failed.ExecutionArn))
}

func TestConsoleTokenOffLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:4566", "[::1]:4566", "127.0.0.2:80"} {
		if tok, err := consoleToken(addr, ""); err != nil || tok != "" {
			t.Errorf("%s: token %q, %v; want none on loopback", addr, tok, err)
		}
	}
	a, err := consoleToken("0.0.0.0:4566", "")
	if err != nil || len(a) < 16 {
		t.Fatalf("0.0.0.0: token %q, %v; want a generated one", a, err)
	}
	if b, _ := consoleToken("192.0.2.1:4566", ""); b == "" || b == a {
		t.Errorf("a second generated token %q (first %q): want a fresh one", b, a)
	}
	if tok, _ := consoleToken("0.0.0.0:4566", "given"); tok != "given" {
		t.Errorf("a given token is replaced by %q", tok)
	}
}
