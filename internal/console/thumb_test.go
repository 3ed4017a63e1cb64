package console

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

func TestOrientationOf(t *testing.T) {
	for o := 1; o <= 8; o++ {
		if got := orientationOf(testJPEG(t, 16, 8, o)); got != o {
			t.Errorf("orientation %d read as %d", o, got)
		}
	}
	if got := orientationOf(testJPEG(t, 16, 8, 0)); got != 1 {
		t.Errorf("no Exif: %d", got)
	}
	// Little-endian TIFF, as many cameras write.
	le := jpegfixture.New(testJPEG(t, 16, 8, 0)).Add(jpegfixture.OrientationOnly(8, binary.LittleEndian)).Bytes()
	if got := orientationOf(le); got != 8 {
		t.Errorf("little-endian: %d", got)
	}
}

func TestRenderThumbnailOfPNG(t *testing.T) {
	// A PNG named .jpg still gets a preview: the page shows what was uploaded.
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 1000, 500)))
	th, err := renderThumbnail(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(bytes.NewReader(th))
	if err != nil || img.Bounds().Dx() != 360 || img.Bounds().Dy() != 180 {
		t.Errorf("thumbnail %v %v", img.Bounds(), err)
	}
	if _, err := renderThumbnail([]byte("neither")); err == nil {
		t.Error("garbage rendered")
	}
}
