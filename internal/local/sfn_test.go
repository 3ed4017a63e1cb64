package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	bolt "go.etcd.io/bbolt"
)

// scriptTasks is a TaskRunner whose behaviour per resource a test sets.
type scriptTasks struct {
	mu    sync.Mutex
	calls map[string]int
	fn    func(ctx context.Context, resource string, call int, input json.RawMessage) (json.RawMessage, error)
	ctxFn func(ctx context.Context) (json.RawMessage, error)
}

func (s *scriptTasks) RunTask(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error) {
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[resource]++
	n := s.calls[resource]
	s.mu.Unlock()
	if s.ctxFn != nil {
		return s.ctxFn(ctx)
	}
	return s.fn(ctx, resource, n, input)
}

func (s *scriptTasks) count(resource string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[resource]
}

const twoSteps = `{"StartAt":"A","States":{
 "A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:a","Next":"B"},
 "B":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:b","End":true}}}`

func startSFN(t *testing.T, dir string, tasks asl.TaskRunner) (*Stack, *sfn.Client, func()) {
	t.Helper()
	st, err := Open(Options{Dir: dir, InputBucket: "uploads", Buckets: []string{"uploads"}, Versioned: []string{"uploads"}, Tasks: tasks})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st)
	st.SetEndpoint(srv.URL)
	if _, err := st.Start(); err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(srv.URL)}
	stop := func() {
		srv.Close()
		st.Close()
	}
	t.Cleanup(stop)
	return st, sfn.NewFromConfig(cfg), stop
}

