package browsertest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func encode(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckContentRejectsBlank(t *testing.T) {
	white := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	if CheckContent(encode(t, white)) == nil {
		t.Error("a white image passed")
	}
	// A page with content: a header bar, text-like stripes in many shades.
	page := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			c := color.RGBA{255, 255, 255, 255}
			switch {
			case y < 30:
				c = color.RGBA{35, 47, 62, 255}
			case y%12 < 3 && x > 20 && x < 380:
				c = color.RGBA{uint8(x), uint8(y), 120, 255}
			}
			page.SetRGBA(x, y, c)
		}
	}
	if err := CheckContent(encode(t, page)); err != nil {
		t.Errorf("a page with content failed: %v", err)
	}
	if CheckContent([]byte("not a png")) == nil {
		t.Error("garbage passed")
	}
}
