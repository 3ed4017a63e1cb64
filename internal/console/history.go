package console

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
)

// step is one visit of a state, reconstructed from the history: what went in, what came
// out, how many attempts, and how it ended.
type step struct {
	Name     string
	Type     string // from the event type: Task, Pass, Choice, Fail...
	Status   string // running, succeeded, failed, caught, aborted
	Entered  time.Time
	Exited   time.Time
	Duration string
	Input    string // pretty JSON
	Output   string
	Attempts int
	Error    string
	Cause    string
	Audit    []audit.Record
}

// timelineEvent is one history event as the timeline shows it.
type timelineEvent struct {
	ID, PreviousID int64
	Type           string
	State          string
	Elapsed        string
	Time           string
	Failure        bool
	Details        string // pretty JSON of the event's details object
}

// readHistory turns history events into steps (in the order states were entered), each
// top-level state's latest status for the graph, and timeline rows.
func readHistory(events []types.HistoryEvent) (steps []*step, status map[string]string, timeline []timelineEvent) {
	status = map[string]string{}
	// open holds the states entered and not yet left, innermost last: a Parallel or
	// Map state stays open while its branches' states come and go.
	var open []*step
	top := func() *step {
		if len(open) == 0 {
			return nil
		}
		return open[len(open)-1]
	}
	set := func(s *step, st string) {
		s.Status = st
		status[s.Name] = st
	}
	var start time.Time
	for _, ev := range events {
		t := string(ev.Type)
		ts := aws.ToTime(ev.Timestamp)
		if start.IsZero() {
			start = ts
		}
		row := timelineEvent{ID: ev.Id, PreviousID: ev.PreviousEventId, Type: t, Time: ts.UTC().Format("15:04:05.000"), Elapsed: "+" + duration(ts.Sub(start))}
		row.Details = eventDetails(ev)

		switch {
		case ev.StateEnteredEventDetails != nil:
			d := ev.StateEnteredEventDetails
			// Failed states that never exited, yet the execution moves on: a Catch took
			// the outermost of them (histories need not hold a StateExited for it).
			var caught *step
			for s := top(); s != nil && s.Status == "failed"; s = top() {
				s.Exited, s.Duration = ts, duration(ts.Sub(s.Entered))
				open, caught = open[:len(open)-1], s
			}
			if caught != nil {
				set(caught, "caught")
			}
			s := &step{Name: aws.ToString(d.Name), Type: strings.TrimSuffix(t, "StateEntered"), Entered: ts, Input: prettyJSON(aws.ToString(d.Input))}
			steps, open = append(steps, s), append(open, s)
			set(s, "running")
			if s.Type == "Fail" {
				set(s, "failed")
			}
		case ev.StateExitedEventDetails != nil:
			name := aws.ToString(ev.StateExitedEventDetails.Name)
			for i := len(open) - 1; i >= 0; i-- {
				s := open[i]
				if s.Name != name {
					continue
				}
				s.Exited, s.Duration = ts, duration(ts.Sub(s.Entered))
				s.Output = prettyJSON(aws.ToString(ev.StateExitedEventDetails.Output))
				if s.Status == "failed" {
					set(s, "caught") // it failed, and a Catch moved on
				} else {
					set(s, "succeeded")
				}
				open = append(open[:i:i], open[i+1:]...)
				break
			}
		case isScheduled(t):
			if s := top(); s != nil {
				s.Attempts++
				if s.Status == "failed" {
					set(s, "running") // a retry
				}
			}
		case t == "ParallelStateFailed" || t == "MapStateFailed":
			// The branch or iteration that failed is already marked; mark the state.
			kind := strings.TrimSuffix(t, "StateFailed")
			for i := len(open) - 1; i >= 0; i-- {
				if open[i].Type == kind {
					set(open[i], "failed")
					break
				}
			}
		}
		if errName, cause, ok := failureOf(ev); ok {
			row.Failure = true
			if s := top(); s != nil {
				execLevel := strings.HasPrefix(t, "Execution")
				// A state's own failure names its error; the execution's ending only fills
				// in a state that was still running (aborted, timed out) or has none.
				if !execLevel || s.Error == "" {
					s.Error, s.Cause = errName, cause
				}
				switch {
				case t == "ExecutionAborted" && s.Status == "running":
					set(s, "aborted")
				case !execLevel || s.Status == "running":
					set(s, "failed")
				}
			}
		}
		if row.State = stateOf(ev); row.State == "" && top() != nil {
			row.State = top().Name
		}
		timeline = append(timeline, row)
		if strings.HasPrefix(t, "Execution") && row.Failure {
			open = nil // the execution ended here; a redrive enters the state anew
		}
	}
	return steps, status, timeline
}

func isScheduled(t string) bool {
	return t == "TaskScheduled" || t == "LambdaFunctionScheduled" || t == "ActivityScheduled"
}

