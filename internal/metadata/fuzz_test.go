package metadata_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// fuzzSeeds are generated fixtures plus the small corpus files.
func fuzzSeeds(f *testing.F) {
	small := jpegfixture.Baseline(24, 16, 1)
	f.Add(small)
	f.Add(jpegfixture.Progressive(20, 12, 2))
	f.Add(jpegfixture.Blocks(17, 9, 3, jpegfixture.Coding{RestartInterval: 2, Components: 1, Noise: true}))
	f.Add(jpegfixture.New(jpegfixture.Progressive(16, 16, 4)).
		Add(jpegfixture.JFIF(1, 1), jpegfixture.Exif(jpegfixture.ExifSpec{Order: binary.LittleEndian, Orientation: 6, Make: "X", GPS: true, Thumbnail: small})).
		Add(jpegfixture.XMP(`<tiff:Model>m</tiff:Model>`), jpegfixture.Photoshop("a", "b", nil), jpegfixture.Adobe(1)).
		Add(jpegfixture.ICC(jpegfixture.ICCProfile(300), 100)...).
		AfterFirstScan(jpegfixture.Comment("between scans")).
		Trailer(small, jpegfixture.ZipArchive("z", "z")).Bytes())
	files, _ := filepath.Glob(filepath.Join(corpusDir, "files", "*"))
	for _, name := range files {
		if fi, err := os.Stat(name); err == nil && fi.Size() <= 64<<10 {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
}

// FuzzStrip: Strip never panics or hangs; whatever it accepts comes out clean,
// with the input's image digest (or, transformed, the coefficients of the
// transformed input: Strip checks that itself), and stripping the output again changes nothing.
func FuzzStrip(f *testing.F) {
	fuzzSeeds(f)
	p := metadata.DefaultPolicy()
	p.Limits.MaxPixels = 1 << 22 // keep the decode in Verify cheap
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		rep, err := metadata.Strip(&out, bytes.NewReader(in), p)
		ins, ierr := metadata.Inspect(bytes.NewReader(in), p)
		if (err == nil) != (ierr == nil) {
			t.Fatalf("Strip error %v but Inspect error %v", err, ierr)
		}
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped or self-check error: %T %v", err, err)
			}
			return
		}
		// SourceImageDigest: a transformed image's output digest is its own.
		if ins.ImageDigest != rep.SourceImageDigest {
			t.Fatalf("Inspect digest %s, Strip source digest %s", ins.ImageDigest, rep.SourceImageDigest)
		}
		vins, err := metadata.Verify(bytes.NewReader(out.Bytes()), p, true)
		if err != nil {
			var de *metadata.DecodeError
			if !errorsAs(err, &de) {
				t.Fatalf("output does not verify: %v", err)
			}
		}
		if vins.ImageDigest != rep.ImageDigest {
			t.Fatalf("output digest %s, want %s", vins.ImageDigest, rep.ImageDigest)
		}
		var again bytes.Buffer
		if _, err := metadata.Strip(&again, bytes.NewReader(out.Bytes()), p); err != nil {
			t.Fatalf("stripping the output fails: %v", err)
		}
		if !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Fatal("stripping is not idempotent")
		}
	})
}
