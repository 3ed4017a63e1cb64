package console

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func TestReadHistoryRetryThenSuccess(t *testing.T) {
	h := &historyBuilder{t: time.Unix(0, 0)}
	h.add(types.HistoryEventTypeExecutionStarted, nil)
	h.task("Strip", `{"a":1}`, `{"b":2}`, 2, "TransientS3", "503 Slow Down", true)
	steps, status, timeline := readHistory(h.events)
	if len(steps) != 1 {
		t.Fatalf("steps %d", len(steps))
	}
	s := steps[0]
	if s.Status != "succeeded" || status["Strip"] != "succeeded" || s.Attempts != 3 {
		t.Errorf("step %+v", s)
	}
	if s.Error != "TransientS3" {
		t.Errorf("the retried error is kept for the page: %q", s.Error)
	}
	if s.Input != "{\n  \"a\": 1\n}" || s.Output != "{\n  \"b\": 2\n}" {
		t.Errorf("input/output not pretty: %q %q", s.Input, s.Output)
	}
	fails := 0
	for _, e := range timeline {
		if e.Failure {
			fails++
			if e.State != "Strip" {
				t.Errorf("failure event not attributed to Strip: %+v", e)
			}
		}
	}
	if fails != 2 {
		t.Errorf("failure rows %d, want 2", fails)
	}
}

func TestReadHistoryAbortedWhileRunning(t *testing.T) {
	h := &historyBuilder{t: time.Unix(0, 0)}
	h.add(types.HistoryEventTypeExecutionStarted, nil)
	h.add(types.HistoryEventTypeTaskStateEntered, func(e *types.HistoryEvent) {
		e.StateEnteredEventDetails = &types.StateEnteredEventDetails{Name: aws.String("Write")}
	})
	h.add(types.HistoryEventTypeTaskScheduled, nil)
	h.add(types.HistoryEventTypeExecutionAborted, func(e *types.HistoryEvent) {
		e.ExecutionAbortedEventDetails = &types.ExecutionAbortedEventDetails{Error: aws.String("Stopped"), Cause: aws.String("by operator")}
	})
	steps, status, _ := readHistory(h.events)
	if status["Write"] != "aborted" || steps[0].Error != "Stopped" {
		t.Errorf("status %v step %+v", status, steps[0])
	}
}

func TestReadHistoryRedrive(t *testing.T) {
	h := &historyBuilder{t: time.Unix(0, 0)}
	h.add(types.HistoryEventTypeExecutionStarted, nil)
	h.task("Write", `{}`, ``, 1, "TransientS3", "gave up", false)
	h.events = h.events[:len(h.events)-1] // no exit: the execution failed in Write
	h.add(types.HistoryEventTypeExecutionFailed, func(e *types.HistoryEvent) {
		e.ExecutionFailedEventDetails = &types.ExecutionFailedEventDetails{Error: aws.String("TransientS3"), Cause: aws.String("gave up")}
	})
	_, status, _ := readHistory(h.events)
	if status["Write"] != "failed" {
		t.Fatalf("before redrive: %v", status)
	}
	h.add(types.HistoryEventTypeExecutionRedriven, nil)
	h.task("Write", `{}`, `{"ok":true}`, 0, "", "", true)
	steps, status, _ := readHistory(h.events)
	if status["Write"] != "succeeded" || len(steps) != 2 || steps[0].Status != "failed" || steps[1].Status != "succeeded" {
		t.Errorf("after redrive: %v, steps %s=%s %s=%s", status, steps[0].Name, steps[0].Status, steps[1].Name, steps[1].Status)
	}
}

func TestStepKeyMatchesAuditSteps(t *testing.T) {
	for state, step := range map[string]string{"RecordFailure": "record-failure", "Validate": "validate", "Unpublish": "unpublish"} {
		if stepKey(state) != stepKey(step) {
			t.Errorf("%s vs %s", state, step)
		}
	}
	if stepKey("ValidateFailed") == stepKey("validate") {
		t.Error("ValidateFailed matches validate")
	}
}

// A caught failure may be followed directly by the handler's StateEntered, with no
// StateExited of the failed state (the local engine writes it so).
func TestReadHistoryCaughtWithoutExit(t *testing.T) {
	h := &historyBuilder{t: time.Unix(0, 0)}
	h.add(types.HistoryEventTypeExecutionStarted, nil)
	h.task("Validate", `{}`, ``, 1, "NotJPEG", "png", false)
	h.events = h.events[:len(h.events)-1] // drop TaskStateExited
	h.task("ValidateFailed", `{}`, `{}`, 0, "", "", true)
	steps, status, _ := readHistory(h.events)
	if status["Validate"] != "caught" || steps[0].Error != "NotJPEG" || steps[0].Duration == "" {
		t.Errorf("status %v, step %+v", status, steps[0])
	}
}

func TestReadHistoryParallel(t *testing.T) {
	enter := func(h *historyBuilder, typ types.HistoryEventType, name string) {
		h.add(typ, func(e *types.HistoryEvent) {
			e.StateEnteredEventDetails = &types.StateEnteredEventDetails{Name: aws.String(name), Input: aws.String("{}")}
		})
	}
	exit := func(h *historyBuilder, typ types.HistoryEventType, name string) {
		h.add(typ, func(e *types.HistoryEvent) {
			e.StateExitedEventDetails = &types.StateExitedEventDetails{Name: aws.String(name), Output: aws.String("{}")}
		})
	}
	h := &historyBuilder{t: time.Unix(0, 0)}
	enter(h, types.HistoryEventTypeParallelStateEntered, "Both")
	h.task("Left", `{}`, `{}`, 0, "", "", true)
	exit(h, types.HistoryEventTypeParallelStateExited, "Both")
	_, status, _ := readHistory(h.events)
	if status["Both"] != "succeeded" || status["Left"] != "succeeded" {
		t.Errorf("parallel that succeeded: %v", status)
	}

	h = &historyBuilder{t: time.Unix(0, 0)}
	enter(h, types.HistoryEventTypeParallelStateEntered, "Both")
	h.task("Left", `{}`, ``, 1, "Boom", "it broke", false)
	h.events = h.events[:len(h.events)-1] // Left never exits
	h.add(types.HistoryEventTypeParallelStateFailed, nil)
	enter(h, types.HistoryEventTypePassStateEntered, "Handler")
	steps, status, _ := readHistory(h.events)
	if status["Both"] != "caught" || status["Left"] != "failed" || status["Handler"] != "running" {
		t.Errorf("parallel caught: %v", status)
	}
	if steps[1].Error != "Boom" {
		t.Errorf("Left's error: %+v", steps[1])
	}
}
