// Package metadata is the sanitizing policy: it classifies every segment of a
// JPEG file, decides what to keep, and removes the rest losslessly.
//
// What is kept (the image is not touched: tables, frame and scan headers and
// entropy-coded data are copied byte for byte):
//
//	SOI, DQT, DHT, DAC, SOFn, DRI, SOS + entropy-coded data, DNL, EOI   always
//	APP0 JFIF (rewritten to its 14 fixed bytes: the thumbnail goes)     before the first scan
//	APP14 Adobe (its 12 bytes: CMYK/YCCK decoding needs the transform)  before the first scan
//	APP2 ICC_PROFILE chunks, verbatim                                   before the first scan, when Policy.KeepICC
//	APP1 Exif holding Orientation alone                                 when Orientation is 2–8 and the mode is "keep",
//	                                                                    or "transform" could not transform
//
// Everything else is removed: Exif (IFD1 thumbnail, MakerNote and GPS with it),
// XMP and Extended XMP, Photoshop/IPTC, MPF, FlashPix, JFXX, Ducky, JUMBF and any
// other APPn, COM, stray markers, junk between segments, and everything after
// the EOI that ends the image (MPF side images, trailers, polyglot archives).
// Segments found after the first SOS keep only image data: decoders read
// colour and orientation from the header, and APPn between progressive scans is
// a known hiding place other tools miss.
//
// Orientation modes: "transform" (the default) rotates or mirrors an image
// whose Exif Orientation is 2–8 in the DCT domain (package jpeg/dct, as
// jpegtran -perfect does), so its output needs no Exif at all: not a pixel
// changes, but the entropy-coded data is re-encoded, so such an output's image
// digest differs from the source's and [CheckTransform] proves it instead,
// coefficient by coefficient. Where the transform would move partial edge
// MCUs, or the image is arithmetic-coded, 12-bit or lossless, it falls back
// to "keep" and the Report says why. "keep" writes the minimal Exif; "drop"
// removes the tag.
//
// [Strip] streams one file to another with memory bounded independently of the
// image size (about 1 MB of buffers; a transformed image is the exception), and
// re-parses its own output while writing it: the output must hold only allowed
// segments, nothing after EOI, and image data identical to the input's. Its
// [Report] names what went: segment kinds with byte counts, and the names (never
// the values) of sensitive tags found in Exif (GPS*, Make, Model, SerialNumber,
// DateTimeOriginal, Software, Artist, OwnerName, ImageUniqueID, MakerNote,
// ThumbnailImage, and "MakerNote:SerialNumber" where a Canon, Nikon, Olympus,
// Panasonic, FujiFilm, Sigma or Ricoh maker note holds one, ...), XMP
// ("exif:GPSLatitude", "GImage:Data"), IPTC
// ("IPTC:By-line") and the JPEGs after EOI ("ExtraImage:Make").
//
// [Inspect] describes a file; [Verify] checks one is clean and, where package
// dct handles the coding process, entropy-decodes it; [InspectDecode]
// describes an upload and decodes its image data, clean or not. All apply the
// same limits and return the same errors as Strip.
//
// Errors are typed so callers can branch with errors.As: *NotJPEGError,
// *TooLargeError, *TooManyPixelsError, *MetadataRemainsError, *ImageMismatchError,
// *DecodeError from this package, and *jpeg.FormatError, *jpeg.TruncatedError,
// *jpeg.UnsupportedError from package jpeg. All are returned as pointers.
//
// The policy is versioned ([PolicyVersion]); any change to what is kept or
// removed changes the version, which audit records carry.
package metadata
