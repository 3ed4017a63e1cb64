package console

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
)

// StepFunctions is the part of the Step Functions API the console reads and acts through.
// *sfn.Client satisfies it, pointed at AWS or at the local stack's endpoint, so the console
// sees exactly what `aws stepfunctions` sees (history events in AWS's shapes included).
type StepFunctions interface {
	ListStateMachines(ctx context.Context, in *sfn.ListStateMachinesInput, optFns ...func(*sfn.Options)) (*sfn.ListStateMachinesOutput, error)
	DescribeStateMachine(ctx context.Context, in *sfn.DescribeStateMachineInput, optFns ...func(*sfn.Options)) (*sfn.DescribeStateMachineOutput, error)
	ListExecutions(ctx context.Context, in *sfn.ListExecutionsInput, optFns ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, optFns ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	RedriveExecution(ctx context.Context, in *sfn.RedriveExecutionInput, optFns ...func(*sfn.Options)) (*sfn.RedriveExecutionOutput, error)
}

// Objects reads uploaded and sanitized objects so the console can render thumbnails of
// both. *s3.Client satisfies it.
type Objects interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// EventPublisher sends the reprocess event. *eventbridge.Client satisfies it.
type EventPublisher interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// AuditReader reads the pipeline's per-step audit records, by execution ARN and by
// object key. *audit.Reader satisfies it.
type AuditReader interface {
	ByExecution(ctx context.Context, execution string) ([]audit.Record, error)
	ByKey(ctx context.Context, key string) ([]audit.Record, error)
}

// NotificationLog lists the messages the failure topic delivered, newest first or in any
// order (the console sorts them).
type NotificationLog interface {
	Notifications(ctx context.Context) ([]Notification, error)
}

// Notification is one SNS message as received.
type Notification struct {
	MessageID string
	TopicARN  string
	Subject   string
	Message   string
	Received  time.Time
}
