package metadata

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Exif APP1: "Exif\0\0" then a TIFF structure (Exif 2.32 §4.5.4, TIFF 6.0 §2):
// byte order, 42, offset of IFD0; each IFD is a count, 12-byte entries
// (tag, type, count, value or offset) and the offset of the next IFD.

const exifHeaderLen = 6 // "Exif\0\0"

const (
	tagOrientation = 0x0112
	tagExifIFD     = 0x8769
	tagGPSIFD      = 0x8825
	tagInteropIFD  = 0xA005
)

type ifdKind uint8

const (
	ifd0 ifdKind = iota
	ifd1
	ifdExif
	ifdGPS
	ifdInterop
)

// Sensitive tag names, as exiftool names them, by the IFD they live in.
var ifd0Names = map[uint16]string{
	0x010E: "ImageDescription", 0x010F: "Make", 0x0110: "Model", 0x0131: "Software",
	0x0132: "ModifyDate", 0x013B: "Artist", 0x013C: "HostComputer", 0x8298: "Copyright",
	0x9C9B: "XPTitle", 0x9C9C: "XPComment", 0x9C9D: "XPAuthor", 0x9C9E: "XPKeywords",
	0x9C9F: "XPSubject", 0xC62F: "CameraSerialNumber", 0xA431: "SerialNumber",
	0xA430: "OwnerName", 0x927C: "MakerNote", 0x02BC: "ApplicationNotes", 0x83BB: "IPTC-NAA",
	0x9003: "DateTimeOriginal", 0x9004: "CreateDate", 0xA420: "ImageUniqueID",
}

var exifIFDNames = map[uint16]string{
	0x9003: "DateTimeOriginal", 0x9004: "CreateDate", 0x9010: "OffsetTime",
	0x9011: "OffsetTimeOriginal", 0x9012: "OffsetTimeDigitized", 0x9290: "SubSecTime",
	0x9291: "SubSecTimeOriginal", 0x9292: "SubSecTimeDigitized", 0x927C: "MakerNote",
	0x9286: "UserComment", 0xA420: "ImageUniqueID", 0xA430: "OwnerName", 0xA431: "SerialNumber",
	0xA432: "LensInfo", 0xA433: "LensMake", 0xA434: "LensModel", 0xA435: "LensSerialNumber",
	0xA436: "ImageTitle", 0xA437: "Photographer", 0xA438: "ImageEditor", 0xA439: "CameraFirmware",
	0xA43A: "RAWDevelopingSoftware", 0xA43B: "ImageEditingSoftware",
	0xA43C: "MetadataEditingSoftware", 0x010F: "Make", 0x0110: "Model", 0x0131: "Software",
	0xC62F: "CameraSerialNumber",
}

var gpsNames = [...]string{
	"GPSVersionID", "GPSLatitudeRef", "GPSLatitude", "GPSLongitudeRef", "GPSLongitude",
	"GPSAltitudeRef", "GPSAltitude", "GPSTimeStamp", "GPSSatellites", "GPSStatus",
	"GPSMeasureMode", "GPSDOP", "GPSSpeedRef", "GPSSpeed", "GPSTrackRef", "GPSTrack",
	"GPSImgDirectionRef", "GPSImgDirection", "GPSMapDatum", "GPSDestLatitudeRef",
	"GPSDestLatitude", "GPSDestLongitudeRef", "GPSDestLongitude", "GPSDestBearingRef",
	"GPSDestBearing", "GPSDestDistanceRef", "GPSDestDistance", "GPSProcessingMethod",
	"GPSAreaInformation", "GPSDateStamp", "GPSDifferential", "GPSHPositioningError",
}

// exifInfo is what Strip and Inspect need from an Exif segment.
type exifInfo struct {
	orientation int // 0 when absent
	tags        []string
}

// maxIFDs bounds the IFD walk: IFD0, IFD1, Exif, GPS, Interop and a few more.
const maxIFDs = 16

