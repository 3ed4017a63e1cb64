package sanitize

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
)

// Failure is a failed execution as the state machine's Catch saw it.
type Failure struct {
	// Step is the state that failed ("Validate", "Strip", ...).
	Step string
	// Error and Cause are Step Functions' error name and cause (for a Lambda error the
	// cause is its JSON error payload).
	Error string
	Cause string
	// Source is what the execution knew of the object (possibly only bucket and key).
	Source Source
}

// Notification is what NotifyFailure publishes: a one-line ASCII subject (SNS allows
// at most 100 characters) and a JSON message.
type Notification struct {
	Subject string `json:"subject"`
	Message string `json:"message"`
	Error   string `json:"error"`
	Cause   string `json:"cause"`
	Step    string `json:"step"`
}

// FailureMessage is the JSON body of the failure notification.
type FailureMessage struct {
	Execution string `json:"execution"`
	Step      string `json:"failedStep"`
	Error     string `json:"error"`
	Cause     string `json:"cause"`
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	VersionID string `json:"versionId,omitempty"`
	ETag      string `json:"etag,omitempty"`
	Sequencer string `json:"sequencer,omitempty"`
	// Replay starts a new execution with this one's input (the sanitizer CLI);
	// ReplayAWSCLI does the same with the AWS CLI alone.
	Replay       string `json:"replay"`
	ReplayAWSCLI string `json:"replayAwsCli,omitempty"`
	// Audit is where this execution's audit records are.
	Audit string `json:"audit,omitempty"`
}

// maxCause bounds the cause carried in payloads, records and messages.
const maxCause = 4096

// RecordFailure writes the failure's audit record and composes its notification.
func (s *Service) RecordFailure(ctx context.Context, at Attempt, f Failure) (Notification, error) {
	cause := causeMessage(f.Cause)
	msg := FailureMessage{
		Execution: at.Execution, Step: f.Step, Error: f.Error, Cause: cause,
		Bucket: f.Source.Bucket, Key: f.Source.Key, VersionID: f.Source.VersionID, ETag: f.Source.ETag, Sequencer: f.Source.Sequencer,
		Replay: "sanitizer replay " + s.endpointFlag() + shellQuote(at.Execution), ReplayAWSCLI: awsReplay(s.endpointFlag(), at.Execution),
	}
	if s.Config.AuditBucket != "" {
		msg.Audit = "s3://" + s.Config.AuditBucket + "/" + audit.ExecutionPrefix(at.Execution)
	}
	body, err := json.MarshalIndent(msg, "", "  ")
	if err != nil {
		return Notification{}, err
	}
	n := Notification{Subject: subject(f.Step, f.Error), Message: string(body), Error: f.Error, Cause: cause, Step: f.Step}
	err = s.step(ctx, at, audit.StepRecordFailure, f.Source, func(rec *audit.Record) (audit.Outcome, error) {
		rec.FailedStep = f.Step
		rec.Error = &audit.Error{Name: f.Error, Message: cause}
		return audit.Failed, nil
	})
	return n, err
}

// causeMessage extracts the message from a Lambda error payload
// ({"errorMessage": ..., "errorType": ...}); other causes pass through. Either way the
// result is bounded.
func causeMessage(cause string) string {
	var lambdaErr struct {
		Message string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &lambdaErr) == nil && lambdaErr.Message != "" {
		cause = lambdaErr.Message
	}
	if len(cause) > maxCause {
		cause = cause[:maxCause] + "…"
	}
	return cause
}

// subject is printable ASCII, at most 100 characters, one line: what SNS accepts.
func subject(step, errName string) string {
	s := fmt.Sprintf("s3-image-sanitizer: %s failed: %s", step, errName)
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	s = b.String()
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// endpointFlag is the --endpoint-url option (with a trailing space) the commands
// of a notification need to reach a pipeline that does not run on AWS itself;
// empty on AWS. Both the sanitizer CLI and the AWS CLI spell it this way.
func (s *Service) endpointFlag() string {
	if s.Config.Endpoint == "" {
		return ""
	}
	return "--endpoint-url " + shellQuote(s.Config.Endpoint) + " "
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// awsReplay derives the state machine from the execution ARN
// (arn:aws:states:<region>:<account>:execution:<machine>:<name>) and starts it again
// with the failed execution's input.
func awsReplay(endpointFlag, execution string) string {
	parts := strings.Split(execution, ":")
	if len(parts) != 8 || parts[0] != "arn" || parts[5] != "execution" {
		return ""
	}
	machine := strings.Join(append(parts[:5:5], "stateMachine", parts[6]), ":")
	return fmt.Sprintf("aws stepfunctions start-execution %s--region %s --state-machine-arn %s --input \"$(aws stepfunctions describe-execution %s--region %s --execution-arn %s --query input --output text)\"",
		endpointFlag, parts[3], shellQuote(machine), endpointFlag, parts[3], shellQuote(execution))
}
