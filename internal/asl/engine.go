package asl

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jsonata"
)

// TaskRunner performs a Task state's work. resource is the state's Resource
// ARN; input is the effective input (after InputPath and Parameters) as JSON.
// A failure should be a *TaskError naming the error; any other error is
// reported as States.TaskFailed.
type TaskRunner interface {
	RunTask(ctx context.Context, resource string, input json.RawMessage) (json.RawMessage, error)
}

// Observer receives an execution's history as it is written and a checkpoint
// at each top-level state transition, so a host can persist both and Resume
// after a crash. Calls for one execution are made in order, while the
// execution's lock is held: an Observer must not call back into the execution.
type Observer interface {
	Event(x *Execution, ev HistoryEvent)
	Checkpoint(x *Execution, cp Checkpoint)
}

// Options configure an Engine. Every field is optional.
type Options struct {
	Tasks TaskRunner
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Sleep waits for Wait states and retry intervals (default: a real timer,
	// cut short when ctx ends). Tests supply one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Timer arms the task and execution timeouts (default time.NewTimer).
	Timer func(d time.Duration) (<-chan time.Time, func() bool)
	// Random returns a number in [0,1) for retry jitter, States.MathRandom
	// and States.UUID (default crypto/rand).
	Random   func() float64
	Observer Observer
	// Region and Account build execution ARNs (defaults us-east-1, 123456789012).
	Region, Account string
}

// Engine runs state machines.
type Engine struct {
	o Options
}

// New returns an Engine; zero Options fields get real defaults.
func New(o Options) *Engine {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = realSleep
	}
	if o.Timer == nil {
		o.Timer = func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		}
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "123456789012"
	}
	return &Engine{o: o}
}

func realSleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// random is Options.Random, or crypto/rand when none was given.
func (e *Engine) random() float64 {
	if e.o.Random != nil {
		return e.o.Random()
	}
	return cryptoFloat()
}

func cryptoFloat() float64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return float64(binary.BigEndian.Uint64(b[:])>>11) / (1 << 53)
}

// Execution statuses, as DescribeExecution reports them.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// Execution is one run of a state machine.
type Execution struct {
	eng       *Engine
	sm        *StateMachine
	arn, name string
	smArn     string
	input     any
	startTime time.Time
	startISO  string // $$.Execution.StartTime
	deadline  time.Time

	mu           sync.Mutex
	status       string
	output       any
	failure      *Failure
	stopReason   *Failure // the error and cause given to Stop
	stopTime     time.Time
	redriveCount int64
	redriveTime  time.Time
	events       []HistoryEvent
	historyFull  bool // failed at MaxHistoryEvents
	cp           checkpoint
	prepared     bool // made by Prepare, not yet Run
	cancel       context.CancelCauseFunc
	done         chan struct{}
	// order holds the member order of the objects this execution parsed or
	// built, when its definition can show it (nil otherwise).
	order *memberOrder
	// jsonataFuncs are the Step Functions functions JSONata states call.
	jsonataOnce  sync.Once
	jsonataFuncs map[string]jsonata.Function

	// inputText is the encoding of input, and payloads those of the values
	// recent events carried: a state's output is also its StateExited event's,
	// the checkpoint's and the next state's StateEntered event's (see payload).
	inputText *payloadText
	pmu       sync.Mutex
	payloads  [4]payloadEntry
	pnext     int
}

type payloadEntry struct {
	id   uintptr
	v    map[string]any // keeps the object, so its address names it
	text *payloadText
}

// payload wraps v for an event or checkpoint. An object this execution
// wrapped recently gets the same encoding, made once: values are never
// modified once built, so an object's address names its content.
func (x *Execution) payload(v any) Payload {
	m, ok := v.(map[string]any)
	if !ok || m == nil {
		return Payload{v: v}
	}
	if x.inputText != nil {
		if in, ok := x.input.(map[string]any); ok && objectID(in) == objectID(m) {
			return Payload{v: v, text: x.inputText}
		}
	}
	id := objectID(m)
	x.pmu.Lock()
	defer x.pmu.Unlock()
	for _, e := range x.payloads {
		if e.id == id && e.text != nil {
			return Payload{v: v, text: e.text}
		}
	}
	t := &payloadText{}
	x.payloads[x.pnext] = payloadEntry{id: id, v: m, text: t}
	x.pnext = (x.pnext + 1) % len(x.payloads)
	return Payload{v: v, text: t}
}

