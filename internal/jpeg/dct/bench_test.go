package dct

import (
	"testing"
	"time"
)

// benchFile is a phone-sized photo: 4032x3024, 4:2:0, quality 90.
func benchFile(b *testing.B) []byte {
	needTools(b)
	return run(b, testPPM(4032, 3024, 7), "cjpeg", "-quality", "90", "-sample", "2x2")
}

// BenchmarkRotate90 measures a whole lossless rotation (decode, transform,
// encode with optimised tables) in megapixels per second, and the same for
// jpegtran -perfect -rotate 90 on the same file, run as a process as the
// pipeline would; ratio is ours over jpegtran's (the target is >= 0.5).
func BenchmarkRotate90(b *testing.B) {
	src := benchFile(b)
	const mp = 4032 * 3024 / 1e6
	// Each iteration runs ours and then jpegtran, so both see the same load
	// on a shared machine.
	var ours, theirs time.Duration
	for b.Loop() {
		start := time.Now()
		img, err := Decode(src, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		out, err := img.Transform(Rotate90)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := AppendEncode(make([]byte, 0, len(src)), out); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
		start = time.Now()
		run(b, src, "jpegtran", "-copy", "none", "-perfect", "-rotate", "90")
		theirs += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(mp*n/ours.Seconds(), "MP/s")
	b.ReportMetric(mp*n/theirs.Seconds(), "jpegtran-MP/s")
	b.ReportMetric(theirs.Seconds()/ours.Seconds(), "ratio")
}
