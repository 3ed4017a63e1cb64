package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	bolt "go.etcd.io/bbolt"
)

// StepFunctions serves the AWSStepFunctions JSON 1.0 API over the asl engine.
// Executions are durable: each is recorded before StartExecution answers, its
// history and checkpoint are committed at every top-level state transition,
// and its final status when it ends; Resume continues RUNNING ones after a
// restart from their last checkpoint.
type StepFunctions struct {
	db      *stateDB
	account string
	region  string
	log     *slog.Logger
	ctx     context.Context
	engine  *asl.Engine
	now     func() time.Time

	mu       sync.Mutex
	machines map[string]*machine       // by ARN
	live     map[string]*asl.Execution // running executions by ARN
	ended    chan struct{}             // closed (and replaced) when an execution leaves live or a reservation ends
	reserved int                       // room taken by starts under way (see waitForRoom)
	// maxRunning bounds the executions admit lets start (0: no bound).
	maxRunning int
	starting   map[string]bool              // ARNs being created
	objects    map[string]bool              // object identities with a start in flight
	parsed     map[string]*asl.StateMachine // definitions executions run, by ID and machine
	wg         sync.WaitGroup

	// trackMu guards track. The observer runs under an execution's lock, so it
	// must never wait for mu (held by code that calls into executions).
	trackMu sync.Mutex
	track   map[string]*tracking // observer state by execution ARN
}

type machine struct {
	rec smRecord
	sm  *asl.StateMachine
}

type smRecord struct {
	Name         string    `json:"name"`
	Arn          string    `json:"arn"`
	Definition   string    `json:"definition"`
	RoleArn      string    `json:"roleArn"`
	CreationDate time.Time `json:"creationDate"`
	UpdateDate   time.Time `json:"updateDate,omitzero"`
}

// execRecord is an execution as persisted.
type execRecord struct {
	Arn          string          `json:"arn"`
	MachineArn   string          `json:"machineArn"`
	Name         string          `json:"name"`
	Status       string          `json:"status"`
	StartDate    time.Time       `json:"startDate"`
	StopDate     time.Time       `json:"stopDate,omitzero"`
	Input        string          `json:"input"`
	Output       *string         `json:"output,omitempty"`
	Error        *string         `json:"error,omitempty"`
	Cause        *string         `json:"cause,omitempty"`
	RedriveCount int64           `json:"redriveCount"`
	RedriveDate  time.Time       `json:"redriveDate,omitzero"`
	Definition   string          `json:"definition"`        // sha256 of the definition it runs
	RoleArn      string          `json:"roleArn,omitempty"` // the machine's role when it started
	Checkpoint   *asl.Checkpoint `json:"checkpoint,omitempty"`
	Events       int64           `json:"events"` // history events committed
}

// tracking buffers an execution's events between checkpoints.
type tracking struct {
	mu         sync.Mutex
	registered bool
	pending    []asl.HistoryEvent
	cp         *asl.Checkpoint
	// rec and recRaw are the execution record as flush last stored it: when the
	// stored bytes are still those, flush takes rec instead of decoding them.
	rec    *execRecord
	recRaw []byte
}

const (
	machinesBucket    = "sfn:machines"
	definitionsBucket = "sfn:definitions"
	executionsBucket  = "sfn:executions"
	historyBucket     = "sfn:history"
	listBucket        = "sfn:list"     // machine ARN → (inverted start time + ARN) → summary
	objectIndex       = "sfn:byobject" // bucket \x00 key \x00 version → execution ARN
	runningBucket     = "sfn:running"  // ARNs of RUNNING executions
)

func newStepFunctions(ctx context.Context, db *stateDB, account, region string, tasks asl.TaskRunner, log *slog.Logger) (*StepFunctions, error) {
	s := &StepFunctions{db: db, account: account, region: region, log: log, ctx: ctx, now: time.Now,
		machines: map[string]*machine{}, live: map[string]*asl.Execution{}, starting: map[string]bool{},
		objects: map[string]bool{}, track: map[string]*tracking{}, parsed: map[string]*asl.StateMachine{},
		ended: make(chan struct{})}
	s.engine = asl.New(asl.Options{Tasks: tasks, Observer: s, Region: region, Account: account})
	err := db.db.View(func(tx *bolt.Tx) error {
		return forEachJSON(tx, func(_, v []byte) error {
			var rec smRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			sm, err := asl.Parse([]byte(rec.Definition))
			if err != nil {
				return fmt.Errorf("stored state machine %s: %w", rec.Name, err)
			}
			s.machines[rec.Arn] = &machine{rec: rec, sm: sm.WithARN(rec.Arn).WithRole(rec.RoleArn)}
			return nil
		}, machinesBucket)
	})
	return s, err
}