// checkpoint is the in-memory form of Checkpoint.
type checkpoint struct {
	state  *State
	input  any
	vars   *varScope
	lastID int64
}

// Checkpoint is what a host persists to Resume an execution after a crash,
// and what Redrive restarts from: the next top-level state and its input.
//
// InputEvent and StateInputEvent, when not 0, name the event of the history
// that carries the same value as Input (ExecutionStarted) and StateInput (the
// StateExited event of the state before, or ExecutionStarted). The JSON
// encoding then leaves the value out, and Resume and RedriveStored take it
// from that event: a host persists the events up to LastEventID with the
// checkpoint anyway, and the values are the largest part of it.
type Checkpoint struct {
	ExecutionArn    string             `json:"executionArn"`
	StateMachineArn string             `json:"stateMachineArn"`
	Name            string             `json:"name"`
	Input           Payload            `json:"input"`
	InputEvent      int64              `json:"inputEvent,omitempty"`
	StartTime       time.Time          `json:"startTime"`
	State           string             `json:"state"`
	StateInput      Payload            `json:"stateInput"`
	StateInputEvent int64              `json:"stateInputEvent,omitempty"`
	Variables       map[string]Payload `json:"variables,omitempty"`
	LastEventID     int64              `json:"lastEventId"`
	RedriveCount    int64              `json:"redriveCount"`
	RedriveTime     time.Time          `json:"redriveTime,omitzero"`
}

// Description is what DescribeExecution reports.
type Description struct {
	ExecutionArn    string
	StateMachineArn string
	Name            string
	Status          string
	StartDate       time.Time
	StopDate        time.Time // zero while running
	Input           Payload
	Output          *Payload // SUCCEEDED only
	Error, Cause    *string  // FAILED, TIMED_OUT, ABORTED; nil when absent
	RedriveCount    int64
	RedriveDate     time.Time // zero when never redriven
}

var (
	errAborted     = errors.New("execution aborted")
	errTimedOut    = errors.New("execution timed out")
	errHistoryFull = errors.New("execution history is full")
)

// MaxHistoryEvents is the Standard workflow history quota: the execution
// fails with States.Runtime as event number MaxHistoryEvents.
const MaxHistoryEvents = 25000

// InvalidNameError rejects an execution name as StartExecution does.
type InvalidNameError struct{ Name, Reason string }

func (e *InvalidNameError) Error() string {
	return fmt.Sprintf("invalid execution name %q: %s", e.Name, e.Reason)
}

// checkExecutionName applies AWS's rules: 1 to 80 characters, and no
// whitespace, control characters or any of < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /
func checkExecutionName(name string) error {
	if n := utf8.RuneCountInString(name); n < 1 || n > 80 {
		return &InvalidNameError{name, "it must be 1 to 80 characters long"}
	}
	for _, r := range name {
		if unicode.IsSpace(r) || r < 0x20 || r >= 0x7f && r <= 0x9f || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return &InvalidNameError{name, fmt.Sprintf("it must not contain %q", r)}
		}
	}
	return nil
}

// WithARN returns a copy of the machine that executions report as arn.
func (sm *StateMachine) WithARN(arn string) *StateMachine {
	c := *sm
	c.arn = arn
	return &c
}

// WithRole returns a copy of the machine whose executions report roleArn as
// their role ($$.Execution.RoleArn, ExecutionStarted), as AWS reports the
// state machine's role.
func (sm *StateMachine) WithRole(roleArn string) *StateMachine {
	c := *sm
	c.role = roleArn
	return &c
}

// ARN is the state machine ARN executions report.
func (sm *StateMachine) ARN() string {
	if sm.arn == "" {
		return "arn:aws:states:us-east-1:123456789012:stateMachine:StateMachine"
	}
	return sm.arn
}

func (sm *StateMachine) machineName() string {
	a := sm.ARN()
	return a[strings.LastIndexByte(a, ':')+1:]
}

// Start begins an execution and returns at once; Wait blocks until it ends.
// input is the execution input as JSON (empty means {}). ctx bounds the
// engine's work, not the execution's status: when ctx ends the execution stops
// where it is and stays RUNNING, to be Resumed from its last checkpoint (a host
// shutting down). Stop aborts it.
func (e *Engine) Start(ctx context.Context, sm *StateMachine, name string, input []byte) (*Execution, error) {
	x, err := e.Prepare(sm, name, input)
	if err != nil {
		return nil, err
	}
	x.Run(ctx)
	return x, nil
}

