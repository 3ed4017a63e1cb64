package metadata

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg/dct"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/oracle"
)

// The transform mode is checked against libjpeg-turbo: cjpeg and jpegtran
// make the fixtures, jpegtran -copy none -perfect is the reference transform
// and djpeg shows the pixels.

func needJPEGTools(t testing.TB) { oracle.Need(t, "cjpeg", "djpeg", "jpegtran") }

var (
	tool     = oracle.Run
	mustTool = oracle.MustRun
)

// picture is a PPM with an asymmetric pattern, so every mirror and rotation
// changes it.
func picture(w, h int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "P6\n%d %d\n255\n", w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bl := x*255/w, y*255/h, (x*x+3*y)%256
			if x < w/3 && y < h/2 {
				r, g = 240, 20
			}
			b.Write([]byte{byte(r), byte(g), byte(bl)})
		}
	}
	return b.Bytes()
}

// orientedJPEG codes the picture with cjpeg (sampling "gray" or HxV),
// optionally with restart markers and as progressive, and adds an Exif with
// Orientation o and some private tags.
func orientedJPEG(t testing.TB, w, h int, sampling string, restart, progressive bool, o int) []byte {
	args := []string{"-quality", "85"}
	if sampling == "gray" {
		args = append(args, "-grayscale")
	} else {
		args = append(args, "-sample", sampling)
	}
	if restart {
		args = append(args, "-restart", "2B")
	}
	if progressive {
		args = append(args, "-progressive")
	}
	img := mustTool(t, picture(w, h), "cjpeg", args...)
	return jpegfixture.New(img).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{Order: binary.LittleEndian, Orientation: o, Make: "Canon", GPS: true})).
		Add(jpegfixture.XMP(`<exif:GPSLatitude>51,30N</exif:GPSLatitude>`)).
		Bytes()
}

// checkOriented strips src with the default policy and holds the result to
// jpegtran -perfect: transformed, pixel for pixel like jpegtran's output,
// with no Exif, where jpegtran transforms; the minimal tag where it refuses.
func checkOriented(t *testing.T, name string, src []byte, o int) (transformed bool) {
	t.Helper()
	var out bytes.Buffer
	rep, err := Strip(&out, bytes.NewReader(src), DefaultPolicy())
	if err != nil {
		t.Fatalf("%s: Strip: %v", name, err)
	}
	srcIns, err := Inspect(bytes.NewReader(src), DefaultPolicy())
	if err != nil {
		t.Fatalf("%s: Inspect: %v", name, err)
	}
	// Verify without image/jpeg's decode: it refuses valid progressive files
	// with restart markers ("missing 0xff00 sequence"); djpeg decodes below.
	ins, err := Verify(bytes.NewReader(out.Bytes()), DefaultPolicy(), false)
	if err != nil {
		t.Fatalf("%s: output does not verify: %v", name, err)
	}
	if _, err := tool(out.Bytes(), "djpeg", "-strict", "-pnm"); err != nil {
		t.Errorf("%s: djpeg: %v", name, err)
	}
	if rep.OrientationMode != string(OrientationTransform) || rep.Orientation != o || rep.SourceImageDigest != srcIns.ImageDigest {
		t.Errorf("%s: report mode %q orientation %d source digest %s", name, rep.OrientationMode, rep.Orientation, rep.SourceImageDigest)
	}
	if o == 1 {
		if rep.OrientationAction != OrientationNone || rep.ImageDigest != srcIns.ImageDigest {
			t.Errorf("%s: orientation 1: action %s", name, rep.OrientationAction)
		}
		return false
	}
	want, refErr := tool(src, "jpegtran", append([]string{"-copy", "none", "-perfect"}, oracle.JpegtranArgs[o]...)...)
	if refErr != nil {
		if rep.OrientationAction != OrientationKeptFallback || !strings.HasPrefix(rep.OrientationReason, "not perfect") {
			t.Errorf("%s: jpegtran refused (%v); action %s (%s), want kept-fallback, not perfect", name, refErr, rep.OrientationAction, rep.OrientationReason)
		}
		if ins.Orientation != o || rep.ImageDigest != srcIns.ImageDigest || ins.ImageDigest != srcIns.ImageDigest {
			t.Errorf("%s: fallback output has orientation %d, digest changed: %v", name, ins.Orientation, rep.ImageDigest != srcIns.ImageDigest)
		}
		return false
	}
	if rep.OrientationAction != OrientationTransformed {
		t.Fatalf("%s: jpegtran transforms, action %s (%s)", name, rep.OrientationAction, rep.OrientationReason)
	}
	for _, s := range ins.Segments {
		if s.Kind == KindExif {
			t.Errorf("%s: transformed output holds an Exif segment", name)
		}
	}
	if ins.Orientation != 0 || ins.ImageDigest != rep.ImageDigest || rep.BytesOut != int64(out.Len()) {
		t.Errorf("%s: output orientation %d, digest %s vs report %s", name, ins.Orientation, ins.ImageDigest, rep.ImageDigest)
	}
	wantW, wantH := srcIns.Structure.Width, srcIns.Structure.Height
	if o >= 5 { // the transposing orientations
		wantW, wantH = wantH, wantW
	}
	if rep.Width != wantW || rep.Height != wantH {
		t.Errorf("%s: report size %dx%d, source %dx%d", name, rep.Width, rep.Height, srcIns.Structure.Width, srcIns.Structure.Height)
	}
	if !bytes.Equal(mustTool(t, want, "djpeg", "-pnm"), mustTool(t, out.Bytes(), "djpeg", "-pnm")) {
		t.Errorf("%s: djpeg of our output differs from djpeg of jpegtran's", name)
	}
	if err := CheckTransform(src, out.Bytes(), DefaultPolicy()); err != nil {
		t.Errorf("%s: CheckTransform: %v", name, err)
	}
	return true
}

