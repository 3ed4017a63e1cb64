package sanitize

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// Config is the deployment: buckets, policy, encryption.
type Config struct {
	InputBucket   string
	OutputBucket  string
	StagingBucket string
	// AuditBucket is named in failure notifications, where the records are.
	AuditBucket string
	Policy      metadata.Policy
	// SSE is requested for every object written to the staging and output buckets.
	SSE SSE
	// Endpoint is the AWS endpoint the pipeline runs against when it is not AWS
	// itself (the local stack's URL); empty on AWS. The commands in failure
	// notifications name it, so that they reach the stack that sent them.
	Endpoint string
}

// Auditor stores audit records (audit.Writer in production).
type Auditor interface {
	Write(ctx context.Context, r audit.Record) (string, error)
}

// Service runs the steps.
type Service struct {
	Store  Store
	Audit  Auditor
	Config Config
	// Now is the clock for audit records and timings.
	Now func() time.Time
	// ErrorName gives an error its stable name for audit records; the Lambda edge
	// owns the mapping (lambdafn.ErrorName) and sets it.
	ErrorName func(error) string
	// Compute, when set, bounds how many steps in this process parse, hash and
	// decode images at once. On AWS every execution environment runs one
	// invocation, so it stays nil. The local stack runs all environments in one
	// process: many more environments than cores keep S3 round trips
	// overlapped, and the gate keeps them from decoding (and holding decoder
	// memory) all at the same time.
	Compute Gate
}

// Gate is a counting semaphore.
type Gate interface {
	Acquire(ctx context.Context) error
	Release()
}

// computing runs fn holding a slot of s.Compute, when set.
func (s *Service) computing(ctx context.Context, fn func() error) error {
	if s.Compute != nil {
		if err := s.Compute.Acquire(ctx); err != nil {
			return err
		}
		defer s.Compute.Release()
	}
	return fn()
}

// Attempt identifies one run of one step: the execution (Step Functions execution ARN)
// and the attempt number, 1 for the first try.
type Attempt struct {
	Execution string
	Number    int
}

// Metadata keys written on output objects (x-amz-meta-*), read back by Write to order
// events and detect duplicates.
const (
	MetaSourceVersionID    = "source-version-id"
	MetaSourceETag         = "source-etag"
	MetaSourceSequencer    = "source-sequencer"
	MetaSourceLastModified = "source-last-modified"
	MetaSHA256             = "sha256"
	MetaPolicyVersion      = "policy-version"
)

// step runs fn as one audited attempt of step. The record starts with the job's source;
// fn fills in the rest and returns the outcome. A successful step whose record cannot
// be written fails (transiently), so every success is audited; a failed step returns
// its own error even if its record could not be written (RecordFailure audits it too).
func (s *Service) step(ctx context.Context, at Attempt, step string, src Source, fn func(rec *audit.Record) (audit.Outcome, error)) error {
	rec := audit.Record{Execution: at.Execution, Step: step, Attempt: max(at.Number, 1), StartedAt: s.now(), Source: src.audit()}
	if rec.Execution == "" {
		return &InvalidInputError{Msg: "no execution id in the payload"}
	}
	outcome, err := fn(&rec)
	rec.FinishedAt = s.now()
	rec.Outcome = outcome
	if err != nil || (outcome == audit.Failed && rec.Error == nil) {
		rec.Outcome = audit.Failed
		rec.Error = &audit.Error{Name: s.errorName(err), Message: err.Error()}
	}
	if _, aerr := s.Audit.Write(ctx, rec); aerr != nil && err == nil {
		return fmt.Errorf("%s: audit record: %w", step, aerr)
	}
	return err
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) errorName(err error) string {
	if s.ErrorName == nil {
		return fmt.Sprintf("%T", err)
	}
	return s.ErrorName(err)
}

// readAll reads an object's bytes, at most limit (the policy's byte limit).
func (s *Service) readAll(ctx context.Context, ref ObjectRef, limit int64) ([]byte, ObjectInfo, error) {
	body, info, err := s.Store.Get(ctx, ref)
	if err != nil {
		return nil, info, err
	}
	defer body.Close()
	if limit > 0 && info.Size > limit {
		return nil, info, &metadata.TooLargeError{Limit: limit, Size: info.Size}
	}
	r := io.Reader(body)
	if limit > 0 {
		r = io.LimitReader(body, limit+1)
	}
	b, err := readBody(r, info.Size)
	if err != nil {
		return nil, info, &StorageError{Op: "get", Bucket: ref.Bucket, Key: ref.Key, Kind: ErrTransient, Err: err}
	}
	if limit > 0 && int64(len(b)) > limit {
		return nil, info, &metadata.TooLargeError{Limit: limit, Size: int64(len(b))}
	}
	return b, info, nil
}

// readBody reads r to the end into one buffer sized from the length the store
// announced: io.ReadAll would grow it a dozen times for a photo, copying and
// discarding megabytes each time. The buffer comes from getBuffer: the caller
// gives it back with putBuffer once done with it.
func readBody(r io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > 1<<30 {
		return io.ReadAll(r)
	}
	b := getBuffer(int(size) + 1) // +1: reading to EOF needs room to see it
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // longer than announced: let append grow it
		}
	}
}

// sourceError turns a storage error on the source into the domain error it means.
func sourceError(src Source, err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return &SourceNotFoundError{Bucket: src.Bucket, Key: src.Key, VersionID: src.VersionID}
	case errors.Is(err, ErrPreconditionFailed):
		return &SourceChangedError{Bucket: src.Bucket, Key: src.Key, Detail: "the object no longer has etag " + src.ETag}
	}
	return err
}

// limit is the policy's byte limit; 0 means none (the policy's negative value).
func (s *Service) limit() int64 {
	switch l := s.Config.Policy.Limits.MaxBytes; {
	case l == 0:
		return metadata.DefaultMaxBytes
	case l < 0:
		return 0
	default:
		return l
	}
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// checkSource refuses work the pipeline must never do: an object outside the input
// bucket (the output bucket would loop), or no key.
func (s *Service) checkSource(src Source) error {
	switch {
	case src.Key == "":
		return &InvalidInputError{Msg: "no object key"}
	case src.Bucket != s.Config.InputBucket:
		return &InvalidInputError{Msg: fmt.Sprintf("bucket %q is not the input bucket %q", src.Bucket, s.Config.InputBucket)}
	}
	return nil
}
