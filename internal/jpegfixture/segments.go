package jpegfixture

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// App returns an APPn segment (n 0–15) with the given payload.
func App(n int, payload []byte) Segment {
	return Segment{Marker: byte(jpeg.APP0 + n), Payload: payload}
}

// Comment returns a COM segment.
func Comment(text string) Segment { return Segment{Marker: jpeg.COM, Payload: []byte(text)} }

// JFIF returns an APP0 JFIF 1.02 segment with a tw×th RGB thumbnail (0×0 for none).
func JFIF(tw, th int) Segment {
	p := []byte{'J', 'F', 'I', 'F', 0, 1, 2, 1, 0, 72, 0, 72, byte(tw), byte(th)}
	for i := 0; i < 3*tw*th; i++ {
		p = append(p, byte(i*7))
	}
	return Segment{Marker: jpeg.APP0, Payload: p}
}

// JFXX returns an APP0 JFIF extension segment holding a JPEG thumbnail.
func JFXX(thumb []byte) Segment {
	return Segment{Marker: jpeg.APP0, Payload: append([]byte("JFXX\x00\x10"), thumb...)}
}

// Adobe returns an APP14 Adobe segment with the given colour transform
// (0 none/RGB/CMYK, 1 YCbCr, 2 YCCK).
func Adobe(transform byte) Segment {
	return Segment{Marker: jpeg.APP14, Payload: []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, transform}}
}

// Ducky returns an APP12 "Ducky" segment (Photoshop save-for-web quality).
func Ducky() Segment {
	return Segment{Marker: jpeg.APP12, Payload: []byte("Ducky\x00\x01\x00\x04\x00\x00\x00\x50\x00\x00")}
}

// XMP returns an APP1 XMP packet wrapping body in rdf:Description, e.g.
// `<exif:GPSLatitude>51,30N</exif:GPSLatitude><tiff:Make>Canon</tiff:Make>`.
func XMP(body string) Segment {
	return Segment{Marker: jpeg.APP1, Payload: append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmpPacket(body)...)}
}

func xmpPacket(body string) []byte {
	return []byte(`<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">` +
		`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""` +
		` xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"` +
		` xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:GImage="http://ns.google.com/photos/1.0/image/">` +
		body + `</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`)
}

// ExtendedXMP returns the APP1 segments of an Extended XMP packet holding body
// (for instance `<GImage:Data>…base64…</GImage:Data>`), split into chunks of at
// most chunk bytes (0: 65000), each with the GUID, full length and offset header.
func ExtendedXMP(body string, chunk int) []Segment {
	if chunk <= 0 {
		chunk = 65000
	}
	data := xmpPacket(body)
	guid := []byte("0123456789ABCDEF0123456789ABCDEF")
	var segs []Segment
	for off := 0; off < len(data); off += chunk {
		p := append([]byte("http://ns.adobe.com/xmp/extension/\x00"), guid...)
		p = binary.BigEndian.AppendUint32(p, uint32(len(data)))
		p = binary.BigEndian.AppendUint32(p, uint32(off))
		p = append(p, data[off:min(off+chunk, len(data))]...)
		segs = append(segs, Segment{Marker: jpeg.APP1, Payload: p})
	}
	return segs
}

// ICC returns the APP2 ICC_PROFILE segments carrying profile in chunks of at
// most chunk bytes (0: 65519), numbered 1..n of n.
func ICC(profile []byte, chunk int) []Segment {
	if chunk <= 0 {
		chunk = 65519
	}
	n := (len(profile) + chunk - 1) / chunk
	var segs []Segment
	for i := 0; i < n; i++ {
		p := append([]byte("ICC_PROFILE\x00"), byte(i+1), byte(n))
		p = append(p, profile[i*chunk:min((i+1)*chunk, len(profile))]...)
		segs = append(segs, Segment{Marker: jpeg.APP2, Payload: p})
	}
	return segs
}

// ICCProfile returns a syntactically plausible ICC profile of about size bytes
// (header with 'acsp' signature and a desc tag); decoders need not use it.
func ICCProfile(size int) []byte {
	size = max(size, 160)
	p := make([]byte, size)
	binary.BigEndian.PutUint32(p, uint32(size))
	copy(p[4:], "lcms")
	binary.BigEndian.PutUint32(p[8:], 0x04300000)
	copy(p[12:], "mntrRGB XYZ ")
	copy(p[36:], "acsp")
	for i := 132; i < size; i++ {
		p[i] = byte(i)
	}
	return p
}

