package metadata

import (
	"bytes"
	"fmt"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// Segment kinds. Image kinds are kept; the others are metadata. The names are
// stable: they appear in reports and audit records.
const (
	KindImage       = "image" // DQT, DHT, DAC, SOFn, DRI, SOS, DNL: the picture itself
	KindJFIF        = "jfif"  // APP0 "JFIF\0"
	KindJFIFThumb   = "jfif-thumbnail"
	KindJFXX        = "jfxx"         // APP0 "JFXX\0": JFIF extension thumbnails
	KindExif        = "exif"         // APP1 "Exif\0"
	KindXMP         = "xmp"          // APP1 "http://ns.adobe.com/xap/1.0/\0"
	KindXMPExtended = "xmp-extended" // APP1 "http://ns.adobe.com/xmp/extension/\0"
	KindICC         = "icc"          // APP2 "ICC_PROFILE\0"
	KindMPF         = "mpf"          // APP2 "MPF\0": multi-picture index
	KindFlashPix    = "flashpix"     // APP2 "FPXR\0"
	KindDucky       = "ducky"        // APP12 "Ducky": Photoshop save-for-web
	KindPhotoshop   = "photoshop"    // APP13 "Photoshop 3.0\0" (IPTC lives here)
	KindAdobe       = "adobe"        // APP14 "Adobe"
	KindJUMBF       = "jumbf"        // APP11 "JP": JUMBF boxes (C2PA, HDR gain maps)
	KindComment     = "comment"      // COM
	KindJunk        = "junk"         // bytes between segments, stray RST/TEM markers
	KindTrailer     = "trailer"      // bytes after EOI that are not images
	KindExtraImages = "extra-images" // bytes after EOI holding further JPEGs (MPF side images)
)

// kindAPP names any other application segment: "app3", "app15".
func kindAPP(m byte) string { return fmt.Sprintf("app%d", m-jpeg.APP0) }

var (
	sigJFIF   = []byte("JFIF\x00")
	sigJFXX   = []byte("JFXX\x00")
	sigExif   = []byte("Exif\x00")
	sigXMP    = []byte("http://ns.adobe.com/xap/1.0/\x00")
	sigXMPExt = []byte("http://ns.adobe.com/xmp/extension/\x00")
	sigICC    = []byte("ICC_PROFILE\x00")
	sigMPF    = []byte("MPF\x00")
	sigFPXR   = []byte("FPXR\x00")
	sigDucky  = []byte("Ducky")
	sigPS     = []byte("Photoshop 3.0\x00")
	sigAdobe  = []byte("Adobe")
	sigJUMBF  = []byte("JP")
)

// isImageMarker reports the segments that carry the picture (T.81 B.2.4, B.2.2, B.2.3, B.2.5).
func isImageMarker(m byte) bool {
	switch m {
	case jpeg.DQT, jpeg.DHT, jpeg.DAC, jpeg.DRI, jpeg.SOS, jpeg.DNL:
		return true
	}
	return jpeg.IsSOF(m)
}

// classify names a segment's kind from its marker and payload signature.
func classify(m byte, payload []byte) string {
	switch {
	case isImageMarker(m):
		return KindImage
	case m == jpeg.COM:
		return KindComment
	case !jpeg.IsAPP(m):
		return jpeg.MarkerName(m)
	}
	switch m {
	case jpeg.APP0:
		switch {
		case bytes.HasPrefix(payload, sigJFIF):
			return KindJFIF
		case bytes.HasPrefix(payload, sigJFXX):
			return KindJFXX
		}
	case jpeg.APP1:
		switch {
		case bytes.HasPrefix(payload, sigExif):
			return KindExif
		case bytes.HasPrefix(payload, sigXMP):
			return KindXMP
		case bytes.HasPrefix(payload, sigXMPExt):
			return KindXMPExtended
		}
	case jpeg.APP2:
		switch {
		case bytes.HasPrefix(payload, sigICC):
			return KindICC
		case bytes.HasPrefix(payload, sigMPF):
			return KindMPF
		case bytes.HasPrefix(payload, sigFPXR):
			return KindFlashPix
		}
	case 0xEB: // APP11
		if bytes.HasPrefix(payload, sigJUMBF) {
			return KindJUMBF
		}
	case jpeg.APP12:
		if bytes.HasPrefix(payload, sigDucky) {
			return KindDucky
		}
	case jpeg.APP13:
		if bytes.HasPrefix(payload, sigPS) {
			return KindPhotoshop
		}
	case jpeg.APP14:
		if bytes.HasPrefix(payload, sigAdobe) {
			return KindAdobe
		}
	}
	return kindAPP(m)
}

// JFIF APP0 fixed part: identifier(5) version(2) units(1) density(4) thumbnail size(2).
const jfifLen = 14

// Adobe APP14: "Adobe"(5) version(2) flags0(2) flags1(2) transform(1).
const adobeLen = 12

// allowed decides whether a segment may appear in a clean file under p, and why not.
// afterScan is true once the first SOS has been seen; exifSeen once an
// Orientation-only Exif has been accepted.
func allowed(kind string, payload []byte, p Policy, afterScan, exifSeen bool) (ok bool, problem string) {
	switch kind {
	case KindImage:
		return true, ""
	case KindJFIF:
		switch {
		case afterScan:
			return false, "JFIF segment after the first scan"
		case len(payload) != jfifLen || payload[12] != 0 || payload[13] != 0:
			return false, "JFIF segment with a thumbnail or extra bytes"
		}
		return true, ""
	case KindAdobe:
		switch {
		case afterScan:
			return false, "Adobe segment after the first scan"
		case len(payload) != adobeLen:
			return false, "Adobe segment with extra bytes"
		}
		return true, ""
	case KindICC:
		switch {
		case !p.KeepICC:
			return false, "ICC profile (policy drops it)"
		case afterScan:
			return false, "ICC profile after the first scan"
		}
		return true, ""
	case KindExif:
		switch {
		case !p.keepOrientation():
			return false, "Exif segment (policy drops orientation)"
		case afterScan:
			return false, "Exif segment after the first scan"
		case exifSeen:
			return false, "more than one Exif segment"
		case !isMinimalExif(payload):
			return false, "Exif segment holding more than Orientation"
		}
		return true, ""
	}
	return false, kind + " segment"
}
