package sanitize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ObjectRef names an object, and optionally the exact version to read: VersionID when
// the bucket is versioned, otherwise ETag (sent as If-Match and checked on the reply).
type ObjectRef struct {
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
	ETag      string `json:"etag,omitempty"`
}

// ObjectInfo is what a read or write reports about the object version it touched.
type ObjectInfo struct {
	Bucket      string
	Key         string
	VersionID   string
	ETag        string
	Size        int64
	ContentType string
	// LastModified is when this version was written (S3 has one-second resolution).
	LastModified time.Time
	// Metadata holds the user metadata (x-amz-meta-*), keys in lower case without the prefix.
	Metadata map[string]string
}

// PutRequest writes one object. At most one of IfNoneMatch and IfMatch is set.
type PutRequest struct {
	Bucket      string
	Key         string
	Body        []byte
	ContentType string
	Metadata    map[string]string
	// IfNoneMatch creates the object only if the key does not exist (If-None-Match: *).
	IfNoneMatch bool
	// IfMatch replaces the object only if its current ETag is this one.
	IfMatch string
	// SSE is the server-side encryption to request; zero means the bucket default.
	SSE SSE
}

// SSE is a server-side encryption setting: Algorithm "AES256" or "aws:kms" (with an
// optional KMSKeyID; empty means the AWS managed key).
type SSE struct {
	Algorithm string
	KMSKeyID  string
}

// Store is the object storage the steps use: S3 in production (internal/s3store),
// memory in tests. Errors it returns for a failed request are *StorageError.
type Store interface {
	// Get opens ref for reading; with VersionID or ETag set it reads exactly that
	// version or fails with ErrNotFound / ErrPreconditionFailed.
	Get(ctx context.Context, ref ObjectRef) (io.ReadCloser, ObjectInfo, error)
	// Head describes ref (same exactness as Get).
	Head(ctx context.Context, ref ObjectRef) (ObjectInfo, error)
	// Put writes one object and reports the version it created.
	Put(ctx context.Context, req PutRequest) (ObjectInfo, error)
	// Delete removes ref: one version when VersionID is set, else the current object.
	Delete(ctx context.Context, ref ObjectRef) error
}

// The kinds of storage failure the steps branch on (errors.Is against a *StorageError).
var (
	ErrNotFound           = errors.New("not found")
	ErrPreconditionFailed = errors.New("precondition failed")
	ErrTransient          = errors.New("transient storage failure")
	ErrAccessDenied       = errors.New("access denied")
)

// StorageError is a failed storage request. Kind is one of the Err* values above, or
// nil for a failure that fits none of them.
type StorageError struct {
	Op     string // "get", "head", "put", "delete", "list"
	Bucket string
	Key    string
	Kind   error
	Err    error
}

func (e *StorageError) Error() string {
	return fmt.Sprintf("%s s3://%s/%s: %v", e.Op, e.Bucket, e.Key, e.Err)
}

// Unwrap exposes both the kind and the underlying error to errors.Is/As.
func (e *StorageError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// NormalizeETag strips the quotes S3 puts around ETags (events carry them bare).
func NormalizeETag(etag string) string {
	return strings.Trim(etag, `"`)
}
