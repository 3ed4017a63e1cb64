// Package jpeg reads and writes the segment structure of JPEG files (ITU-T T.81
// Annex B, JFIF, and the APPn framing Exif/TIFF uses) without decoding pixels.
//
// A file is a sequence of parts: standalone markers (SOI, EOI), marker segments
// (a marker, a two-byte length and a payload of at most 65533 bytes),
// entropy-coded data following each SOS (kept verbatim: stuffed 0xFF00 bytes,
// restart markers RST0–RST7 and fill bytes inside the data stay as they are),
// and, after the first EOI seen at marker level (the true end of the image),
// trailer bytes.
//
// The same resumable parser runs in two modes:
//
//   - [Reader] pulls from an io.Reader: r.Next() returns one [Part] at a time.
//   - [Sink] is an io.Writer: bytes written to it are parsed as they arrive and
//     each part is handed to a callback. Strip uses it to re-parse its own
//     output while writing it.
//
// Both keep at most one buffer (about 128 KiB) per stream, whatever the image
// size, and never loop without consuming input. Malformed input yields
// *FormatError, input that ends too early *TruncatedError; this package never
// panics on any input. Which segments mean what (metadata or image data) is the
// caller's business; see package metadata.
package jpeg
