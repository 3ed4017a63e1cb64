package jpeg

import "fmt"

// FormatError reports input that violates the JPEG syntax (T.81 Annex B).
type FormatError struct {
	Offset int64  // byte offset in the stream where the problem was found
	Msg    string // what is wrong
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("invalid JPEG at offset %d: %s", e.Offset, e.Msg)
}

// TruncatedError reports input that ends before the image does (a segment cut
// short, entropy-coded data without a following marker, no EOI).
type TruncatedError struct {
	Offset int64 // the stream length: where the input ended
	Msg    string
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("truncated JPEG at offset %d: %s", e.Offset, e.Msg)
}

// UnsupportedError reports valid JPEG syntax this project refuses to process,
// such as hierarchical coding or JPEG extension markers.
type UnsupportedError struct {
	Offset  int64
	Feature string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("unsupported JPEG feature at offset %d: %s", e.Offset, e.Feature)
}
