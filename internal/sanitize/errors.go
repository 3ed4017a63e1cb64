package sanitize

import "fmt"

// InvalidInputError reports a payload or event the steps cannot act on: no key, a
// bucket other than the configured one, an unknown detail-type. Retrying cannot help.
type InvalidInputError struct{ Msg string }

func (e *InvalidInputError) Error() string { return "invalid input: " + e.Msg }

// SourceNotFoundError reports that the source version the event names no longer
// exists (deleted, or its version removed) by the time a step reads it.
type SourceNotFoundError struct{ Bucket, Key, VersionID string }

func (e *SourceNotFoundError) Error() string {
	return fmt.Sprintf("source s3://%s/%s (version %q) not found", e.Bucket, e.Key, e.VersionID)
}

// SourceChangedError reports that the source key now holds other bytes than the event
// named (an unversioned bucket overwritten, or a digest that differs between steps).
// The newer upload has its own event; this execution must not publish either version.
type SourceChangedError struct {
	Bucket, Key string
	Detail      string
}

func (e *SourceChangedError) Error() string {
	return fmt.Sprintf("source s3://%s/%s changed: %s", e.Bucket, e.Key, e.Detail)
}

// StagedObjectMissingError reports that the staged output is gone or differs from what
// Strip wrote (expired by the staging bucket's lifecycle rule during a long retry).
type StagedObjectMissingError struct {
	Bucket, Key string
	Detail      string
}

func (e *StagedObjectMissingError) Error() string {
	return fmt.Sprintf("staged object s3://%s/%s: %s", e.Bucket, e.Key, e.Detail)
}

// OutputDigestError reports that the published object, though clean, does not hold
// the bytes Strip staged (sha256 Want): Verify rolls it back.
type OutputDigestError struct {
	Bucket, Key string
	Want, Got   string
}

func (e *OutputDigestError) Error() string {
	return fmt.Sprintf("s3://%s/%s has sha256 %s, not the staged output's %s", e.Bucket, e.Key, e.Got, e.Want)
}

// VerifyError wraps a failed verification (a *metadata.MetadataRemainsError,
// *metadata.ImageMismatchError, *OutputDigestError, or a parse error) and says what
// was rolled back.
type VerifyError struct {
	RolledBack string // the published object removed, "" when it was already gone
	Err        error
}

func (e *VerifyError) Error() string {
	if e.RolledBack == "" {
		return fmt.Sprintf("verify: %v", e.Err)
	}
	return fmt.Sprintf("verify: %v (rolled back %s)", e.Err, e.RolledBack)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// OutputRemovedError reports that the version Write published is gone when Verify
// reads it, and the output key does not hold a newer upload's output: a verify
// attempt rolled it back and its failure was lost (a crash before the execution's
// checkpoint), or something outside the pipeline removed it. The upload is not
// sanitized; retrying cannot help.
type OutputRemovedError struct {
	Bucket, Key, VersionID, ETag string
	Detail                       string
}

func (e *OutputRemovedError) Error() string {
	return fmt.Sprintf("published s3://%s/%s (version %q, etag %s) was removed before it was verified: %s",
		e.Bucket, e.Key, e.VersionID, e.ETag, e.Detail)
}

// ContentionError reports that the output key kept changing under Write's
// compare-and-swap; the step is worth retrying later.
type ContentionError struct{ Bucket, Key string }

func (e *ContentionError) Error() string {
	return fmt.Sprintf("s3://%s/%s changed during every attempt to publish", e.Bucket, e.Key)
}
