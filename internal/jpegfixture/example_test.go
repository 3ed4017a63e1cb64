package jpegfixture_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image/jpeg"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

func Example() {
	thumb := jpegfixture.Baseline(8, 8, 2)
	data := jpegfixture.New(jpegfixture.Progressive(64, 48, 1)).
		Add(jpegfixture.JFIF(0, 0)).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{
			Order: binary.LittleEndian, Orientation: 6, Make: "Canon", SerialNumber: "123", GPS: true, Thumbnail: thumb,
		})).
		Add(jpegfixture.ICC(jpegfixture.ICCProfile(3000), 1000)...). // three ICC_PROFILE chunks
		AfterFirstScan(jpegfixture.App(9, []byte("hidden between scans"))).
		Trailer(jpegfixture.ZipArchive("secret.txt", "polyglot")).
		Bytes()
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	fmt.Println(cfg.Width, cfg.Height, err)
	// Output: 64 48 <nil>
}
