package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// S3 is the adapter over one s3.Client.
type S3 struct {
	Client *s3.Client
}

var (
	_ sanitize.Store = (*S3)(nil)
	_ audit.Objects  = (*S3)(nil)
)

// New returns the adapter over client.
func New(client *s3.Client) *S3 { return &S3{Client: client} }

// Get implements sanitize.Store.
func (s *S3) Get(ctx context.Context, ref sanitize.ObjectRef) (io.ReadCloser, sanitize.ObjectInfo, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(ref.Bucket), Key: aws.String(ref.Key)}
	if ref.VersionID != "" {
		in.VersionId = aws.String(ref.VersionID)
	} else if ref.ETag != "" {
		in.IfMatch = aws.String(quote(ref.ETag))
	}
	out, err := s.Client.GetObject(ctx, in)
	if err != nil {
		return nil, sanitize.ObjectInfo{}, classify("get", ref.Bucket, ref.Key, err)
	}
	info := sanitize.ObjectInfo{
		Bucket: ref.Bucket, Key: ref.Key,
		VersionID: aws.ToString(out.VersionId), ETag: sanitize.NormalizeETag(aws.ToString(out.ETag)),
		Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType),
		LastModified: aws.ToTime(out.LastModified), Metadata: lower(out.Metadata),
	}
	if err := checkExact(ref, info); err != nil {
		out.Body.Close()
		return nil, sanitize.ObjectInfo{}, err
	}
	return out.Body, info, nil
}

// Head implements sanitize.Store.
func (s *S3) Head(ctx context.Context, ref sanitize.ObjectRef) (sanitize.ObjectInfo, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(ref.Bucket), Key: aws.String(ref.Key)}
	if ref.VersionID != "" {
		in.VersionId = aws.String(ref.VersionID)
	} else if ref.ETag != "" {
		in.IfMatch = aws.String(quote(ref.ETag))
	}
	out, err := s.Client.HeadObject(ctx, in)
	if err != nil {
		return sanitize.ObjectInfo{}, classify("head", ref.Bucket, ref.Key, err)
	}
	info := sanitize.ObjectInfo{
		Bucket: ref.Bucket, Key: ref.Key,
		VersionID: aws.ToString(out.VersionId), ETag: sanitize.NormalizeETag(aws.ToString(out.ETag)),
		Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType),
		LastModified: aws.ToTime(out.LastModified), Metadata: lower(out.Metadata),
	}
	return info, checkExact(ref, info)
}

// checkExact confirms that the server honoured the version or ETag asked for: an
// S3-compatible server that ignores If-Match or versionId must not make a step read
// the wrong bytes.
func checkExact(ref sanitize.ObjectRef, info sanitize.ObjectInfo) error {
	switch {
	case ref.VersionID != "" && info.VersionID != "" && info.VersionID != ref.VersionID:
		return &sanitize.StorageError{Op: "get", Bucket: ref.Bucket, Key: ref.Key, Kind: sanitize.ErrPreconditionFailed,
			Err: fmt.Errorf("asked for version %s, got %s", ref.VersionID, info.VersionID)}
	case ref.VersionID == "" && ref.ETag != "" && sanitize.NormalizeETag(ref.ETag) != info.ETag:
		return &sanitize.StorageError{Op: "get", Bucket: ref.Bucket, Key: ref.Key, Kind: sanitize.ErrPreconditionFailed,
			Err: fmt.Errorf("asked for etag %s, got %s", sanitize.NormalizeETag(ref.ETag), info.ETag)}
	}
	return nil
}

