package metadata

import (
	"fmt"
	"strings"
)

// NotJPEGError reports input that is not a JPEG file at all. Detected names
// what it looks like: "png", "gif", "webp", "heic", "avif", "tiff", "pdf",
// "zip", "bmp", "empty" or "unknown".
type NotJPEGError struct{ Detected string }

func (e *NotJPEGError) Error() string {
	if e.Detected == "empty" {
		return "not a JPEG: empty input"
	}
	if e.Detected == "unknown" {
		return "not a JPEG: unrecognised content"
	}
	return "not a JPEG: looks like " + strings.ToUpper(e.Detected)
}

// TooLargeError reports input longer than Limits.MaxBytes.
type TooLargeError struct {
	Limit int64 // the limit in bytes
	Size  int64 // bytes seen when the limit was crossed (a lower bound of the size)
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("input exceeds %d bytes", e.Limit)
}

// TooManyPixelsError reports a frame larger than Limits.MaxPixels, found from
// the frame header (or DNL) before any pixel is decoded.
type TooManyPixelsError struct {
	Width, Height int
	Limit         int64
}

func (e *TooManyPixelsError) Error() string {
	return fmt.Sprintf("image of %d×%d pixels exceeds %d pixels", e.Width, e.Height, e.Limit)
}

// MetadataRemainsError reports a file (or a Strip output) that still holds
// something the policy removes. Problems says what, without tag values.
type MetadataRemainsError struct{ Problems []string }

func (e *MetadataRemainsError) Error() string {
	return "metadata remains: " + strings.Join(e.Problems, "; ")
}

// ImageMismatchError reports image data (tables, frame, scans, entropy-coded
// bytes) that differs between two files that must hold the same image.
type ImageMismatchError struct{ Want, Got string }

func (e *ImageMismatchError) Error() string {
	return fmt.Sprintf("image data differs: digest %s, want %s", e.Got, e.Want)
}

// DecodeError reports a file whose coding process Verify decodes (baseline,
// extended or progressive Huffman, 8-bit) but whose image data does not
// decode: corrupt or incomplete entropy-coded data.
type DecodeError struct{ Err error }

func (e *DecodeError) Error() string { return "decode: " + e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }
