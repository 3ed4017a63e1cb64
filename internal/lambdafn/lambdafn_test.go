package lambdafn_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdafn"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

func TestErrorNames(t *testing.T) {
	storage := func(kind error) error {
		return &sanitize.StorageError{Op: "get", Bucket: "b", Key: "k", Kind: kind, Err: errors.New("x")}
	}
	for _, tc := range []struct {
		want string
		err  error
	}{
		{lambdafn.InvalidInput, &sanitize.InvalidInputError{Msg: "x"}},
		{lambdafn.NotJPEG, &metadata.NotJPEGError{Detected: "png"}},
		{lambdafn.Truncated, &jpeg.TruncatedError{}},
		{lambdafn.Unsupported, &jpeg.UnsupportedError{}},
		{lambdafn.Corrupt, &jpeg.FormatError{}},
		{lambdafn.TooLarge, &metadata.TooLargeError{}},
		{lambdafn.TooManyPixels, &metadata.TooManyPixelsError{}},
		{lambdafn.SourceChanged, &sanitize.SourceChangedError{}},
		{lambdafn.SourceNotFound, &sanitize.SourceNotFoundError{}},
		{lambdafn.StagedObjectMissing, &sanitize.StagedObjectMissingError{}},
		{lambdafn.MetadataRemains, &sanitize.VerifyError{RolledBack: "v1", Err: &metadata.MetadataRemainsError{}}},
		{lambdafn.ImageMismatch, fmt.Errorf("verify k: %w", &metadata.ImageMismatchError{})},
		{lambdafn.ImageMismatch, &sanitize.VerifyError{RolledBack: "v1", Err: &sanitize.OutputDigestError{}}},
		{lambdafn.OutputRemoved, &sanitize.OutputRemovedError{Bucket: "b", Key: "k", VersionID: "v"}},
		{lambdafn.OutputContention, &sanitize.ContentionError{}},
		{lambdafn.ImageMismatch, &metadata.TransformMismatchError{Transform: "rotate-90", Err: errors.New("x")}},
		{lambdafn.TransientS3, fmt.Errorf("verify failed (x), and removing it failed: %w", storage(sanitize.ErrTransient))},
		{lambdafn.AccessDenied, storage(sanitize.ErrAccessDenied)},
		{lambdafn.StorageError, storage(nil)},
		{lambdafn.Internal, errors.New("a bug")},
	} {
		if got := lambdafn.ErrorName(tc.err); got != tc.want {
			t.Errorf("%T: %q, want %q", tc.err, got, tc.want)
		}
	}
}

// The name reaches Step Functions through aws-lambda-go's own error path.
func TestHandlerErrorsCarryTheirName(t *testing.T) {
	m := s3store.NewMemory()
	for _, b := range []string{"uploads", "sanitized", "staging", "audit"} {
		m.CreateBucket(b, true)
	}
	svc := &sanitize.Service{Store: m, Audit: &audit.Writer{Objects: m, Bucket: "audit"}, ErrorName: lambdafn.ErrorName,
		Config: sanitize.Config{InputBucket: "uploads", OutputBucket: "sanitized", StagingBucket: "staging", Policy: metadata.DefaultPolicy()}}
	h := lambdafn.Handlers(svc, slog.New(slog.NewTextHandler(io.Discard, nil)))[lambdafn.FnValidate]
	payload := `{"executionId":"arn:aws:states:us-east-1:1:execution:sm:x","retryCount":0,"event":{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"uploads"},"object":{"key":"missing.jpg","version-id":"v9"}}}}`
	_, err := h.Invoke(context.Background(), []byte(payload))
	var ire messages.InvokeResponse_Error
	if !errors.As(err, &ire) || ire.Type != lambdafn.SourceNotFound || !strings.Contains(ire.Message, "missing.jpg") {
		t.Fatalf("%#v", err)
	}
	_, err = h.Invoke(context.Background(), []byte(`{"executionId":"e","event":{"detail-type":"Object Restore Completed"}}`))
	if !errors.As(err, &ire) || ire.Type != lambdafn.InvalidInput {
		t.Fatalf("%#v", err)
	}
}

