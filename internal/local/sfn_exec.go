package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	bolt "go.etcd.io/bbolt"
)

func sortStrings(s []string) { sort.Strings(s) }

// maxPayload is Step Functions' input/output limit (256 KB of UTF-8).
const maxPayload = 262144

func (s *StepFunctions) executionArn(machineArn, name string) string {
	return strings.Replace(machineArn, ":stateMachine:", ":execution:", 1) + ":" + name
}

// objectIdentity names the S3 object version an execution input is about
// (an S3 EventBridge event or a reprocess event), or "".
func objectIdentity(input []byte) string {
	var ev struct {
		Detail struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key       string `json:"key"`
				VersionID string `json:"version-id"`
			} `json:"object"`
		} `json:"detail"`
	}
	if json.Unmarshal(input, &ev) != nil || ev.Detail.Bucket.Name == "" || ev.Detail.Object.Key == "" {
		return ""
	}
	return ev.Detail.Bucket.Name + "\x00" + ev.Detail.Object.Key + "\x00" + ev.Detail.Object.VersionID
}

func objectKey(bucket, key, version string) string { return bucket + "\x00" + key + "\x00" + version }

// StartResult is what StartExecution answers.
type StartResult struct {
	ExecutionArn string `json:"executionArn"`
	StartDate    epoch  `json:"startDate"`
}

// Start starts an execution (StartExecution). An empty name gets a UUID.
func (s *StepFunctions) Start(machineArn, name string, input []byte) (StartResult, error) {
	return s.start(machineArn, name, input, false)
}

// StartUnlessProcessed starts an execution for an object version only when no
// execution for that version exists or is being started (reconcile).
func (s *StepFunctions) StartUnlessProcessed(machineArn string, input []byte) (bool, error) {
	_, err := s.start(machineArn, "", input, true)
	if errors.Is(err, errAlreadyProcessed) {
		return false, nil
	}
	return err == nil, err
}

var errAlreadyProcessed = errors.New("object version already has an execution")

