package dct

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/oracle"
)

// The tests use libjpeg-turbo's cjpeg, jpegtran and djpeg as oracles: cjpeg
// and jpegtran make the fixtures, jpegtran -perfect is the reference
// transform, djpeg decodes both to pixels.

func needTools(t testing.TB) { oracle.Need(t, "cjpeg", "djpeg", "jpegtran") }

var (
	run    = oracle.MustRun
	runErr = oracle.Run
)

// testPPM returns a w x h colour picture with edges, gradients and noise, so
// every coefficient position and sign occurs.
func testPPM(w, h int, seed uint32) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "P6\n%d %d\n255\n", w, h)
	x := seed*2654435761 + 1
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			noise := int(x % 48)
			r := (i*255/max(w-1, 1) + noise) % 256
			g := (j*255/max(h-1, 1) + noise/2)
			if (i/5+j/7)%2 == 0 {
				g = 255 - g
			}
			bl := ((i*j)/3 + noise) % 256
			if i < w/3 && j < h/2 {
				r, bl = 250, 10 // a corner marker: mirrors and rotations show
			}
			b.Write([]byte{byte(r), byte(g % 256), byte(bl)})
		}
	}
	return b.Bytes()
}

// fixture describes one way of coding the test picture.
type fixture struct {
	sample      string // cjpeg -sample, or "gray"
	restart     bool
	progressive bool
	w, h        int
}

func (f fixture) String() string {
	s := fmt.Sprintf("%s_%dx%d", strings.ReplaceAll(f.sample, ",", "-"), f.w, f.h)
	if f.restart {
		s += "_rst"
	}
	if f.progressive {
		s += "_prog"
	}
	return s
}

// build codes the picture with cjpeg (and jpegtran -progressive).
func (f fixture) build(t testing.TB) []byte {
	args := []string{"-quality", "90"}
	if f.sample == "gray" {
		args = append(args, "-grayscale")
	} else {
		args = append(args, "-sample", f.sample)
	}
	if f.restart {
		args = append(args, "-restart", "3B")
	}
	args = append(args, f.sequentialScans(t)...)
	jpg := run(t, testPPM(f.w, f.h, uint32(f.w*f.h)), "cjpeg", args...)
	if f.progressive {
		targs := []string{"-progressive"}
		if f.sample != "gray" {
			// A script of our own: interleaved and single-component DC
			// scans, split spectral bands, two refinement levels.
			script := filepath.Join(t.TempDir(), "scans.txt")
			if err := os.WriteFile(script, []byte(scanScript), 0o644); err != nil {
				t.Fatal(err)
			}
			targs = []string{"-scans", script}
		}
		if f.restart {
			targs = append(targs, "-restart", "2B")
		}
		jpg = run(t, jpg, "jpegtran", targs...)
	}
	return jpg
}

