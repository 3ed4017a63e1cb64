package metadata

import (
	"bytes"
	"encoding/binary"
)

// Maker notes are vendor IFDs inside Exif (tag 0x927C). Where one holds the
// camera's serial number in a known place, the report names it
// ("MakerNote:SerialNumber"); exiftool's tag tables (Canon.pm, Nikon.pm,
// Olympus.pm, Panasonic.pm, FujiFilm.pm, Sigma.pm, Ricoh.pm) give the layouts.
// Other maker notes are still reported as "MakerNote", which may hold one.

// makerNoteLayout says where a vendor's IFD starts and what its offsets count from.
type makerNoteLayout struct {
	ifd        int  // IFD offset from the maker note's start
	relative   bool // offsets inside count from the maker note, not the TIFF header
	littleOnly bool // always little-endian (FujiFilm)
	serials    map[uint16]string
	subIFD     uint16 // a tag pointing at a sub-IFD with more serials (Olympus Equipment)
	subSerials map[uint16]string
}

var (
	canonNote     = makerNoteLayout{serials: map[uint16]string{0x000C: "SerialNumber"}}
	nikonSerials  = map[uint16]string{0x001D: "SerialNumber", 0x00A0: "SerialNumber"}
	olympusNew    = makerNoteLayout{ifd: 12, relative: true, subIFD: 0x2010, subSerials: map[uint16]string{0x0101: "SerialNumber", 0x0102: "InternalSerialNumber"}}
	olympusOld    = makerNoteLayout{ifd: 8, serials: map[uint16]string{0x0404: "SerialNumber"}, subIFD: 0x2010, subSerials: map[uint16]string{0x0101: "SerialNumber", 0x0102: "InternalSerialNumber"}}
	panasonicNote = makerNoteLayout{ifd: 12, serials: map[uint16]string{0x0025: "InternalSerialNumber"}}
	sigmaNote     = makerNoteLayout{ifd: 10, serials: map[uint16]string{0x0002: "SerialNumber"}}
	ricohNote     = makerNoteLayout{ifd: 8, serials: map[uint16]string{0x0005: "InternalSerialNumber"}}
)

// makerNoteTags names the serial-number tags of the maker note at t[off:off+n]
// (t is the Exif TIFF structure, bo its byte order, make its IFD0 Make).
func makerNoteTags(t []byte, off, n uint32, bo binary.ByteOrder, make string) []string {
	if uint64(off)+uint64(n) > uint64(len(t)) || n < 8 {
		return nil
	}
	mn := t[off : off+n]
	switch {
	case bytes.HasPrefix(mn, []byte("Nikon\x00\x02")) && len(mn) > 18:
		// Type 3: a TIFF header of its own at 10; offsets count from it.
		sub := mn[10:]
		var sbo binary.ByteOrder
		switch string(sub[:2]) {
		case "II":
			sbo = binary.LittleEndian
		case "MM":
			sbo = binary.BigEndian
		default:
			return nil
		}
		return ifdTags(sub, int64(sbo.Uint32(sub[4:])), sbo, nikonSerials, 0, nil)
	case bytes.HasPrefix(mn, []byte("OLYMPUS\x00")) || bytes.HasPrefix(mn, []byte("OM SYSTEM\x00")):
		return olympusNew.tags(t, off, mn, bo)
	case bytes.HasPrefix(mn, []byte("OLYMP\x00")):
		return olympusOld.tags(t, off, mn, bo)
	case bytes.HasPrefix(mn, []byte("Panasonic\x00")):
		return panasonicNote.tags(t, off, mn, bo)
	case bytes.HasPrefix(mn, []byte("FUJIFILM")):
		l := makerNoteLayout{ifd: int(binary.LittleEndian.Uint32(mn[8:])), relative: true, littleOnly: true,
			serials: map[uint16]string{0x0010: "InternalSerialNumber"}}
		return l.tags(t, off, mn, bo)
	case bytes.HasPrefix(mn, []byte("SIGMA\x00")) || bytes.HasPrefix(mn, []byte("FOVEON\x00")):
		return sigmaNote.tags(t, off, mn, bo)
	case bytes.HasPrefix(mn, []byte("Ricoh")) || bytes.HasPrefix(mn, []byte("RICOH")):
		return ricohNote.tags(t, off, mn, bo)
	case make == "Canon":
		return canonNote.tags(t, off, mn, bo)
	}
	return nil
}

func (l makerNoteLayout) tags(t []byte, off uint32, mn []byte, bo binary.ByteOrder) []string {
	if l.littleOnly {
		bo = binary.LittleEndian
	}
	base, ifd := t, int64(off)+int64(l.ifd)
	if l.relative {
		base, ifd = mn, int64(l.ifd)
	}
	return ifdTags(base, ifd, bo, l.serials, l.subIFD, l.subSerials)
}

// ifdTags walks the IFD at b[ifd:] and names the entries found in names, then
// those of the sub-IFD that tag sub points at, if any.
func ifdTags(b []byte, ifd int64, bo binary.ByteOrder, names map[uint16]string, sub uint16, subNames map[uint16]string) []string {
	var tags []string
	if ifd < 0 || ifd+2 > int64(len(b)) {
		return nil
	}
	n := int64(bo.Uint16(b[ifd:]))
	n = min(n, (int64(len(b))-ifd-2)/12)
	for i := int64(0); i < n; i++ {
		e := b[ifd+2+12*i:]
		tag := bo.Uint16(e)
		if name, ok := names[tag]; ok {
			tags = append(tags, "MakerNote:"+name)
		}
		if sub != 0 && tag == sub {
			tags = append(tags, ifdTags(b, int64(bo.Uint32(e[8:])), bo, subNames, 0, nil)...)
		}
	}
	return tags
}
