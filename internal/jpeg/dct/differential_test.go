package dct

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// agree decodes data with Decode, Check and decodeReference and fails unless
// all three return the same error (message included) and Decode the same
// coefficients as the reference, padding blocks included. It returns
// Decode's result.
func agree(t *testing.T, name string, data []byte, lim Limits) (*Image, error) {
	t.Helper()
	want, wantErr := decodeReference(data, lim)
	got, err := Decode(data, lim)
	checkErr := Check(data, lim)
	if errString(err) != errString(wantErr) {
		t.Fatalf("%s: Decode: %v; reference: %v", name, err, wantErr)
	}
	if errString(checkErr) != errString(wantErr) {
		t.Fatalf("%s: Check: %v; reference: %v", name, checkErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: Decode and the reference decode differ (%v)", name, Equal(got, want))
	}
	return got, err
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// generated returns files of every shape the fast path distinguishes:
// interleaved and single-component, 4:4:4 to 4:1:1, restarts, odd sizes,
// long Huffman codes (image/jpeg's standard tables), every coefficient coded
// (jpegfixture's noise), progressive; with cjpeg, its fixtures and the
// refinement files too.
func generated(t *testing.T) map[string][]byte {
	files := map[string][]byte{
		"baseline_97x61":  jpegfixture.Baseline(97, 61, 3),
		"baseline_256x64": jpegfixture.Baseline(256, 64, 4),
		"gray_33x17":      jpegfixture.Gray(33, 17, 5),
		"gray_128x40":     jpegfixture.Gray(128, 40, 6),
	}
	for _, c := range []jpegfixture.Coding{
		{Noise: true}, {Noise: true, RestartInterval: 1}, {Noise: true, RestartInterval: 7},
		{Noise: true, Components: 1}, {Noise: true, Components: 4, RestartInterval: 3},
		{Noise: true, Progressive: true}, {Noise: true, Progressive: true, RestartInterval: 5},
		{}, {RestartInterval: 2},
	} {
		name := "blocks"
		if c.Noise {
			name += "_noise"
		}
		if c.Progressive {
			name += "_prog"
		}
		name += "_c" + string(rune('0'+max(c.Components, 3))) + "_rst" + string(rune('0'+c.RestartInterval))
		files[name] = jpegfixture.Blocks(45, 29, 9, c)
	}
	if _, err := runErr(nil, "cjpeg", "-version"); err == nil {
		for _, f := range fixtures() {
			files[f.String()] = f.build(t)
		}
		ppm := testPPM(83, 51, 11)
		files["cjpeg_optimize"] = run(t, ppm, "cjpeg", "-quality", "98", "-optimize", "-sample", "2x2")
		files["cjpeg_q100_444"] = run(t, ppm, "cjpeg", "-quality", "100", "-sample", "1x1", "-restart", "1")
		for name, b := range refinementFiles(t) {
			files["refine_"+name] = b
		}
	}
	return files
}

// TestFastMatchesReference: Decode, Check and the block-by-block reference
// decoder agree on coefficients and errors
// for generated and corpus files and for thousands of damaged copies of
// them: bytes of the entropy-coded data flipped or set to 0xFF, truncated
// with and without an EOI, bytes of the headers (Huffman tables) changed.
func TestFastMatchesReference(t *testing.T) {
	files := generated(t)
	if names, err := filepath.Glob(filepath.Join(corpusDir, "files", "*")); err == nil {
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			// Larger ones cost seconds under -race; TestCorpus decodes
			// them, checking the pixels with djpeg.
			if len(b) <= 256<<10 {
				files["corpus_"+filepath.Base(n)] = b
			}
		}
	}
	lim := Limits{MaxPixels: 50_000_000, MaxScans: 100}
	rng := rand.New(rand.NewPCG(1, 2))
	var decoded, refused int
	for name, src := range files {
		if _, err := agree(t, name, src, lim); err != nil {
			refused++
			continue
		}
		decoded++
		sos := bytes.Index(src, []byte{0xFF, mSOS})
		if sos < 0 {
			continue
		}
		// Many damaged copies of small files, a few of larger ones: each
		// decodes three times, and make test runs it under -race.
		tries := 24
		switch {
		case len(src) > 64<<10:
			tries = 2
		case len(src) > 16<<10:
			tries = 6
		}
		for i := 0; i < tries; i++ {
			b := bytes.Clone(src)
			var what string
			switch (i + len(src)) % 6 {
			case 0, 1: // flip random bits of the entropy-coded data
				for j := 0; j <= i%4; j++ {
					b[sos+rng.IntN(len(b)-sos)] ^= byte(1 << rng.IntN(8))
				}
				what = "flipped"
			case 2: // a byte set to 0xFF: stuffing and markers in unexpected places
				b[sos+rng.IntN(len(b)-sos)] = 0xFF
				what = "0xFF"
			case 3:
				b = b[:sos+rng.IntN(len(b)-sos)]
				what = "truncated"
			case 4:
				b = append(b[:sos+rng.IntN(len(b)-sos)], 0xFF, mEOI)
				what = "truncated with EOI"
			case 5: // header bytes: Huffman tables, frame and scan headers
				b[2+rng.IntN(sos)] = byte(rng.IntN(256))
				what = "header"
			}
			agree(t, name+" "+what, b, lim)
		}
	}
	t.Logf("%d files decoded, %d refused, all damaged copies agreed", decoded, refused)
}

// TestCheckKeepsNoCoefficients: Check of a sequential frame allocates about
// the size of the file (its entropy-coded data without stuffing), not the
// 2 bytes per coefficient Decode needs; a progressive frame adds 8 bytes
// per block (which coefficients are non-zero).
func TestCheckKeepsNoCoefficients(t *testing.T) {
	for _, c := range []jpegfixture.Coding{{Noise: true}, {Noise: true, Progressive: true}} {
		src := jpegfixture.Blocks(480, 320, 3, c)
		blocks := 3 * 60 * 40
		allowed := uint64(len(src)) + 64<<10
		if c.Progressive {
			allowed += 8 * uint64(blocks)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := Check(src, Limits{}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > allowed {
			t.Errorf("progressive %v: Check allocated %d bytes for a %d-byte file, want at most %d (coefficients: %d)",
				c.Progressive, got, len(src), allowed, 128*blocks)
		}
	}
}
