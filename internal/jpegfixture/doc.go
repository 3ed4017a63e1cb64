// Package jpegfixture generates JPEG files for tests, so no JPEG file needs to
// be committed. Images come from Go's image/jpeg encoder (baseline) or from a
// small built-in progressive encoder; metadata segments are built here and
// spliced in.
//
// A typical test:
//
//	img := jpegfixture.Baseline(64, 48, 1)  // image/jpeg output: SOI DQT SOF0 DHT SOS … EOI
//	f := jpegfixture.New(img).
//		Add(jpegfixture.JFIF(2, 2)).                  // APP0 with a 2×2 thumbnail
//		Add(jpegfixture.Exif(jpegfixture.ExifSpec{   // APP1 Exif: IFD0, ExifIFD, GPS, IFD1 thumbnail
//			Order: binary.LittleEndian, Orientation: 6, Make: "Canon", GPS: true,
//			Thumbnail: jpegfixture.Baseline(8, 8, 2),
//		})).
//		Add(jpegfixture.XMP(`<exif:GPSLatitude>1</exif:GPSLatitude>`)).
//		Add(jpegfixture.Comment("secret")).
//		Trailer(jpegfixture.ZipArchive("a.txt", "hello"))
//	data := f.Bytes()
//
// Images: Baseline and Gray (image/jpeg), Blocks/Progressive/Encode (this
// package's encoder: progressive, restart markers, CMYK, noise; Encode streams
// images of any size). Segments: JFIF, JFXX, Exif (ExifSpec: both byte orders,
// GPS IFD, IFD1 thumbnail, Make/Model/serial/owner/MakerNote, any Orientation),
// OrientationOnly, XMP, ExtendedXMP, ICC (multi-chunk), Photoshop (IPTC,
// thumbnail), MPF, FlashPix, Ducky, Adobe, Comment, App. Whole files: MPO (a
// primary and a second image with exact MPF offsets). Trailers: ZipArchive.
//
// Segments passed to Add go right after SOI, in order, before the encoder's own
// tables. AfterFirstScan puts segments between the first scan and what follows
// it (use it with Progressive images to hide APPn between scans). Trailer bytes
// go after EOI. Every builder function returns plain bytes or Segment values,
// so tests can also assemble files by hand with Assemble.
package jpegfixture