// failureOf returns the error and cause of a failure event of any kind.
func failureOf(ev types.HistoryEvent) (string, string, bool) {
	switch {
	case ev.TaskFailedEventDetails != nil:
		return aws.ToString(ev.TaskFailedEventDetails.Error), aws.ToString(ev.TaskFailedEventDetails.Cause), true
	case ev.TaskTimedOutEventDetails != nil:
		return aws.ToString(ev.TaskTimedOutEventDetails.Error), aws.ToString(ev.TaskTimedOutEventDetails.Cause), true
	case ev.TaskStartFailedEventDetails != nil:
		return aws.ToString(ev.TaskStartFailedEventDetails.Error), aws.ToString(ev.TaskStartFailedEventDetails.Cause), true
	case ev.TaskSubmitFailedEventDetails != nil:
		return aws.ToString(ev.TaskSubmitFailedEventDetails.Error), aws.ToString(ev.TaskSubmitFailedEventDetails.Cause), true
	case ev.LambdaFunctionFailedEventDetails != nil:
		return aws.ToString(ev.LambdaFunctionFailedEventDetails.Error), aws.ToString(ev.LambdaFunctionFailedEventDetails.Cause), true
	case ev.LambdaFunctionTimedOutEventDetails != nil:
		return aws.ToString(ev.LambdaFunctionTimedOutEventDetails.Error), aws.ToString(ev.LambdaFunctionTimedOutEventDetails.Cause), true
	case ev.LambdaFunctionStartFailedEventDetails != nil:
		return aws.ToString(ev.LambdaFunctionStartFailedEventDetails.Error), aws.ToString(ev.LambdaFunctionStartFailedEventDetails.Cause), true
	case ev.LambdaFunctionScheduleFailedEventDetails != nil:
		return aws.ToString(ev.LambdaFunctionScheduleFailedEventDetails.Error), aws.ToString(ev.LambdaFunctionScheduleFailedEventDetails.Cause), true
	case ev.ActivityFailedEventDetails != nil:
		return aws.ToString(ev.ActivityFailedEventDetails.Error), aws.ToString(ev.ActivityFailedEventDetails.Cause), true
	case ev.EvaluationFailedEventDetails != nil:
		return aws.ToString(ev.EvaluationFailedEventDetails.Error), aws.ToString(ev.EvaluationFailedEventDetails.Cause), true
	case ev.ExecutionFailedEventDetails != nil:
		return aws.ToString(ev.ExecutionFailedEventDetails.Error), aws.ToString(ev.ExecutionFailedEventDetails.Cause), true
	case ev.ExecutionTimedOutEventDetails != nil:
		return aws.ToString(ev.ExecutionTimedOutEventDetails.Error), aws.ToString(ev.ExecutionTimedOutEventDetails.Cause), true
	case ev.ExecutionAbortedEventDetails != nil:
		return aws.ToString(ev.ExecutionAbortedEventDetails.Error), aws.ToString(ev.ExecutionAbortedEventDetails.Cause), true
	}
	switch ev.Type {
	case types.HistoryEventTypeExecutionFailed, types.HistoryEventTypeExecutionAborted, types.HistoryEventTypeExecutionTimedOut,
		types.HistoryEventTypeTaskFailed, types.HistoryEventTypeLambdaFunctionFailed:
		return "", "", true
	}
	return "", "", false
}

func stateOf(ev types.HistoryEvent) string {
	if d := ev.StateEnteredEventDetails; d != nil {
		return aws.ToString(d.Name)
	}
	if d := ev.StateExitedEventDetails; d != nil {
		return aws.ToString(d.Name)
	}
	return ""
}

// eventDetails renders the event's details object(s) as pretty JSON, with embedded JSON
// strings (input, output, cause, parameters) expanded so they read as JSON.
func eventDetails(ev types.HistoryEvent) string {
	b, err := json.Marshal(ev)
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	out := map[string]any{}
	for k, v := range m {
		if v == nil || !strings.HasSuffix(k, "Details") {
			continue
		}
		if d, ok := v.(map[string]any); ok {
			for dk, dv := range d {
				switch {
				case dv == nil:
					delete(d, dk)
				case isString(dv):
					s := dv.(string)
					var inner any
					if (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) && json.Unmarshal([]byte(s), &inner) == nil {
						d[dk] = inner
					}
				}
			}
		}
		out[k] = v
	}
	if len(out) == 0 {
		return ""
	}
	pb, _ := json.MarshalIndent(out, "", "  ")
	return string(pb)
}

func isString(v any) bool { _, ok := v.(string); return ok }

// prettyJSON indents JSON text, or returns it as is when it is not JSON.
func prettyJSON(s string) string {
	if s == "" {
		return ""
	}
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}

// stepKey normalises a state or audit step name so "RecordFailure", "record-failure"
// and "record_failure" match.
func stepKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// attachAudit gives each step the audit records written for it.
func attachAudit(steps []*step, recs []audit.Record) (unmatched []audit.Record) {
	byName := map[string]*step{}
	for _, s := range steps {
		byName[stepKey(s.Name)] = s // a later visit (redrive) wins; records carry attempts
	}
	for _, r := range recs {
		if s, ok := byName[stepKey(r.Step)]; ok {
			s.Audit = append(s.Audit, r)
			continue
		}
		unmatched = append(unmatched, r)
	}
	return unmatched
}