func createMachine(t *testing.T, c *sfn.Client, def string) string {
	t.Helper()
	out, err := c.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{Name: aws.String("m"), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::000000000000:role/r")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.StateMachineArn)
}

func waitStatus(t *testing.T, c *sfn.Client, arn string, want sfntypes.ExecutionStatus) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == want {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s is %s, want %s (error %v cause %v)", arn, d.Status, want, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestStepFunctionsLifecycle(t *testing.T) {
	tasks := &scriptTasks{fn: func(_ context.Context, res string, _ int, in json.RawMessage) (json.RawMessage, error) {
		var v map[string]any
		json.Unmarshal(in, &v)
		v[res[strings.LastIndexByte(res, ':')+1:]] = true
		return json.Marshal(v)
	}}
	_, c, _ := startSFN(t, t.TempDir(), tasks)
	ctx := context.Background()
	smArn := createMachine(t, c, twoSteps)
	// Creating it again with the same definition is idempotent; another definition is refused.
	if _, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("m"), Definition: aws.String(twoSteps), RoleArn: aws.String("arn:aws:iam::000000000000:role/r")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("m"), Definition: aws.String(strings.Replace(twoSteps, `"A"`, `"A2"`, 1)), RoleArn: aws.String("r")})
	if apiCode(err) != "StateMachineAlreadyExists" && apiCode(err) != "InvalidDefinition" {
		t.Errorf("conflicting create: %v", err)
	}
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), Definition: aws.String(`{"StartAt":"X","States":{}}`), RoleArn: aws.String("r")})
	if apiCode(err) != "InvalidDefinition" {
		t.Errorf("invalid definition: %v", err)
	}

	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String("run-1"), Input: aws.String(`{"x":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	d := waitStatus(t, c, aws.ToString(start.ExecutionArn), sfntypes.ExecutionStatusSucceeded)
	var out map[string]any
	json.Unmarshal([]byte(aws.ToString(d.Output)), &out)
	if out["a"] != true || out["b"] != true || out["x"] != float64(1) {
		t.Errorf("output %s", aws.ToString(d.Output))
	}
	// A closed execution's name cannot be reused.
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String("run-1"), Input: aws.String(`{"x":1}`)})
	if apiCode(err) != "ExecutionAlreadyExists" {
		t.Errorf("reused name: %v", err)
	}
	for _, bad := range []string{"has space", "a/b", strings.Repeat("n", 81)} {
		_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String(bad)})
		if apiCode(err) != "InvalidName" {
			t.Errorf("name %q: %v", bad, err)
		}
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Input: aws.String(`{`)})
	if apiCode(err) != "InvalidExecutionInput" {
		t.Errorf("bad input: %v", err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn + "nope")})
	if apiCode(err) != "StateMachineDoesNotExist" {
		t.Errorf("missing machine: %v", err)
	}
	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("not-an-arn")})
	if apiCode(err) != "InvalidArn" {
		t.Errorf("bad arn: %v", err)
	}

	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range h.Events {
		types = append(types, string(ev.Type))
	}
	if types[0] != "ExecutionStarted" || types[len(types)-1] != "ExecutionSucceeded" || !strings.Contains(strings.Join(types, ","), "TaskStateEntered") {
		t.Errorf("history %v", types)
	}
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smArn), StatusFilter: sfntypes.ExecutionStatusSucceeded})
	if err != nil || len(list.Executions) != 1 || aws.ToString(list.Executions[0].Name) != "run-1" {
		t.Fatalf("list: %+v %v", list, err)
	}
}

func TestStepFunctionsIdempotentStartWhileRunning(t *testing.T) {
	release := make(chan struct{})
	tasks := &scriptTasks{}
	tasks.ctxFn = func(ctx context.Context) (json.RawMessage, error) {
		select {
		case <-release:
			return json.RawMessage(`{}`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	_, c, _ := startSFN(t, t.TempDir(), tasks)
	defer close(release)
	ctx := context.Background()
	smArn := createMachine(t, c, twoSteps)
	in := &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String("same"), Input: aws.String(`{"k":"v"}`)}
	a, err := c.StartExecution(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String("same"), Input: aws.String(`{ "k" : "v" }`)})
	if err != nil || aws.ToString(a.ExecutionArn) != aws.ToString(b.ExecutionArn) || !a.StartDate.Equal(*b.StartDate) {
		t.Fatalf("same name, same input while running: %v %v %v", a, b, err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String("same"), Input: aws.String(`{"k":"other"}`)})
	if apiCode(err) != "ExecutionAlreadyExists" {
		t.Errorf("same name, other input: %v", err)
	}
	stop, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: a.ExecutionArn, Error: aws.String("Operator"), Cause: aws.String("testing")})
	if err != nil || stop.StopDate == nil {
		t.Fatalf("stop: %v", err)
	}
	d := waitStatus(t, c, aws.ToString(a.ExecutionArn), sfntypes.ExecutionStatusAborted)
	if aws.ToString(d.Error) != "Operator" {
		t.Errorf("aborted error %q", aws.ToString(d.Error))
	}
}

func TestStepFunctionsRedrive(t *testing.T) {
	var failB atomic.Bool
	failB.Store(true)
	tasks := &scriptTasks{fn: func(_ context.Context, res string, _ int, in json.RawMessage) (json.RawMessage, error) {
		if strings.HasSuffix(res, ":b") && failB.Load() {
			return nil, &asl.TaskError{Name: "Transient", Cause: "b is down"}
		}
		return in, nil
	}}
	_, c, _ := startSFN(t, t.TempDir(), tasks)
	ctx := context.Background()
	smArn := createMachine(t, c, twoSteps)
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Input: aws.String(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(start.ExecutionArn)
	d := waitStatus(t, c, arn, sfntypes.ExecutionStatusFailed)
	if aws.ToString(d.Error) != "Transient" || d.RedriveStatus != sfntypes.ExecutionRedriveStatusRedrivable {
		t.Fatalf("failed with %q, redrive %s", aws.ToString(d.Error), d.RedriveStatus)
	}
	failB.Store(false)
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	d = waitStatus(t, c, arn, sfntypes.ExecutionStatusSucceeded)
	if aws.ToInt32(d.RedriveCount) != 1 {
		t.Errorf("redrive count %d", aws.ToInt32(d.RedriveCount))
	}
	if n := tasks.count("arn:aws:lambda:us-east-1:000000000000:function:a"); n != 1 {
		t.Errorf("A ran %d times; redrive must not rerun succeeded states", n)
	}
	_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(arn)})
	if apiCode(err) != "ExecutionNotRedrivable" {
		t.Errorf("redrive of a succeeded execution: %v", err)
	}
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var seq []string
	for i, ev := range h.Events {
		if ev.Id != int64(i+1) {
			t.Fatalf("event %d has id %d", i, ev.Id)
		}
		switch ev.Type {
		case "ExecutionFailed", "ExecutionRedriven", "ExecutionSucceeded", "ExecutionStarted":
			seq = append(seq, string(ev.Type))
		}
	}
	if strings.Join(seq, ",") != "ExecutionStarted,ExecutionFailed,ExecutionRedriven,ExecutionSucceeded" {
		t.Errorf("history %v", seq)
	}

	// ListExecutions filters on redrive (it used to ignore redriveFilter).
	other, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Input: aws.String(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, aws.ToString(other.ExecutionArn), sfntypes.ExecutionStatusSucceeded)
	for filter, want := range map[sfntypes.ExecutionRedriveFilter]string{
		sfntypes.ExecutionRedriveFilterRedriven: arn, sfntypes.ExecutionRedriveFilterNotRedriven: aws.ToString(other.ExecutionArn),
	} {
		list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smArn), RedriveFilter: filter})
		if err != nil || len(list.Executions) != 1 || aws.ToString(list.Executions[0].ExecutionArn) != want {
			t.Errorf("redrive filter %s: %+v %v", filter, list, err)
		}
	}
	if _, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smArn), RedriveFilter: "SOMETIMES"}); apiCode(err) != "ValidationException" {
		t.Errorf("bad redrive filter: %v", err)
	}
	if _, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smArn), StatusFilter: sfntypes.ExecutionStatusPendingRedrive}); apiCode(err) != "ValidationException" {
		t.Errorf("PENDING_REDRIVE without a Map Run: %v", err)
	}
}

// An execution interrupted by a shutdown resumes from its last completed
// state when the stack opens again; completed states are not run again.
func TestStepFunctionsResumeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	tasks := &scriptTasks{fn: func(ctx context.Context, res string, _ int, in json.RawMessage) (json.RawMessage, error) {
		if strings.HasSuffix(res, ":b") {
			<-ctx.Done() // the stack shuts down while B runs
			return nil, ctx.Err()
		}
		return in, nil
	}}
	st, c, stop := startSFN(t, dir, tasks)
	smArn := createMachine(t, c, twoSteps)
	start, err := c.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Input: aws.String(`{"n":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	for tasks.count("arn:aws:lambda:us-east-1:000000000000:function:b") == 0 {
		time.Sleep(2 * time.Millisecond)
	}
	_ = st
	stop()
	// The checkpoint names the events that carry its values instead of
	// holding them again (asl.Checkpoint.InputEvent, StateInputEvent).
	db, err := openStateDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	var raw []byte
	db.db.View(func(tx *bolt.Tx) error {
		b, _ := bucketPath(tx, false, executionsBucket)
		raw = append(raw, b.Get([]byte(aws.ToString(start.ExecutionArn)))...)
		return nil
	})
	db.Close()
	if !bytes.Contains(raw, []byte(`"inputEvent":1,`)) || !bytes.Contains(raw, []byte(`"stateInputEvent":`)) || bytes.Contains(raw, []byte(`"stateInput":`)) {
		t.Errorf("stored record %s", raw)
	}

	tasks2 := &scriptTasks{fn: func(_ context.Context, res string, _ int, in json.RawMessage) (json.RawMessage, error) {
		return in, nil
	}}
	_, c2, _ := startSFN(t, dir, tasks2)
	d := waitStatus(t, c2, aws.ToString(start.ExecutionArn), sfntypes.ExecutionStatusSucceeded)
	if aws.ToString(d.Output) != `{"n":7}` {
		t.Errorf("output %s", aws.ToString(d.Output))
	}
	if tasks2.count("arn:aws:lambda:us-east-1:000000000000:function:a") != 0 || tasks2.count("arn:aws:lambda:us-east-1:000000000000:function:b") != 1 {
		t.Errorf("after resume: a ran %d, b ran %d", tasks2.count("arn:aws:lambda:us-east-1:000000000000:function:a"), tasks2.count("arn:aws:lambda:us-east-1:000000000000:function:b"))
	}
	h, err := c2.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range h.Events {
		if ev.Id != int64(i+1) {
			t.Fatalf("event %d has id %d", i, ev.Id)
		}
	}
}

// uploadWithoutRule uploads keys while no rule matches them, so their events
// are gone, then creates the state machine and the rule for .jpg uploads that
// targets it, and returns the machine's ARN.
func uploadWithoutRule(t *testing.T, st *Stack, c *sfn.Client, keys ...string) string {
	t.Helper()
	s3c := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("t", "t", ""),
		BaseEndpoint: aws.String(st.opt.Endpoint)}, func(o *s3.Options) { o.UsePathStyle = true })
	for _, k := range keys {
		if _, err := s3c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	smArn := createMachine(t, c, twoSteps)
	if _, err := st.Events.PutRule("uploads", `{"source":["aws.s3"],"detail":{"object":{"key":[{"suffix":".jpg"}]}}}`, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.Events.PutTargets("uploads", Target{ID: "sm", Arn: smArn}); err != nil {
		t.Fatal(err)
	}
	return smArn
}

// After a crash with many uploads whose events were lost, Start is ready
// without waiting for their executions: it reports how many it found and starts
// them in the background, never more running at once than the stack's bound.
func TestStartReconcilesInTheBackgroundWithinTheRunningBound(t *testing.T) {
	dir := t.TempDir()
	first := &scriptTasks{fn: func(_ context.Context, _ string, _ int, in json.RawMessage) (json.RawMessage, error) { return in, nil }}
	st, c, stop := startSFN(t, dir, first)
	ctx := context.Background()
	const uploads, bound = 12, 3
	var keys []string
	for i := range uploads {
		keys = append(keys, fmt.Sprintf("p%d.jpg", i))
	}
	smArn := uploadWithoutRule(t, st, c, keys...)
	stop()

	gate := make(chan struct{})
	var running, peak atomic.Int32
	tasks := &scriptTasks{fn: func(ctx context.Context, _ string, _ int, in json.RawMessage) (json.RawMessage, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return in, nil
	}}
	st2, err := Open(Options{Dir: dir, InputBucket: "uploads", Buckets: []string{"uploads"}, Versioned: []string{"uploads"},
		Tasks: tasks, MaxRunningExecutions: bound})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st2)
	defer func() { srv.Close(); st2.Close() }()
	st2.SetEndpoint(srv.URL)
	rep, err := st2.Start() // returns although every task it would wait on is held at the gate
	if err != nil || rep.Reconciling != uploads {
		t.Fatalf("start: %+v, %v; want %d uploads to reconcile", rep, err, uploads)
	}
	c2 := sfn.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("t", "t", ""), BaseEndpoint: aws.String(srv.URL)})
	waitRunning := time.Now().Add(10 * time.Second)
	for running.Load() < bound && time.Now().Before(waitRunning) {
		time.Sleep(5 * time.Millisecond)
	}
	close(gate)
	deadline := time.Now().Add(20 * time.Second)
	for {
		list, err := c2.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smArn), StatusFilter: sfntypes.ExecutionStatusSucceeded})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Executions) == uploads {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d reconciled executions succeeded", len(list.Executions), uploads)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if p := peak.Load(); p != bound {
		t.Errorf("at most %d executions ran at once, want the bound %d", p, bound)
	}
	if n, err := st2.Reconcile(); err != nil || n != 0 {
		t.Errorf("a second reconcile started %d (%v)", n, err)
	}
}

