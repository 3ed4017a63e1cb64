package metadata

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// ifdBytes is an IFD with one LONG entry and no next IFD.
func ifdBytes(bo binary.AppendByteOrder, tag uint16) []byte {
	b := bo.AppendUint16(nil, 1)
	b = bo.AppendUint16(b, tag)
	b = bo.AppendUint16(b, 4)
	b = bo.AppendUint32(b, 1)
	b = bo.AppendUint32(b, 12345)
	return bo.AppendUint32(b, 0)
}

func TestMakerNoteSerials(t *testing.T) {
	for _, bo := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		nikonTIFF := []byte("MM\x00\x2A\x00\x00\x00\x08")
		if bo == binary.AppendByteOrder(binary.LittleEndian) {
			nikonTIFF = []byte("II\x2A\x00\x08\x00\x00\x00")
		}
		tests := []struct {
			name string
			spec jpegfixture.ExifSpec
			want string
		}{
			{"canon", jpegfixture.ExifSpec{Make: "Canon", MakerNote: ifdBytes(bo, 0x000C)}, "MakerNote:SerialNumber"},
			{"nikon", jpegfixture.ExifSpec{Make: "NIKON", MakerNote: append(append([]byte("Nikon\x00\x02\x10\x00\x00"), nikonTIFF...), ifdBytes(bo, 0x001D)...)}, "MakerNote:SerialNumber"},
			{"panasonic", jpegfixture.ExifSpec{Make: "Panasonic", MakerNote: append([]byte("Panasonic\x00\x00\x00"), ifdBytes(bo, 0x0025)...)}, "MakerNote:InternalSerialNumber"},
			{"fuji", jpegfixture.ExifSpec{Make: "FUJIFILM", MakerNote: append([]byte("FUJIFILM\x0C\x00\x00\x00"), ifdBytes(binary.LittleEndian, 0x0010)...)}, "MakerNote:InternalSerialNumber"},
			{"not canon", jpegfixture.ExifSpec{Make: "Other", MakerNote: ifdBytes(bo, 0x000C)}, ""},
		}
		for _, tt := range tests {
			tt.spec.Order = bo
			info := parseExif(jpegfixture.Exif(tt.spec).Payload)
			got := slices.Contains(info.tags, tt.want)
			if tt.want == "" {
				got = !slices.ContainsFunc(info.tags, func(s string) bool { return len(s) > 10 && s[:10] == "MakerNote:" })
			}
			if !got {
				t.Errorf("%v %s: tags %v, want %q", bo, tt.name, info.tags, tt.want)
			}
		}
	}
}
