package sanitize_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// TestTransformedOrientationVerifies: under the default policy an upload
// with Orientation 6 is rotated losslessly, published without any Exif, and
// Verify accepts it although its image digest differs from the source's.
func TestTransformedOrientationVerifies(t *testing.T) {
	e := newEnv(t, true)
	src := jpegfixture.New(jpegfixture.Baseline(64, 32, 5)).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{Order: binary.BigEndian, Orientation: 6, Make: "Canon", GPS: true})).
		Bytes()
	job, err := e.run(t, "arn:aws:states:eu-west-1:1:execution:sm:oriented", e.upload(t, "rotated.jpg", src, "01"))
	if err != nil {
		t.Fatal(err)
	}
	if job.Stripped.OrientationAction != metadata.OrientationTransformed || !job.Verified.Clean {
		t.Fatalf("stripped %+v verified %+v", job.Stripped, job.Verified)
	}
	out, _, err := e.output(t, "rotated.jpg")
	if err != nil {
		t.Fatal(err)
	}
	insp, err := metadata.Inspect(bytes.NewReader(out), metadata.DefaultPolicy())
	if err != nil || !insp.Clean || insp.Orientation != 0 || insp.Structure.Width != 32 || insp.Structure.Height != 64 {
		t.Fatalf("output: %+v %v", insp, err)
	}
	if insp.ImageDigest == job.Validation.ImageDigest || insp.ImageDigest != job.Verified.ImageDigest {
		t.Errorf("digests: source %s, output %s, verified %s", job.Validation.ImageDigest, insp.ImageDigest, job.Verified.ImageDigest)
	}
	if err := metadata.CheckTransform(src, out, metadata.DefaultPolicy()); err != nil {
		t.Errorf("CheckTransform: %v", err)
	}
}
