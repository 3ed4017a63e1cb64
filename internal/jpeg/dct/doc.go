// Package dct reads and writes JPEG images as quantised DCT coefficients and
// transforms them losslessly: the seven non-identity EXIF orientations (flips,
// transpose, transverse, rotations by 90, 180 and 270 degrees) are done on the
// coefficients, as jpegtran -perfect does, so no pixel is re-quantised.
//
// Decode accepts baseline, extended sequential and progressive Huffman-coded
// frames with 8-bit samples, any sampling factors and restart intervals (ITU-T
// T.81 Annex F and G). A scan whose Huffman table 0 or 1 no DHT segment has
// defined uses the T.81 K.3 table, as libjpeg-turbo does: Motion-JPEG frames
// (AVI1, IP camera snapshots) carry none. Check accepts and refuses exactly what Decode does but
// keeps no coefficients, for callers that only need to know that every scan
// decodes: a sequential frame then costs no memory beyond the entropy-coded
// data, and several Huffman codes are skipped per table lookup. Encode always writes one baseline (or, when a
// quantisation table needs 16-bit entries, extended sequential) frame with
// Huffman tables optimised for the image. Arithmetic coding, 12-bit samples,
// lossless and hierarchical frames and DNL markers are refused with
// *UnsupportedError; malformed data with *FormatError.
//
// Decode and Transform take their coefficients from memory that
// Image.Release handed back, when there is some: a service rotating photos
// one after another then neither allocates nor zeroes tens of megabytes per
// photo. Compare checks a file against an image as Decode and Equal would,
// block by block as it decodes, without a second copy of the coefficients.
//
// A transform is perfect when every block of the output comes from a whole
// block of the input: the image must be whole MCUs along each axis the
// transform mirrors (Transform.Perfect). Otherwise the partial MCUs at the
// edge would move to the opposite edge and the picture would change, so
// Image.Transform refuses with *NotPerfectError.
package dct
