package dct

import "fmt"

// FormatError reports JPEG data that breaks ITU-T T.81.
type FormatError struct{ Msg string }

func (e *FormatError) Error() string { return "dct: invalid JPEG: " + e.Msg }

// UnsupportedError reports valid JPEG data this package does not handle
// (arithmetic coding, 12-bit samples, lossless or hierarchical frames, DNL).
type UnsupportedError struct{ Msg string }

func (e *UnsupportedError) Error() string { return "dct: unsupported JPEG: " + e.Msg }

// LimitError reports an image larger than the decoder's Limits allow.
type LimitError struct{ Msg string }

func (e *LimitError) Error() string { return "dct: limit exceeded: " + e.Msg }

// NotPerfectError reports a transform that would move partial edge MCUs:
// the image is not whole MCUs along an axis the transform mirrors.
type NotPerfectError struct {
	Transform           Transform
	Width, Height       int // image size in pixels
	MCUWidth, MCUHeight int // MCU size in pixels
}

func (e *NotPerfectError) Error() string {
	return fmt.Sprintf("dct: %s of a %dx%d image is not perfect: MCU is %dx%d pixels",
		e.Transform, e.Width, e.Height, e.MCUWidth, e.MCUHeight)
}

func formatErr(format string, a ...any) error { return &FormatError{fmt.Sprintf(format, a...)} }

func unsupported(format string, a ...any) error {
	return &UnsupportedError{fmt.Sprintf(format, a...)}
}
