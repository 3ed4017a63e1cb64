// Package statemachine embeds the pipeline's Amazon States Language definition,
// sanitizer.asl.json, and renders it: the file holds ${...} placeholders for the
// Lambda and SNS topic ARNs, filled by Terraform's templatefile() on AWS and by
// Render for the local stack.
//
// The flow: Route on detail-type; Object Created runs Validate → Strip → Write →
// Verify, Object Deleted runs Unpublish. Every Task retries Lambda service errors and
// throttling (AWS's recommended list, FULL jitter, capped delay) and TransientS3,
// never retries domain errors (a MaxAttempts 0 retrier ahead of the States.ALL one),
// retries anything else (a panic, a timeout) twice, and catches everything into
// <Step>Failed → RecordFailure → NotifyFailure (sns:publish) → Fail.
package statemachine
