package asl

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHistoryShape(t *testing.T) {
	runner, _ := flaky(0, "")
	opts, _ := testOptions(runner)
	_, x := run(t, opts, `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Next":"T"},
		"T":{"Type":"Task","Resource":"`+fnArn+`","Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$.a","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`, `{"a":[1]}`)
	want := "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted " +
		"LambdaFunctionSucceeded TaskStateExited MapStateEntered MapStateStarted MapIterationStarted PassStateEntered " +
		"PassStateExited MapIterationSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded"
	if got := eventTypes(x); got != want {
		t.Fatalf("history\n got %s\nwant %s", got, want)
	}
	h := x.History()
	for i, e := range h {
		if e.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i, e.ID)
		}
		if i > 0 && (e.PreviousEventID < 1 || e.PreviousEventID >= e.ID) {
			t.Fatalf("event %d (%s) previousEventId %d", e.ID, e.Type, e.PreviousEventID)
		}
	}
	b, err := json.Marshal(h[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	sd := m["stateEnteredEventDetails"].(map[string]any)
	if m["type"] != "PassStateEntered" || m["id"] != 2.0 || m["previousEventId"] != 1.0 || sd["name"] != "P" || sd["input"] != `{"a":[1]}` {
		t.Fatalf("event JSON %s", b)
	}
	if _, ok := m["timestamp"].(float64); !ok {
		t.Fatalf("timestamp is not epoch seconds: %s", b)
	}
	// Persisted history reads back to the same JSON.
	all, _ := json.Marshal(h)
	var back []HistoryEvent
	if err := json.Unmarshal(all, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(back)
	if string(again) != string(all) {
		t.Fatalf("history does not round-trip:\n%s\n%s", all, again)
	}
}

func TestFailedExecutionHistory(t *testing.T) {
	opts, _ := testOptions(nil)
	d, x := run(t, opts, single(`{"Type":"Fail"}`), `{}`)
	if d.Status != StatusFailed || d.Error != nil || d.Cause != nil {
		t.Fatalf("describe %+v: want FAILED without error and cause", d)
	}
	last := x.History()[len(x.History())-1]
	b, _ := json.Marshal(last)
	if !strings.Contains(string(b), `"executionFailedEventDetails":{}`) {
		t.Fatalf("last event %s", b)
	}
}

// gate is a task runner that blocks each call until released (or its ctx ends).
type gate struct {
	calls   atomic.Int64
	entered chan string
	release chan error
}

func newGate() *gate { return &gate{entered: make(chan string, 16), release: make(chan error, 16)} }

func (g *gate) RunTask(ctx context.Context, resource string, in json.RawMessage) (json.RawMessage, error) {
	g.calls.Add(1)
	g.entered <- resource
	select {
	case err := <-g.release:
		if err != nil {
			return nil, err
		}
		return in, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

const twoTasks = `{"StartAt":"A","States":{
	"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:a","ResultPath":"$.a","Next":"B"},
	"B":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:b","Parameters":{"rc.$":"$$.Execution.RedriveCount"},"ResultPath":"$.b","End":true}}}`

func TestStop(t *testing.T) {
	g := newGate()
	opts, _ := testOptions(g)
	x, _ := New(opts).Start(context.Background(), mustParse(t, twoTasks), "s", []byte(`{}`))
	<-g.entered
	if err := x.Stop("Operator", "stopped by test"); err != nil {
		t.Fatal(err)
	}
	d := x.Describe()
	if d.Status != StatusAborted || str(d.Error) != "Operator" || str(d.Cause) != "stopped by test" {
		t.Fatalf("describe %+v", d)
	}
	if !strings.HasSuffix(eventTypes(x), "ExecutionAborted") {
		t.Fatalf("history %s", eventTypes(x))
	}
	if err := x.Stop("", ""); err != ErrNotRunning {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestRedrive(t *testing.T) {
	g := newGate()
	opts, _ := testOptions(g)
	x, _ := New(opts).Start(context.Background(), mustParse(t, twoTasks), "r", []byte(`{"k":1}`))
	<-g.entered
	g.release <- nil // A succeeds
	<-g.entered
	g.release <- &TaskError{Name: "Broken", Cause: "b failed"}
	d, _ := x.Wait(context.Background())
	expectFailed(t, d, "Broken")
	if err := x.Redrive(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := <-g.entered; !strings.HasSuffix(r, ":b") {
		t.Fatalf("redrive ran %s first, want b", r)
	}
	g.release <- nil
	d, _ = x.Wait(context.Background())
	expectSucceeded(t, d, `{"k":1,"a":{"k":1},"b":{"rc":1}}`)
	if d.RedriveCount != 1 || d.RedriveDate.IsZero() {
		t.Fatalf("redrive count %d date %v", d.RedriveCount, d.RedriveDate)
	}
	if g.calls.Load() != 3 {
		t.Fatalf("%d task calls, want 3 (A once, B twice)", g.calls.Load())
	}
	types := eventTypes(x)
	if !strings.Contains(types, "ExecutionFailed ExecutionRedriven TaskStateEntered") {
		t.Fatalf("history %s", types)
	}
	if err := x.Redrive(context.Background()); err == nil {
		t.Fatal("redrive of a SUCCEEDED execution accepted")
	}
}

// store is an Observer that keeps what a host would persist.
type store struct {
	mu     sync.Mutex
	events []HistoryEvent
	cp     Checkpoint
}

func (s *store) Event(_ *Execution, ev HistoryEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(ev)
	var back HistoryEvent
	_ = json.Unmarshal(b, &back)
	s.events = append(s.events, back)
}

func (s *store) Checkpoint(_ *Execution, cp Checkpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(cp)
	var back Checkpoint
	_ = json.Unmarshal(b, &back)
	s.cp = back
}

func TestResumeAfterCrash(t *testing.T) {
	g := newGate()
	st := &store{}
	opts, _ := testOptions(g)
	opts.Observer = st
	sm := mustParse(t, `{"StartAt":"V","States":{"V":{"Type":"Pass","Assign":{"seen":"yes"},"Next":"A"},`+twoTasks[len(`{"StartAt":"A","States":{`):])
	hostCtx, crash := context.WithCancel(context.Background())
	x, _ := New(opts).Start(hostCtx, sm, "c", []byte(`{"k":1}`))
	<-g.entered
	g.release <- nil // A done
	<-g.entered      // B running when the host dies
	crash()
	<-x.Done()
	if s := x.Describe().Status; s != StatusRunning {
		t.Fatalf("status after host shutdown %s, want RUNNING", s)
	}
	st.mu.Lock()
	cp, history := st.cp, append([]HistoryEvent(nil), st.events...)
	st.mu.Unlock()
	if cp.State != "B" {
		t.Fatalf("checkpoint at %q, want B", cp.State)
	}
	y, err := New(opts).Resume(context.Background(), sm, cp, history)
	if err != nil {
		t.Fatal(err)
	}
	<-g.entered
	g.release <- nil
	d, _ := y.Wait(context.Background())
	expectSucceeded(t, d, `{"k":1,"a":{"k":1},"b":{"rc":0}}`)
	if d.ExecutionArn != x.ARN() {
		t.Fatalf("resumed ARN %s, want %s", d.ExecutionArn, x.ARN())
	}
	if g.calls.Load() != 3 {
		t.Fatalf("%d task calls, want 3 (A once, B twice)", g.calls.Load())
	}
	h := y.History()
	for i, e := range h {
		if e.ID != int64(i+1) {
			t.Fatalf("resumed history ids not contiguous at %d: %d", i, e.ID)
		}
	}
	if got := y.Checkpoint().Variables["seen"].Value(); got != "yes" {
		t.Fatalf("variables not restored: %v", got)
	}
}

func TestExecutionTimeoutDuringTask(t *testing.T) {
	g := newGate()
	opts, _ := testOptions(g)
	mt := newManualTimer()
	opts.Timer = mt.Timer
	x, _ := New(opts).Start(context.Background(), mustParse(t, `{"TimeoutSeconds":60,`+twoTasks[1:]), "t", []byte(`{}`))
	<-g.entered
	mt.fire(t, 60*time.Second)
	d, _ := x.Wait(context.Background())
	if d.Status != StatusTimedOut {
		t.Fatalf("status %s, want TIMED_OUT", d.Status)
	}
	if err := x.Redrive(context.Background()); err != nil {
		t.Fatalf("redrive of TIMED_OUT: %v", err)
	}
	<-g.entered
	g.release <- nil
	<-g.entered
	g.release <- nil
	d, _ = x.Wait(context.Background())
	if d.Status != StatusSucceeded {
		t.Fatalf("after redrive %s", d.Status)
	}
}

func TestExecutionNames(t *testing.T) {
	opts, _ := testOptions(nil)
	sm := mustParse(t, single(`{"Type":"Pass","End":true}`))
	for _, bad := range []string{strings.Repeat("n", 81), "a b", "key/with/slash", "x:y", "tab\t"} {
		var ine *InvalidNameError
		if _, err := New(opts).Start(context.Background(), sm, bad, nil); !errors.As(err, &ine) {
			t.Errorf("Start(%q) error %v, want *InvalidNameError", bad, err)
		}
	}
	x, err := New(opts).Start(context.Background(), sm, "", nil)
	if err != nil || len(x.Name()) != 36 {
		t.Fatalf("generated name %q, err %v", x.Name(), err)
	}
}

func TestStopDetachedExecution(t *testing.T) {
	g := newGate()
	opts, _ := testOptions(g)
	ctx, shutdown := context.WithCancel(context.Background())
	x, _ := New(opts).Start(ctx, mustParse(t, twoTasks), "d", nil)
	<-g.entered
	shutdown()
	<-x.Done()
	if err := x.Stop("", ""); err != nil {
		t.Fatal(err)
	}
	if d := x.Describe(); d.Status != StatusAborted || d.Error != nil {
		t.Fatalf("describe %+v", d)
	}
}

func TestHistoryLimit(t *testing.T) {
	opts, _ := testOptions(nil)
	d, x := run(t, opts, `{"StartAt":"Loop","States":{"Loop":{"Type":"Choice","Choices":[{"Variable":"$.spin","BooleanEquals":true,"Next":"Loop"}],"Default":"End"},"End":{"Type":"Succeed"}}}`, `{"spin":true}`)
	expectFailed(t, d, ErrRuntime)
	h := x.History()
	if len(h) != MaxHistoryEvents {
		t.Fatalf("%d events, want %d", len(h), MaxHistoryEvents)
	}
	last := h[len(h)-1]
	if last.Type != "ExecutionFailed" || last.ID != MaxHistoryEvents || last.PreviousEventID != MaxHistoryEvents-1 || h[len(h)-2].Type != "ChoiceStateExited" {
		t.Fatalf("last events %+v %+v", h[len(h)-2], last)
	}
	if str(d.Cause) != "The execution reached the maximum number of history events (25000)." {
		t.Fatalf("cause %s", str(d.Cause))
	}
	if err := x.Redrive(context.Background()); err == nil {
		t.Fatal("redrive accepted at the history limit")
	}
}

// A host that restarted redrives a stored execution from its persisted
// checkpoint and history.
func TestRedriveStored(t *testing.T) {
	g := newGate()
	st := &store{}
	opts, _ := testOptions(g)
	opts.Observer = st
	sm := mustParse(t, twoTasks)
	x, _ := New(opts).Start(context.Background(), sm, "s", []byte(`{"k":1}`))
	<-g.entered
	g.release <- nil
	<-g.entered
	g.release <- &TaskError{Name: "Broken"}
	<-x.Done()
	st.mu.Lock()
	cp, history := st.cp, append([]HistoryEvent(nil), st.events...)
	st.events = nil
	st.mu.Unlock()

	y, err := New(opts).RedriveStored(context.Background(), sm, cp, history)
	if err != nil {
		t.Fatal(err)
	}
	if r := <-g.entered; !strings.HasSuffix(r, ":b") {
		t.Fatalf("redrive ran %s, want b", r)
	}
	g.release <- nil
	d, _ := y.Wait(context.Background())
	expectSucceeded(t, d, `{"k":1,"a":{"k":1},"b":{"rc":1}}`)
	if d.RedriveCount != 1 {
		t.Fatalf("redrive count %d", d.RedriveCount)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.events) == 0 || st.events[0].Type != "ExecutionRedriven" || st.events[0].ID != int64(len(history))+1 {
		t.Fatalf("observer saw %+v after %d stored events", st.events, len(history))
	}
	if _, err := New(opts).RedriveStored(context.Background(), sm, cp, history[:len(history)-1]); err == nil {
		t.Fatal("RedriveStored accepted a history that did not end in failure")
	}
}

func TestARNsAndContext(t *testing.T) {
	opts, _ := testOptions(nil)
	opts.Region, opts.Account = "eu-west-1", "111122223333"
	sm := mustParse(t, single(`{"Type":"Pass","Parameters":{"all.$":"$$","id.$":"$$.Execution.Id","sm.$":"$$.StateMachine.Id"},"End":true}`)).
		WithARN("arn:aws:states:eu-west-1:111122223333:stateMachine:sanitizer")
	x, err := New(opts).Start(context.Background(), sm, "run-1", []byte(`{"k":1}`))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := x.Wait(context.Background())
	out := d.Output.Value().(map[string]any)
	if out["id"] != "arn:aws:states:eu-west-1:111122223333:execution:sanitizer:run-1" || out["sm"] != sm.ARN() || d.ExecutionArn != out["id"] {
		t.Fatalf("output %s", d.Output)
	}
	all := out["all"].(map[string]any)
	exec := all["Execution"].(map[string]any)
	if exec["Name"] != "run-1" || exec["RoleArn"] != "arn:aws:iam::111122223333:role/StepFunctionsRole" || !jsonEqual(exec["Input"], mustJSON(t, `{"k":1}`)) {
		t.Fatalf("context %s", toJSON(all))
	}
	if all["State"].(map[string]any)["Name"] != "S" || all["StateMachine"].(map[string]any)["Name"] != "sanitizer" {
		t.Fatalf("context %s", toJSON(all))
	}
}

// Stop while a Map and a Parallel have work in flight aborts every branch and
// iteration and records the Aborted events.
func TestStopInsideMapAndParallel(t *testing.T) {
	g := newGate()
	opts, _ := testOptions(g)
	sm := mustParse(t, single(`{"Type":"Parallel","Branches":[
		{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrencyPath":"$.mc","ItemProcessor":{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"`+fnArn+`","End":true}}},"ItemsPath":"$.items","End":true}}},
		{"StartAt":"T2","States":{"T2":{"Type":"Task","Resource":"`+fnArn+`","End":true}}}],"End":true}`))
	x, _ := New(opts).Start(context.Background(), sm, "s", []byte(`{"items":[1,2,3],"mc":2}`))
	for range 3 { // two iterations and the second branch
		<-g.entered
	}
	if err := x.Stop("", ""); err != nil {
		t.Fatal(err)
	}
	types := eventTypes(x)
	for _, want := range []string{"MapIterationAborted", "MapStateAborted", "ParallelStateAborted", "ExecutionAborted"} {
		if !strings.Contains(types, want) {
			t.Fatalf("history lacks %s: %s", want, types)
		}
	}
	if g.calls.Load() != 3 {
		t.Fatalf("%d tasks started, want 3 (MaxConcurrencyPath 2 + the other branch)", g.calls.Load())
	}
}

// As on AWS, a caught state still exits (with the Catch's output), and
// StateExited lists the variables the state assigned.
func TestExitEvents(t *testing.T) {
	runner, _ := flaky(1, "Boom")
	opts, _ := testOptions(runner)
	_, x := run(t, opts, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"`+fnArn+`","Catch":[{"ErrorEquals":["Boom"],"ResultPath":"$.err","Assign":{"failed.$":"$.Error"},"Next":"P"}],"End":true},
		"P":{"Type":"Pass","Assign":{"n":1,"s":"x"},"End":true}}}`, `{}`)
	want := "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded"
	if got := eventTypes(x); got != want {
		t.Fatalf("history\n got %s\nwant %s", got, want)
	}
	h := x.History()
	caught := h[5].Details.(*StateExitedEventDetails)
	if caught.Output.String() != `{"err":{"Cause":"try again","Error":"Boom"}}` || caught.AssignedVariables["failed"] != `"Boom"` {
		t.Fatalf("caught exit %+v", caught)
	}
	b, _ := json.Marshal(h[7])
	if !strings.Contains(string(b), `"assignedVariables":{"n":"1","s":"\"x\""},"assignedVariablesDetails":{"truncated":false}`) {
		t.Fatalf("exit event %s", b)
	}
}

// A crash during the first state resumes from the checkpoint Start wrote.
func TestResumeFirstState(t *testing.T) {
	g := newGate()
	st := &store{}
	opts, _ := testOptions(g)
	opts.Observer = st
	sm := mustParse(t, twoTasks)
	hostCtx, crash := context.WithCancel(context.Background())
	x, _ := New(opts).Start(hostCtx, sm, "first", []byte(`{"k":2}`))
	<-g.entered
	crash()
	<-x.Done()
	st.mu.Lock()
	cp, history := st.cp, append([]HistoryEvent(nil), st.events...)
	st.mu.Unlock()
	if cp.State != "A" || cp.LastEventID != 1 {
		t.Fatalf("checkpoint %+v, want state A after event 1", cp)
	}
	y, err := New(opts).Resume(context.Background(), sm, cp, history)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		<-g.entered
		g.release <- nil
	}
	d, _ := y.Wait(context.Background())
	expectSucceeded(t, d, `{"k":2,"a":{"k":2},"b":{"rc":0}}`)
	if got := eventTypes(y); !strings.HasPrefix(got, "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded") {
		t.Fatalf("resumed history %s", got)
	}
}

func TestDefinitionKept(t *testing.T) {
	def := single(`{"Type":"Pass","End":true}`)
	if got := string(mustParse(t, def).Definition()); got != def {
		t.Fatalf("Definition() %s", got)
	}
}

// stubbornTask finishes its work even once its context is done, as a task
// that does not watch its context (or a long JSONata evaluation) does.
type stubbornTask struct{ entered chan struct{} }

func (s stubbornTask) RunTask(ctx context.Context, _ string, input json.RawMessage) (json.RawMessage, error) {
	close(s.entered)
	<-ctx.Done()
	return input, nil
}

// An execution stopped while its last state runs is ABORTED, even when that
// state then finishes: it once ended SUCCEEDED after Stop had returned.
func TestStopDuringLastState(t *testing.T) {
	task := stubbornTask{entered: make(chan struct{})}
	opts, _ := testOptions(task)
	x, _ := New(opts).Start(context.Background(), mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}}`), "s", []byte(`{}`))
	<-task.entered
	if err := x.Stop("Operator", "stopped"); err != nil {
		t.Fatal(err)
	}
	<-x.Done()
	if d := x.Describe(); d.Status != StatusAborted {
		t.Fatalf("describe %+v", d)
	}
	if types := eventTypes(x); !strings.HasSuffix(types, "ExecutionAborted") || strings.Contains(types, "ExecutionSucceeded") {
		t.Fatalf("history %s", types)
	}
}

// Prepare records ExecutionStarted and the first checkpoint but runs nothing
// until Run; a prepared execution stopped before it runs ends ABORTED.
func TestPrepareRunsNothingUntilRun(t *testing.T) {
	var calls atomic.Int64
	runner := runnerFunc(func(_ context.Context, _ string, in json.RawMessage) (json.RawMessage, error) {
		calls.Add(1)
		return in, nil
	})
	st := &store{}
	opts, _ := testOptions(runner)
	opts.Observer = st
	eng := New(opts)
	sm := mustParse(t, twoTasks)
	x, err := eng.Prepare(sm, "p", []byte(`{"k":1}`))
	if err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	n, cp := len(st.events), st.cp
	st.mu.Unlock()
	if n != 1 || cp.LastEventID != 1 || cp.State != "A" || calls.Load() != 0 || x.Describe().Status != StatusRunning {
		t.Fatalf("after Prepare: %d events, checkpoint %+v, %d task calls", n, cp, calls.Load())
	}
	x.Run(context.Background())
	x.Run(context.Background()) // a second Run does nothing
	if d, _ := x.Wait(context.Background()); d.Status != StatusSucceeded {
		t.Fatalf("status %s", d.Status)
	}
	if calls.Load() != 2 {
		t.Errorf("%d task calls, want 2", calls.Load())
	}

	y, err := eng.Prepare(sm, "q", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := y.Stop("E", "stopped before it ran"); err != nil {
		t.Fatal(err)
	}
	y.Run(context.Background())
	if d := y.Describe(); d.Status != StatusAborted || calls.Load() != 2 || eventTypes(y) != "ExecutionStarted ExecutionAborted" {
		t.Errorf("stopped before Run: %s, %d task calls, history %s", d.Status, calls.Load(), eventTypes(y))
	}
}
