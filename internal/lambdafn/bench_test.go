package lambdafn_test

import (
	"fmt"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/asl"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// BenchmarkExecution runs whole executions (Validate, Strip, Write, Verify, with their
// audit records) of a 1024×768 photo with metadata, each under a new key.
func BenchmarkExecution(b *testing.B) {
	p := newPipeline(b)
	src := jpegfixture.New(jpegfixture.Baseline(1024, 768, 7)).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Canon", Model: "EOS", GPS: true, SerialNumber: "123"}), jpegfixture.Comment("alice")).
		Bytes()
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d, _ := p.run(b, p.upload(b, fmt.Sprintf("bench/%d.jpg", i), src))
		if d.Status != asl.StatusSucceeded {
			b.Fatal(str(d.Error), str(d.Cause))
		}
	}
}
