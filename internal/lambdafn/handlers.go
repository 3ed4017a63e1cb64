package lambdafn

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// Function names, as in functions/<name> and dist/<name>.zip.
const (
	FnValidate      = "validate"
	FnStrip         = "strip"
	FnWrite         = "write"
	FnVerify        = "verify"
	FnRecordFailure = "record-failure"
	FnUnpublish     = "unpublish"
)

// Functions lists every function name.
var Functions = []string{FnValidate, FnStrip, FnWrite, FnVerify, FnRecordFailure, FnUnpublish}

// Handlers returns every step's aws-lambda-go handler, by function name. The same
// handlers run in Lambda (lambda.Start) and in the local stack (Invoke in process).
// Each invocation logs one line to log (nil: slog.Default()).
func Handlers(svc *sanitize.Service, log *slog.Logger) map[string]lambda.Handler {
	if log == nil {
		log = slog.Default()
	}
	h := handlers{svc: svc, log: log}
	return map[string]lambda.Handler{
		FnValidate:      lambda.NewHandler(h.validate),
		FnStrip:         lambda.NewHandler(h.strip),
		FnWrite:         lambda.NewHandler(h.write),
		FnVerify:        lambda.NewHandler(h.verify),
		FnRecordFailure: lambda.NewHandler(h.recordFailure),
		FnUnpublish:     lambda.NewHandler(h.unpublish),
	}
}

type handlers struct {
	svc *sanitize.Service
	log *slog.Logger
}

func attempt(execution string, retryCount int) sanitize.Attempt {
	return sanitize.Attempt{Execution: execution, Number: retryCount + 1}
}

// done logs the outcome and names the error for Step Functions.
func (h handlers) done(ctx context.Context, step, execution string, src sanitize.Source, err error) error {
	if err != nil {
		h.log.ErrorContext(ctx, "step failed", "step", step, "execution", execution, "bucket", src.Bucket, "key", src.Key,
			"versionId", src.VersionID, "error", ErrorName(err), "message", err.Error())
		return edgeError(err)
	}
	h.log.InfoContext(ctx, "step done", "step", step, "execution", execution, "bucket", src.Bucket, "key", src.Key, "versionId", src.VersionID)
	return nil
}

func (h handlers) fromEvent(ctx context.Context, step string, req EventRequest,
	run func(context.Context, sanitize.Attempt, sanitize.Job) (sanitize.Job, error)) (sanitize.Job, error) {
	job, err := req.Event.Job()
	if err == nil {
		job, err = run(ctx, attempt(req.ExecutionID, req.RetryCount), job)
	}
	return job, h.done(ctx, step, req.ExecutionID, job.Source, err)
}

func (h handlers) fromJob(ctx context.Context, step string, req JobRequest,
	run func(context.Context, sanitize.Attempt, sanitize.Job) (sanitize.Job, error)) (sanitize.Job, error) {
	job, err := run(ctx, attempt(req.ExecutionID, req.RetryCount), req.Job)
	return job, h.done(ctx, step, req.ExecutionID, job.Source, err)
}

func (h handlers) validate(ctx context.Context, req EventRequest) (sanitize.Job, error) {
	return h.fromEvent(ctx, FnValidate, req, h.svc.Validate)
}

func (h handlers) unpublish(ctx context.Context, req EventRequest) (sanitize.Job, error) {
	return h.fromEvent(ctx, FnUnpublish, req, h.svc.Unpublish)
}

func (h handlers) strip(ctx context.Context, req JobRequest) (sanitize.Job, error) {
	return h.fromJob(ctx, FnStrip, req, h.svc.Strip)
}

func (h handlers) write(ctx context.Context, req JobRequest) (sanitize.Job, error) {
	return h.fromJob(ctx, FnWrite, req, h.svc.Write)
}

func (h handlers) verify(ctx context.Context, req JobRequest) (sanitize.Job, error) {
	return h.fromJob(ctx, FnVerify, req, h.svc.Verify)
}

func (h handlers) recordFailure(ctx context.Context, req FailureRequest) (sanitize.Notification, error) {
	src := req.State.source()
	n, err := h.svc.RecordFailure(ctx, attempt(req.ExecutionID, req.RetryCount), sanitize.Failure{
		Step: req.FailedStep, Error: req.State.Error.Error, Cause: req.State.Error.Cause, Source: src,
	})
	return n, h.done(ctx, FnRecordFailure, req.ExecutionID, src, err)
}
