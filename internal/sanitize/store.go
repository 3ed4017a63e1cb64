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

// CopyRequest copies one object version inside the store (S3 CopyObject): the
// service reads and writes the bytes, the caller never holds them. Source is pinned
// like a read: by VersionID (x-amz-copy-source ?versionId=) when set, else by ETag
// (x-amz-copy-source-if-match). The copy gets ContentType and Metadata from the
// request, never the source's (MetadataDirective REPLACE), and SSE as given. At most
// one of IfNoneMatch and IfMatch is set; they are conditions on the destination key.
type CopyRequest struct {
	Source      ObjectRef
	Bucket      string
	Key         string
	ContentType string
	Metadata    map[string]string
	IfNoneMatch bool
	IfMatch     string
	SSE         SSE
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
	// Copy copies req.Source to req.Bucket/req.Key and reports the version it
	// created (VersionID, ETag, LastModified: CopyObject does not report a size).
	// S3 answers a failed source pin and a failed destination condition alike
	// (412 PreconditionFailed, or 404 for a missing source and for If-Match on a
	// missing destination), so ErrPreconditionFailed and ErrNotFound may come from
	// either side: a caller that must know asks Head about the source.
	Copy(ctx context.Context, req CopyRequest) (ObjectInfo, error)
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
	Op     string // "get", "head", "put", "copy", "delete", "list"
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