func (s *StepFunctions) start(machineArn, name string, input []byte, onlyNew bool) (StartResult, error) {
	if len(bytes.TrimSpace(input)) == 0 {
		input = []byte("{}")
	}
	if len(input) > maxPayload {
		return StartResult{}, apiErr(http.StatusBadRequest, "InvalidExecutionInput", "Input size exceeds the maximum of %d bytes", maxPayload)
	}
	var probe any
	if err := json.Unmarshal(input, &probe); err != nil {
		return StartResult{}, apiErr(http.StatusBadRequest, "InvalidExecutionInput", "Invalid State Machine Execution Input: '%v'", err)
	}
	generated := name == ""
	if generated {
		name = newUUID()
	}
	if !validName(name) {
		return StartResult{}, apiErr(http.StatusBadRequest, "InvalidName", "Invalid Name: '%s'", name)
	}
	obj := objectIdentity(input)

	s.mu.Lock()
	m, err := s.machine(machineArn)
	if err != nil {
		s.mu.Unlock()
		return StartResult{}, err
	}
	arn := s.executionArn(machineArn, name)
	if s.starting[arn] {
		s.mu.Unlock()
		return StartResult{}, apiErr(http.StatusBadRequest, "ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	var existing execRecord
	var found, processed bool
	err = s.db.db.View(func(tx *bolt.Tx) error {
		var err error
		if found, err = getJSON(tx, arn, &existing, executionsBucket); err != nil {
			return err
		}
		if onlyNew && obj != "" {
			b, _ := bucketPath(tx, false, objectIndex)
			processed = b != nil && b.Get([]byte(obj)) != nil
		}
		return nil
	})
	if err != nil {
		s.mu.Unlock()
		return StartResult{}, err
	}
	if onlyNew && (processed || s.objects[obj]) {
		s.mu.Unlock()
		return StartResult{}, errAlreadyProcessed
	}
	if found {
		x := s.live[arn]
		s.mu.Unlock()
		if x != nil {
			existing.Status = x.Describe().Status
		}
		// Idempotent for a RUNNING execution started with the same input (Standard).
		if existing.Status == asl.StatusRunning && jsonEqualBytes([]byte(existing.Input), input) {
			return StartResult{ExecutionArn: arn, StartDate: epoch(existing.StartDate)}, nil
		}
		return StartResult{}, apiErr(http.StatusBadRequest, "ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	s.starting[arn] = true
	if obj != "" {
		s.objects[obj] = true
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.starting, arn)
		delete(s.objects, obj)
		s.mu.Unlock()
	}()

	// Record the execution before it runs, so a crash cannot lose it: with
	// its ExecutionStarted event and first checkpoint, which Prepare gave the
	// observer, in the same write.
	t := s.tracking(arn)
	x, err := s.engine.Prepare(m.sm, name, input)
	if err != nil {
		s.forget(arn)
		return StartResult{}, apiErr(http.StatusBadRequest, "InvalidExecutionInput", "%v", err)
	}
	rec := execRecord{Arn: arn, MachineArn: machineArn, Name: name, Status: asl.StatusRunning,
		StartDate: s.now().UTC(), Input: string(input), Definition: definitionID(m.rec.Definition), RoleArn: m.rec.RoleArn}
	t.mu.Lock()
	encoded, _, err := encodeEvents(nil, t.pending)
	var raw []byte
	if err == nil {
		advance(&rec, encoded, t.cp, nil)
		raw, err = rec.appendJSON(nil)
	}
	if err == nil {
		err = s.db.db.Batch(func(tx *bolt.Tx) error {
			b, err := bucketPath(tx, true, executionsBucket)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(arn), raw); err != nil {
				return err
			}
			if obj != "" {
				b, err := bucketPath(tx, true, objectIndex)
				if err != nil {
					return err
				}
				if err := b.Put([]byte(obj), []byte(arn)); err != nil {
					return err
				}
			}
			if err := storeHistory(tx, arn, encoded); err != nil {
				return err
			}
			return putSummary(tx, &rec)
		})
	}
	if err != nil {
		t.mu.Unlock()
		s.forget(arn)
		return StartResult{}, err
	}
	t.registered, t.pending = true, nil
	t.rec, t.recRaw = &rec, raw
	t.mu.Unlock()
	s.mu.Lock()
	s.live[arn] = x
	s.mu.Unlock()
	x.Run(s.ctx)
	s.watch(x)
	return StartResult{ExecutionArn: arn, StartDate: epoch(rec.StartDate)}, nil
}

// register commits the execution's first checkpoint and marks it so later
// checkpoints are committed as they come (an execution Start runs at once).
func (s *StepFunctions) register(x *asl.Execution, t *tracking, start time.Time) {
	cp := x.Checkpoint()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cp == nil || t.cp.LastEventID < cp.LastEventID {
		t.cp = &cp
	}
	t.registered = true
	if err := s.flush(x.ARN(), t, nil); err != nil {
		s.log.Error("stepfunctions: persist start", "execution", x.ARN(), "err", err)
	}
}

func jsonEqualBytes(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

func (s *StepFunctions) startExecution(_ *http.Request, body []byte) (any, error) {
	var in struct {
		StateMachineArn, Name, Input, TraceHeader string
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	return s.Start(in.StateMachineArn, in.Name, []byte(in.Input))
}

func checkExecutionArn(arn string) error {
	if !strings.HasPrefix(arn, "arn:aws:states:") || !strings.Contains(arn, ":execution:") {
		return apiErr(http.StatusBadRequest, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
	}
	return nil
}

// record reads an execution as currently known: live state first, then disk.
func (s *StepFunctions) record(arn string) (*execRecord, *asl.Execution, error) {
	if err := checkExecutionArn(arn); err != nil {
		return nil, nil, err
	}
	var rec execRecord
	var found bool
	err := s.db.db.View(func(tx *bolt.Tx) (err error) {
		found, err = getJSON(tx, arn, &rec, executionsBucket)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, apiErr(http.StatusBadRequest, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
	}
	s.mu.Lock()
	x := s.live[arn]
	s.mu.Unlock()
	if x != nil {
		d := x.Describe()
		rec.Status, rec.StopDate, rec.Error, rec.Cause = d.Status, d.StopDate, d.Error, d.Cause
		rec.RedriveCount, rec.RedriveDate = d.RedriveCount, d.RedriveDate
		rec.Output = nil
		if d.Output != nil {
			o := d.Output.String()
			rec.Output = &o
		}
	}
	return &rec, x, nil
}

func (s *StepFunctions) describeExecution(_ *http.Request, body []byte) (any, error) {
	var in struct{ ExecutionArn string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	rec, _, err := s.record(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"executionArn": rec.Arn, "stateMachineArn": rec.MachineArn, "name": rec.Name, "status": rec.Status,
		"startDate": epoch(rec.StartDate), "input": rec.Input, "inputDetails": map[string]bool{"included": true},
		"redriveCount": rec.RedriveCount,
	}
	if !rec.StopDate.IsZero() {
		out["stopDate"] = epoch(rec.StopDate)
	}
	if rec.Output != nil {
		out["output"] = *rec.Output
		out["outputDetails"] = map[string]bool{"included": true}
	}
	if rec.Error != nil {
		out["error"] = *rec.Error
	}
	if rec.Cause != nil {
		out["cause"] = *rec.Cause
	}
	if !rec.RedriveDate.IsZero() {
		out["redriveDate"] = epoch(rec.RedriveDate)
	}
	switch rec.Status {
	case asl.StatusFailed, asl.StatusAborted, asl.StatusTimedOut:
		out["redriveStatus"] = "REDRIVABLE"
	case asl.StatusSucceeded:
		out["redriveStatus"] = "NOT_REDRIVABLE"
		out["redriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
	default:
		out["redriveStatus"] = "NOT_REDRIVABLE"
		out["redriveStatusReason"] = "Execution is RUNNING and cannot be redriven"
	}
	return out, nil
}

var validStatus = map[string]bool{"RUNNING": true, "SUCCEEDED": true, "FAILED": true, "TIMED_OUT": true, "ABORTED": true, "PENDING_REDRIVE": true}

func (s *StepFunctions) listExecutions(_ *http.Request, body []byte) (any, error) {
	var in struct {
		StateMachineArn, StatusFilter, NextToken, RedriveFilter string
		MaxResults                                              int
	}
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if in.StatusFilter != "" && !validStatus[in.StatusFilter] {
		return nil, validationErr("1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]", in.StatusFilter)
	}
	if in.StatusFilter == "PENDING_REDRIVE" {
		// Only a Map Run's child executions are pending redrive, and this
		// stack lists a state machine's executions only.
		return nil, validationErr("The PENDING_REDRIVE statusFilter can only be used with a mapRunArn")
	}
	if in.RedriveFilter != "" && in.RedriveFilter != "REDRIVEN" && in.RedriveFilter != "NOT_REDRIVEN" {
		return nil, validationErr("1 validation error detected: Value '%s' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]", in.RedriveFilter)
	}
	if in.MaxResults < 0 || in.MaxResults > 1000 {
		return nil, validationErr("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", in.MaxResults)
	}
	if in.MaxResults == 0 {
		in.MaxResults = 100
	}
	s.mu.Lock()
	_, err := s.machine(in.StateMachineArn)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := struct {
		Executions []execSummary `json:"executions"`
		NextToken  string        `json:"nextToken,omitempty"`
	}{Executions: []execSummary{}}
	// Live executions may have moved on since their summary was committed.
	// Read them before opening the transaction: an execution's lock can be held
	// by a commit that waits for read transactions to end.
	var after []byte
	if in.NextToken != "" {
		if after, err = pageCursor(in.NextToken, http.StatusBadRequest, "InvalidToken"); err != nil {
			return nil, err
		}
	}
	live := s.liveDescriptions()
	err = s.db.db.View(func(tx *bolt.Tx) error {
		b, _ := bucketPath(tx, false, listBucket, in.StateMachineArn)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.First()
		if after != nil {
			k, v = c.Seek(after)
			if k != nil && string(k) == string(after) {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			var sum execSummary
			if err := json.Unmarshal(v, &sum); err != nil {
				return err
			}
			if d, ok := live[sum.ExecutionArn]; ok {
				sum.Status = d.Status
				if !d.StopDate.IsZero() {
					e := epoch(d.StopDate)
					sum.StopDate = &e
				}
			}
			if in.StatusFilter != "" && sum.Status != in.StatusFilter {
				continue
			}
			if redriven := sum.RedriveCount != nil && *sum.RedriveCount > 0; in.RedriveFilter == "REDRIVEN" && !redriven || in.RedriveFilter == "NOT_REDRIVEN" && redriven {
				continue
			}
			if len(out.Executions) == in.MaxResults {
				out.NextToken = pageToken(prevKey(c))
				break
			}
			out.Executions = append(out.Executions, sum)
		}
		return nil
	})
	return out, err
}

func (s *StepFunctions) liveDescriptions() map[string]asl.Description {
	s.mu.Lock()
	xs := make([]*asl.Execution, 0, len(s.live))
	for _, x := range s.live {
		xs = append(xs, x)
	}
	s.mu.Unlock()
	out := make(map[string]asl.Description, len(xs))
	for _, x := range xs {
		out[x.ARN()] = x.Describe()
	}
	return out
}

// prevKey steps the cursor back one and returns that key (the last one listed).
func prevKey(c *bolt.Cursor) []byte {
	k, _ := c.Prev()
	return append([]byte(nil), k...)
}

func (s *StepFunctions) history(arn string, x *asl.Execution) ([]json.RawMessage, error) {
	var out []json.RawMessage
	if x != nil {
		for _, ev := range x.History() {
			raw, err := ev.MarshalJSON() // not json.Marshal: it would re-scan the event's payloads to compact them
			if err != nil {
				return nil, err
			}
			out = append(out, raw)
		}
		return out, nil
	}
	err := s.db.db.View(func(tx *bolt.Tx) error {
		b, _ := bucketPath(tx, false, historyBucket, arn)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			out = append(out, append(json.RawMessage(nil), v...))
			return nil
		})
	})
	return out, err
}

func (s *StepFunctions) getExecutionHistory(_ *http.Request, body []byte) (any, error) {
	var in struct {
		ExecutionArn, NextToken string
		MaxResults              int
		ReverseOrder            bool
		IncludeExecutionData    *bool
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
	_, x, err := s.record(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	events, err := s.history(in.ExecutionArn, x)
	if err != nil {
		return nil, err
	}
	if in.ReverseOrder {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	start := 0
	if in.NextToken != "" {
		cur, err := pageCursor(in.NextToken, http.StatusBadRequest, "InvalidToken")
		if err != nil {
			return nil, err
		}
		if n, err := strconv.Atoi(string(cur)); err != nil || n < 0 || n > len(events) {
			return nil, apiErr(http.StatusBadRequest, "InvalidToken", "Invalid Token: '%s'", in.NextToken)
		} else {
			start = n
		}
	}
	end := min(start+in.MaxResults, len(events))
	out := map[string]any{"events": events[start:end]}
	if end < len(events) {
		out["nextToken"] = pageToken([]byte(strconv.Itoa(end)))
	}
	if in.IncludeExecutionData != nil && !*in.IncludeExecutionData {
		out["events"] = withoutData(events[start:end])
	}
	return out, nil
}

// withoutData drops inputs and outputs from events (includeExecutionData=false).
func withoutData(events []json.RawMessage) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(events))
	for _, raw := range events {
		var ev map[string]any
		if json.Unmarshal(raw, &ev) != nil {
			out = append(out, raw)
			continue
		}
		for k, v := range ev {
			if d, ok := v.(map[string]any); ok && strings.HasSuffix(k, "EventDetails") {
				for _, f := range []string{"input", "output", "parameters"} {
					if _, has := d[f]; has {
						delete(d, f)
						d[f+"Details"] = map[string]bool{"included": false}
					}
				}
			}
		}
		b, _ := json.Marshal(ev)
		out = append(out, b)
	}
	return out
}

func (s *StepFunctions) stopExecution(_ *http.Request, body []byte) (any, error) {
	var in struct{ ExecutionArn, Error, Cause string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	if len(in.Error) > 256 || len(in.Cause) > 32768 {
		return nil, validationErr("error or cause too long")
	}
	rec, x, err := s.record(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if x == nil || rec.Status != asl.StatusRunning {
		return nil, validationErr("Execution is not running: '%s' is %s", in.ExecutionArn, rec.Status)
	}
	if err := x.Stop(in.Error, in.Cause); err != nil && !errors.Is(err, asl.ErrNotRunning) {
		return nil, err
	}
	return map[string]any{"stopDate": epoch(x.Describe().StopDate)}, nil
}

func (s *StepFunctions) redriveExecution(_ *http.Request, body []byte) (any, error) {
	var in struct{ ExecutionArn, ClientToken string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	date, err := s.Redrive(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"redriveDate": epoch(date)}, nil
}

// Redrive restarts a FAILED, ABORTED or TIMED_OUT execution from the state that
// did not complete, with the definition it ran, keeping its ARN and history.
func (s *StepFunctions) Redrive(arn string) (time.Time, error) {
	rec, x, err := s.record(arn)
	if err != nil {
		return time.Time{}, err
	}
	switch rec.Status {
	case asl.StatusFailed, asl.StatusAborted, asl.StatusTimedOut:
	default:
		return time.Time{}, apiErr(http.StatusBadRequest, "ExecutionNotRedrivable", "Execution is %s and cannot be redriven: '%s'", rec.Status, arn)
	}
	if x != nil {
		// Wait for the end of the run to be committed before reopening it.
		<-x.Done()
		s.waitEvicted(arn)
		if rec, _, err = s.record(arn); err != nil {
			return time.Time{}, err
		}
	}
	if rec.Checkpoint == nil {
		return time.Time{}, apiErr(http.StatusBadRequest, "ExecutionNotRedrivable", "Execution has no state to redrive from: '%s'", arn)
	}
	sm, err := s.definitionFor(rec)
	if err != nil {
		return time.Time{}, err
	}
	history, err := s.storedHistory(arn)
	if err != nil {
		return time.Time{}, err
	}
	// Mark it running before the engine records ExecutionRedriven, so the end
	// of the new run (committed by watch) is never overwritten by this update.
	now := s.now().UTC()
	prev := *rec
	if err := s.flushEvents(arn, nil, func(r *execRecord) {
		r.Status, r.StopDate, r.Output, r.Error, r.Cause = asl.StatusRunning, time.Time{}, nil, nil, nil
		r.RedriveCount, r.RedriveDate = rec.RedriveCount+1, now
	}); err != nil {
		return time.Time{}, err
	}
	t := s.tracking(arn)
	t.mu.Lock()
	t.pending, t.cp, t.registered = nil, nil, true
	t.mu.Unlock()
	nx, err := s.engine.RedriveStored(s.ctx, sm, *rec.Checkpoint, history)
	if err != nil {
		s.flushEvents(arn, nil, func(r *execRecord) {
			r.Status, r.StopDate, r.Output, r.Error, r.Cause = prev.Status, prev.StopDate, prev.Output, prev.Error, prev.Cause
			r.RedriveCount, r.RedriveDate = prev.RedriveCount, prev.RedriveDate
		})
		s.forget(arn)
		var re *asl.RedriveError
		if errors.As(err, &re) {
			return time.Time{}, apiErr(http.StatusBadRequest, "ExecutionNotRedrivable", "Execution cannot be redriven: %s", re.Reason)
		}
		return time.Time{}, err
	}
	s.mu.Lock()
	s.live[arn] = nx
	s.mu.Unlock()
	s.watch(nx)
	return now, nil
}

func (s *StepFunctions) waitEvicted(arn string) {
	for i := 0; i < 500; i++ {
		s.mu.Lock()
		_, live := s.live[arn]
		s.mu.Unlock()
		if !live {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// flushEvents commits events and a record update in one transaction.
func (s *StepFunctions) flushEvents(arn string, events []asl.HistoryEvent, update func(*execRecord)) error {
	encoded, _, err := encodeEvents(nil, events)
	if err != nil {
		return err
	}
	return s.db.db.Update(func(tx *bolt.Tx) error {
		var rec execRecord
		if _, err := getJSON(tx, arn, &rec, executionsBucket); err != nil {
			return err
		}
		if err := storeHistory(tx, arn, encoded); err != nil {
			return err
		}
		advance(&rec, encoded, nil, update)
		if err := putJSON(tx, arn, rec, executionsBucket); err != nil {
			return err
		}
		return putSummary(tx, &rec)
	})
}

func (s *StepFunctions) storedHistory(arn string) ([]asl.HistoryEvent, error) {
	raws, err := s.history(arn, nil)
	if err != nil {
		return nil, err
	}
	out := make([]asl.HistoryEvent, 0, len(raws))
	for _, raw := range raws {
		var ev asl.HistoryEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("history of %s: %w", arn, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// definitionFor returns the definition an execution started with.
func (s *StepFunctions) definitionFor(rec *execRecord) (*asl.StateMachine, error) {
	key := rec.Definition + "\x00" + rec.MachineArn + "\x00" + rec.RoleArn
	s.mu.Lock()
	cached := s.parsed[key]
	s.mu.Unlock()
	if cached != nil {
		return cached, nil
	}
	def, err := s.definitionText(rec)
	if err != nil {
		return nil, err
	}
	sm, err := asl.Parse(def)
	if err != nil {
		return nil, err
	}
	sm = sm.WithARN(rec.MachineArn).WithRole(rec.RoleArn)
	s.mu.Lock()
	s.parsed[key] = sm
	s.mu.Unlock()
	return sm, nil
}

// definitionText returns the text of the definition an execution started with.
func (s *StepFunctions) definitionText(rec *execRecord) ([]byte, error) {
	var def []byte
	err := s.db.db.View(func(tx *bolt.Tx) error {
		b, _ := bucketPath(tx, false, definitionsBucket)
		if b != nil {
			def = append([]byte(nil), b.Get([]byte(rec.Definition))...)
		}
		return nil
	})
	if err == nil && def == nil {
		err = fmt.Errorf("definition of %s is missing", rec.Arn)
	}
	return def, err
}

// describeStateMachineForExecution answers with the state machine as the
// execution ran it: the definition it started with, even after an update.
func (s *StepFunctions) describeStateMachineForExecution(_ *http.Request, body []byte) (any, error) {
	var in struct{ ExecutionArn string }
	if err := decodeInput(body, &in); err != nil {
		return nil, err
	}
	rec, _, err := s.record(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	def, err := s.definitionText(rec)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	m, err := s.machine(rec.MachineArn)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	updated := m.rec.CreationDate
	if !m.rec.UpdateDate.IsZero() {
		updated = m.rec.UpdateDate
	}
	return map[string]any{"stateMachineArn": m.rec.Arn, "name": m.rec.Name, "definition": string(def),
		"roleArn": m.rec.RoleArn, "updateDate": epoch(updated)}, nil
}

// ResumeAll continues every execution that was RUNNING when the stack stopped.
func (s *StepFunctions) ResumeAll() (int, error) {
	var running []execRecord
	err := s.db.db.View(func(tx *bolt.Tx) error {
		idx, _ := bucketPath(tx, false, runningBucket)
		if idx == nil {
			return nil
		}
		return idx.ForEach(func(arn, _ []byte) error {
			var rec execRecord
			found, err := getJSON(tx, string(arn), &rec, executionsBucket)
			if err != nil {
				return err
			}
			if found && rec.Status == asl.StatusRunning {
				running = append(running, rec)
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	// Read every history before launching any execution: resumed executions
	// compete for the CPU at once, and would slow the reads of the rest.
	histories := make([][]asl.HistoryEvent, len(running))
	for i := range running {
		if running[i].Checkpoint != nil {
			histories[i], _ = s.storedHistory(running[i].Arn)
		}
	}
	n := 0
	for i := range running {
		rec := &running[i]
		if err := s.resume(rec, histories[i]); err != nil {
			s.log.Error("stepfunctions: resume failed", "execution", rec.Arn, "err", err)
			msg, cause := "States.Runtime", "The local stack could not resume this execution: "+err.Error()
			s.flushEvents(rec.Arn, nil, func(r *execRecord) {
				r.Status, r.StopDate, r.Error, r.Cause = asl.StatusFailed, s.now().UTC(), &msg, &cause
			})
			// A crash before the first checkpoint leaves nothing to resume, but
			// the event was accepted: run its input again in a new execution
			// (the steps are idempotent), or the upload would be lost.
			if rec.Checkpoint == nil {
				if _, err := s.Start(rec.MachineArn, "", []byte(rec.Input)); err != nil {
					s.log.Error("stepfunctions: restart failed", "execution", rec.Arn, "err", err)
				} else {
					n++
				}
			}
			continue
		}
		n++
	}
	return n, nil
}

// resume continues one execution; history is its stored history (read here
// when nil).
func (s *StepFunctions) resume(rec *execRecord, history []asl.HistoryEvent) error {
	sm, err := s.definitionFor(rec)
	if err != nil {
		return err
	}
	if rec.Checkpoint == nil {
		// The stack stopped between recording the execution and committing its
		// first checkpoint: nothing ran that history shows, so run it from the start.
		return s.restart(rec, sm)
	}
	if history == nil {
		if history, err = s.storedHistory(rec.Arn); err != nil {
			return err
		}
	}
	cp := *rec.Checkpoint
	if int64(len(history)) < cp.LastEventID {
		return fmt.Errorf("history has %d events, checkpoint needs %d", len(history), cp.LastEventID)
	}
	history = history[:cp.LastEventID]
	t := s.tracking(rec.Arn)
	t.mu.Lock()
	t.pending, t.cp, t.registered = nil, &cp, true
	t.mu.Unlock()
	x, err := s.engine.Resume(s.ctx, sm, cp, history)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.live[rec.Arn] = x
	s.mu.Unlock()
	s.watch(x)
	return nil
}

// restart runs a recorded execution from its first state under its own name.
func (s *StepFunctions) restart(rec *execRecord, sm *asl.StateMachine) error {
	if err := s.db.db.Update(func(tx *bolt.Tx) error {
		if b, _ := bucketPath(tx, false, historyBucket); b != nil && b.Bucket([]byte(rec.Arn)) != nil {
			return b.DeleteBucket([]byte(rec.Arn))
		}
		return nil
	}); err != nil {
		return err
	}
	t := s.tracking(rec.Arn)
	x, err := s.engine.Start(s.ctx, sm, rec.Name, []byte(rec.Input))
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.live[rec.Arn] = x
	s.mu.Unlock()
	s.register(x, t, rec.StartDate)
	s.watch(x)
	return nil
}

// HasExecutionFor reports whether any execution exists for an object version.
func (s *StepFunctions) HasExecutionFor(bucket, key, version string) (bool, error) {
	var ok bool
	err := s.db.db.View(func(tx *bolt.Tx) error {
		b, _ := bucketPath(tx, false, objectIndex)
		ok = b != nil && b.Get([]byte(objectKey(bucket, key, version))) != nil
		return nil
	})
	return ok, err
}

// withoutExecution keeps the object versions that no execution is for.
func (s *StepFunctions) withoutExecution(cs []Change) ([]Change, error) {
	var out []Change
	err := s.db.db.View(func(tx *bolt.Tx) error {
		b, _ := bucketPath(tx, false, objectIndex)
		for _, c := range cs {
			if b == nil || b.Get([]byte(objectKey(c.Bucket, c.Key, c.VersionID))) == nil {
				out = append(out, c)
			}
		}
		return nil
	})
	return out, err
}

// wait blocks until watchers finished committing (used by Close).
func (s *StepFunctions) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
