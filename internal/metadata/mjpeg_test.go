package metadata

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// motionJPEG rewrites src as a Motion-JPEG frame is stored (IP camera
// snapshots, frames copied out of AVI files): an AVI1 APP0 and no DHT
// segments, so decoders use the T.81 K.3 Huffman tables (cjpeg codes with
// them unless told -optimize).
func motionJPEG(t testing.TB, src []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := jpeg.NewWriter(&out)
	rd := jpeg.NewReader(bytes.NewReader(src))
	dropped := 0
	for {
		part, err := rd.Next()
		if err != nil {
			break
		}
		switch {
		case part.Kind == jpeg.KindSegment && part.Marker == jpeg.DHT:
			dropped++
		case part.Kind == jpeg.KindSegment:
			err = w.WriteSegment(part.Marker, part.Data)
			if part.Marker == jpeg.APP0 && err == nil && out.Len() < 64 {
				err = w.WriteSegment(jpeg.APP0, []byte("AVI1\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
			}
		case part.Kind == jpeg.KindMarker:
			err = w.WriteMarker(part.Marker)
		case part.Kind == jpeg.KindECS:
			err = w.WriteData(part.Data)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if dropped == 0 {
		t.Fatal("motionJPEG: the source has no DHT segment")
	}
	return out.Bytes()
}

// TestMotionJPEG: a JPEG without DHT segments decodes with the standard
// tables in libjpeg-turbo and browsers, so it is a valid upload: Verify's
// decode accepts the stripped output, and an oriented one is rotated as
// jpegtran -perfect rotates it (before, the decoder called the tables
// undefined: Verify failed every such output and rotations fell back).
func TestMotionJPEG(t *testing.T) {
	needJPEGTools(t)
	for _, size := range [][2]int{{48, 32}, {45, 27}} {
		for _, restart := range []bool{false, true} {
			for _, o := range []int{1, 3, 6} {
				name := fmt.Sprintf("%dx%d_rst%v_o%d", size[0], size[1], restart, o)
				src := motionJPEG(t, orientedJPEG(t, size[0], size[1], "2x2", restart, false, o))
				if _, err := tool(src, "djpeg", "-strict", "-pnm"); err != nil {
					t.Fatalf("%s: djpeg -strict refuses the fixture: %v", name, err)
				}
				checkOriented(t, name, src, o)
				stripDecodes(t, name, src)
			}
		}
	}
}

// stripDecodes strips src with the default policy and checks that Verify's
// decode accepts the output; it returns the output.
func stripDecodes(t *testing.T, name string, src []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if _, err := Strip(&out, bytes.NewReader(src), DefaultPolicy()); err != nil {
		t.Fatalf("%s: Strip: %v", name, err)
	}
	ins, err := VerifyBytes(out.Bytes(), DefaultPolicy(), true)
	if err != nil {
		t.Fatalf("%s: Verify with decode: %v", name, err)
	}
	if ins.Decode != "ok" {
		t.Errorf("%s: Verify decode %q, want ok", name, ins.Decode)
	}
	return out.Bytes()
}
