// Package lambdafn is the Lambda edge of the pipeline: the JSON payloads the state
// machine sends each step, the aws-lambda-go handlers, and the one place where domain
// errors get their stable names.
//
// # Payloads
//
// The state machine (statemachine/sanitizer.asl.json) invokes each function with
// arn:aws:states:::lambda:invoke and keeps the function's result as {"job": <result>}.
//
//	validate, unpublish   EventRequest {"executionId", "retryCount", "event": <EventBridge event>}  → sanitize.Job
//	strip, write, verify  JobRequest   {"executionId", "retryCount", "job": <sanitize.Job>}          → sanitize.Job
//	record-failure        FailureRequest {"executionId", "retryCount", "failedStep",
//	                                      "state": {"job"? | <event fields>?, "error": {"Error", "Cause"}}}
//	                      → sanitize.Notification {"subject", "message", "error", "cause", "step"}
//
// executionId is $$.Execution.Id (the execution ARN) and retryCount is
// $$.State.RetryCount; the audit attempt number is retryCount+1. The job carries the
// source (bucket, key exactly as the event has it, versionId, etag, size, sequencer),
// then each step's result: validation, stripped + staged, published, verified (or
// unpublish). Every list in it is bounded, so every payload stays far below Step
// Functions' 256 KB limit whatever the image.
//
// # Error names
//
// aws-lambda-go names an error by its Go type; ErrorName maps domain errors to stable
// names and handlers return them as messages.InvokeResponse_Error, whose Type becomes
// the Step Functions error name. See ErrorNames for the list and which are retried.
package lambdafn
