package lambdafn

import (
	"errors"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/sanitize"
)

// The stable error names, as Step Functions sees them in Retry and Catch.
const (
	// Domain errors: the input or the output is wrong; retrying cannot help.
	InvalidInput        = "InvalidInput"        // payload or event the steps cannot act on
	NotJPEG             = "NotJPEG"             // PNG, HEIC, ... named .jpg; empty files
	Truncated           = "Truncated"           // the file ends before the image does
	Corrupt             = "Corrupt"             // JPEG syntax errors, undecodable data
	Unsupported         = "Unsupported"         // valid JPEG the sanitizer refuses (hierarchical, ...)
	TooLarge            = "TooLarge"            // more bytes than MAX_BYTES
	TooManyPixels       = "TooManyPixels"       // more pixels than MAX_PIXELS (decompression bombs)
	SourceChanged       = "SourceChanged"       // the source version's bytes are no longer the event's
	SourceNotFound      = "SourceNotFound"      // the source version is gone
	StagedObjectMissing = "StagedObjectMissing" // the staged output expired or changed
	MetadataRemains     = "MetadataRemains"     // Verify found metadata in the output (rolled back)
	ImageMismatch       = "ImageMismatch"       // other image data than the source's (Strip's self-check), or other bytes than Strip staged (Verify: rolled back)
	OutputRemoved       = "OutputRemoved"       // Verify found the published version gone, not replaced by a newer upload (a lost rollback)
	AccessDenied        = "AccessDenied"        // S3 403: a deployment error
	StorageError        = "StorageError"        // any other S3 error response

	// Transient errors: retried by the state machine with backoff and jitter.
	TransientS3      = "TransientS3"      // S3 5xx, throttling, network errors (after the SDK's own retries)
	OutputContention = "OutputContention" // the output key kept changing during Write's compare-and-swap

	// Internal: a bug; retried twice by the catch-all retrier, then caught.
	Internal = "Internal"
)

// ErrorNames lists every name a handler can return, domain names first.
var ErrorNames = []string{
	InvalidInput, NotJPEG, Truncated, Corrupt, Unsupported, TooLarge, TooManyPixels,
	SourceChanged, SourceNotFound, StagedObjectMissing, MetadataRemains, ImageMismatch, OutputRemoved,
	AccessDenied, StorageError, TransientS3, OutputContention, Internal,
}

// Retryable reports whether the state machine retries the named error.
func Retryable(name string) bool {
	return name == TransientS3 || name == OutputContention || name == Internal
}

// ErrorName gives err its stable name. Wrapped errors are unwrapped: inside the
// packages errors carry context ("strip %s: %w"), the name comes from the cause.
func ErrorName(err error) string {
	var (
		invalid    *sanitize.InvalidInputError
		notJPEG    *metadata.NotJPEGError
		truncated  *jpeg.TruncatedError
		unsup      *jpeg.UnsupportedError
		format     *jpeg.FormatError
		decode     *metadata.DecodeError
		tooLarge   *metadata.TooLargeError
		tooMany    *metadata.TooManyPixelsError
		changed    *sanitize.SourceChangedError
		gone       *sanitize.SourceNotFoundError
		staged     *sanitize.StagedObjectMissingError
		remains    *metadata.MetadataRemainsError
		mismatch   *metadata.ImageMismatchError
		transform  *metadata.TransformMismatchError
		digest     *sanitize.OutputDigestError
		removed    *sanitize.OutputRemovedError
		contention *sanitize.ContentionError
		storage    *sanitize.StorageError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &invalid):
		return InvalidInput
	case errors.As(err, &notJPEG):
		return NotJPEG
	case errors.As(err, &truncated):
		return Truncated
	case errors.As(err, &unsup):
		return Unsupported
	case errors.As(err, &format), errors.As(err, &decode):
		return Corrupt
	case errors.As(err, &tooLarge):
		return TooLarge
	case errors.As(err, &tooMany):
		return TooManyPixels
	case errors.As(err, &changed):
		return SourceChanged
	case errors.As(err, &gone):
		return SourceNotFound
	case errors.As(err, &staged):
		return StagedObjectMissing
	case errors.As(err, &remains):
		return MetadataRemains
	case errors.As(err, &mismatch), errors.As(err, &transform), errors.As(err, &digest):
		return ImageMismatch
	case errors.As(err, &removed):
		return OutputRemoved
	case errors.As(err, &contention):
		return OutputContention
	case errors.As(err, &storage):
		switch {
		case errors.Is(err, sanitize.ErrTransient):
			return TransientS3
		case errors.Is(err, sanitize.ErrAccessDenied):
			return AccessDenied
		}
		return StorageError
	}
	return Internal
}

// edgeError is what a handler returns: aws-lambda-go passes an InvokeResponse_Error
// through unchanged, so its Type is the error name Step Functions matches.
func edgeError(err error) error {
	if err == nil {
		return nil
	}
	return messages.InvokeResponse_Error{Type: ErrorName(err), Message: err.Error()}
}