// Prepare makes an execution as Start does, recording its ExecutionStarted
// event and its first checkpoint (the Observer receives both), but does not
// run it: a host can persist them in the same write as its own record of the
// execution before any state runs. Run runs it.
func (e *Engine) Prepare(sm *StateMachine, name string, input []byte) (*Execution, error) {
	var in any = map[string]any{}
	if len(input) > MaxPayloadBytes {
		return nil, fmt.Errorf("execution input is %d bytes, more than the %d allowed", len(input), MaxPayloadBytes)
	}
	if len(strings.TrimSpace(string(input))) > 0 {
		v, err := parseJSON(input)
		if err != nil {
			return nil, fmt.Errorf("execution input is not valid JSON: %w", err)
		}
		in = v
	}
	if name == "" {
		name = newUUID(e.o.Random)
	}
	if err := checkExecutionName(name); err != nil {
		return nil, err
	}
	x := e.newExecution(sm, name, in, e.o.Now())
	x.order.recordJSON(input, in)
	id := x.record(nil, "ExecutionStarted", &ExecutionStartedEventDetails{Input: x.payload(in), RoleArn: x.roleArn()})
	// The first checkpoint: a crash during the first state resumes there.
	x.checkpoint(sm.top.start, in, &varScope{}, id)
	x.prepared = true
	return x, nil
}

// Run runs an execution made by Prepare, once; ctx is Start's.
func (x *Execution) Run(ctx context.Context) {
	x.mu.Lock()
	prepared := x.prepared
	x.prepared = false
	x.mu.Unlock()
	if prepared {
		x.launch(ctx)
	}
}

func (e *Engine) newExecution(sm *StateMachine, name string, in any, start time.Time) *Execution {
	smArn := sm.ARN()
	arn := strings.Replace(smArn, ":stateMachine:", ":execution:", 1) + ":" + name
	x := &Execution{eng: e, sm: sm, name: name, arn: arn, smArn: smArn, input: in, startTime: start, startISO: isoTime(start), status: StatusRunning,
		inputText: &payloadText{}}
	if sm.order != nil {
		x.order = newMemberOrder()
	}
	if sm.TimeoutSeconds > 0 {
		x.deadline = start.Add(time.Duration(sm.TimeoutSeconds) * time.Second)
	}
	return x
}

func (x *Execution) roleArn() string {
	if x.sm.role != "" {
		return x.sm.role
	}
	return "arn:aws:iam::" + x.eng.o.Account + ":role/StepFunctionsRole"
}

// launch runs the execution from its checkpoint in a goroutine.
func (x *Execution) launch(ctx context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	x.mu.Lock()
	x.cancel = cancel
	x.done = make(chan struct{})
	cp := x.cp
	x.mu.Unlock()
	var stopTimer func() bool
	if !x.deadline.IsZero() {
		c, stop := x.eng.o.Timer(x.deadline.Sub(x.eng.o.Now()))
		stopTimer = stop
		go func() {
			select {
			case <-c:
				cancel(errTimedOut)
			case <-ctx.Done():
			}
		}()
	}
	go func() {
		defer close(x.done)
		defer cancel(nil)
		if stopTimer != nil {
			defer stopTimer()
		}
		fr := &frame{x: x, vars: cp.vars, last: cp.lastID, top: true}
		out, f := fr.run(ctx, cp.state, cp.input)
		x.finish(ctx, out, f)
	}()
}

// finish records the execution's end.
func (x *Execution) finish(ctx context.Context, out any, f *Failure) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.historyFull {
		return
	}
	if f != nil && f.interrupted {
		switch context.Cause(ctx) {
		case errAborted:
			x.terminate(StatusAborted, "ExecutionAborted", x.stopFailure())
		case errTimedOut:
			x.terminate(StatusTimedOut, "ExecutionTimedOut", &Failure{Error: ErrTimeout, HasError: true, Cause: fmt.Sprintf("The execution timed out after %d seconds", x.sm.TimeoutSeconds), HasCause: true})
		default:
			// The host stopped the engine: the execution stays RUNNING and
			// can be resumed from its checkpoint.
		}
		return
	}
	if f != nil {
		x.terminate(StatusFailed, "ExecutionFailed", f)
		return
	}
	x.status = StatusSucceeded
	x.output = out
	x.stopTime = x.eng.o.Now()
	x.recordLocked(x.lastEventID(), "ExecutionSucceeded", &ExecutionSucceededEventDetails{Output: x.payload(out)})
}