// Uploads that never got an execution (their events were lost) get exactly one
// from Reconcile, through the rule that matches them; a second pass starts none.
func TestReconcileStartsMissingExecutionsOnce(t *testing.T) {
	tasks := &scriptTasks{fn: func(_ context.Context, _ string, _ int, in json.RawMessage) (json.RawMessage, error) { return in, nil }}
	st, c, _ := startSFN(t, t.TempDir(), tasks)
	ctx := context.Background()
	smArn := uploadWithoutRule(t, st, c, "a.jpg", "b c.jpg", "skip.png")
	n, err := st.Reconcile()
	if err != nil || n != 2 {
		t.Fatalf("reconcile started %d (%v), want 2 (the .png does not match the rule)", n, err)
	}
	if n, err := st.Reconcile(); err != nil || n != 0 {
		t.Fatalf("second reconcile started %d (%v)", n, err)
	}
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smArn)})
	if err != nil || len(list.Executions) != 2 {
		t.Fatalf("executions: %v %v", list, err)
	}
	for _, e := range list.Executions {
		d := waitStatus(t, c, aws.ToString(e.ExecutionArn), sfntypes.ExecutionStatusSucceeded)
		if !strings.Contains(aws.ToString(d.Input), `"detail-type":"Object Created"`) || !strings.Contains(aws.ToString(d.Input), `"version-id":`) {
			t.Errorf("input %s", aws.ToString(d.Input))
		}
	}
}