// ServeHTTP answers the AWSStepFunctions JSON 1.0 protocol.
func (s *StepFunctions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serveJSON(w, r, "AWSStepFunctions", "1.0", map[string]jsonOp{
		"CreateStateMachine":               s.createStateMachine,
		"UpdateStateMachine":               s.updateStateMachine,
		"DescribeStateMachine":             s.describeStateMachine,
		"ListStateMachines":                s.listStateMachines,
		"StartExecution":                   s.startExecution,
		"DescribeExecution":                s.describeExecution,
		"ListExecutions":                   s.listExecutions,
		"GetExecutionHistory":              s.getExecutionHistory,
		"StopExecution":                    s.stopExecution,
		"RedriveExecution":                 s.redriveExecution,
		"ValidateStateMachineDefinition":   validateDefinition,
		"DescribeStateMachineForExecution": s.describeStateMachineForExecution,
	})
}

// ---- observer: persistence of history and checkpoints ----

func (s *StepFunctions) tracking(arn string) *tracking {
	s.trackMu.Lock()
	defer s.trackMu.Unlock()
	t := s.track[arn]
	if t == nil {
		t = &tracking{}
		s.track[arn] = t
	}
	return t
}

// Event buffers a history event; it is committed with the next checkpoint or
// when the execution ends (events after the last checkpoint are replayed by a
// resume anyway).
func (s *StepFunctions) Event(x *asl.Execution, ev asl.HistoryEvent) {
	t := s.tracking(x.ARN())
	t.mu.Lock()
	t.pending = append(t.pending, ev)
	t.mu.Unlock()
}

// Checkpoint commits the buffered events and the checkpoint together.
func (s *StepFunctions) Checkpoint(x *asl.Execution, cp asl.Checkpoint) {
	t := s.tracking(x.ARN())
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cp = &cp
	if !t.registered {
		return // StartExecution commits the first record, then flushes
	}
	if err := s.flush(x.ARN(), t, nil); err != nil {
		s.log.Error("stepfunctions: persist checkpoint", "execution", x.ARN(), "err", err)
	}
}

// flush commits pending events (up to the checkpoint's last event) and the
// checkpoint; final, when set, is the execution's end, committed with all events.
func (s *StepFunctions) flush(arn string, t *tracking, final func(*execRecord)) error {
	var commit []asl.HistoryEvent
	for _, ev := range t.pending {
		if final != nil || (t.cp != nil && ev.ID <= t.cp.LastEventID) {
			commit = append(commit, ev)
		}
	}
	bufp := eventBuffers.Get().(*[]byte)
	encoded, buf, err := encodeEvents(*bufp, commit)
	defer releaseEvents(bufp, buf)
	if err != nil {
		return err
	}
	// The record as it will be stored if nobody else changed it since the last
	// flush (the usual case), encoded before the transaction too.
	var next execRecord
	var nextRaw []byte
	if t.rec != nil {
		next = *t.rec
		advance(&next, encoded, t.cp, final)
		if nextRaw, err = next.appendJSON(make([]byte, 0, len(t.recRaw)+512)); err != nil {
			return err
		}
	}
	var rec execRecord
	var raw []byte
	err = s.db.db.Batch(func(tx *bolt.Tx) error {
		b, err := bucketPath(tx, true, executionsBucket)
		if err != nil {
			return err
		}
		stored := b.Get([]byte(arn))
		if stored == nil {
			return fmt.Errorf("execution %s is not recorded", arn)
		}
		rec, raw = next, nextRaw
		// prev is the record as stored, when it is the one this flush last
		// stored: its summary is stored too, so an unchanged one is not
		// written again.
		prev := t.rec
		if raw == nil || !bytes.Equal(stored, t.recRaw) {
			prev = nil
			rec = execRecord{}
			if err := json.Unmarshal(stored, &rec); err != nil {
				return err
			}
			advance(&rec, encoded, t.cp, final)
			if raw, err = rec.appendJSON(nil); err != nil {
				return err
			}
		}
		if err := storeHistory(tx, arn, encoded); err != nil {
			return err
		}
		if err := b.Put([]byte(arn), raw); err != nil {
			return err
		}
		if prev != nil && sameSummary(prev, &rec) {
			return nil
		}
		return putSummary(tx, &rec)
	})
	if err != nil {
		t.rec, t.recRaw = nil, nil
		return err
	}
	t.rec, t.recRaw = &rec, raw
	kept := t.pending[:0]
	for _, ev := range t.pending {
		if final == nil && (t.cp == nil || ev.ID > t.cp.LastEventID) {
			kept = append(kept, ev)
		}
	}
	t.pending = kept
	return nil
}

