package asl

import (
	"fmt"
	"strings"
)

// Error names defined by the States Language and Step Functions.
const (
	ErrAll                    = "States.ALL"
	ErrRuntime                = "States.Runtime"
	ErrTaskFailed             = "States.TaskFailed"
	ErrTimeout                = "States.Timeout"
	ErrHeartbeatTimeout       = "States.HeartbeatTimeout"
	ErrNoChoiceMatched        = "States.NoChoiceMatched"
	ErrIntrinsicFailure       = "States.IntrinsicFailure"
	ErrResultPathMatchFailure = "States.ResultPathMatchFailure"
	ErrParameterPathFailure   = "States.ParameterPathFailure"
	ErrBranchFailed           = "States.BranchFailed"
	ErrPermissions            = "States.Permissions"
	ErrDataLimitExceeded      = "States.DataLimitExceeded"
	ErrItemReaderFailed       = "States.ItemReaderFailed"
	ErrExceedToleratedFailure = "States.ExceedToleratedFailureThreshold"
	ErrQueryEvaluationError   = "States.QueryEvaluationError"
	ErrResultWriterFailed     = "States.ResultWriterFailed"
)

// TaskError is the failure a TaskRunner returns to name the error the way a
// Step Functions task reports it: Name becomes the Error that Retry and Catch
// match, Cause the accompanying text. Any other error from a TaskRunner is
// reported as States.TaskFailed with the error's text as Cause.
type TaskError struct {
	Name  string
	Cause string
}

func (e *TaskError) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// Failure is an error raised while a state runs: the Error and Cause a Catch
// receives, or that an execution ends with. HasError/HasCause distinguish an
// absent value (a Fail state without Error) from an empty one.
type Failure struct {
	Error    string
	Cause    string
	HasError bool
	HasCause bool
	// interrupted marks an execution stopped from outside (Stop, timeout,
	// host shutdown) rather than a state's error.
	interrupted bool
	// location names the JSONata field whose evaluation failed, for the
	// EvaluationFailed event AWS records before the state fails.
	location string
}

func (f *Failure) String() string {
	return fmt.Sprintf("%s: %s", f.Error, f.Cause)
}

func fail(name, format string, args ...any) *Failure {
	return &Failure{Error: name, Cause: fmt.Sprintf(format, args...), HasError: true, HasCause: true}
}

func runtimeFailure(format string, args ...any) *Failure {
	return fail(ErrRuntime, format, args...)
}

// output is the error output a Catch passes on: {"Error": ..., "Cause": ...}.
func (f *Failure) output() map[string]any {
	return map[string]any{"Error": f.Error, "Cause": f.Cause}
}

// matches reports whether an ErrorEquals list matches this failure.
// States.ALL matches every error except States.Runtime (which AWS never
// retries or catches) and the terminal States.DataLimitExceeded (caught only
// by name); States.TaskFailed matches every error except States.Timeout.
func (f *Failure) matches(names []string) bool {
	if f.Error == ErrRuntime || f.interrupted {
		return false
	}
	for _, n := range names {
		switch {
		case n == f.Error:
			return true
		case f.Error == ErrDataLimitExceeded:
		case n == ErrAll:
			return true
		case n == ErrTaskFailed && f.Error != ErrTimeout && f.Error != ErrHeartbeatTimeout:
			return true
		}
	}
	return false
}

// ValidationError reports why a definition was refused, one Diagnostic per
// problem, in the shape of ValidateStateMachineDefinition's diagnostics.
type ValidationError struct {
	Diagnostics []Diagnostic
}

// Diagnostic is one problem found in a definition.
type Diagnostic struct {
	Severity string `json:"severity"` // ERROR or WARNING
	Code     string `json:"code"`     // SCHEMA_VALIDATION_FAILED, MISSING_TRANSITION_TARGET, ...
	Message  string `json:"message"`
	Location string `json:"location"` // JSON pointer into the definition, e.g. /States/A/Next
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s at %s", d.Code, d.Message, d.Location)
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		parts[i] = d.String()
	}
	return "Invalid State Machine Definition: '" + strings.Join(parts, ", ") + "'"
}

// Diagnostic codes AWS documents for ValidateStateMachineDefinition.
const (
	CodeSchema           = "SCHEMA_VALIDATION_FAILED"
	CodeInvalidJSON      = "INVALID_JSON_DESCRIPTION"
	CodeMissingTarget    = "MISSING_TRANSITION_TARGET"
	CodeDuplicateState   = "DUPLICATE_STATE_NAME"
	CodeInvalidJSONPath  = "SCHEMA_VALIDATION_FAILED"
	CodeUnsupportedQuery = "UNSUPPORTED_QUERY_LANGUAGE"
	CodeNoTerminalState  = "MISSING_TERMINAL_STATE"
	CodeInvalidResource  = "INVALID_RESOURCE"
	CodeUnreachableState = "MISSING_TRANSITION_TARGET"
	severityError        = "ERROR"
)