// Photoshop returns an APP13 "Photoshop 3.0" segment with an IPTC block (By-line,
// City, Caption) and, when thumb is not nil, a 0x040C thumbnail resource.
func Photoshop(byline, city string, thumb []byte) Segment {
	var iptc []byte
	for _, ds := range []struct {
		n byte
		v string
	}{{80, byline}, {90, city}, {120, "caption"}} {
		iptc = append(iptc, 0x1C, 2, ds.n, byte(len(ds.v)>>8), byte(len(ds.v)))
		iptc = append(iptc, ds.v...)
	}
	p := []byte("Photoshop 3.0\x00")
	p = appendResource(p, 0x0404, iptc)
	if thumb != nil {
		p = appendResource(p, 0x040C, append(make([]byte, 28), thumb...))
	}
	return Segment{Marker: jpeg.APP13, Payload: p}
}

func appendResource(p []byte, id uint16, data []byte) []byte {
	p = append(p, "8BIM"...)
	p = binary.BigEndian.AppendUint16(p, id)
	p = append(p, 0, 0) // empty Pascal name, padded
	p = binary.BigEndian.AppendUint32(p, uint32(len(data)))
	p = append(p, data...)
	if len(data)%2 == 1 {
		p = append(p, 0)
	}
	return p
}

// FlashPix returns an APP2 FPXR segment (as Kodak and Minolta cameras write).
func FlashPix() Segment {
	return Segment{Marker: jpeg.APP2, Payload: []byte("FPXR\x00\x00\x01\x00\x00\x00\x02Contents")}
}

// MPF returns an APP2 MPF segment (CIPA DC-007) indexing a primary image and a
// second image of secondSize bytes at secondOffset (relative to the MPF header,
// as the standard counts). Append the second image with File.Trailer.
func MPF(primarySize, secondSize, secondOffset uint32) Segment {
	p := []byte("MPF\x00")
	t := []byte("MM\x00\x2A\x00\x00\x00\x08")
	t = binary.BigEndian.AppendUint16(t, 3)
	entry := func(tag, typ uint16, count, val uint32) {
		t = binary.BigEndian.AppendUint16(t, tag)
		t = binary.BigEndian.AppendUint16(t, typ)
		t = binary.BigEndian.AppendUint32(t, count)
		t = binary.BigEndian.AppendUint32(t, val)
	}
	entry(0xB000, 7, 4, 0x30313030)  // MPFVersion "0100"
	entry(0xB001, 4, 1, 2)           // NumberOfImages
	entry(0xB002, 7, 32, 8+2+3*12+4) // MPEntry, right after this IFD
	t = binary.BigEndian.AppendUint32(t, 0)
	// MP entries: attribute (primary, baseline), size, offset, two dependent-image entries.
	for _, e := range [][3]uint32{{0x20030000, primarySize, 0}, {0x00000000, secondSize, secondOffset}} {
		t = binary.BigEndian.AppendUint32(t, e[0])
		t = binary.BigEndian.AppendUint32(t, e[1])
		t = binary.BigEndian.AppendUint32(t, e[2])
		t = append(t, 0, 0, 0, 0)
	}
	return Segment{Marker: jpeg.APP2, Payload: append(p, t...)}
}

// ZipArchive returns a ZIP archive holding one file: appended after EOI it
// makes a JPEG/ZIP polyglot.
func ZipArchive(name, content string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err == nil {
		_, err = w.Write([]byte(content))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		panic(fmt.Sprintf("jpegfixture: zip: %v", err))
	}
	return buf.Bytes()
}

// MPO returns a multi-picture file (CIPA DC-007) as cameras and phones write
// it: primary with an MPF APP2 segment right after SOI indexing itself and
// second, then second after the primary's EOI. The offsets are exact, so
// exiftool lists second as MPImage2.
func MPO(primary, second []byte) []byte {
	// The MPF segment's size does not depend on the offsets it holds.
	mpfSize := len(MPF(0, 0, 0).Bytes())
	primarySize := len(primary) + mpfSize
	// Offsets count from the MPF TIFF header: SOI, marker, length, "MPF\0".
	const header = 2 + 4 + 4
	seg := MPF(uint32(primarySize), uint32(len(second)), uint32(primarySize-header))
	return New(primary).Add(seg).Trailer(second).Bytes()
}