// TestTransformFixtures: all eight orientations x five samplings x restart
// markers or not x baseline or progressive, on an image of whole MCUs and
// on one of partial MCUs.
func TestTransformFixtures(t *testing.T) {
	needJPEGTools(t)
	transformed, fallback := 0, 0
	for _, sampling := range []string{"1x1", "2x1", "2x2", "1x2", "gray"} {
		for _, size := range [][2]int{{48, 32}, {45, 27}} {
			for _, restart := range []bool{false, true} {
				for _, progressive := range []bool{false, true} {
					for o := 1; o <= 8; o++ {
						name := fmt.Sprintf("%s_%dx%d_rst%v_prog%v_o%d", sampling, size[0], size[1], restart, progressive, o)
						src := orientedJPEG(t, size[0], size[1], sampling, restart, progressive, o)
						if checkOriented(t, name, src, o) {
							transformed++
						} else if o > 1 {
							fallback++
						}
					}
				}
			}
		}
	}
	t.Logf("%d transformed, %d fell back", transformed, fallback)
	if transformed == 0 || fallback == 0 {
		t.Errorf("fixtures should exercise both outcomes")
	}
}

// TestTransformCorpus: every corpus file with Orientation 2-8.
func TestTransformCorpus(t *testing.T) {
	needJPEGTools(t)
	raw, err := os.ReadFile("../../../shared/corpus/manifest.json")
	if err != nil {
		t.Skip("../shared/corpus not found")
	}
	var manifest []struct {
		File        string `json:"file"`
		Orientation any    `json:"orientation"`
		Corrupt     bool   `json:"is_corrupt"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	transformed, total := 0, 0
	for _, e := range manifest {
		o, ok := e.Orientation.(float64)
		if !ok || o < 2 || o > 8 || e.Corrupt {
			continue
		}
		src, err := os.ReadFile(filepath.Join("../../../shared/corpus/files", e.File))
		if err != nil {
			t.Fatal(err)
		}
		total++
		if checkOriented(t, e.File, src, int(o)) {
			transformed++
		}
	}
	t.Logf("corpus: %d of %d oriented files transformed, the rest not perfect", transformed, total)
}

// withOrientation adds an Orientation-6 Exif to a JPEG that cannot be
// transformed in the DCT domain and checks the fallback and its reason.
func TestTransformFallsBack(t *testing.T) {
	needJPEGTools(t)
	base := mustTool(t, picture(32, 32), "cjpeg", "-sample", "2x2")
	cases := map[string][]byte{
		"arithmetic": mustTool(t, base, "jpegtran", "-arithmetic"),
	}
	for _, f := range []string{"ljt__monkey12.jpg", "jpegdec__MR4.jpg"} {
		if b, err := os.ReadFile(filepath.Join("../../../shared/corpus/files", f)); err == nil {
			cases[f] = b
		}
	}
	for name, img := range cases {
		src := jpegfixture.New(img).Add(jpegfixture.OrientationOnly(6, binary.BigEndian)).Bytes()
		var out bytes.Buffer
		rep, err := Strip(&out, bytes.NewReader(src), DefaultPolicy())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rep.OrientationAction != OrientationKeptFallback || !strings.HasPrefix(rep.OrientationReason, "unsupported") {
			t.Errorf("%s: action %s reason %q", name, rep.OrientationAction, rep.OrientationReason)
		}
		ins, err := Verify(bytes.NewReader(out.Bytes()), DefaultPolicy(), false)
		if err != nil || ins.Orientation != 6 || ins.ImageDigest != rep.SourceImageDigest {
			t.Errorf("%s: fallback output: %v, orientation %d", name, err, ins.Orientation)
		}
	}
}

// A transform that would take more memory than MaxTransformMemory is not
// attempted: the photo keeps a minimal Orientation tag, and says why.
func TestTransformMemoryBound(t *testing.T) {
	needJPEGTools(t)
	src := orientedJPEG(t, 512, 384, "2x2", false, false, 6)
	// 512x384 4:2:0: 64x48 luma and 2x 32x24 chroma blocks of 128 bytes,
	// twice, plus four times the file (the source, a bit more than the
	// stripped copy the estimate takes).
	need := int64(2*(64*48+2*32*24)*128) + transformFileFactor*int64(len(src))
	for _, tc := range []struct {
		most   int64
		action string
	}{{0, OrientationTransformed}, {need + 64<<10, OrientationTransformed}, {need / 2, OrientationKeptFallback}, {1, OrientationKeptFallback}} {
		p := DefaultPolicy()
		p.Limits.MaxTransformMemory = tc.most
		var out bytes.Buffer
		rep, err := Strip(&out, bytes.NewReader(src), p)
		if err != nil {
			t.Fatalf("bound %d: %v", tc.most, err)
		}
		if rep.OrientationAction != tc.action {
			t.Errorf("bound %d for about %d: action %s (%s), want %s", tc.most, need, rep.OrientationAction, rep.OrientationReason, tc.action)
		}
		if tc.action == OrientationKeptFallback && !strings.HasPrefix(rep.OrientationReason, "limit") {
			t.Errorf("bound %d: reason %q", tc.most, rep.OrientationReason)
		}
		ins, err := Verify(bytes.NewReader(out.Bytes()), p, false)
		if err != nil || !ins.Clean {
			t.Fatalf("bound %d: output: %v", tc.most, err)
		}
		if want := map[string]int{OrientationTransformed: 0, OrientationKeptFallback: 6}[tc.action]; ins.Orientation != want {
			t.Errorf("bound %d: output orientation %d, want %d", tc.most, ins.Orientation, want)
		}
	}
}

// TestCheckTransformDetects: an output that is not exactly the transformed
// source fails CheckTransform, whether one coefficient differs or the
// image was not transformed at all.
func TestCheckTransformDetects(t *testing.T) {
	needJPEGTools(t)
	src := orientedJPEG(t, 48, 32, "2x2", false, false, 6)
	var out bytes.Buffer
	if _, err := Strip(&out, bytes.NewReader(src), DefaultPolicy()); err != nil {
		t.Fatal(err)
	}
	img, err := dct.Decode(out.Bytes(), dct.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	img.Components[1].Block(1, 0)[5]++
	tampered, err := dct.AppendEncode(nil, img)
	if err != nil {
		t.Fatal(err)
	}
	var mm *TransformMismatchError
	if err := CheckTransform(src, tampered, DefaultPolicy()); !errors.As(err, &mm) {
		t.Errorf("one coefficient changed: got %v", err)
	}
	p := DefaultPolicy()
	p.Orientation = OrientationKeep
	var kept bytes.Buffer
	if _, err := Strip(&kept, bytes.NewReader(src), p); err != nil {
		t.Fatal(err)
	}
	if err := CheckTransform(src, kept.Bytes(), DefaultPolicy()); !errors.As(err, &mm) {
		t.Errorf("untransformed output: got %v", err)
	}
	if err := CheckTransform(src, out.Bytes(), DefaultPolicy()); err != nil {
		t.Errorf("the real output: %v", err)
	}
}

// TestTransformSwapsJFIFDensity: rotating by 90 degrees swaps the JFIF pixel
// densities with the axes, so non-square pixels keep their shape.
func TestTransformSwapsJFIFDensity(t *testing.T) {
	needJPEGTools(t)
	for o, swapped := range map[int]bool{6: true, 3: false} {
		src := orientedJPEG(t, 48, 32, "2x2", false, false, o)
		i := bytes.Index(src, []byte("JFIF\x00"))
		copy(src[i+7:], []byte{1, 0, 72, 0, 144}) // dots per inch, 72 x 144
		var out bytes.Buffer
		rep, err := Strip(&out, bytes.NewReader(src), DefaultPolicy())
		if err != nil || rep.OrientationAction != OrientationTransformed {
			t.Fatalf("orientation %d: %v %+v", o, err, rep)
		}
		j := bytes.Index(out.Bytes(), []byte("JFIF\x00"))
		want := []byte{1, 0, 72, 0, 144}
		if swapped {
			want = []byte{1, 0, 144, 0, 72}
		}
		if got := out.Bytes()[j+7 : j+12]; !bytes.Equal(got, want) {
			t.Errorf("orientation %d: JFIF units and densities % x, want % x", o, got, want)
		}
	}
}

// TestTransformPixelCap: with no pixel limit in the policy, an oriented
// frame beyond dct's 100 MP keeps its tag rather than allocating its
// coefficients. The file declares 20000x6000 pixels and holds almost no
// data; the keep-mode strip streams it as it is.
func TestTransformPixelCap(t *testing.T) {
	img := jpegfixture.Baseline(16, 16, 1)
	sof := bytes.Index(img, []byte{0xFF, 0xC0})
	binary.BigEndian.PutUint16(img[sof+5:], 6000)
	binary.BigEndian.PutUint16(img[sof+7:], 20000)
	src := jpegfixture.New(img).Add(jpegfixture.OrientationOnly(6, binary.BigEndian)).Bytes()
	p := DefaultPolicy()
	p.Limits.MaxPixels = -1
	var out bytes.Buffer
	rep, err := Strip(&out, bytes.NewReader(src), p)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OrientationAction != OrientationKeptFallback || !strings.HasPrefix(rep.OrientationReason, "limit") {
		t.Errorf("action %s reason %q", rep.OrientationAction, rep.OrientationReason)
	}
}
