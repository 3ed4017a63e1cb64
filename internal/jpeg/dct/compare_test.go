package dct

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// TestEncodeMatchesReference: AppendEncode writes, byte for byte, what the
// two-pass reference encoder writes, for every generated file and every
// perfect transform of it (interleaved and single-component scans, edge
// MCUs, 16-bit quantisation tables, runs of zeros past 16, symbol lists of
// many chunks).
func TestEncodeMatchesReference(t *testing.T) {
	files := generated(t)
	files["zero_runs"] = sparse(t)
	// Millions of symbols: the list spans many chunks, and scans and the
	// bits pending cross their ends.
	files["large"] = jpegfixture.Blocks(480, 360, 5, jpegfixture.Coding{Noise: true})
	files["large_three_scans"] = threeScans(t, files["large"])
	for name, data := range files {
		img, err := Decode(data, Limits{})
		if err != nil {
			continue
		}
		for tr := Identity; tr <= Rotate270; tr++ {
			out, err := img.Transform(tr)
			if err != nil {
				continue
			}
			got, err := AppendEncode(nil, out)
			if err != nil {
				t.Fatalf("%s %s: %v", name, tr, err)
			}
			if want := refAppendEncode(t, out); !bytes.Equal(got, want) {
				t.Fatalf("%s %s: AppendEncode differs from the reference encoder", name, tr)
			}
			out.Release()
		}
	}
}