// encodedEvent is a history event in its stored form.
type encodedEvent struct {
	id  int64
	raw []byte
}

// encodeEvents marshals events before the transaction that stores them: the
// database has one writer, and every write waits while a transaction runs.
// They share one buffer, buf's array when it is large enough: callers give
// one from eventBuffers and put it back once the transaction has ended (bbolt
// holds the values it is given only until then).
func encodeEvents(buf []byte, events []asl.HistoryEvent) ([]encodedEvent, []byte, error) {
	if len(events) == 0 {
		return nil, buf, nil
	}
	out := make([]encodedEvent, len(events))
	ends := make([]int, len(events))
	buf = buf[:0]
	for i, ev := range events {
		var err error
		if buf, err = ev.AppendJSON(buf); err != nil {
			return nil, buf, err
		}
		ends[i] = len(buf)
	}
	start := 0
	for i, ev := range events {
		out[i] = encodedEvent{ev.ID, buf[start:ends[i]:ends[i]]}
		start = ends[i]
	}
	return out, buf, nil
}

// eventBuffers holds encodeEvents' buffers between transactions.
var eventBuffers = sync.Pool{New: func() any { return new([]byte) }}

// releaseEvents puts back a buffer encodeEvents used, unless it grew huge.
func releaseEvents(p *[]byte, buf []byte) {
	if cap(buf) <= 1<<20 {
		*p = buf[:0]
		eventBuffers.Put(p)
	}
}

// storeHistory stores events in the history of execution arn.
func storeHistory(tx *bolt.Tx, arn string, events []encodedEvent) error {
	hb, err := bucketPath(tx, true, historyBucket, arn)
	if err != nil {
		return err
	}
	for _, ev := range events {
		if err := hb.Put(eventKey(ev.id), ev.raw); err != nil {
			return err
		}
	}
	return nil
}

// advance brings an execution's record up to date with a flush: the events it
// commits, the checkpoint when there is one, then update when set.
func advance(rec *execRecord, events []encodedEvent, cp *asl.Checkpoint, update func(*execRecord)) {
	for _, ev := range events {
		rec.Events = max(rec.Events, ev.id)
	}
	if cp != nil {
		rec.Checkpoint = cp
	}
	if update != nil {
		update(rec)
	}
}

func eventKey(id int64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(id))
	return b
}

type execSummary struct {
	ExecutionArn    string `json:"executionArn"`
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Status          string `json:"status"`
	StartDate       epoch  `json:"startDate"`
	StopDate        *epoch `json:"stopDate,omitempty"`
	RedriveCount    *int64 `json:"redriveCount,omitempty"`
	RedriveDate     *epoch `json:"redriveDate,omitempty"`
}

// listKey orders executions newest first within their state machine.
func listKey(rec *execRecord) []byte {
	b := make([]byte, 8, 8+len(rec.Arn))
	binary.BigEndian.PutUint64(b, math.MaxUint64-uint64(rec.StartDate.UnixNano()))
	return append(b, rec.Arn...)
}

func putSummary(tx *bolt.Tx, rec *execRecord) error {
	// The running index lets a restart find what to resume without reading
	// every execution ever run.
	running, err := bucketPath(tx, true, runningBucket)
	if err != nil {
		return err
	}
	if rec.Status == asl.StatusRunning {
		err = running.Put([]byte(rec.Arn), nil)
	} else {
		err = running.Delete([]byte(rec.Arn))
	}
	if err != nil {
		return err
	}
	b, err := bucketPath(tx, true, listBucket, rec.MachineArn)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(summary(rec))
	return b.Put(listKey(rec), raw)
}