// ValidateStateMachineDefinition answers with the engine's diagnostics in
// AWS's shape (result OK or FAIL, diagnostics, truncated); it was an
// UnknownOperationException.
func TestStepFunctionsValidateStateMachineDefinition(t *testing.T) {
	_, c, _ := startSFN(t, t.TempDir(), &scriptTasks{})
	ctx := context.Background()
	ok, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{
		Definition: aws.String(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`)})
	if err != nil || ok.Result != sfntypes.ValidateStateMachineDefinitionResultCodeOk || len(ok.Diagnostics) != 0 || aws.ToBool(ok.Truncated) {
		t.Fatalf("valid definition: %+v %v", ok, err)
	}
	bad := `{"StartAt":"B","States":{"A":{"Type":"Pass","Next":"C"},"D":{"Type":"Pass"}}}`
	fail, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(bad)})
	if err != nil || fail.Result != sfntypes.ValidateStateMachineDefinitionResultCodeFail || len(fail.Diagnostics) < 2 {
		t.Fatalf("invalid definition: %+v %v", fail, err)
	}
	codes := map[string]bool{}
	for _, d := range fail.Diagnostics {
		if d.Severity != sfntypes.ValidateStateMachineDefinitionSeverityError || aws.ToString(d.Message) == "" || aws.ToString(d.Location) == "" {
			t.Errorf("diagnostic %+v", d)
		}
		codes[aws.ToString(d.Code)] = true
	}
	if !codes["MISSING_TRANSITION_TARGET"] {
		t.Errorf("codes %v", codes)
	}
	one, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(bad), MaxResults: 1})
	if err != nil || one.Result != sfntypes.ValidateStateMachineDefinitionResultCodeFail || len(one.Diagnostics) != 1 || !aws.ToBool(one.Truncated) {
		t.Fatalf("maxResults 1: %+v %v", one, err)
	}
	notJSON, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(`{"StartAt":`)})
	if err != nil || notJSON.Result != sfntypes.ValidateStateMachineDefinitionResultCodeFail || aws.ToString(notJSON.Diagnostics[0].Code) != "INVALID_JSON_DESCRIPTION" {
		t.Fatalf("not JSON: %+v %v", notJSON, err)
	}
	if _, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(bad), Severity: "LOUD"}); apiCode(err) != "ValidationException" {
		t.Errorf("bad severity: %v", err)
	}
}

// DescribeStateMachineForExecution answers with the definition the execution
// started with, also after the state machine is updated; it was an
// UnknownOperationException.
func TestStepFunctionsDescribeStateMachineForExecution(t *testing.T) {
	_, c, _ := startSFN(t, t.TempDir(), &scriptTasks{})
	ctx := context.Background()
	first := `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`
	arn := createMachine(t, c, first)
	x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, aws.ToString(x.ExecutionArn), sfntypes.ExecutionStatusSucceeded)
	if _, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn),
		Definition: aws.String(`{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}`)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: x.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Definition) != first || aws.ToString(out.StateMachineArn) != arn || aws.ToString(out.Name) != "m" ||
		aws.ToString(out.RoleArn) != "arn:aws:iam::000000000000:role/r" || aws.ToTime(out.UpdateDate).IsZero() {
		t.Errorf("describe for execution: %+v", out)
	}
	_, err = c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(strings.Replace(arn, ":stateMachine:", ":execution:", 1) + ":nope")})
	if apiCode(err) != "ExecutionDoesNotExist" {
		t.Errorf("missing execution: %v", err)
	}
}

// Executions report their state machine's role, in the context object and in
// ExecutionStarted, and an update's new role from then on; they reported a
// made-up StepFunctionsRole.
func TestStepFunctionsExecutionsReportTheMachineRole(t *testing.T) {
	echo := &scriptTasks{fn: func(_ context.Context, _ string, _ int, in json.RawMessage) (json.RawMessage, error) { return in, nil }}
	_, c, _ := startSFN(t, t.TempDir(), echo)
	ctx := context.Background()
	smArn := createMachine(t, c, `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"role.$":"$$.Execution.RoleArn"},"End":true}}}`)
	run := func(want string) {
		t.Helper()
		start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Input: aws.String(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		d := waitStatus(t, c, aws.ToString(start.ExecutionArn), sfntypes.ExecutionStatusSucceeded)
		if got := aws.ToString(d.Output); got != `{"role":"`+want+`"}` {
			t.Errorf("output %s, want the role %s", got, want)
		}
		h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if ev := h.Events[0]; ev.ExecutionStartedEventDetails == nil || aws.ToString(ev.ExecutionStartedEventDetails.RoleArn) != want {
			t.Errorf("ExecutionStarted %+v, want role %s", ev.ExecutionStartedEventDetails, want)
		}
	}
	run("arn:aws:iam::000000000000:role/r")
	if _, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(smArn), RoleArn: aws.String("arn:aws:iam::000000000000:role/r2")}); err != nil {
		t.Fatal(err)
	}
	run("arn:aws:iam::000000000000:role/r2")
}

// valueTasks serves tasks through the engine's value path only.
type valueTasks struct{ calls atomic.Int64 }

func (v *valueTasks) RunTask(context.Context, string, json.RawMessage) (json.RawMessage, error) {
	return nil, errors.New("RunTask called: the stack should pass the value path on")
}

func (v *valueTasks) HasValue(string) bool { return true }

func (v *valueTasks) RunTaskValue(_ context.Context, _ string, input json.RawMessage) (any, error) {
	v.calls.Add(1)
	return map[string]any{"seen": string(input)}, nil
}

// The stack's bound on running tasks passes the engine's value path on
// (asl.ValueTaskRunner), so a lambda:invoke result is not encoded and parsed
// again on its way.
func TestStepFunctionsPassTheValuePathOn(t *testing.T) {
	tasks := &valueTasks{}
	_, c, _ := startSFN(t, t.TempDir(), tasks)
	smArn := createMachine(t, c, twoSteps)
	start, err := c.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Input: aws.String(`{"n":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	d := waitStatus(t, c, aws.ToString(start.ExecutionArn), sfntypes.ExecutionStatusSucceeded)
	if aws.ToString(d.Output) != `{"seen":"{\"seen\":\"{\\\"n\\\":7}\"}"}` || tasks.calls.Load() != 2 {
		t.Errorf("output %s after %d calls", aws.ToString(d.Output), tasks.calls.Load())
	}
}