// parseExif reads an Exif APP1 payload. It is lenient: a damaged structure
// yields what could be read; the segment is removed either way.
func parseExif(payload []byte) exifInfo {
	var info exifInfo
	if len(payload) < exifHeaderLen+8 {
		return info
	}
	t := payload[exifHeaderLen:]
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return info
	}
	if bo.Uint16(t[2:]) != 42 {
		return info
	}
	type todo struct {
		off  uint32
		kind ifdKind
	}
	queue := []todo{{bo.Uint32(t[4:]), ifd0}}
	seen := map[uint32]bool{}
	var make string             // IFD0 Make, only to recognise a Canon maker note
	var noteOff, noteLen uint32 // the maker note's place in t
	for len(queue) > 0 && len(seen) < maxIFDs {
		cur := queue[0]
		queue = queue[1:]
		off := int64(cur.off)
		if off < 8 || off+2 > int64(len(t)) || seen[cur.off] {
			continue
		}
		seen[cur.off] = true
		n := int64(bo.Uint16(t[off:]))
		if max := (int64(len(t)) - off - 2) / 12; n > max {
			n = max
		}
		for i := int64(0); i < n; i++ {
			e := t[off+2+12*i:]
			tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), bo.Uint32(e[4:])
			if name := tagName(cur.kind, tag); name != "" {
				info.tags = append(info.tags, name)
			}
			switch {
			case cur.kind == ifd0 && tag == tagOrientation && count == 1:
				switch typ {
				case 3: // SHORT
					info.orientation = int(bo.Uint16(e[8:]))
				case 4: // LONG
					info.orientation = int(min(bo.Uint32(e[8:]), 1<<16))
				}
			case cur.kind == ifd0 && tag == 0x010F && typ == 2 && count > 4 && count < 64:
				if o := bo.Uint32(e[8:]); uint64(o)+uint64(count) <= uint64(len(t)) {
					make = string(bytes.TrimRight(t[o:o+count], "\x00 "))
				}
			case cur.kind == ifdExif && tag == 0x927C && count > 4:
				noteOff, noteLen = bo.Uint32(e[8:]), count
			case (cur.kind == ifd0 || cur.kind == ifd1) && tag == tagExifIFD:
				queue = append(queue, todo{bo.Uint32(e[8:]), ifdExif})
			case (cur.kind == ifd0 || cur.kind == ifd1) && tag == tagGPSIFD:
				queue = append(queue, todo{bo.Uint32(e[8:]), ifdGPS})
			case cur.kind == ifdExif && tag == tagInteropIFD:
				queue = append(queue, todo{bo.Uint32(e[8:]), ifdInterop})
			}
		}
		if cur.kind == ifd0 {
			if next := off + 2 + 12*n; next+4 <= int64(len(t)) {
				if o := bo.Uint32(t[next:]); o != 0 {
					queue = append(queue, todo{o, ifd1})
				}
			}
		}
	}
	if noteLen > 0 {
		info.tags = append(info.tags, makerNoteTags(t, noteOff, noteLen, bo, make)...)
	}
	return info
}

func tagName(k ifdKind, tag uint16) string {
	switch k {
	case ifd0:
		return ifd0Names[tag]
	case ifd1:
		switch tag {
		case 0x0201, 0x0111: // JPEGInterchangeFormat, StripOffsets
			return "ThumbnailImage"
		}
		return ifd0Names[tag]
	case ifdExif:
		return exifIFDNames[tag]
	case ifdGPS:
		if int(tag) < len(gpsNames) {
			return gpsNames[tag]
		}
		return fmt.Sprintf("GPSTag0x%04X", tag)
	}
	return ""
}

// minimalExifLen is "Exif\0\0", the TIFF header, one IFD with one entry.
const minimalExifLen = exifHeaderLen + 8 + 2 + 12 + 4

// minimalExif is the APP1 payload Strip writes to keep orientation o: big-endian
// TIFF, IFD0 with Orientation (SHORT, 1) alone, no next IFD.
func minimalExif(o int) []byte {
	b := make([]byte, 0, minimalExifLen)
	b = append(b, "Exif\x00\x00MM\x00\x2A\x00\x00\x00\x08"...)
	b = append(b, 0x00, 0x01) // one entry
	b = append(b, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, byte(o>>8), byte(o), 0x00, 0x00)
	b = append(b, 0x00, 0x00, 0x00, 0x00) // no IFD1
	return b
}

// isMinimalExif accepts exactly an Exif payload holding IFD0 with a single
// Orientation entry of value 1–8 and nothing else, in either byte order.
func isMinimalExif(p []byte) bool {
	if len(p) != minimalExifLen || string(p[:exifHeaderLen]) != "Exif\x00\x00" {
		return false
	}
	t := p[exifHeaderLen:]
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return false
	}
	if bo.Uint32(t[4:]) != 8 || bo.Uint16(t[8:]) != 1 {
		return false
	}
	e := t[10:]
	if bo.Uint16(e) != tagOrientation || bo.Uint16(e[2:]) != 3 || bo.Uint32(e[4:]) != 1 {
		return false
	}
	v := bo.Uint16(e[8:])
	return v >= 1 && v <= 8 && e[10] == 0 && e[11] == 0 && bo.Uint32(t[22:]) == 0
}
