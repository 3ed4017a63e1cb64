package metadata

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// loaded is a file with every kind of metadata the policy removes.
func loaded(order binary.AppendByteOrder, orientation int) []byte {
	img := jpegfixture.Baseline(96, 64, 7)
	return jpegfixture.New(img).
		Add(jpegfixture.JFIF(2, 2)).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{
			Order: order, Orientation: orientation, Make: "Canon", Model: "EOS 5D", Software: "fw 1.0",
			Artist: "Jane Doe", DateTimeOriginal: "2024:01:02 03:04:05", SerialNumber: "123456",
			OwnerName: "Jane", ImageUniqueID: "abc", MakerNote: []byte("maker secrets"), GPS: true,
			Thumbnail: jpegfixture.Baseline(16, 16, 3),
		})).
		Add(jpegfixture.XMP(`<exif:GPSLatitude>51,30N</exif:GPSLatitude><tiff:Make>Canon</tiff:Make>`)).
		Add(jpegfixture.ExtendedXMP(`<GImage:Data>`+string(bytes.Repeat([]byte("QUJD"), 40000))+`</GImage:Data>`, 0)...).
		Add(jpegfixture.Photoshop("Jane Doe", "Berlin", jpegfixture.Baseline(8, 8, 1))).
		Add(jpegfixture.ICC(jpegfixture.ICCProfile(150000), 0)...).
		Add(jpegfixture.MPF(1000, 2000, 3000), jpegfixture.FlashPix(), jpegfixture.Ducky()).
		Add(jpegfixture.Adobe(1), jpegfixture.Comment("secret comment"), jpegfixture.App(5, []byte("vendor"))).
		Trailer(jpegfixture.New(jpegfixture.Baseline(32, 32, 9)).Add(jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Canon", Thumbnail: jpegfixture.Baseline(8, 8, 1)})).Bytes()).
		Trailer(jpegfixture.ZipArchive("a.txt", "hello")).
		Bytes()
}

func TestStripRemovesEverything(t *testing.T) {
	// The keep mode: this test is about removal (transform_test.go covers
	// the transform mode, which drops even the minimal Exif).
	p := DefaultPolicy()
	p.Orientation = OrientationKeep
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		in := loaded(order, 6)
		var out bytes.Buffer
		rep, err := Strip(&out, bytes.NewReader(in), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range []string{"GPSLatitude", "Make", "Model", "Software", "Artist", "DateTimeOriginal",
			"SerialNumber", "OwnerName", "ImageUniqueID", "MakerNote", "ThumbnailImage", "exif:GPSLatitude",
			"tiff:Make", "GImage:Data", "IPTC:By-line", "IPTC:City", "PhotoshopThumbnail", "JFIFThumbnail",
			"ExtraImage:Make"} {
			if !slices.Contains(rep.SensitiveTags, tag) {
				t.Errorf("report lacks %s: %v", tag, rep.SensitiveTags)
			}
		}
		kinds := map[string]bool{}
		for _, r := range rep.Removed {
			kinds[r.Kind] = true
		}
		for _, k := range []string{KindExif, KindXMP, KindXMPExtended, KindPhotoshop, KindMPF, KindFlashPix,
			KindDucky, KindComment, "app5", KindJFIFThumb, KindExtraImages} {
			if !kinds[k] {
				t.Errorf("removed lacks %s: %+v", k, rep.Removed)
			}
		}
		if rep.Orientation != 6 || rep.OrientationAction != OrientationKept {
			t.Errorf("orientation %d %s, want 6 kept", rep.Orientation, rep.OrientationAction)
		}
		if rep.BytesIn != int64(len(in)) || rep.BytesOut != int64(out.Len()) {
			t.Errorf("bytes in/out %d/%d, want %d/%d", rep.BytesIn, rep.BytesOut, len(in), out.Len())
		}
		ins, err := Verify(bytes.NewReader(out.Bytes()), p, true)
		if err != nil {
			t.Fatalf("output does not verify: %v", err)
		}
		if ins.Decode != "ok" || ins.ImageDigest != rep.ImageDigest || ins.Orientation != 6 {
			t.Errorf("verify: decode %q, digest %s vs %s, orientation %d", ins.Decode, ins.ImageDigest, rep.ImageDigest, ins.Orientation)
		}
		src, err := Inspect(bytes.NewReader(in), p)
		if err != nil || src.Clean || src.ImageDigest != rep.ImageDigest {
			t.Errorf("inspect input: %v clean=%v digest %s", err, src.Clean, src.ImageDigest)
		}
		for _, s := range ins.Segments {
			if s.Kind != "image" && s.Kind != "SOI" && s.Kind != "EOI" && s.Kind != KindJFIF &&
				s.Kind != KindICC && s.Kind != KindAdobe && s.Kind != KindExif {
				t.Errorf("output holds %s segment", s.Kind)
			}
		}
	}
}

func TestStripOrientationModes(t *testing.T) {
	for _, tt := range []struct {
		o      int
		mode   OrientationMode
		action string
		exif   bool
	}{
		{0, OrientationKeep, OrientationNone, false},
		{1, OrientationKeep, OrientationNone, false},
		{3, OrientationKeep, OrientationKept, true},
		{8, OrientationKeep, OrientationKept, true},
		{6, OrientationDrop, OrientationDropped, false},
		{9, OrientationKeep, OrientationInvalid, false},
	} {
		in := loaded(binary.LittleEndian, tt.o)
		p := DefaultPolicy()
		p.Orientation = tt.mode
		var out bytes.Buffer
		rep, err := Strip(&out, bytes.NewReader(in), p)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OrientationAction != tt.action {
			t.Errorf("o=%d %s: action %s, want %s", tt.o, tt.mode, rep.OrientationAction, tt.action)
		}
		hasExif := bytes.Contains(out.Bytes(), []byte("Exif\x00\x00"))
		if hasExif != tt.exif {
			t.Errorf("o=%d %s: Exif in output = %v", tt.o, tt.mode, hasExif)
		}
		if tt.exif && !bytes.Contains(out.Bytes(), minimalExif(tt.o)) {
			t.Errorf("o=%d: minimal Exif missing", tt.o)
		}
	}
}

func TestStripRejects(t *testing.T) {
	good := jpegfixture.Baseline(40, 30, 1)
	tests := []struct {
		name  string
		in    []byte
		p     func(*Policy)
		check func(error) bool
	}{
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), nil, isNotJPEG("png")},
		{"empty", nil, nil, isNotJPEG("empty")},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), nil, isNotJPEG("heic")},
		{"zip", jpegfixture.ZipArchive("a", "b"), nil, isNotJPEG("zip")},
		{"truncated", good[:len(good)/2], nil, is[*jpeg.TruncatedError]},
		{"too large", good, func(p *Policy) { p.Limits.MaxBytes = 100 }, is[*TooLargeError]},
		{"too many pixels", good, func(p *Policy) { p.Limits.MaxPixels = 40*30 - 1 }, is[*TooManyPixelsError]},
		{"hierarchical", jpegfixture.Assemble([]jpegfixture.Segment{{Marker: 0xDE, Payload: []byte("\x08\x00\x10\x00\x10\x01\x01\x11\x00")}}), nil, is[*jpeg.UnsupportedError]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultPolicy()
			if tt.p != nil {
				tt.p(&p)
			}
			_, err := Strip(&bytes.Buffer{}, bytes.NewReader(tt.in), p)
			if !tt.check(err) {
				t.Fatalf("got %v (%T)", err, err)
			}
		})
	}
}

