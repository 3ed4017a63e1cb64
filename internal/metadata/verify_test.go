package metadata_test

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"os/exec"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

// progressiveRestart returns progressive JPEGs with restart markers: from
// jpegfixture and, where libjpeg-turbo's cjpeg is installed, from cjpeg
// -progressive -restart (its own scan script, EOB runs across blocks).
func progressiveRestart(t *testing.T) map[string][]byte {
	files := map[string][]byte{}
	for _, ri := range []int{1, 2, 7} {
		for _, nc := range []int{1, 3} {
			files[fmt.Sprintf("jpegfixture-ri%d-nc%d", ri, nc)] = jpegfixture.Blocks(61, 45, uint32(ri), jpegfixture.Coding{
				Progressive: true, RestartInterval: ri, Components: nc, Noise: true})
		}
	}
	if _, err := exec.LookPath("cjpeg"); err != nil {
		t.Log("cjpeg not installed (make tools): jpegfixture files only")
		return files
	}
	const w, h = 203, 131
	ppm := fmt.Appendf(nil, "P6\n%d %d\n255\n", w, h)
	for i := 0; i < w*h; i++ {
		x, y := i%w, i/w
		ppm = append(ppm, byte(x*255/w), byte(y*255/h), byte((x*y+i*7)&0xFF))
	}
	for _, args := range [][]string{
		{"-progressive", "-restart", "2B"},
		{"-progressive", "-restart", "1"},
		{"-progressive", "-restart", "1B", "-sample", "1x1"},
		{"-progressive", "-restart", "3B", "-grayscale"},
	} {
		cmd := exec.Command("cjpeg", args...)
		cmd.Stdin = bytes.NewReader(ppm)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("cjpeg %v: %v", args, err)
		}
		files[fmt.Sprint("cjpeg", args)] = out
	}
	return files
}

// TestVerifyProgressiveRestart is the regression test for Verify failing valid
// progressive files with restart markers: image/jpeg refuses many of them
// ("missing 0xff00 sequence"), libjpeg decodes them, and so must Verify.
func TestVerifyProgressiveRestart(t *testing.T) {
	_, djpegErr := exec.LookPath("djpeg")
	refused := 0
	for name, b := range progressiveRestart(t) {
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil { // the bug's cause: logged, not asserted
			refused++
			t.Logf("%s: image/jpeg: %v", name, err)
		}
		if djpegErr == nil {
			if _, err := runDjpeg(b); err != nil {
				t.Fatalf("%s: djpeg does not decode it cleanly: %v", name, err)
			}
		}
		ins, err := metadata.Verify(bytes.NewReader(b), metadata.DefaultPolicy(), true)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ins.Decode != "ok" || ins.Structure.Process != "progressive" || ins.Structure.RestartInterval == 0 {
			t.Fatalf("%s: decode %q, structure %+v", name, ins.Decode, ins.Structure)
		}
		if ins, err := metadata.VerifyBytes(b, metadata.DefaultPolicy(), true); err != nil || ins.Decode != "ok" {
			t.Fatalf("%s: VerifyBytes: %v", name, err)
		}
	}
	t.Logf("image/jpeg refuses %d of these files", refused)
}

// TestVerifyDecodeFails: damaged entropy-coded data that djpeg warns about is
// a *DecodeError, not a pass.
func TestVerifyDecodeFails(t *testing.T) {
	img := jpegfixture.Blocks(64, 48, 3, jpegfixture.Coding{Progressive: true, RestartInterval: 2, Noise: true})
	rst := bytes.Index(img, []byte{0xFF, 0xD0})
	if rst < 0 {
		t.Fatal("fixture has no RST0")
	}
	sos := bytes.LastIndex(img, []byte{0xFF, 0xDA})
	cases := map[string][]byte{
		"restart marker out of sequence": append(append(append([]byte{}, img[:rst]...), 0xFF, 0xD3), img[rst+2:]...),
		"last scan cut short":            append(append([]byte{}, img[:sos+(len(img)-sos)/2]...), 0xFF, 0xD9),
	}
	_, djpegErr := exec.LookPath("djpeg")
	for name, b := range cases {
		if djpegErr == nil {
			if _, err := runDjpeg(b); err == nil {
				t.Fatalf("%s: djpeg decodes it without a warning", name)
			}
		}
		_, err := metadata.Verify(bytes.NewReader(b), metadata.DefaultPolicy(), true)
		var de *metadata.DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("%s: got %T %v, want *DecodeError", name, err, err)
		}
		if _, err := metadata.VerifyBytes(b, metadata.DefaultPolicy(), true); !errors.As(err, &de) {
			t.Fatalf("%s: VerifyBytes: got %T %v, want *DecodeError", name, err, err)
		}
		if _, err := metadata.Verify(bytes.NewReader(b), metadata.DefaultPolicy(), false); err != nil {
			t.Fatalf("%s: without decode: %v", name, err)
		}
	}
}

// runDjpeg decodes b with libjpeg-turbo; a warning (exit status 2) is an error.
func runDjpeg(b []byte) ([]byte, error) {
	cmd := exec.Command("djpeg", "-pnm")
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%v: %s", err, stderr.String())
	}
	return out, nil
}

// InspectDecode decodes an upload's image data alone: what Strip drops (bytes
// between segments, a trailer) does not fail it, though a decoder reading the
// whole file stops at the junk; a cut scan does fail it; and its image digest
// is the one Strip's output has, which is what lets Verify skip the decode.
func TestInspectDecode(t *testing.T) {
	img := jpegfixture.Progressive(64, 48, 5)
	src := jpegfixture.New(img).Add(jpegfixture.Comment("shot at home")).Trailer([]byte("trailing secrets")).Bytes()
	at := bytes.Index(src, []byte{0xFF, 0xFE}) // junk right before the comment
	junky := append(append(append([]byte{}, src[:at]...), "junk"...), src[at:]...)
	p := metadata.DefaultPolicy()

	if _, err := metadata.VerifyBytes(junky, metadata.Policy{Orientation: metadata.OrientationKeep}, true); err == nil {
		t.Fatal("the junky file passed Verify")
	}
	ins, err := metadata.InspectDecode(junky, p)
	if err != nil || ins.Decode != "ok" {
		t.Fatalf("InspectDecode: %v, decode %q", err, ins.Decode)
	}
	var out bytes.Buffer
	rep, err := metadata.Strip(&out, bytes.NewReader(junky), p)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ImageDigest != ins.ImageDigest {
		t.Errorf("Strip's image digest %s, InspectDecode's %s", rep.ImageDigest, ins.ImageDigest)
	}
	if _, err := metadata.VerifyBytes(out.Bytes(), p, true); err != nil {
		t.Errorf("the output does not verify with a decode: %v", err)
	}

	eoi := bytes.LastIndex(img, []byte{0xFF, 0xD9})
	cut := append(append([]byte{}, img[:eoi-len(img)/3]...), 0xFF, 0xD9)
	ins, err = metadata.InspectDecode(cut, p)
	var derr *metadata.DecodeError
	if !errors.As(err, &derr) {
		t.Fatalf("a cut scan: %v (decode %q), want *metadata.DecodeError", err, ins.Decode)
	}
	if _, err := metadata.Inspect(bytes.NewReader(cut), p); err != nil {
		t.Fatalf("the cut file must parse, so that only the decode tells: %v", err)
	}
}