// Payloads stay far below Step Functions' 256 KB whatever the image: every list and
// string in a job is bounded. This builds the largest job the steps can produce.
func TestPayloadsStaySmall(t *testing.T) {
	key := strings.Repeat("ü", 512) // S3's limit: 1024 bytes
	long := strings.Repeat("x", 1000)
	var tags []string
	var removed []audit.Removal
	for i := 0; i < sanitize.MaxNames; i++ {
		tags = append(tags, strings.Repeat("T", 64))
		removed = append(removed, audit.Removal{Kind: strings.Repeat("K", 64), Count: 1 << 30, Bytes: 1 << 40})
	}
	src := sanitize.Source{Bucket: strings.Repeat("b", 63), Key: key, VersionID: long, ETag: long, Size: 1 << 40, Sequencer: long}
	job := sanitize.Job{DetailType: "Object Created", EventSource: "aws.s3", EventID: long, EventTime: long, Reason: long, Source: src,
		Validation: &sanitize.Validation{SensitiveTags: tags, SHA256: long, ImageDigest: long},
		Stripped:   &sanitize.Stripped{Removed: removed, SensitiveTags: tags, PolicyVersion: long, SHA256In: long, SHA256Out: long, ImageDigest: long},
		Staged:     &sanitize.Staged{Bucket: long, Key: long, VersionID: long, ETag: long, SHA256: long},
		Published:  &sanitize.Published{Outcome: sanitize.Written, Reason: long, Bucket: long, Key: key, VersionID: long, ETag: long, SHA256: long},
		Verified:   &sanitize.Verified{SHA256: long, ImageDigest: long, Clean: true},
	}
	b, err := json.Marshal(lambdafn.JobRequest{ExecutionID: long, Job: job})
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 64<<10 {
		t.Fatalf("a job payload is %d bytes", len(b))
	}
	// The failure payload adds the error and a cause bounded by RecordFailure.
	if len(b)+2*4096 > 256<<10 {
		t.Fatalf("a failure payload could reach %d bytes", len(b)+2*4096)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"INPUT_BUCKET": "a", "OUTPUT_BUCKET": "b", "STAGING_BUCKET": "s", "AUDIT_BUCKET": "l",
		"POLICY_ORIENTATION": "drop", "MAX_BYTES": "1000", "MAX_PIXELS": "0", "SSE": "aws:kms", "SSE_KMS_KEY_ID": "k"}
	cfg, err := lambdafn.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Policy.Orientation != metadata.OrientationDrop || cfg.Policy.Limits.MaxBytes != 1000 ||
		cfg.Policy.Limits.MaxPixels != metadata.DefaultMaxPixels || cfg.SSE.KMSKeyID != "k" {
		t.Errorf("%+v", cfg)
	}
	// A rotation's memory: no bound off Lambda, 80% of the function's memory
	// on it, or what MAX_TRANSFORM_MEMORY says.
	if cfg.Policy.Limits.MaxTransformMemory != 0 {
		t.Errorf("MaxTransformMemory %d off Lambda", cfg.Policy.Limits.MaxTransformMemory)
	}
	env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "512"
	if cfg, err := lambdafn.ConfigFromEnv(func(k string) string { return env[k] }); err != nil || cfg.Policy.Limits.MaxTransformMemory != 512<<20*8/10 {
		t.Errorf("MaxTransformMemory %d at 512 MB (%v)", cfg.Policy.Limits.MaxTransformMemory, err)
	}
	env["MAX_TRANSFORM_MEMORY"] = "300000000"
	if cfg, err := lambdafn.ConfigFromEnv(func(k string) string { return env[k] }); err != nil || cfg.Policy.Limits.MaxTransformMemory != 300000000 {
		t.Errorf("MaxTransformMemory %d with MAX_TRANSFORM_MEMORY (%v)", cfg.Policy.Limits.MaxTransformMemory, err)
	}
	for k, v := range map[string]string{"OUTPUT_BUCKET": "a", "AUDIT_BUCKET": "", "MAX_BYTES": "-1", "SSE": "rot13", "POLICY_ORIENTATION": "sideways",
		"MAX_TRANSFORM_MEMORY": "lots"} {
		bad := map[string]string{}
		for k, v := range env {
			bad[k] = v
		}
		bad[k] = v
		if _, err := lambdafn.ConfigFromEnv(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%s=%q accepted", k, v)
		}
	}
}