func is[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func isNotJPEG(kind string) func(error) bool {
	return func(err error) bool {
		var e *NotJPEGError
		return errors.As(err, &e) && e.Detected == kind
	}
}

// TestVerifyScanLimit: a file made of hundreds of scans is inspected fully but
// not handed to image/jpeg, whose work grows with scans × blocks.
func TestVerifyScanLimit(t *testing.T) {
	img := jpegfixture.Progressive(64, 64, 1)
	last := bytes.LastIndex(img, []byte{0xFF, jpeg.SOS})
	var b bytes.Buffer
	b.Write(img[:len(img)-2])
	for i := 0; i < maxDecodeScans; i++ {
		b.Write(img[last : len(img)-2])
	}
	b.Write([]byte{0xFF, jpeg.EOI})
	ins, err := Verify(bytes.NewReader(b.Bytes()), DefaultPolicy(), true)
	if err != nil {
		t.Fatal(err)
	}
	if ins.Structure.Scans != maxDecodeScans+4 || !strings.HasPrefix(ins.Decode, "skipped: more than") {
		t.Fatalf("scans %d, decode %q", ins.Structure.Scans, ins.Decode)
	}
	ins, err = Verify(bytes.NewReader(img), DefaultPolicy(), true)
	if err != nil || ins.Decode != "ok" {
		t.Fatalf("plain progressive: %v, decode %q", err, ins.Decode)
	}
}

// TestStripMPO: the MPF index and the side image go; the report names the
// side image's own camera tags.
func TestStripMPO(t *testing.T) {
	second := jpegfixture.New(jpegfixture.Baseline(16, 16, 2)).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Fuji", SerialNumber: "S1", Thumbnail: jpegfixture.Baseline(8, 8, 3)})).Bytes()
	in := jpegfixture.MPO(jpegfixture.Baseline(32, 32, 1), second)
	var out bytes.Buffer
	rep, err := Strip(&out, bytes.NewReader(in), DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	want := []Removal{{KindMPF, int64(len(jpegfixture.MPF(0, 0, 0).Bytes())), 1}, {KindExtraImages, int64(len(second)), 1}}
	if fmt.Sprint(rep.Removed) != fmt.Sprint(want) {
		t.Errorf("removed %v, want %v", rep.Removed, want)
	}
	for _, tag := range []string{"MPFImages", "ExtraImage:Make", "ExtraImage:SerialNumber", "ExtraImage:ThumbnailImage"} {
		if !slices.Contains(rep.SensitiveTags, tag) {
			t.Errorf("report lacks %s: %v", tag, rep.SensitiveTags)
		}
	}
	if bytes.Contains(out.Bytes(), []byte("Fuji")) || int64(out.Len()) != rep.BytesOut {
		t.Error("side image survived")
	}
}

// withDNL rewrites a one-scan baseline image to declare 0 lines in its frame
// header and define them in a DNL segment after the scan (T.81 B.2.5).
func withDNL(t *testing.T, img []byte, lines int) []byte {
	t.Helper()
	sof := bytes.Index(img, []byte{0xFF, jpeg.SOF0})
	eoi := len(img) - 2
	if sof < 0 || img[eoi] != 0xFF || img[eoi+1] != jpeg.EOI {
		t.Fatal("unexpected fixture layout")
	}
	out := bytes.Clone(img[:eoi])
	out[sof+5], out[sof+6] = 0, 0 // Y = 0
	out = append(out, 0xFF, jpeg.DNL, 0, 4, byte(lines>>8), byte(lines), 0xFF, jpeg.EOI)
	return out
}

func TestStripDNL(t *testing.T) {
	img := jpegfixture.Blocks(24, 16, 1, jpegfixture.Coding{Components: 1})
	var out bytes.Buffer
	rep, err := Strip(&out, bytes.NewReader(withDNL(t, img, 16)), DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Height != 16 || !rep.Structure.DNL {
		t.Errorf("height %d dnl %v", rep.Height, rep.Structure.DNL)
	}
	ins, err := Verify(bytes.NewReader(out.Bytes()), DefaultPolicy(), true)
	if err != nil || !strings.Contains(ins.Decode, "DNL") {
		t.Errorf("verify: %v, decode %q", err, ins.Decode)
	}
	p := DefaultPolicy()
	p.Limits.MaxPixels = 24*1000 - 1
	if _, err := Strip(io.Discard, bytes.NewReader(withDNL(t, img, 1000)), p); !is[*TooManyPixelsError](err) {
		t.Errorf("DNL beyond the pixel limit: %v", err)
	}
	noDNL := withDNL(t, img, 16)
	noDNL = append(noDNL[:len(noDNL)-8], 0xFF, jpeg.EOI)
	if _, err := Strip(io.Discard, bytes.NewReader(noDNL), DefaultPolicy()); !is[*jpeg.FormatError](err) {
		t.Errorf("height 0 without DNL: %v", err)
	}
}

// TestLimitsBoundaries: the limits are inclusive; negative means none.
func TestLimitsBoundaries(t *testing.T) {
	img := jpegfixture.Baseline(40, 30, 1)
	for _, tt := range []struct {
		bytes, pixels int64
		ok            bool
	}{
		{int64(len(img)), 40 * 30, true},
		{int64(len(img)) - 1, 40 * 30, false},
		{-1, 40*30 - 1, false},
		{-1, -1, true},
	} {
		p := DefaultPolicy()
		p.Limits = Limits{MaxBytes: tt.bytes, MaxPixels: tt.pixels}
		_, err := Strip(io.Discard, bytes.NewReader(img), p)
		if (err == nil) != tt.ok {
			t.Errorf("limits %d bytes %d pixels: %v", tt.bytes, tt.pixels, err)
		}
	}
}

func TestStripKnownIsStripWithoutTheSourceDigest(t *testing.T) {
	for _, mode := range []OrientationMode{OrientationKeep, OrientationDrop, OrientationTransform} {
		for _, o := range []int{1, 6} {
			p := DefaultPolicy()
			p.Orientation = mode
			in := loaded(binary.LittleEndian, o)
			var want, got bytes.Buffer
			rep, err := Strip(&want, bytes.NewReader(in), p)
			if err != nil {
				t.Fatal(err)
			}
			known, err := StripKnown(&got, bytes.NewReader(in), p, rep.SourceImageDigest)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) || fmt.Sprint(known) != fmt.Sprint(rep) {
				t.Errorf("%s, orientation %d: StripKnown differs from Strip:\n%+v\n%+v", mode, o, known, rep)
			}
			// The digest given is taken, not recomputed; a transformed image's
			// own digest is always computed, from the new image data.
			other, err := StripKnown(io.Discard, bytes.NewReader(in), p, "given")
			if err != nil {
				t.Fatal(err)
			}
			transformed := other.OrientationAction == OrientationTransformed
			if other.SourceImageDigest != "given" || (other.ImageDigest == "given") == transformed {
				t.Errorf("%s, orientation %d (%s): digests %s, %s", mode, o, other.OrientationAction, other.SourceImageDigest, other.ImageDigest)
			}
			if transformed && other.ImageDigest != rep.ImageDigest {
				t.Errorf("%s: transformed digest %s, Strip's %s", mode, other.ImageDigest, rep.ImageDigest)
			}
		}
	}
}