// sameSummary reports whether two records have the same summary and
// running-index entry.
func sameSummary(a, b *execRecord) bool {
	return a.Arn == b.Arn && a.MachineArn == b.MachineArn && a.Name == b.Name && a.Status == b.Status &&
		a.StartDate.Equal(b.StartDate) && a.StopDate.Equal(b.StopDate) &&
		a.RedriveCount == b.RedriveCount && a.RedriveDate.Equal(b.RedriveDate)
}

func summary(rec *execRecord) execSummary {
	out := execSummary{ExecutionArn: rec.Arn, StateMachineArn: rec.MachineArn, Name: rec.Name, Status: rec.Status, StartDate: epoch(rec.StartDate)}
	if !rec.StopDate.IsZero() {
		e := epoch(rec.StopDate)
		out.StopDate = &e
	}
	if rec.RedriveCount > 0 {
		n, e := rec.RedriveCount, epoch(rec.RedriveDate)
		out.RedriveCount, out.RedriveDate = &n, &e
	}
	return out
}

// epoch is a timestamp as the JSON protocols carry it: seconds since 1970.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%.3f", float64(time.Time(e).UnixNano())/1e9)), nil
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*e = epoch(time.Unix(0, int64(f*1e9)))
	return nil
}

// leave removes an ended execution from live and wakes those waiting for
// room; s.mu is held.
func (s *StepFunctions) leave(arn string) {
	delete(s.live, arn)
	s.wake()
}

// wake wakes those waiting for room; s.mu is held.
func (s *StepFunctions) wake() {
	close(s.ended)
	s.ended = make(chan struct{})
}

// waitForRoom returns once fewer than max executions run, or when ctx ends.
// EventBridge deliveries wait here: on one machine, starting every execution
// a burst of uploads asks for at once only shares the cores among them all,
// each holding its state meanwhile (10,000 uploads as fast as 32 clients go:
// RSS 1.6 GB at the heap limit, 46 ms of CPU per photo instead of ~22). The
// deliveries not yet made wait in EventBridge's durable queue.
//
// The room is reserved until the returned release is called, once the start
// has put its execution in live (or failed): otherwise every waiter woken at
// once would see the same free room and start.
func (s *StepFunctions) waitForRoom(ctx context.Context, max int) (release func(), err error) {
	s.mu.Lock()
	for len(s.live)+s.reserved >= max {
		ch := s.ended
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s.mu.Lock()
	}
	s.reserved++
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.reserved--
		s.wake()
		s.mu.Unlock()
	}, nil
}

// admit runs start, which starts one execution, once there is room under
// maxRunning; EventBridge deliveries and reconciliation start through it,
// StartExecution calls do not.
func (s *StepFunctions) admit(ctx context.Context, start func() error) error {
	if s.maxRunning > 0 {
		release, err := s.waitForRoom(ctx, s.maxRunning)
		if err != nil {
			return err
		}
		defer release()
	}
	return start()
}

// watch waits for an execution's run to end and commits the outcome.
func (s *StepFunctions) watch(x *asl.Execution) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-x.Done()
		d := x.Describe()
		arn := x.ARN()
		if d.Status == asl.StatusRunning {
			// The host is shutting down: the execution stays RUNNING on disk.
			s.mu.Lock()
			s.leave(arn)
			s.mu.Unlock()
			s.forget(arn)
			return
		}
		t := s.tracking(arn)
		t.mu.Lock()
		err := s.flush(arn, t, func(rec *execRecord) {
			rec.Status = d.Status
			rec.StopDate = d.StopDate
			rec.RedriveCount, rec.RedriveDate = d.RedriveCount, d.RedriveDate
			rec.Output, rec.Error, rec.Cause = nil, d.Error, d.Cause
			if d.Output != nil {
				o := d.Output.String()
				rec.Output = &o
			}
		})
		t.mu.Unlock()
		if err != nil {
			s.log.Error("stepfunctions: persist execution end", "execution", arn, "err", err)
		}
		s.mu.Lock()
		evict := s.live[arn] == x
		if evict {
			s.leave(arn)
		}
		s.mu.Unlock()
		if evict {
			s.forget(arn)
		}
	}()
}

func (s *StepFunctions) forget(arn string) {
	s.trackMu.Lock()
	delete(s.track, arn)
	s.trackMu.Unlock()
}

// ---- state machines ----

var nameChars = regexp.MustCompile(`^[^\s<>{}\[\]?*"#%\\^|~` + "`" + `$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$`)

func validName(n string) bool { return utf8.ValidString(n) && nameChars.MatchString(n) }

