package e2e

import (
	"bytes"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/oracle"
)

// A photo stored sideways (Exif Orientation 6) reaches bucket B rotated
// losslessly and without any Exif, through the whole local stack (Strip
// transforms it, Verify accepts it); one whose rotation would move partial
// MCUs keeps a minimal Orientation tag and its image data unchanged.
func TestOrientedUploads(t *testing.T) {
	s := start(t, t.TempDir())
	c := s.s3()
	oriented := func(w, h int, seed uint32) []byte {
		return jpegfixture.New(jpegfixture.Baseline(w, h, seed)).Add(jpegfixture.Exif(jpegfixture.ExifSpec{
			Orientation: 6, Make: "Phone", GPS: true})).Bytes()
	}
	rotated := oriented(96, 64, 3)  // 4:2:0, 64 rows: whole 16-row MCUs
	sideways := oriented(96, 40, 4) // 40 rows: a rotation would move a partial MCU
	put(t, c, "rotated.jpg", rotated)
	put(t, c, "sideways.jpg", sideways)
	p := metadata.DefaultPolicy()

	out := output(t, c, "rotated.jpg")
	ins, err := metadata.Inspect(bytes.NewReader(out), p)
	if err != nil || !ins.Clean || ins.Orientation != 0 || ins.Structure.Width != 64 || ins.Structure.Height != 96 {
		t.Fatalf("rotated.jpg: %v %+v", err, ins)
	}
	for _, seg := range ins.Segments {
		if seg.Kind == metadata.KindExif {
			t.Error("rotated.jpg: the output holds an Exif segment")
		}
	}
	if err := metadata.CheckTransform(rotated, out, p); err != nil {
		t.Errorf("rotated.jpg: %v", err)
	}
	if want, err := oracle.Run(rotated, "jpegtran", "-copy", "none", "-perfect", "-rotate", "90"); err == nil {
		if !bytes.Equal(oracle.MustRun(t, want, "djpeg", "-pnm"), oracle.MustRun(t, out, "djpeg", "-pnm")) {
			t.Error("rotated.jpg: djpeg pixels differ from jpegtran -perfect -rotate 90's")
		}
	}
	exiftoolClean(t, out)

	out = output(t, c, "sideways.jpg")
	ins, err = metadata.Inspect(bytes.NewReader(out), p)
	src, _ := metadata.Inspect(bytes.NewReader(sideways), p)
	if err != nil || !ins.Clean || ins.Orientation != 6 || ins.ImageDigest != src.ImageDigest {
		t.Fatalf("sideways.jpg: %v %+v", err, ins)
	}
	exiftoolClean(t, out)
}
