package sanitize_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/audit"
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
	if strip := stripRecord(t, e, "arn:aws:states:eu-west-1:1:execution:sm:oriented"); strip.Orientation != 6 || strip.OrientationAction != metadata.OrientationTransformed {
		t.Errorf("strip audit record: orientation %d %s", strip.Orientation, strip.OrientationAction)
	}
}

// TestOrientationFallbackIsAudited: an image that is not whole MCUs along
// the axis a rotation mirrors keeps a minimal Orientation tag, and the strip
// audit record says so and why.
func TestOrientationFallbackIsAudited(t *testing.T) {
	e := newEnv(t, false)
	// 24 rows are not whole 16-row MCUs: rotating by 90 degrees mirrors them.
	src := jpegfixture.New(jpegfixture.Baseline(40, 24, 5)).Add(jpegfixture.OrientationOnly(6, binary.LittleEndian)).Bytes()
	exec := "arn:aws:states:eu-west-1:1:execution:sm:fallback"
	job, err := e.run(t, exec, e.upload(t, "sideways.jpg", src, "01"))
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := e.output(t, "sideways.jpg")
	if err != nil {
		t.Fatal(err)
	}
	insp, err := metadata.Inspect(bytes.NewReader(out), metadata.DefaultPolicy())
	if err != nil || !insp.Clean || insp.Orientation != 6 || insp.ImageDigest != job.Validation.ImageDigest {
		t.Fatalf("output: %+v %v", insp, err)
	}
	strip := stripRecord(t, e, exec)
	if strip.OrientationAction != metadata.OrientationKeptFallback || !strings.HasPrefix(strip.OrientationReason, "not perfect") {
		t.Errorf("strip audit record: %s %q", strip.OrientationAction, strip.OrientationReason)
	}
}

func stripRecord(t *testing.T, e *env, execution string) audit.Record {
	t.Helper()
	recs, err := e.audit.ByExecution(ctx, execution)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Step == "strip" {
			return r
		}
	}
	t.Fatalf("no strip record for %s", execution)
	return audit.Record{}
}
