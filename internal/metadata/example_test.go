package metadata_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

func ExampleStrip() {
	photo := jpegfixture.New(jpegfixture.Baseline(64, 48, 1)).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{Orientation: 6, Make: "Canon", GPS: true})).
		Add(jpegfixture.Comment("taken at home")).
		Bytes()

	var out bytes.Buffer // in production: a staging object, published only on success
	rep, err := metadata.Strip(&out, bytes.NewReader(photo), metadata.DefaultPolicy())
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	fmt.Println("orientation:", rep.Orientation, rep.OrientationAction) // rotated losslessly, no Exif left
	fmt.Println("sensitive:", rep.SensitiveTags)
	for _, r := range rep.Removed {
		fmt.Println("removed:", r.Kind, r.Count)
	}
	ins, _ := metadata.Inspect(bytes.NewReader(out.Bytes()), metadata.DefaultPolicy())
	fmt.Println("clean:", ins.Clean, "same image:", ins.ImageDigest == rep.ImageDigest)
	// Output:
	// orientation: 6 transformed
	// sensitive: [GPSAltitude GPSLatitude GPSLatitudeRef GPSLongitude GPSLongitudeRef GPSTimeStamp GPSVersionID Make]
	// removed: exif 1
	// removed: comment 1
	// clean: true same image: true
}

func ExampleStrip_rejected() {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
	_, err := metadata.Strip(new(bytes.Buffer), bytes.NewReader(png), metadata.DefaultPolicy())
	var notJPEG *metadata.NotJPEGError
	if errors.As(err, &notJPEG) {
		fmt.Println(notJPEG.Detected, "-", err)
	}
	// Output: png - not a JPEG: looks like PNG
}

func ExampleVerify() {
	photo := jpegfixture.New(jpegfixture.Progressive(32, 32, 1)).Add(jpegfixture.XMP(`<exif:GPSLatitude>1</exif:GPSLatitude>`)).Bytes()
	_, err := metadata.Verify(bytes.NewReader(photo), metadata.DefaultPolicy(), true)
	fmt.Println(err)

	var out bytes.Buffer
	metadata.Strip(&out, bytes.NewReader(photo), metadata.DefaultPolicy())
	ins, err := metadata.Verify(bytes.NewReader(out.Bytes()), metadata.DefaultPolicy(), true)
	fmt.Println(err, ins.Decode, ins.Structure.Process)
	// Output:
	// metadata remains: xmp segment
	// <nil> ok progressive
}
