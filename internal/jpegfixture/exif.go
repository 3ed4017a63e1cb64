package jpegfixture

import (
	"encoding/binary"
	"sort"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// ExifSpec describes an Exif APP1 segment. Empty strings and zero values leave
// a tag out; GPS adds a GPS IFD (latitude, longitude, altitude, time);
// Thumbnail adds IFD1 pointing at the given JPEG bytes.
type ExifSpec struct {
	Order            binary.AppendByteOrder // binary.LittleEndian ("II") or binary.BigEndian ("MM"); nil means big-endian
	Orientation      int                    // IFD0 Orientation (SHORT); 0 leaves it out
	Make, Model      string
	Software, Artist string
	DateTime         string // IFD0 ModifyDate
	DateTimeOriginal string // ExifIFD
	SerialNumber     string // ExifIFD 0xA431 (BodySerialNumber)
	OwnerName        string // ExifIFD 0xA430 (CameraOwnerName)
	ImageUniqueID    string // ExifIFD 0xA420
	MakerNote        []byte // ExifIFD 0x927C
	GPS              bool
	Thumbnail        []byte // IFD1 JPEGInterchangeFormat
}

// Exif returns the APP1 segment for spec.
func Exif(spec ExifSpec) Segment {
	return Segment{Marker: jpeg.APP1, Payload: append([]byte("Exif\x00\x00"), TIFF(spec)...)}
}

// OrientationOnly returns an Exif APP1 holding IFD0 with Orientation o alone.
func OrientationOnly(o int, order binary.AppendByteOrder) Segment {
	return Exif(ExifSpec{Order: order, Orientation: o})
}

type entry struct {
	tag, typ uint16
	count    uint32
	data     []byte // the value bytes in the file's byte order
}

type ifd []entry

func (d ifd) size() int {
	n := 2 + 12*len(d) + 4
	for _, e := range d {
		if len(e.data) > 4 {
			n += len(e.data) + len(e.data)%2
		}
	}
	return n
}

// TIFF returns the TIFF structure (header and IFDs) of an Exif segment.
func TIFF(spec ExifSpec) []byte {
	var bo binary.AppendByteOrder = binary.BigEndian
	if spec.Order != nil {
		bo = spec.Order
	}
	ascii := func(tag uint16, s string) []entry {
		if s == "" {
			return nil
		}
		return []entry{{tag, 2, uint32(len(s) + 1), append([]byte(s), 0)}}
	}
	short := func(tag uint16, v uint16) entry {
		return entry{tag, 3, 1, bo.AppendUint16(nil, v)}
	}
	long := func(tag uint16, v uint32) entry { return entry{tag, 4, 1, bo.AppendUint32(nil, v)} }
	rationals := func(tag uint16, vs ...uint32) entry {
		var b []byte
		for _, v := range vs {
			b = bo.AppendUint32(b, v)
			b = bo.AppendUint32(b, 1)
		}
		return entry{tag, 5, uint32(len(vs)), b}
	}

	var exifIFD ifd
	exifIFD = append(exifIFD, ascii(0x9003, spec.DateTimeOriginal)...)
	exifIFD = append(exifIFD, ascii(0xA420, spec.ImageUniqueID)...)
	exifIFD = append(exifIFD, ascii(0xA430, spec.OwnerName)...)
	exifIFD = append(exifIFD, ascii(0xA431, spec.SerialNumber)...)
	if spec.MakerNote != nil {
		exifIFD = append(exifIFD, entry{0x927C, 7, uint32(len(spec.MakerNote)), spec.MakerNote})
	}
	var gps ifd
	if spec.GPS {
		gps = ifd{
			{0x0000, 1, 4, []byte{2, 3, 0, 0}},
			{0x0001, 2, 2, []byte("N\x00")},
			rationals(0x0002, 51, 30, 26),
			{0x0003, 2, 2, []byte("W\x00")},
			rationals(0x0004, 0, 7, 39),
			rationals(0x0006, 35),
			rationals(0x0007, 12, 30, 0),
		}
	}
	var ifd1 ifd
	if spec.Thumbnail != nil {
		ifd1 = ifd{short(0x0103, 6), long(0x0201, 0), long(0x0202, uint32(len(spec.Thumbnail)))}
	}
	var ifd0 ifd
	ifd0 = append(ifd0, ascii(0x010F, spec.Make)...)
	ifd0 = append(ifd0, ascii(0x0110, spec.Model)...)
	if spec.Orientation != 0 {
		ifd0 = append(ifd0, short(0x0112, uint16(spec.Orientation)))
	}
	ifd0 = append(ifd0, ascii(0x0131, spec.Software)...)
	ifd0 = append(ifd0, ascii(0x0132, spec.DateTime)...)
	ifd0 = append(ifd0, ascii(0x013B, spec.Artist)...)
	if len(exifIFD) > 0 {
		ifd0 = append(ifd0, long(0x8769, 0))
	}
	if len(gps) > 0 {
		ifd0 = append(ifd0, long(0x8825, 0))
	}

	// Layout: header, IFD0, Exif IFD, GPS IFD, IFD1, thumbnail.
	o0 := 8
	oExif := o0 + ifd0.size()
	oGPS := oExif + sizeOrZero(exifIFD)
	o1 := oGPS + sizeOrZero(gps)
	oThumb := o1 + sizeOrZero(ifd1)
	for i := range ifd0 {
		switch ifd0[i].tag {
		case 0x8769:
			ifd0[i].data = bo.AppendUint32(nil, uint32(oExif))
		case 0x8825:
			ifd0[i].data = bo.AppendUint32(nil, uint32(oGPS))
		}
	}
	for i := range ifd1 {
		if ifd1[i].tag == 0x0201 {
			ifd1[i].data = bo.AppendUint32(nil, uint32(oThumb))
		}
	}

	out := []byte("MM\x00\x2A")
	if bo == binary.AppendByteOrder(binary.LittleEndian) {
		out = []byte("II\x2A\x00")
	}
	out = bo.AppendUint32(out, uint32(o0))
	next := uint32(0)
	if len(ifd1) > 0 {
		next = uint32(o1)
	}
	out = writeIFD(out, bo, ifd0, next)
	if len(exifIFD) > 0 {
		out = writeIFD(out, bo, exifIFD, 0)
	}
	if len(gps) > 0 {
		out = writeIFD(out, bo, gps, 0)
	}
	if len(ifd1) > 0 {
		out = writeIFD(out, bo, ifd1, 0)
		out = append(out, spec.Thumbnail...)
	}
	return out
}

func sizeOrZero(d ifd) int {
	if len(d) == 0 {
		return 0
	}
	return d.size()
}

// writeIFD appends d (entries sorted by tag, as TIFF requires) at offset len(out).
func writeIFD(out []byte, bo binary.AppendByteOrder, d ifd, next uint32) []byte {
	sort.SliceStable(d, func(i, j int) bool { return d[i].tag < d[j].tag })
	start := len(out)
	dataOff := start + 2 + 12*len(d) + 4
	out = bo.AppendUint16(out, uint16(len(d)))
	var data []byte
	for _, e := range d {
		out = bo.AppendUint16(out, e.tag)
		out = bo.AppendUint16(out, e.typ)
		out = bo.AppendUint32(out, e.count)
		if len(e.data) <= 4 {
			v := make([]byte, 4)
			copy(v, e.data)
			out = append(out, v...)
			continue
		}
		out = bo.AppendUint32(out, uint32(dataOff+len(data)))
		data = append(data, e.data...)
		if len(e.data)%2 == 1 {
			data = append(data, 0)
		}
	}
	out = bo.AppendUint32(out, next)
	return append(out, data...)
}
