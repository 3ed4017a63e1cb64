package lambdafn_test

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdafn"
)

// A few hundred bytes whose frame header claims 10000x8000 pixels (80 MP, under the
// 100 MP limit) are refused at Validate: nothing reaches the output bucket, not even
// briefly, and Verify's decoder never sees it.
func TestSmallFileClaimingHugeFrameRefusedAtValidate(t *testing.T) {
	p := newPipeline(t)
	b := jpegfixture.Gray(16, 16, 3)
	i := bytes.Index(b, []byte{0xFF, jpeg.SOF0})
	if i < 0 {
		t.Fatal("fixture has no SOF0")
	}
	binary.BigEndian.PutUint16(b[i+5:], 8000)  // height
	binary.BigEndian.PutUint16(b[i+7:], 10000) // width
	const key = "bomb.jpg"
	d, x := p.run(t, p.upload(t, key, b))
	if name := p.failed(t, key, d); name != lambdafn.Corrupt {
		t.Errorf("%d-byte file claiming 80 MP: %s (%s), want %s", len(b), name, str(d.Cause), lambdafn.Corrupt)
	}
	if got := statesEntered(x); !slices.Contains(got, "ValidateFailed") || slices.Contains(got, "Strip") {
		t.Errorf("states %v", got)
	}
	if n := p.tasks.count("write"); n != 0 {
		t.Errorf("write invoked %d times", n)
	}
}