func (x *Execution) terminate(status, event string, f *Failure) {
	x.status = status
	x.failure = f
	x.stopTime = x.eng.o.Now()
	x.recordLocked(x.lastEventID(), event, errorDetails(f))
}

func (x *Execution) lastEventID() int64 { return int64(len(x.events)) }

// stopFailure is the error and cause given to Stop.
func (x *Execution) stopFailure() *Failure {
	if x.stopReason != nil {
		return x.stopReason
	}
	return &Failure{}
}

// record appends an event. prev is the event this one follows in its thread
// of execution (nil: the last event recorded).
func (x *Execution) record(prev *int64, typ string, details any) int64 {
	return x.recordAt(time.Time{}, prev, typ, details)
}

// recordAt is record with a timestamp the caller already read (zero: now).
func (x *Execution) recordAt(ts time.Time, prev *int64, typ string, details any) int64 {
	if ts.IsZero() {
		ts = x.eng.o.Now()
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.lastEventID()
	if prev != nil {
		p = *prev
	}
	id := x.recordLockedAt(ts, p, typ, details)
	if prev != nil {
		*prev = id
	}
	return id
}

func (x *Execution) recordLocked(prev int64, typ string, details any) int64 {
	return x.recordLockedAt(x.eng.o.Now(), prev, typ, details)
}

func (x *Execution) recordLockedAt(ts time.Time, prev int64, typ string, details any) int64 {
	if x.historyFull {
		// The execution already failed at the history limit; what its
		// goroutines still report is not recorded, as on AWS.
		return int64(len(x.events))
	}
	if len(x.events) == MaxHistoryEvents-1 && !strings.HasPrefix(typ, "Execution") {
		// AWS ends the execution with event number MaxHistoryEvents.
		f := fail(ErrRuntime, "The execution reached the maximum number of history events (%d).", MaxHistoryEvents)
		x.status, x.failure, x.stopTime = StatusFailed, f, ts
		id := x.recordLockedAt(ts, int64(len(x.events)), "ExecutionFailed", errorDetails(f))
		x.historyFull = true
		x.cancel(errHistoryFull)
		return id
	}
	id := int64(len(x.events)) + 1
	ev := HistoryEvent{Timestamp: ts, Type: typ, ID: id, PreviousEventID: prev, Details: details}
	x.events = append(x.events, ev)
	if o := x.eng.o.Observer; o != nil {
		o.Event(x, ev)
	}
	return id
}

// checkpoint notes the next top-level state and its input.
func (x *Execution) checkpoint(st *State, input any, vars *varScope, lastID int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.cp = checkpoint{state: st, input: input, vars: vars, lastID: lastID}
	if o := x.eng.o.Observer; o != nil {
		o.Checkpoint(x, x.checkpointLocked())
	}
}

func (x *Execution) checkpointLocked() Checkpoint {
	cp := Checkpoint{
		ExecutionArn: x.arn, StateMachineArn: x.smArn, Name: x.name, Input: x.payload(x.input),
		StartTime: x.startTime, StateInput: x.payload(x.cp.input), LastEventID: x.cp.lastID,
		RedriveCount: x.redriveCount, RedriveTime: x.redriveTime,
	}
	if x.cp.state != nil {
		cp.State = x.cp.state.Name
	}
	cp.InputEvent = x.eventCarrying(x.input, 1)
	cp.StateInputEvent = x.eventCarrying(x.cp.input, x.cp.lastID)
	if x.cp.vars != nil && len(x.cp.vars.vals) > 0 {
		cp.Variables = make(map[string]Payload, len(x.cp.vars.vals))
		for k, v := range x.cp.vars.vals {
			cp.Variables[k] = x.payload(v)
		}
	}
	return cp
}

// eventCarrying returns id when event id is ExecutionStarted or a
// StateExited event that carries the object v itself, else 0. Only objects
// are looked for: other values are small.
func (x *Execution) eventCarrying(v any, id int64) int64 {
	m, ok := v.(map[string]any)
	if !ok || m == nil || id < 1 || id > int64(len(x.events)) {
		return 0
	}
	var p Payload
	switch d := x.events[id-1].Details.(type) {
	case *ExecutionStartedEventDetails:
		p = d.Input
	case *StateExitedEventDetails:
		p = d.Output
	default:
		return 0
	}
	if pm, ok := p.v.(map[string]any); ok && pm != nil && objectID(pm) == objectID(m) {
		return id
	}
	return 0
}

// carried is the value event id carries (see Checkpoint.InputEvent), or def
// when id is 0 or the history does not have that event.
func carried(history []HistoryEvent, id int64, def Payload) any {
	if id < 1 || id > int64(len(history)) {
		return def.Value()
	}
	switch d := history[id-1].Details.(type) {
	case *ExecutionStartedEventDetails:
		return d.Input.Value()
	case *StateExitedEventDetails:
		return d.Output.Value()
	}
	return def.Value()
}

// Checkpoint returns the execution's latest checkpoint.
func (x *Execution) Checkpoint() Checkpoint {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.checkpointLocked()
}

// ARN returns the execution ARN.
func (x *Execution) ARN() string { return x.arn }

// Name returns the execution name.
func (x *Execution) Name() string { return x.name }

// Done is closed when the execution's run ends (terminal, or the host's ctx ended).
func (x *Execution) Done() <-chan struct{} {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.done
}

// Wait blocks until the execution's current run ends, then describes it.
func (x *Execution) Wait(ctx context.Context) (Description, error) {
	select {
	case <-x.Done():
		return x.Describe(), nil
	case <-ctx.Done():
		return Description{}, ctx.Err()
	}
}

// Describe reports the execution's status, input, output and error.
func (x *Execution) Describe() Description {
	x.mu.Lock()
	defer x.mu.Unlock()
	d := Description{
		ExecutionArn: x.arn, StateMachineArn: x.smArn, Name: x.name, Status: x.status,
		StartDate: x.startTime, StopDate: x.stopTime, Input: x.payload(x.input),
		RedriveCount: x.redriveCount, RedriveDate: x.redriveTime,
	}
	if x.status == StatusSucceeded {
		out := x.payload(x.output)
		d.Output = &out
	}
	if x.failure != nil {
		ed := errorDetails(x.failure)
		d.Error, d.Cause = ed.Error, ed.Cause
	}
	return d
}

// History returns a copy of the events recorded so far.
func (x *Execution) History() []HistoryEvent {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]HistoryEvent(nil), x.events...)
}