// Put implements sanitize.Store.
func (s *S3) Put(ctx context.Context, req sanitize.PutRequest) (sanitize.ObjectInfo, error) {
	in := &s3.PutObjectInput{
		Bucket: aws.String(req.Bucket), Key: aws.String(req.Key),
		Body: bytes.NewReader(req.Body), ContentLength: aws.Int64(int64(len(req.Body))),
		Metadata: req.Metadata,
	}
	if req.ContentType != "" {
		in.ContentType = aws.String(req.ContentType)
	}
	w := writeParamsFor(req.IfNoneMatch, req.IfMatch, req.SSE)
	in.IfNoneMatch, in.IfMatch = w.ifNoneMatch, w.ifMatch
	in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled = w.sse, w.kmsKeyID, w.bucketKey
	out, err := s.Client.PutObject(ctx, in, w.opts...)
	if err != nil {
		return sanitize.ObjectInfo{}, classify("put", req.Bucket, req.Key, err)
	}
	return sanitize.ObjectInfo{
		Bucket: req.Bucket, Key: req.Key,
		VersionID: aws.ToString(out.VersionId), ETag: sanitize.NormalizeETag(aws.ToString(out.ETag)),
		Size: int64(len(req.Body)), ContentType: req.ContentType, Metadata: req.Metadata,
	}, nil
}

// Copy implements sanitize.Store with CopyObject: S3 reads the source version and
// writes the copy, so the bytes never cross the network to the caller.
func (s *S3) Copy(ctx context.Context, req sanitize.CopyRequest) (sanitize.ObjectInfo, error) {
	in := &s3.CopyObjectInput{
		Bucket: aws.String(req.Bucket), Key: aws.String(req.Key),
		CopySource:        aws.String(copySource(req.Source)),
		MetadataDirective: types.MetadataDirectiveReplace,
		Metadata:          req.Metadata,
	}
	if req.Source.VersionID == "" && req.Source.ETag != "" {
		in.CopySourceIfMatch = aws.String(quote(req.Source.ETag))
	}
	if req.ContentType != "" {
		in.ContentType = aws.String(req.ContentType)
	}
	w := writeParamsFor(req.IfNoneMatch, req.IfMatch, req.SSE)
	in.IfNoneMatch, in.IfMatch = w.ifNoneMatch, w.ifMatch
	in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled = w.sse, w.kmsKeyID, w.bucketKey
	out, err := s.Client.CopyObject(ctx, in, w.opts...)
	if err != nil {
		return sanitize.ObjectInfo{}, classify("copy", req.Bucket, req.Key,
			fmt.Errorf("from s3://%s/%s: %w", req.Source.Bucket, req.Source.Key, err))
	}
	if v := aws.ToString(out.CopySourceVersionId); req.Source.VersionID != "" && v != "" && v != req.Source.VersionID {
		// A server that ignored ?versionId= copied another version: say so rather
		// than report the copy as the one asked for.
		return sanitize.ObjectInfo{}, &sanitize.StorageError{Op: "copy", Bucket: req.Bucket, Key: req.Key,
			Err: fmt.Errorf("asked to copy version %s of s3://%s/%s, the server copied %s", req.Source.VersionID, req.Source.Bucket, req.Source.Key, v)}
	}
	info := sanitize.ObjectInfo{
		Bucket: req.Bucket, Key: req.Key, VersionID: aws.ToString(out.VersionId),
		ContentType: req.ContentType, Metadata: req.Metadata,
	}
	if r := out.CopyObjectResult; r != nil {
		info.ETag, info.LastModified = sanitize.NormalizeETag(aws.ToString(r.ETag)), aws.ToTime(r.LastModified)
	}
	return info, nil
}

// writeParams are what Put and Copy send alike: the destination's conditions and
// encryption, and the retry policy those conditions call for.
type writeParams struct {
	ifNoneMatch, ifMatch *string
	sse                  types.ServerSideEncryption
	kmsKeyID             *string
	bucketKey            *bool
	opts                 []func(*s3.Options)
}