// sparse returns a file whose blocks have runs of more than 16 zeros, large
// coefficients and a 16-bit quantisation table.
func sparse(t *testing.T) []byte {
	img, err := Decode(jpegfixture.Blocks(40, 24, 2, jpegfixture.Coding{Noise: true}), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for ci := range img.Components {
		c := &img.Components[ci]
		for i := 0; i < c.Stride*c.Rows; i++ {
			blk := c.Coef[i*64 : i*64+64]
			for k := 1; k < 64; k++ {
				if (k+i+ci)%19 != 0 {
					blk[k] = 0
				}
			}
			blk[0] = int16((i*37)%2047 - 1023)
			blk[63] = int16(1023 - i%2047)
		}
	}
	img.Components[0].Quant[5] = 300
	return encode(t, img)
}

// threeScans re-encodes a 4:4:4 file with every component sampled 2x2: the
// same blocks, but 12 to an MCU, so each component has a scan of its own.
func threeScans(t *testing.T, data []byte) []byte {
	src, err := Decode(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	img := &Image{Width: src.Width, Height: src.Height, Components: make([]Component, len(src.Components))}
	for i, c := range src.Components {
		img.Components[i] = Component{ID: c.ID, H: 2, V: 2, Quant: c.Quant}
	}
	img.layout()
	for i := range img.Components {
		c, sc := &img.Components[i], &src.Components[i]
		if c.BlocksW != sc.BlocksW || c.BlocksH != sc.BlocksH {
			t.Fatalf("component %d: %dx%d blocks, was %dx%d", i, c.BlocksW, c.BlocksH, sc.BlocksW, sc.BlocksH)
		}
		for by := 0; by < c.BlocksH; by++ {
			for bx := 0; bx < c.BlocksW; bx++ {
				copy(c.Block(bx, by), sc.Block(bx, by))
			}
		}
	}
	out := encode(t, img)
	if n := bytes.Count(out, []byte{0xFF, mSOS}); n != 3 {
		t.Fatalf("%d scans", n)
	}
	return out
}

// TestCompare: Compare accepts exactly the image it is given, sequential or
// progressive, and reports a single changed coefficient anywhere (DC or AC,
// first or last block, any component) as a *MismatchError, as Equal would.
func TestCompare(t *testing.T) {
	files := map[string][]byte{
		"noise444": jpegfixture.Blocks(48, 40, 3, jpegfixture.Coding{Noise: true}),
		"rst":      jpegfixture.Blocks(45, 29, 4, jpegfixture.Coding{Noise: true, RestartInterval: 3}),
		"gray":     jpegfixture.Gray(33, 17, 5),
		"420":      jpegfixture.Baseline(97, 61, 3),
		"sparse":   sparse(t),
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			want, err := Decode(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			out := encode(t, want)
			if err := Compare(out, want, Limits{}); err != nil {
				t.Fatalf("Compare of its own encoding: %v", err)
			}
			var outputs = map[string][]byte{"sequential": out}
			if _, err := runErr(nil, "jpegtran", "-version"); err == nil {
				outputs["progressive"] = run(t, out, "jpegtran", "-progressive")
				outputs["one scan per component"] = run(t, out, "jpegtran", "-scans", writeScript(t, len(want.Components)))
			}
			for kind, out := range outputs {
				if err := Compare(out, want, Limits{}); err != nil {
					t.Fatalf("%s: Compare: %v", kind, err)
				}
				for ci := range want.Components {
					c := &want.Components[ci]
					last := c.BlocksW*c.BlocksH - 1
					for _, pos := range [][3]int{{0, 0, 0}, {0, 0, 63}, {last % c.BlocksW, last / c.BlocksW, 0}, {last % c.BlocksW, last / c.BlocksW, 17}, {c.BlocksW / 2, c.BlocksH / 2, 1}} {
						blk := c.Block(pos[0], pos[1])
						old := blk[pos[2]]
						blk[pos[2]] = old ^ 1
						err := Compare(out, want, Limits{})
						blk[pos[2]] = old
						var me *MismatchError
						if !errors.As(err, &me) {
							t.Fatalf("%s: component %d block (%d,%d) coefficient %d changed: Compare says %v", kind, ci, pos[0], pos[1], pos[2], err)
						}
						if want := fmt.Sprintf("block (%d,%d)", pos[0], pos[1]); !bytes.Contains([]byte(err.Error()), []byte(want)) {
							t.Fatalf("%s: %v does not name %s", kind, err, want)
						}
					}
				}
				// Headers: the quantisation table and the size.
				want.Components[0].Quant[9]++
				err := Compare(out, want, Limits{})
				want.Components[0].Quant[9]--
				if me := (*MismatchError)(nil); !errors.As(err, &me) {
					t.Fatalf("%s: quantisation table changed: %v", kind, err)
				}
				want.Width++
				err = Compare(out, want, Limits{})
				want.Width--
				if me := (*MismatchError)(nil); !errors.As(err, &me) {
					t.Fatalf("%s: size changed: %v", kind, err)
				}
			}
			// Data that does not decode gives Decode's error, or a mismatch
			// where decoding past the end of the data met one first.
			cut := append(append([]byte(nil), out[:len(out)*2/3]...), 0xFF, mEOI)
			var me *MismatchError
			if _, decErr := Decode(cut, Limits{}); decErr == nil {
				t.Fatal("truncated: Decode accepts it")
			} else if err := Compare(cut, want, Limits{}); errString(err) != errString(decErr) && !errors.As(err, &me) {
				t.Fatalf("truncated: Compare says %v, Decode %v", err, decErr)
			}
			sos := bytes.Index(out, []byte{0xFF, mSOS})
			cut = append(append([]byte(nil), out[:sos+6]...), 0xFF, mEOI)
			_, decErr := Decode(cut, Limits{})
			if err := Compare(cut, want, Limits{}); decErr == nil || errString(err) != errString(decErr) {
				t.Fatalf("cut in a scan header: Compare says %v, Decode %v", err, decErr)
			}
		})
	}
}

// writeScript returns a jpegtran -scans file coding each of n components in
// a sequential scan of its own.
func writeScript(t *testing.T, n int) string {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d: 0-63, 0, 0;\n", i)
	}
	script := filepath.Join(t.TempDir(), "scans.txt")
	if err := os.WriteFile(script, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return script
}

// TestCompareComponentTwice: a sequential file coding a component twice
// decodes to its last scan; Compare, which compares as it decodes, calls it
// a mismatch rather than accept what its first scan held.
func TestCompareComponentTwice(t *testing.T) {
	want, err := Decode(jpegfixture.Gray(16, 16, 1), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	out := encode(t, want)
	sos := bytes.Index(out, []byte{0xFF, mSOS})
	eoi := len(out) - 2
	twice := append(append(append([]byte(nil), out[:eoi]...), out[sos:eoi]...), 0xFF, mEOI)
	if got, err := Decode(twice, Limits{}); err != nil || Equal(want, got) != nil {
		t.Fatalf("Decode of the doubled scan: %v", err)
	}
	var me *MismatchError
	if err := Compare(twice, want, Limits{}); !errors.As(err, &me) {
		t.Fatalf("Compare: %v", err)
	}
}

// TestReleaseReuse: images decoded and transformed into memory that Release
// handed back, dirty and of other sizes, larger and smaller, are exactly
// those decoded into fresh memory, padding blocks included.
func TestReleaseReuse(t *testing.T) {
	files := [][]byte{
		jpegfixture.Blocks(45, 29, 9, jpegfixture.Coding{Noise: true}),
		jpegfixture.Baseline(97, 61, 3),
		jpegfixture.Blocks(13, 7, 2, jpegfixture.Coding{Noise: true, Progressive: true}),
		jpegfixture.Gray(128, 40, 6),
		jpegfixture.Blocks(200, 120, 1, jpegfixture.Coding{Noise: true, Components: 4}),
	}
	fresh := make([]*Image, len(files))
	for i, f := range files {
		img, err := decodeReference(f, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		fresh[i] = img
	}
	for round := 0; round < 3; round++ {
		for i, f := range files {
			img, err := Decode(f, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if err := Equal(fresh[i], img); err != nil {
				t.Fatalf("round %d file %d: %v", round, i, err)
			}
			for ci := range img.Components {
				if !equalInts(img.Components[ci].Coef, fresh[i].Components[ci].Coef) {
					t.Fatalf("round %d file %d: padding blocks differ", round, i)
				}
			}
			tr, err := img.Transform(Rotate90)
			if err == nil {
				want := refAppendEncode(t, tr)
				for ci := range tr.Components {
					clear(tr.Components[ci].Coef) // what a later reuse finds
				}
				tr.Release()
				again, err := img.Transform(Rotate90)
				if err != nil {
					t.Fatal(err)
				}
				if got, err := AppendEncode(nil, again); err != nil || !bytes.Equal(got, want) {
					t.Fatalf("round %d file %d: transform into reused memory differs (%v)", round, i, err)
				}
				again.Release()
			}
			// Leave dirt for the next image to find.
			for ci := range img.Components {
				for k := range img.Components[ci].Coef {
					img.Components[ci].Coef[k] = int16(k*7 + round)
				}
			}
			img.Release()
			if img.Components[0].Coef != nil {
				t.Fatal("Release left Coef set")
			}
			img.Release()
		}
	}
}

func equalInts(a, b []int16) bool {
	return len(a) == len(b) && string(int16Bytes(a)) == string(int16Bytes(b))
}

func int16Bytes(s []int16) []byte {
	b := make([]byte, 0, 2*len(s))
	for _, v := range s {
		b = append(b, byte(v), byte(v>>8))
	}
	return b
}
