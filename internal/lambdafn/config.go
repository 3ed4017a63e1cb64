package lambdafn

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/s3store"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// ConfigFromEnv reads the functions' environment (getenv is os.Getenv in main):
// INPUT_BUCKET, OUTPUT_BUCKET, STAGING_BUCKET, AUDIT_BUCKET (required),
// POLICY_ORIENTATION (transform|keep|drop, default transform), MAX_BYTES, MAX_PIXELS (0 or empty:
// the policy's defaults), MAX_TRANSFORM_MEMORY (bytes a lossless rotation may take; 0 or empty:
// 80% of the function's memory on Lambda, no bound elsewhere), SSE (AES256|aws:kms, empty: the
// bucket default) and SSE_KMS_KEY_ID.
func ConfigFromEnv(getenv func(string) string) (sanitize.Config, error) {
	cfg := sanitize.Config{
		InputBucket: getenv("INPUT_BUCKET"), OutputBucket: getenv("OUTPUT_BUCKET"),
		StagingBucket: getenv("STAGING_BUCKET"), AuditBucket: getenv("AUDIT_BUCKET"),
		Policy:   metadata.DefaultPolicy(),
		SSE:      sanitize.SSE{Algorithm: getenv("SSE"), KMSKeyID: getenv("SSE_KMS_KEY_ID")},
		Endpoint: getenv("AWS_ENDPOINT_URL"),
	}
	for name, v := range map[string]string{"INPUT_BUCKET": cfg.InputBucket, "OUTPUT_BUCKET": cfg.OutputBucket,
		"STAGING_BUCKET": cfg.StagingBucket, "AUDIT_BUCKET": cfg.AuditBucket} {
		if v == "" {
			return cfg, fmt.Errorf("%s is not set", name)
		}
	}
	if cfg.InputBucket == cfg.OutputBucket {
		return cfg, fmt.Errorf("INPUT_BUCKET and OUTPUT_BUCKET are both %q: the pipeline would process its own output", cfg.InputBucket)
	}
	if o := getenv("POLICY_ORIENTATION"); o != "" {
		mode, err := metadata.ParseOrientationMode(o)
		if err != nil {
			return cfg, fmt.Errorf("POLICY_ORIENTATION: %w", err)
		}
		cfg.Policy.Orientation = mode
	}
	cfg.Policy.Limits.MaxTransformMemory = transformMemory(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	for name, dst := range map[string]*int64{"MAX_BYTES": &cfg.Policy.Limits.MaxBytes, "MAX_PIXELS": &cfg.Policy.Limits.MaxPixels,
		"MAX_TRANSFORM_MEMORY": &cfg.Policy.Limits.MaxTransformMemory} {
		v := getenv(name)
		if v == "" || v == "0" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return cfg, fmt.Errorf("%s=%q: want a positive integer", name, v)
		}
		*dst = n
	}
	switch cfg.SSE.Algorithm {
	case "", "AES256", "aws:kms":
	default:
		return cfg, fmt.Errorf("SSE=%q: want AES256 or aws:kms", cfg.SSE.Algorithm)
	}
	return cfg, nil
}

// transformMemory is the default bound on a rotation's memory: 80% of the
// function's memory (Lambda sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE, in MB), the
// rest left to the runtime and the collector's headroom. A rotated 100 MP
// photo needs 0.7-1.3 GB; over the bound, Strip keeps a minimal Orientation
// tag instead of failing the function with an out-of-memory crash.
func transformMemory(mb string) int64 {
	n, err := strconv.ParseInt(mb, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n << 20 * 8 / 10
}

// NewService wires the domain to S3 through client: steps, audit records, all in the
// configured buckets. now is the clock (time.Now in production).
func NewService(cfg sanitize.Config, client *s3.Client, now func() time.Time) *sanitize.Service {
	store := s3store.New(client)
	return &sanitize.Service{
		Store:     store,
		Audit:     &audit.Writer{Objects: store, Bucket: cfg.AuditBucket},
		Config:    cfg,
		Now:       now,
		ErrorName: ErrorName,
	}
}
