package dct

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The benchmarks measure a whole lossless rotation (decode, transform,
// encode with optimised tables) in megapixels per second, and the same for
// jpegtran -copy none -perfect -rotate 90 on the same files, run as a
// process as a pipeline would run it. ratio is ours over jpegtran's (the
// target is >= 0.5), by wall time and by CPU time. Each iteration runs ours
// and then jpegtran, so both see the same load on a shared machine.

// BenchmarkRotate90 uses a phone-sized picture: 4032x3024, 4:2:0, quality
// 90, with fine noise (many coefficients: a hard case).
func BenchmarkRotate90(b *testing.B) {
	needTools(b)
	src := run(b, testPPM(4032, 3024, 7), "cjpeg", "-quality", "90", "-sample", "2x2")
	benchRotate(b, [][]byte{src})
}

// BenchmarkRotate90Progressive is BenchmarkRotate90 on a progressive file
// (cjpeg's default script, successive approximation included).
func BenchmarkRotate90Progressive(b *testing.B) {
	needTools(b)
	src := run(b, testPPM(4032, 3024, 7), "cjpeg", "-quality", "90", "-sample", "2x2", "-progressive")
	benchRotate(b, [][]byte{src})
}

// BenchmarkRotate90Corpus uses the corpus photos of more than 2 megapixels
// that jpegtran -perfect can rotate.
func BenchmarkRotate90Corpus(b *testing.B) {
	needTools(b)
	var files [][]byte
	for _, e := range loadCorpus(b) {
		if e.Width*e.Height <= 2_000_000 {
			continue
		}
		src, err := os.ReadFile(filepath.Join(corpusDir, "files", e.File))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := runErr(src, "jpegtran", "-copy", "none", "-perfect", "-rotate", "90"); err == nil {
			files = append(files, src)
		}
	}
	if len(files) == 0 {
		b.Skip("no corpus photo to rotate")
	}
	benchRotate(b, files)
}

func benchRotate(b *testing.B, files [][]byte) {
	var ours, theirs, oursCPU, theirsCPU time.Duration
	var mp float64
	for b.Loop() {
		for _, src := range files {
			start, startCPU := time.Now(), cpuTime()
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
			// As a service does, so the next rotation reuses the memory.
			out.Release()
			img.Release()
			ours += time.Since(start)
			oursCPU += cpuTime() - startCPU

			start = time.Now()
			cmd := exec.Command("jpegtran", "-copy", "none", "-perfect", "-rotate", "90")
			cmd.Stdin = bytes.NewReader(src)
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
			theirs += time.Since(start)
			theirsCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			mp += float64(out.Width*out.Height) / 1e6
		}
	}
	b.ReportMetric(mp/ours.Seconds(), "MP/s")
	b.ReportMetric(mp/theirs.Seconds(), "jpegtran-MP/s")
	b.ReportMetric(theirs.Seconds()/ours.Seconds(), "ratio")
	// CPU time (user+system, GC included) is steadier than wall time on a
	// shared machine.
	b.ReportMetric(theirsCPU.Seconds()/oursCPU.Seconds(), "cpu-ratio")
}

// cpuTime is the CPU time this process has used, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
