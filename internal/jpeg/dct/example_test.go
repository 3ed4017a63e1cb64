package dct_test

import (
	"bytes"
	"fmt"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg/dct"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// Rotate a photo stored with Exif Orientation 6 so that it displays upright
// without the tag, losing nothing.
func ExampleImage_Transform() {
	src := jpegfixture.Baseline(64, 32, 1) // 4:2:0, so 16x16-pixel MCUs
	img, err := dct.Decode(src, dct.Limits{})
	if err != nil {
		panic(err)
	}
	t, _ := dct.FromOrientation(6)
	rotated, err := img.Transform(t)
	if err != nil {
		panic(err) // *dct.NotPerfectError if 32 were not whole MCUs
	}
	var out bytes.Buffer
	if err := dct.Encode(&out, rotated); err != nil {
		panic(err)
	}
	back, _ := dct.Decode(out.Bytes(), dct.Limits{})
	fmt.Println(t, img.Width, "x", img.Height, "->", back.Width, "x", back.Height, dct.Equal(rotated, back))
	// Output: rotate-90 64 x 32 -> 32 x 64 <nil>
}
