package metadata

import (
	"bytes"
	"strings"
)

// Extended XMP chunk header after the signature: GUID(32) full length(4) offset(4).
const xmpExtHeaderLen = 32 + 4 + 4

// xmpTags returns the qualified names ("exif:GPSLatitude", "GImage:Data") of
// the sensitive XMP properties in an XMP packet or a piece of one. It does not
// parse XML: it looks for prefix:Name tokens where an element or attribute
// name can start (after '<' or white space) and end ('=', '>', '/', space), so
// values and text, which never sit there, are not mistaken for names.
func xmpTags(b []byte) []string {
	var tags []string
	seen := map[string]bool{}
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], ':')
		if j < 0 {
			break
		}
		colon := i + j
		i = colon + 1
		s := colon
		for s > 0 && isNameByte(b[s-1]) {
			s--
		}
		e := colon + 1
		for e < len(b) && isNameByte(b[e]) {
			e++
		}
		if s == colon || e == colon+1 || s == 0 || e == len(b) {
			continue
		}
		if before := b[s-1]; before != '<' && !isSpace(before) {
			continue
		}
		if after := b[e]; after != '=' && after != '>' && after != '/' && !isSpace(after) {
			continue
		}
		prefix, local := string(b[s:colon]), string(b[colon+1:e])
		if !sensitiveXMP(prefix, local) {
			continue
		}
		q := prefix + ":" + local
		if !seen[q] {
			seen[q] = true
			tags = append(tags, q)
		}
	}
	return tags
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// sensitiveXMPNames are local names that identify a person, a place, a device or
// a moment, or that carry another image.
var sensitiveXMPNames = map[string]bool{
	"Make": true, "Model": true, "SerialNumber": true, "BodySerialNumber": true,
	"LensSerialNumber": true, "CameraSerialNumber": true, "InternalSerialNumber": true,
	"ImageUniqueID": true, "DateTimeOriginal": true, "DateTimeDigitized": true,
	"DateCreated": true, "CreateDate": true, "ModifyDate": true, "MetadataDate": true,
	"Software": true, "CreatorTool": true, "Artist": true, "creator": true, "OwnerName": true,
	"CameraOwnerName": true, "Lens": true, "LensModel": true, "LensMake": true, "LensInfo": true,
	"Location": true, "City": true, "State": true, "Country": true, "CountryCode": true,
	"Sublocation": true, "LocationCreated": true, "LocationShown": true,
	"PersonInImage": true, "Regions": true, "RegionList": true, "Thumbnails": true,
	"MakerNote": true, "UserComment": true, "DocumentID": true, "InstanceID": true,
	"OriginalDocumentID": true, "History": true, "DerivedFrom": true, "Rights": true,
	"rights": true, "Credit": true, "Source": true, "CaptionWriter": true,
	"AuthorsPosition": true, "CreatorContactInfo": true, "description": true, "title": true,
	"HasExtendedXMP": true,
}

// sensitiveXMP picks the XMP properties worth naming in a report.
func sensitiveXMP(prefix, local string) bool {
	switch prefix {
	case "xmlns", "rdf", "x", "xml":
		return false
	case "GImage", "GDepth", "GCamera", "Container", "Item", "hdrgm":
		// Google depth/portrait/Ultra HDR containers: embedded images and maps.
		return local == "Data" || local == "Mime" || local == "Semantic"
	}
	return strings.HasPrefix(local, "GPS") || sensitiveXMPNames[local]
}