// ErrNotRunning is returned by Stop for an execution that has ended.
var ErrNotRunning = errors.New("execution is not running")

// Stop aborts a running execution (StopExecution): it ends ABORTED with the
// given error and cause (either may be empty).
func (x *Execution) Stop(errName, cause string) error {
	x.mu.Lock()
	if x.status != StatusRunning {
		x.mu.Unlock()
		return ErrNotRunning
	}
	x.stopReason = &Failure{Error: errName, Cause: cause, HasError: errName != "", HasCause: cause != ""}
	if x.prepared {
		// Prepared, never run: nothing to interrupt.
		x.prepared = false
		x.terminate(StatusAborted, "ExecutionAborted", x.stopFailure())
		x.mu.Unlock()
		return nil
	}
	cancel, done := x.cancel, x.done
	x.mu.Unlock()
	cancel(errAborted)
	<-done
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.status == StatusRunning {
		// Its run had already ended with the host's context (not yet
		// resumed): abort it here.
		x.terminate(StatusAborted, "ExecutionAborted", x.stopFailure())
	}
	return nil
}

// RedriveError explains why an execution cannot be redriven.
type RedriveError struct{ Reason string }

func (e *RedriveError) Error() string { return "execution cannot be redriven: " + e.Reason }

// Redrive restarts a FAILED, ABORTED or TIMED_OUT execution from the state
// that did not complete, with that state's input and the execution's original
// definition, as RedriveExecution does. States that succeeded are not rerun.
func (x *Execution) Redrive(ctx context.Context) error {
	x.mu.Lock()
	switch x.status {
	case StatusFailed, StatusAborted, StatusTimedOut:
	default:
		x.mu.Unlock()
		return &RedriveError{Reason: "status is " + x.status}
	}
	if x.cp.state == nil {
		x.mu.Unlock()
		return &RedriveError{Reason: "no state to redrive from"}
	}
	if len(x.events) >= MaxHistoryEvents-1 {
		x.mu.Unlock()
		return &RedriveError{Reason: "Execution history event limit exceeded"}
	}
	x.redriveCount++
	x.redriveTime = x.eng.o.Now()
	x.status = StatusRunning
	x.failure = nil
	x.stopReason = nil
	x.output = nil
	x.stopTime = time.Time{}
	if x.sm.TimeoutSeconds > 0 {
		x.deadline = x.redriveTime.Add(time.Duration(x.sm.TimeoutSeconds) * time.Second)
	}
	id := x.recordLocked(x.lastEventID(), "ExecutionRedriven", &ExecutionRedrivenEventDetails{RedriveCount: x.redriveCount})
	x.cp.lastID = id
	if o := x.eng.o.Observer; o != nil {
		o.Checkpoint(x, x.checkpointLocked())
	}
	x.mu.Unlock()
	x.launch(ctx)
	return nil
}

