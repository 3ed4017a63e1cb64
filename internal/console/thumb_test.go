package console

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

func TestExifOrientation(t *testing.T) {
	for o := 1; o <= 8; o++ {
		if got := exifOrientation(testJPEG(t, 16, 8, o)); got != o {
			t.Errorf("orientation %d read as %d", o, got)
		}
	}
	if got := exifOrientation(testJPEG(t, 16, 8, 0)); got != 1 {
		t.Errorf("no Exif: %d", got)
	}
	// Little-endian TIFF, as many cameras write.
	le := []byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
		'I', 'I', 0x2a, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xD9}
	if got := exifOrientation(le); got != 8 {
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

func FuzzExifOrientation(f *testing.F) {
	f.Add(testJPEG(f, 8, 8, 6))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 8, 'E', 'x', 'i', 'f', 0, 0})
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		if o := exifOrientation(b); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