// sequentialScans returns cjpeg/jpegtran options that code each component
// in a scan of its own, for sampling factors whose MCU has more than the 10
// blocks an interleaved scan allows (T.81 B.2.3); nil otherwise.
func (f fixture) sequentialScans(t testing.TB) []string {
	if f.sample != wideSampling {
		return nil
	}
	script := filepath.Join(t.TempDir(), "sequential.txt")
	if err := os.WriteFile(script, []byte("0: 0-63, 0, 0;\n1: 0-63, 0, 0;\n2: 0-63, 0, 0;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"-scans", script}
}

// wideSampling has 12 blocks per MCU: baseline only, one scan per component.
const wideSampling = "2x2,2x2,2x2"

// scanScript is a jpegtran -scans progression for three components.
const scanScript = `0: 0-0, 0, 2;
1,2: 0-0, 0, 1;
0: 1-5, 0, 2;
0: 6-63, 0, 2;
1: 1-63, 0, 1;
2: 1-63, 0, 1;
0: 0-0, 2, 1;
0: 0-0, 1, 0;
1,2: 0-0, 1, 0;
0: 1-63, 2, 1;
0: 1-63, 1, 0;
1: 1-63, 1, 0;
2: 1-63, 1, 0;
`

var samplings = []string{"1x1", "2x1", "2x2", "1x2", "gray", "4x1", "2x2,1x2,2x1", wideSampling}

func fixtures() []fixture {
	var fs []fixture
	for _, s := range samplings {
		// Whole MCUs, partial in both directions, partial in one.
		for _, size := range [][2]int{{64, 48}, {61, 43}, {64, 43}} {
			for _, rst := range []bool{false, true} {
				for _, prog := range []bool{false, true} {
					if prog && s == wideSampling {
						continue // a progressive DC scan interleaves components
					}
					fs = append(fs, fixture{s, rst, prog, size[0], size[1]})
				}
			}
		}
	}
	return fs
}

// jpegtranArgs: the orientation that each transform displays upright has
// jpegtran's options for it.
func jpegtranArgs(tr Transform) []string { return oracle.JpegtranArgs[int(tr)+1] }

func encode(t testing.TB, img *Image, segments ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, img, segments...); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b.Bytes()
}

// TestFixtures: decoding a fixture and encoding it again gives the same
// pixels through djpeg and the same coefficients through Decode; every
// transform of it gives the pixels jpegtran -perfect gives, and is refused
// exactly when jpegtran refuses.
func TestFixtures(t *testing.T) {
	needTools(t)
	for _, f := range fixtures() {
		t.Run(f.String(), func(t *testing.T) {
			src := f.build(t)
			img, err := Decode(src, Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			out := encode(t, img)
			if want, got := run(t, src, "djpeg", "-pnm"), run(t, out, "djpeg", "-pnm"); !bytes.Equal(want, got) {
				t.Fatalf("djpeg of re-encoded file differs from djpeg of the source")
			}
			again, err := Decode(out, Limits{})
			if err != nil {
				t.Fatalf("Decode of our output: %v", err)
			}
			if err := Equal(img, again); err != nil {
				t.Fatal(err)
			}
			for tr := FlipH; tr <= Rotate270; tr++ {
				// jpegtran writes one interleaved scan unless told otherwise.
				args := append([]string{"-copy", "none", "-perfect"}, f.sequentialScans(t)...)
				args = append(args, jpegtranArgs(tr)...)
				ref, refErr := runErr(src, "jpegtran", args...)
				out, err := img.Transform(tr)
				if refErr != nil {
					if err == nil {
						t.Errorf("%s: jpegtran refused (%v), we transformed", tr, refErr)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: jpegtran transformed, we refused: %v", tr, err)
					continue
				}
				got := encode(t, out)
				if want, have := run(t, ref, "djpeg", "-pnm"), run(t, got, "djpeg", "-pnm"); !bytes.Equal(want, have) {
					t.Errorf("%s: djpeg of our output differs from jpegtran's", tr)
				}
			}
		})
	}
}

// colourSegments returns src's JFIF APP0 and Adobe APP14 segments: they
// tell a decoder the colour space (YCbCr, RGB, CMYK, YCCK), so a re-encoded
// image needs them to show the same pixels.
func colourSegments(t testing.TB, src []byte) [][]byte {
	var segs [][]byte
	for pos := 2; pos+4 <= len(src) && src[pos] == 0xFF; {
		m := src[pos+1]
		if m == mSOS || m == mEOI {
			break
		}
		n := int(src[pos+2])<<8 | int(src[pos+3])
		if pos+2+n > len(src) {
			break
		}
		seg := src[pos : pos+2+n]
		if m == 0xE0 && bytes.HasPrefix(seg[4:], []byte("JFIF\x00")) || m == 0xEE && bytes.HasPrefix(seg[4:], []byte("Adobe")) {
			segs = append(segs, seg)
		}
		pos += 2 + n
	}
	return segs
}
