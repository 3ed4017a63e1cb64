package dct

import (
	"sync"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// The decode benchmarks entropy-decode photo-sized files: MB/s counts the
// whole file (nearly all of it entropy-coded data), ns/block every 8x8 block
// of every component, cpu-ns/op the process's CPU time per file.

// benchPhotos builds the files once: image/jpeg's 4:2:0 quality 90 output
// of a noisy picture (standard Huffman tables, about 1.5 MB), and the noise
// pictures the load generator uploads (4:4:4, every coefficient coded, about
// 1.2 MB), sequential and progressive.
var benchPhotos = sync.OnceValue(func() map[string][]byte {
	return map[string][]byte{
		"photo420":     jpegfixture.Baseline(1600, 1200, 7),
		"load444":      jpegfixture.Blocks(960, 720, 7, jpegfixture.Coding{Noise: true}),
		"load444-rst":  jpegfixture.Blocks(960, 720, 7, jpegfixture.Coding{Noise: true, RestartInterval: 32}),
		"load444-prog": jpegfixture.Blocks(960, 720, 7, jpegfixture.Coding{Noise: true, Progressive: true}),
	}
})

func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"photo420", "photo420-prog", "load444", "load444-rst", "load444-prog"} {
		b.Run(name, func(b *testing.B) {
			src := benchPhoto(b, name)
			benchDecode(b, src, func() error { _, err := Decode(src, Limits{}); return err })
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	for _, name := range []string{"photo420", "photo420-prog", "load444", "load444-rst", "load444-prog"} {
		b.Run(name, func(b *testing.B) {
			src := benchPhoto(b, name)
			benchDecode(b, src, func() error { return Check(src, Limits{}) })
		})
	}
}

// benchPhoto returns a benchPhotos file; photo420-prog is photo420 made
// progressive by jpegtran (its default script: spectral selection and
// successive approximation).
func benchPhoto(b *testing.B, name string) []byte {
	if name == "photo420-prog" {
		needTools(b)
		return run(b, benchPhotos()["photo420"], "jpegtran", "-progressive")
	}
	return benchPhotos()[name]
}

func benchDecode(b *testing.B, src []byte, decode func() error) {
	img, err := Decode(src, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	blocks := 0
	for _, c := range img.Components {
		blocks += c.BlocksW * c.BlocksH
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	startCPU := cpuTime()
	for b.Loop() {
		if err := decode(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(blocks), "ns/block")
	// CPU time (user+system, GC included) is steadier than wall time on a
	// shared machine.
	b.ReportMetric(float64((cpuTime()-startCPU).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkEncode encodes the decoded files (two passes: symbol counts for
// the optimised tables, then the codes).
func BenchmarkEncode(b *testing.B) {
	for _, name := range []string{"photo420", "load444"} {
		b.Run(name, func(b *testing.B) {
			src, img := benchImage(b, name)
			buf := make([]byte, 0, 2*len(src))
			benchDecode(b, src, func() error { _, err := AppendEncode(buf[:0], img); return err })
		})
	}
}

// BenchmarkTransform rotates the decoded files by 90 degrees, the
// transposing case, releasing each result as a service does.
func BenchmarkTransform(b *testing.B) {
	for _, name := range []string{"photo420", "load444"} {
		b.Run(name, func(b *testing.B) {
			src, img := benchImage(b, name)
			benchDecode(b, src, func() error {
				out, err := img.Transform(Rotate90)
				if err == nil {
					out.Release()
				}
				return err
			})
		})
	}
}

// BenchmarkCompare compares each file with its own decoded image, as a
// rotation checks its output: every block is decoded and compared.
func BenchmarkCompare(b *testing.B) {
	for _, name := range []string{"photo420", "load444", "load444-prog"} {
		b.Run(name, func(b *testing.B) {
			src, img := benchImage(b, name)
			benchDecode(b, src, func() error { return Compare(src, img, Limits{}) })
		})
	}
}

// benchImage returns a benchPhoto file and its decoded image.
func benchImage(b *testing.B, name string) ([]byte, *Image) {
	src := benchPhoto(b, name)
	img, err := Decode(src, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	return src, img
}
