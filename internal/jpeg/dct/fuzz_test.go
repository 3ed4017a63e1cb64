package dct

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode: Decode never panics or hangs and allocates within its limits;
// Decode, Check and the reference decoder agree on every input (agree);
// whatever Decode accepts re-encodes to the same coefficients, and every perfect
// transform of it encodes and decodes back to itself.
func FuzzDecode(f *testing.F) {
	if _, err := runErr(nil, "cjpeg", "-version"); err == nil {
		for _, fx := range []fixture{{"2x2", true, true, 24, 16}, {"1x1", false, false, 16, 8}, {"gray", true, false, 9, 17}, {"2x1", false, true, 32, 16}} {
			f.Add(fx.build(f))
		}
	}
	if m, err := os.ReadDir(filepath.Join(corpusDir, "files")); err == nil {
		for _, e := range m {
			if b, err := os.ReadFile(filepath.Join(corpusDir, "files", e.Name())); err == nil && len(b) < 16<<10 {
				f.Add(b)
			}
		}
	}
	lim := Limits{MaxPixels: 1 << 20, MaxScans: 100}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := agree(t, "input", data, lim)
		if err != nil {
			var fe *FormatError
			var ue *UnsupportedError
			var le *LimitError
			if !errors.As(err, &fe) && !errors.As(err, &ue) && !errors.As(err, &le) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		// Compare agrees with Decode and Equal: the input is itself.
		if err := Compare(data, img, lim); err != nil && (img.Progressive || !twice(data)) {
			t.Fatalf("Compare of the input with its own decoding: %v", err)
		}
		var buf bytes.Buffer
		if err := Encode(&buf, img); err != nil {
			return // coefficients outside baseline ranges
		}
		if !bytes.Equal(buf.Bytes(), refAppendEncode(t, img)) {
			t.Fatal("Encode differs from the reference encoder")
		}
		again, err := Decode(buf.Bytes(), lim)
		if err != nil {
			t.Fatalf("our own output does not decode: %v", err)
		}
		if err := Equal(img, again); err != nil {
			t.Fatal(err)
		}
		if err := Compare(buf.Bytes(), img, lim); err != nil {
			t.Fatalf("Compare of our own output: %v", err)
		}
		for tr := FlipH; tr <= Rotate270; tr++ {
			out, err := img.Transform(tr)
			if err != nil {
				continue
			}
			buf.Reset()
			if Encode(&buf, out) != nil {
				continue
			}
			back, err := Decode(buf.Bytes(), lim)
			if err != nil {
				t.Fatalf("%s: our output does not decode: %v", tr, err)
			}
			if err := Equal(out, back); err != nil {
				t.Fatalf("%s: %v", tr, err)
			}
			if err := Compare(buf.Bytes(), out, lim); err != nil {
				t.Fatalf("%s: Compare: %v", tr, err)
			}
			back.Release()
			out.Release()
		}
	})
}

// twice reports whether a sequential file codes a component in more than
// one scan, which Compare refuses (a rough check: more than one SOS naming
// the same component id).
func twice(data []byte) bool {
	seen := map[byte]bool{}
	for i := 0; i+5 < len(data); i++ {
		if data[i] != 0xFF || data[i+1] != mSOS {
			continue
		}
		ns := int(data[i+4])
		for j := 0; j < ns && i+5+2*j < len(data); j++ {
			id := data[i+5+2*j]
			if seen[id] {
				return true
			}
			seen[id] = true
		}
	}
	return false
}