func (s *StepFunctions) machineArn(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.region, s.account, name)
}

// EnsureStateMachine creates or updates a state machine from a definition.
func (s *StepFunctions) EnsureStateMachine(name string, definition []byte) (string, error) {
	arn := s.machineArn(name)
	s.mu.Lock()
	m, exists := s.machines[arn]
	s.mu.Unlock()
	if exists && m.rec.Definition == string(definition) {
		return arn, nil
	}
	var err error
	if exists {
		body, _ := json.Marshal(map[string]string{"stateMachineArn": arn, "definition": string(definition)})
		_, err = s.updateStateMachine(nil, body)
	} else {
		body, _ := json.Marshal(map[string]string{"name": name, "definition": string(definition), "roleArn": "arn:aws:iam::" + s.account + ":role/sanitizer-sfn"})
		_, err = s.createStateMachine(nil, body)
	}
	return arn, err
}

func invalidDefinition(err error) error {
	var ve *asl.ValidationError
	if errors.As(err, &ve) {
		msgs := make([]string, 0, len(ve.Diagnostics))
		for _, d := range ve.Diagnostics {
			msgs = append(msgs, d.String())
		}
		return apiErr(http.StatusBadRequest, "InvalidDefinition", "Invalid State Machine Definition: '%s'", strings.Join(msgs, ", "))
	}
	return apiErr(http.StatusBadRequest, "InvalidDefinition", "Invalid State Machine Definition: '%v'", err)
}

