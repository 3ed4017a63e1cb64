package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// gate holds the first invocation of one Lambda until the execution is stopped.
type gate struct {
	next     asl.TaskRunner
	function string
	mu       sync.Mutex
	held     bool
	entered  chan struct{}
}

func (g *gate) RunTask(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	var p struct{ FunctionName string }
	json.Unmarshal(input, &p)
	if resource == g.function || p.FunctionName == g.function {
		g.mu.Lock()
		first := !g.held
		g.held = true
		g.mu.Unlock()
		if first {
			close(g.entered)
			<-ctx.Done()
			return nil, ctx.Err()
		}
	}
	return g.next.RunTask(ctx, resource, input)
}

// cli runs a sanitizer subcommand in-process against the stack.
func cli(t *testing.T, m *Main, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	args = append(args[:1:1], append([]string{"--endpoint-url", m.URL}, args[1:]...)...)
	if code := run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errb}); code != 0 {
		t.Fatalf("sanitizer %v: exit %d\n%s%s", args, code, out.String(), errb.String())
	}
	return out.String()
}

func photo(seed uint32) []byte {
	return jpegfixture.New(jpegfixture.Baseline(64, 48, seed)).Add(
		jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Phone", SerialNumber: "SN-1", GPS: true})).Bytes()
}

func waitExecution(t *testing.T, c *sfn.Client, arn string, want sfntypes.ExecutionStatus) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s, want %s", arn, d.Status, want)
		}
	}
}

func listExecutions(t *testing.T, c *sfn.Client, m *Main) []sfntypes.ExecutionListItem {
	t.Helper()
	out, err := c.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(m.StateMachineArn)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Executions
}

func TestOperatorCommands(t *testing.T) {
	g := &gate{function: functionARN("write"), entered: make(chan struct{})}
	m := NewMain()
	m.Addr, m.DataDir = "127.0.0.1:0", t.TempDir()
	m.WrapTasks = func(next asl.TaskRunner) asl.TaskRunner { g.next = next; return g }
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	s3c := s3.NewFromConfig(m.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	sc := sfn.NewFromConfig(m.AWSConfig())
	const key = "ops/held photo+1.jpg"
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(m.InputBucket), Key: aws.String(key), Body: bytes.NewReader(photo(1))}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("write was never invoked")
	}

	// executions --status RUNNING shows the held execution with its key.
	out := cli(t, m, "executions", "--status", "RUNNING")
	if !strings.Contains(out, key) || !strings.Contains(out, "RUNNING") {
		t.Fatalf("executions:\n%s", out)
	}
	arn := listExecutions(t, sc, m)[0].ExecutionArn
	if _, err := sc.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: arn, Error: aws.String("Operator")}); err != nil {
		t.Fatal(err)
	}
	waitExecution(t, sc, aws.ToString(arn), sfntypes.ExecutionStatusAborted)

	// redrive continues from Write: the output appears, Validate and Strip do not run again.
	cli(t, m, "redrive", aws.ToString(arn))
	waitExecution(t, sc, aws.ToString(arn), sfntypes.ExecutionStatusSucceeded)
	if _, err := waitForOutput(ctx, s3c, m.OutputBucket, key, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(cli(t, m, "audit", "--execution", aws.ToString(arn), "--json")), &recs); err != nil {
		t.Fatal(err)
	}
	steps := map[string]int{}
	for _, r := range recs {
		steps[r["step"].(string)]++
	}
	if steps["validate"] != 1 || steps["strip"] != 1 || steps["write"] != 1 || steps["verify"] != 1 {
		t.Errorf("audit of the redriven execution: %v", steps)
	}
	table := cli(t, m, "audit", "--key", key)
	if !strings.Contains(table, "validate") || !strings.Contains(table, "SerialNumber") {
		t.Errorf("audit table:\n%s", table)
	}

	// replay: a new execution with the same input; the output is already this upload's.
	replayed := strings.TrimSpace(cli(t, m, "replay", aws.ToString(arn)))
	if replayed == aws.ToString(arn) || !strings.Contains(replayed, ":execution:") {
		t.Fatalf("replay printed %q", replayed)
	}
	waitExecution(t, sc, replayed, sfntypes.ExecutionStatusSucceeded)

	// reprocess: PutEvents with the reprocess source starts a third execution.
	cli(t, m, "reprocess", "s3://"+m.InputBucket+"/"+key)
	deadline := time.Now().Add(10 * time.Second)
	for len(listExecutions(t, sc, m)) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("reprocess started no execution")
		}
		time.Sleep(20 * time.Millisecond)
	}
	third := listExecutions(t, sc, m)[0]
	d, err := sc.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: third.ExecutionArn})
	if err != nil || !strings.Contains(aws.ToString(d.Input), "s3-image-sanitizer.reprocess") {
		t.Fatalf("third execution input %s %v", aws.ToString(d.Input), err)
	}
	waitExecution(t, sc, aws.ToString(third.ExecutionArn), sfntypes.ExecutionStatusSucceeded)

	// backfill: an output removed from B is detected as missing and reprocessed.
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(m.InputBucket), Key: aws.String("ops/second.JPEG"), Body: bytes.NewReader(photo(2))}); err != nil {
		t.Fatal(err)
	}
	if _, err := waitForOutput(ctx, s3c, m.OutputBucket, "ops/second.JPEG", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(m.OutputBucket), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	var res backfillResult
	if err := json.Unmarshal([]byte(cli(t, m, "backfill", "--json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Checked != 2 || res.Missing != 1 || res.UpToDate != 1 || len(res.Reprocessed) != 1 || res.Reprocessed[0] != key {
		t.Fatalf("backfill: %+v", res)
	}
	if _, err := waitForOutput(ctx, s3c, m.OutputBucket, key, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	again := cli(t, m, "backfill", "--no-progress")
	if !strings.Contains(again, "up to date 2") {
		t.Errorf("second backfill: %s", again)
	}
}
