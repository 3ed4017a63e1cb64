package metadata_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// loadCorpusFiles reads every corpus file into memory.
func loadCorpusFiles(b *testing.B) (files [][]byte, total int64) {
	names, _ := filepath.Glob(filepath.Join(corpusDir, "files", "*"))
	if len(names) == 0 {
		b.Skip("../shared/corpus not found")
	}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		total += int64(len(data))
	}
	return files, total
}

// BenchmarkStripCorpus strips the whole corpus in memory per iteration
// (rejected files included, as a batch would meet them) in the keep mode,
// the pure segment strip; MB/s is input bytes.
func BenchmarkStripCorpus(b *testing.B) { benchStripCorpus(b, metadata.OrientationKeep) }

// BenchmarkStripCorpusTransform is the same in the default orientation mode,
// which rotates oriented photos in the DCT domain.
func BenchmarkStripCorpusTransform(b *testing.B) { benchStripCorpus(b, metadata.OrientationTransform) }

func benchStripCorpus(b *testing.B, mode metadata.OrientationMode) {
	files, total := loadCorpusFiles(b)
	p := metadata.DefaultPolicy()
	p.Orientation = mode
	var out bytes.Buffer
	b.SetBytes(total)
	b.ReportAllocs()
	defer reportCPU(b, total)()
	for b.Loop() {
		for _, f := range files {
			out.Reset()
			metadata.Strip(&out, bytes.NewReader(f), p)
		}
	}
}

// BenchmarkStripCorpusParallel strips the corpus with one goroutine per
// processor, as the batch CLI does (-j defaults to the processor count).
func BenchmarkStripCorpusParallel(b *testing.B) {
	files, total := loadCorpusFiles(b)
	p := metadata.DefaultPolicy()
	p.Orientation = metadata.OrientationKeep
	b.SetBytes(total)
	b.ReportAllocs()
	defer reportCPU(b, total)()
	b.RunParallel(func(pb *testing.PB) {
		var out bytes.Buffer
		for pb.Next() {
			for _, f := range files {
				out.Reset()
				metadata.Strip(&out, bytes.NewReader(f), p)
			}
		}
	})
}

// reportCPU adds MB per CPU second (user+sys of the whole process, so both
// of Strip's goroutines count): on a shared machine it is steadier than the
// wall-clock MB/s. Call it before the loop and its result after.
func reportCPU(b *testing.B, bytesPerOp int64) func() {
	start := cpuSeconds()
	return func() {
		if cpu := cpuSeconds() - start; cpu > 0 {
			b.ReportMetric(float64(bytesPerOp)*float64(b.N)/cpu/1e6, "MB/cpu-s")
			b.ReportMetric(cpu*1e9/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkInspectCorpus inspects the whole corpus per iteration.
func BenchmarkInspectCorpus(b *testing.B) {
	files, total := loadCorpusFiles(b)
	p := metadata.DefaultPolicy()
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			metadata.Inspect(bytes.NewReader(f), p)
		}
	}
}

// BenchmarkStripLarge strips one generated 24 MB photo-sized image to io.Discard.
func BenchmarkStripLarge(b *testing.B) {
	img := jpegfixture.New(jpegfixture.Blocks(6000, 4000, 1, jpegfixture.Coding{Noise: true, RestartInterval: 64})).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Canon", GPS: true, Orientation: 1})).Bytes()
	p := metadata.DefaultPolicy()
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	defer reportCPU(b, int64(len(img)))()
	for b.Loop() {
		if _, err := metadata.Strip(io.Discard, bytes.NewReader(img), p); err != nil {
			b.Fatal(err)
		}
	}
}

// loadPhoto is what the load generator uploads for a 1.2 MB photo: a
// 960x720 noise picture (4:4:4, every coefficient coded), sequential or
// progressive, with Exif (orientation o).
func loadPhoto(progressive bool, o int) []byte {
	return jpegfixture.New(jpegfixture.Blocks(960, 720, 7, jpegfixture.Coding{Noise: true, Progressive: progressive})).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Canon", GPS: true, Orientation: o})).Bytes()
}

// BenchmarkVerifyDecode is the pipeline's Verify step on a stripped load
// photo: inspect, then entropy-decode every scan.
func BenchmarkVerifyDecode(b *testing.B) {
	for _, prog := range []bool{false, true} {
		name := "sequential"
		if prog {
			name = "progressive"
		}
		b.Run(name, func(b *testing.B) {
			var out bytes.Buffer
			if _, err := metadata.Strip(&out, bytes.NewReader(loadPhoto(prog, 1)), metadata.DefaultPolicy()); err != nil {
				b.Fatal(err)
			}
			img := out.Bytes()
			b.SetBytes(int64(len(img)))
			b.ReportAllocs()
			defer reportCPU(b, int64(len(img)))()
			for b.Loop() {
				ins, err := metadata.VerifyBytes(img, metadata.DefaultPolicy(), true)
				if err != nil || ins.Decode != "ok" {
					b.Fatal(err, ins.Decode)
				}
			}
		})
	}
}

// BenchmarkStripRotateParallel is BenchmarkStripRotate as a load run meets
// it: Strip on every core at once, on photos of a few sizes in turn (and
// orientations 3, 6 and 8), so memory is reused across different images.
func BenchmarkStripRotateParallel(b *testing.B) {
	var photos [][]byte
	var total int64
	for i, size := range [][2]int{{960, 720}, {1280, 960}, {640, 480}} {
		img := jpegfixture.New(jpegfixture.Blocks(size[0], size[1], uint32(7+i), jpegfixture.Coding{Noise: true})).
			Add(jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Canon", GPS: true, Orientation: []int{3, 6, 8}[i]})).Bytes()
		photos = append(photos, img)
		total += int64(len(img))
	}
	b.SetBytes(total / int64(len(photos)))
	b.ReportAllocs()
	defer reportCPU(b, total/int64(len(photos)))()
	b.RunParallel(func(pb *testing.PB) {
		var out bytes.Buffer
		for i := 0; pb.Next(); i++ {
			out.Reset()
			rep, err := metadata.Strip(&out, bytes.NewReader(photos[i%len(photos)]), metadata.DefaultPolicy())
			if err != nil || rep.OrientationAction != "transformed" {
				b.Fatal(err, rep.OrientationAction)
			}
		}
	})
}

// BenchmarkStripRotate is the Strip step on a load photo with Orientation
// 6: the default policy rotates it in the DCT domain (decode, transform,
// encode, decode the output again and compare).
func BenchmarkStripRotate(b *testing.B) {
	img := loadPhoto(false, 6)
	var out bytes.Buffer
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	defer reportCPU(b, int64(len(img)))()
	for b.Loop() {
		out.Reset()
		rep, err := metadata.Strip(&out, bytes.NewReader(img), metadata.DefaultPolicy())
		if err != nil || rep.OrientationAction != "transformed" {
			b.Fatal(err, rep.OrientationAction)
		}
	}
}