// Resume continues an execution after a crash from its last checkpoint.
// history is the execution's persisted history; events after the checkpoint
// (a state that was running) are dropped and that state runs again.
func (e *Engine) Resume(ctx context.Context, sm *StateMachine, cp Checkpoint, history []HistoryEvent) (*Execution, error) {
	if cp.LastEventID > int64(len(history)) {
		return nil, fmt.Errorf("resume %s: checkpoint is at event %d but the history has %d events", cp.ExecutionArn, cp.LastEventID, len(history))
	}
	x, err := e.restore(sm, cp, history[:cp.LastEventID])
	if err != nil {
		return nil, err
	}
	x.launch(ctx)
	return x, nil
}

// RedriveStored redrives an execution that is no longer in memory (a host
// restarted since it ended): cp is its last checkpoint and history its whole
// persisted history, ending FAILED, ABORTED or TIMED_OUT. Like Redrive it
// records ExecutionRedriven and reruns the state that did not complete.
func (e *Engine) RedriveStored(ctx context.Context, sm *StateMachine, cp Checkpoint, history []HistoryEvent) (*Execution, error) {
	n := len(history)
	status, ok := "", false
	if n > 0 {
		status, ok = redrivable[history[n-1].Type]
	}
	if !ok {
		return nil, &RedriveError{Reason: "the history does not end FAILED, ABORTED or TIMED_OUT"}
	}
	x, err := e.restore(sm, cp, history)
	if err != nil {
		return nil, err
	}
	x.status = status
	if err := x.Redrive(ctx); err != nil {
		return nil, err
	}
	return x, nil
}

// redrivable maps the terminal events Redrive accepts to their status.
var redrivable = map[string]string{"ExecutionFailed": StatusFailed, "ExecutionAborted": StatusAborted, "ExecutionTimedOut": StatusTimedOut}

// restore rebuilds an execution from a checkpoint and its history.
func (e *Engine) restore(sm *StateMachine, cp Checkpoint, history []HistoryEvent) (*Execution, error) {
	st, ok := sm.top.states[cp.State]
	if !ok {
		return nil, fmt.Errorf("restore %s: state %q is not in the definition", cp.ExecutionArn, cp.State)
	}
	x := e.newExecution(sm, cp.Name, carried(history, cp.InputEvent, cp.Input), cp.StartTime)
	if cp.ExecutionArn != "" {
		x.arn = cp.ExecutionArn
	}
	x.redriveCount, x.redriveTime = cp.RedriveCount, cp.RedriveTime
	if !cp.RedriveTime.IsZero() && sm.TimeoutSeconds > 0 {
		x.deadline = cp.RedriveTime.Add(time.Duration(sm.TimeoutSeconds) * time.Second)
	}
	x.events = append([]HistoryEvent(nil), history...)
	vars := &varScope{}
	if len(cp.Variables) > 0 {
		vars.vals = make(map[string]any, len(cp.Variables))
		for k, v := range cp.Variables {
			vars.vals[k] = v.Value()
		}
	}
	x.cp = checkpoint{state: st, input: carried(history, cp.StateInputEvent, cp.StateInput), vars: vars, lastID: cp.LastEventID}
	return x, nil
}

func newUUID(random func() float64) string {
	e := &evalEnv{rnd: random}
	v, _ := fnUUID(e, nil, nil)
	return v.(string)
}
