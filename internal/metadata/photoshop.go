package metadata

import (
	"encoding/binary"
	"fmt"
)

// Photoshop APP13: "Photoshop 3.0\0" then image resource blocks (Adobe Photoshop
// File Formats, "Image Resource Blocks"): type(4) id(2) Pascal name padded to
// even length, size(4), data padded to even length.

var iptcNames = map[uint8]string{
	5: "ObjectName", 25: "Keywords", 55: "DateCreated", 60: "TimeCreated",
	62: "DigitalCreationDate", 63: "DigitalCreationTime", 80: "By-line", 85: "By-lineTitle",
	90: "City", 92: "Sub-location", 95: "Province-State", 100: "Country-PrimaryLocationCode",
	101: "Country-PrimaryLocationName", 103: "OriginalTransmissionReference", 105: "Headline",
	110: "Credit", 115: "Source", 116: "CopyrightNotice", 118: "Contact", 120: "Caption-Abstract",
	122: "Writer-Editor",
}

// maxResources bounds the resource walk of one segment.
const maxResources = 4096

// photoshopTags names what a Photoshop segment holds: IPTC datasets
// ("IPTC:By-line"), thumbnails, embedded Exif and XMP.
func photoshopTags(payload []byte) []string {
	b := payload[len(sigPS):]
	var tags []string
	for i := 0; i < maxResources && len(b) >= 12; i++ {
		id := binary.BigEndian.Uint16(b[4:])
		nameLen := int(b[6])
		pos := 6 + 1 + nameLen
		pos += pos & 1
		if pos+4 > len(b) {
			break
		}
		size := int64(binary.BigEndian.Uint32(b[pos:]))
		pos += 4
		end := int64(pos) + size
		if end > int64(len(b)) {
			end = int64(len(b))
		}
		data := b[pos:end]
		switch id {
		case 0x0404:
			tags = append(tags, iptcTags(data)...)
		case 0x0409, 0x040C:
			tags = append(tags, "PhotoshopThumbnail")
		case 0x0422:
			tags = append(tags, "PhotoshopExif")
		case 0x0424:
			tags = append(tags, "PhotoshopXMP")
		}
		end += end & 1
		if end >= int64(len(b)) {
			break
		}
		b = b[end:]
	}
	return tags
}

// iptcTags names the IPTC IIM datasets (tag 0x1C, record, dataset, size) present.
func iptcTags(b []byte) []string {
	var tags []string
	for len(b) >= 5 && b[0] == 0x1C {
		rec, ds := b[1], b[2]
		size := int(binary.BigEndian.Uint16(b[3:]))
		hdr := 5
		if size&0x8000 != 0 { // extended dataset: size of the size follows
			n := size & 0x7FFF
			if n > 4 || len(b) < 5+n {
				break
			}
			size = 0
			for _, c := range b[5 : 5+n] {
				size = size<<8 | int(c)
			}
			hdr += n
		}
		if rec == 2 {
			if name, ok := iptcNames[ds]; ok {
				tags = append(tags, "IPTC:"+name)
			} else if ds != 0 {
				tags = append(tags, fmt.Sprintf("IPTC:2:%d", ds))
			}
		}
		if size < 0 || hdr+size > len(b) {
			break
		}
		b = b[hdr+size:]
	}
	return tags
}