func writeParamsFor(ifNoneMatch bool, ifMatch string, sse sanitize.SSE) writeParams {
	var w writeParams
	if ifNoneMatch {
		w.ifNoneMatch = aws.String("*")
	}
	if ifMatch != "" {
		w.ifMatch = aws.String(quote(ifMatch))
		// No SDK retry for a conditional replace: if the first attempt took effect but
		// its answer was lost, a retry with the same bytes matches the new ETag again
		// and writes a second version. The caller re-reads and decides instead (Write's
		// retry finds the output already carries this upload and keeps it).
		w.opts = append(w.opts, func(o *s3.Options) { o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 1) })
	}
	switch sse.Algorithm {
	case "":
	case string(types.ServerSideEncryptionAwsKms):
		w.sse = types.ServerSideEncryptionAwsKms
		if sse.KMSKeyID != "" {
			w.kmsKeyID = aws.String(sse.KMSKeyID)
		}
		// A bucket key cuts KMS requests (and their cost) for every object in the bucket.
		w.bucketKey = aws.Bool(true)
	default:
		w.sse = types.ServerSideEncryption(sse.Algorithm)
	}
	return w
}

// copySource is the x-amz-copy-source value for ref: bucket/key, URL-encoded
// (every byte of the key but the slashes, "+" included), and ?versionId= when pinned.
func copySource(ref sanitize.ObjectRef) string {
	segs := strings.Split(ref.Key, "/")
	for i, seg := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(seg), "+", "%2B")
	}
	src := ref.Bucket + "/" + strings.Join(segs, "/")
	if ref.VersionID != "" {
		src += "?versionId=" + url.QueryEscape(ref.VersionID)
	}
	return src
}

// Delete implements sanitize.Store.
func (s *S3) Delete(ctx context.Context, ref sanitize.ObjectRef) error {
	in := &s3.DeleteObjectInput{Bucket: aws.String(ref.Bucket), Key: aws.String(ref.Key)}
	if ref.VersionID != "" {
		in.VersionId = aws.String(ref.VersionID)
	}
	if _, err := s.Client.DeleteObject(ctx, in); err != nil {
		return classify("delete", ref.Bucket, ref.Key, err)
	}
	return nil
}

// PutIfAbsent implements audit.Objects.
func (s *S3) PutIfAbsent(ctx context.Context, bucket, key string, body []byte, contentType string) (bool, error) {
	_, err := s.Put(ctx, sanitize.PutRequest{Bucket: bucket, Key: key, Body: body, ContentType: contentType, IfNoneMatch: true})
	if errors.Is(err, sanitize.ErrPreconditionFailed) {
		return false, nil
	}
	return err == nil, err
}

// ReadAll implements audit.Objects.
func (s *S3) ReadAll(ctx context.Context, bucket, key string) ([]byte, error) {
	body, _, err := s.Get(ctx, sanitize.ObjectRef{Bucket: bucket, Key: key})
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, &sanitize.StorageError{Op: "get", Bucket: bucket, Key: key, Kind: sanitize.ErrTransient, Err: err}
	}
	return b, nil
}

// List implements audit.Objects.
func (s *S3) List(ctx context.Context, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, classify("list", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// classify turns an SDK error into a *sanitize.StorageError of the right kind. The SDK
// has already retried what its retryer considers retryable; what is left is either
// final (not found, precondition, access) or transient enough for the state machine
// to retry later with backoff.
func classify(op, bucket, key string, err error) error {
	se := &sanitize.StorageError{Op: op, Bucket: bucket, Key: key, Err: err}
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case code == "NoSuchKey" || code == "NoSuchVersion" || code == "NotFound" || status == http.StatusNotFound:
		se.Kind = sanitize.ErrNotFound
	case code == "PreconditionFailed" || status == http.StatusPreconditionFailed:
		se.Kind = sanitize.ErrPreconditionFailed
	case code == "AccessDenied" || status == http.StatusForbidden:
		se.Kind = sanitize.ErrAccessDenied
	case code == "ConditionalRequestConflict" || code == "SlowDown" || code == "RequestTimeout" ||
		code == "InternalError" || code == "ServiceUnavailable" ||
		status == http.StatusConflict || status == http.StatusTooManyRequests || status >= 500:
		se.Kind = sanitize.ErrTransient
	case status == 0 && !errors.Is(err, context.Canceled):
		// No HTTP response at all: connection refused or reset, DNS, timeout.
		se.Kind = sanitize.ErrTransient
	}
	return se
}

func quote(etag string) string { return `"` + sanitize.NormalizeETag(etag) + `"` }

func lower(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