// validateDefinition answers ValidateStateMachineDefinition with the
// engine's diagnostics, as AWS words them: result OK or FAIL, and the
// diagnostics of the asked severity and above, at most maxResults of them.
func validateDefinition(_ *http.Request, body []byte) (any, error) {
	var in struct {
		Definition, Type, Severity string
		MaxResults                 int
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if in.Definition == "" {
		return nil, validationErr("1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	switch in.Type {
	case "", "STANDARD", "EXPRESS":
	default:
		return nil, validationErr("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", in.Type)
	}
	switch in.Severity {
	case "", "ERROR", "WARNING":
	default:
		return nil, validationErr("1 validation error detected: Value '%s' at 'severity' failed to satisfy constraint: Member must satisfy enum value set: [ERROR, WARNING]", in.Severity)
	}
	if in.MaxResults < 0 || in.MaxResults > 100 {
		return nil, validationErr("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and 100", in.MaxResults)
	}
	if in.MaxResults == 0 {
		in.MaxResults = 100
	}
	out := struct {
		Result      string           `json:"result"`
		Diagnostics []asl.Diagnostic `json:"diagnostics"`
		Truncated   bool             `json:"truncated"`
	}{Result: "OK", Diagnostics: []asl.Diagnostic{}}
	var ve *asl.ValidationError
	if _, err := asl.Parse([]byte(in.Definition)); errors.As(err, &ve) {
		for _, d := range ve.Diagnostics {
			if d.Severity == "ERROR" {
				out.Result = "FAIL"
			}
			if in.Severity != "WARNING" && d.Severity != "ERROR" { // ERROR is the default
				continue
			}
			if len(out.Diagnostics) == in.MaxResults {
				out.Truncated = true
				break
			}
			out.Diagnostics = append(out.Diagnostics, d)
		}
	} else if err != nil {
		return nil, err
	}
	return out, nil
}

func definitionID(def string) string {
	h := sha256.Sum256([]byte(def))
	return hex.EncodeToString(h[:])
}

func (s *StepFunctions) createStateMachine(_ *http.Request, body []byte) (any, error) {
	var in struct {
		Name, Definition, RoleArn, Type string
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if !validName(in.Name) {
		return nil, apiErr(http.StatusBadRequest, "InvalidName", "Invalid Name: '%s'", in.Name)
	}
	if in.Type != "" && in.Type != "STANDARD" {
		return nil, validationErr("The local stack runs STANDARD state machines only, not %s", in.Type)
	}
	if in.RoleArn == "" {
		return nil, validationErr("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	sm, err := asl.Parse([]byte(in.Definition))
	if err != nil {
		return nil, invalidDefinition(err)
	}
	arn := s.machineArn(in.Name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.machines[arn]; old != nil {
		if old.rec.Definition == in.Definition && old.rec.RoleArn == in.RoleArn {
			return map[string]any{"stateMachineArn": arn, "creationDate": epoch(old.rec.CreationDate)}, nil
		}
		return nil, apiErr(http.StatusBadRequest, "StateMachineAlreadyExists", "State Machine Already Exists: '%s'", arn)
	}
	rec := smRecord{Name: in.Name, Arn: arn, Definition: in.Definition, RoleArn: in.RoleArn, CreationDate: s.now().UTC()}
	if err := s.saveMachine(rec); err != nil {
		return nil, err
	}
	s.machines[arn] = &machine{rec: rec, sm: sm.WithARN(arn).WithRole(rec.RoleArn)}
	return map[string]any{"stateMachineArn": arn, "creationDate": epoch(rec.CreationDate)}, nil
}

func (s *StepFunctions) saveMachine(rec smRecord) error {
	return s.db.db.Update(func(tx *bolt.Tx) error {
		if err := putJSON(tx, rec.Arn, rec, machinesBucket); err != nil {
			return err
		}
		b, err := bucketPath(tx, true, definitionsBucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(definitionID(rec.Definition)), []byte(rec.Definition))
	})
}

func (s *StepFunctions) machine(arn string) (*machine, error) {
	if !strings.HasPrefix(arn, "arn:aws:states:") || !strings.Contains(arn, ":stateMachine:") {
		return nil, apiErr(http.StatusBadRequest, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
	}
	m := s.machines[arn]
	if m == nil {
		return nil, apiErr(http.StatusBadRequest, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
	}
	return m, nil
}

func (s *StepFunctions) updateStateMachine(_ *http.Request, body []byte) (any, error) {
	var in struct{ StateMachineArn, Definition, RoleArn string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.machine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	rec := m.rec
	sm := m.sm
	if in.Definition != "" {
		parsed, err := asl.Parse([]byte(in.Definition))
		if err != nil {
			return nil, invalidDefinition(err)
		}
		rec.Definition, sm = in.Definition, parsed.WithARN(rec.Arn)
	}
	if in.RoleArn != "" {
		rec.RoleArn = in.RoleArn
	}
	sm = sm.WithRole(rec.RoleArn)
	rec.UpdateDate = s.now().UTC()
	if err := s.saveMachine(rec); err != nil {
		return nil, err
	}
	s.machines[rec.Arn] = &machine{rec: rec, sm: sm}
	return map[string]any{"updateDate": epoch(rec.UpdateDate)}, nil
}

func (s *StepFunctions) describeStateMachine(_ *http.Request, body []byte) (any, error) {
	var in struct{ StateMachineArn string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.machine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"stateMachineArn": m.rec.Arn, "name": m.rec.Name, "status": "ACTIVE",
		"definition": m.rec.Definition, "roleArn": m.rec.RoleArn, "type": "STANDARD",
		"creationDate": epoch(m.rec.CreationDate)}, nil
}

func (s *StepFunctions) listStateMachines(_ *http.Request, body []byte) (any, error) {
	var in struct {
		MaxResults int
		NextToken  string
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if in.MaxResults < 0 || in.MaxResults > 1000 {
		return nil, validationErr("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", in.MaxResults)
	}
	if in.MaxResults == 0 {
		in.MaxResults = 100
	}
	after := ""
	if in.NextToken != "" {
		cur, err := pageCursor(in.NextToken, http.StatusBadRequest, "InvalidToken")
		if err != nil {
			return nil, err
		}
		after = string(cur)
	}
	s.mu.Lock()
	var arns []string
	for arn := range s.machines {
		if arn > after {
			arns = append(arns, arn)
		}
	}
	sortStrings(arns)
	type item struct {
		StateMachineArn string `json:"stateMachineArn"`
		Name            string `json:"name"`
		Type            string `json:"type"`
		CreationDate    epoch  `json:"creationDate"`
	}
	out := struct {
		StateMachines []item `json:"stateMachines"`
		NextToken     string `json:"nextToken,omitempty"`
	}{StateMachines: []item{}}
	for _, arn := range arns {
		if len(out.StateMachines) == in.MaxResults {
			out.NextToken = pageToken([]byte(out.StateMachines[len(out.StateMachines)-1].StateMachineArn))
			break
		}
		m := s.machines[arn]
		out.StateMachines = append(out.StateMachines, item{arn, m.rec.Name, "STANDARD", epoch(m.rec.CreationDate)})
	}
	s.mu.Unlock()
	return out, nil
}
