package metadata

import (
	"bytes"
	"errors"
	"os/exec"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg/dct"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

// TestStripRejectsBadProgression: a progressive scan header T.81 G.1.1.1.1
// forbids makes libjpeg refuse the whole file (JERR_BAD_PROGRESSION). Strip
// used to copy it and leave the refusal to Verify's decode, so the pipeline
// published the file before rolling it back; it is now rejected at the scan
// header with *jpeg.FormatError, and dct refuses it too.
func TestStripRejectsBadProgression(t *testing.T) {
	img := jpegfixture.Progressive(64, 48, 1) // DC scan of 3 components, then one AC scan each
	dc := bytes.Index(img, []byte{0xFF, jpeg.SOS})
	ac := dc + 2 + bytes.Index(img[dc+2:], []byte{0xFF, jpeg.SOS})
	if dc < 0 || ac <= dc || img[dc+4] != 3 || img[ac+4] != 1 {
		t.Fatal("the fixture's scans are not as expected")
	}
	// Offsets in a scan header: FF DA, length (2), Ns, 2 bytes per component, Ss, Se, Ah<<4|Al.
	patch := func(at, ns int, ss, se, ahal byte) []byte {
		b := bytes.Clone(img)
		p := at + 5 + 2*ns
		b[p], b[p+1], b[p+2] = ss, se, ahal
		return b
	}
	cases := map[string][]byte{
		"DC scan with Se=5":             patch(dc, 3, 0, 5, 0x00),
		"AC scan with Ss > Se":          patch(ac, 1, 10, 5, 0x00),
		"AC scan with Se=64":            patch(ac, 1, 1, 64, 0x00),
		"refinement with Ah=2 and Al=0": patch(ac, 1, 1, 63, 0x20),
		"Al=14":                         patch(ac, 1, 1, 63, 0x0E),
	}
	_, noDjpeg := exec.LookPath("djpeg")
	for name, b := range cases {
		if noDjpeg == nil {
			if _, err := tool(b, "djpeg", "-pnm"); err == nil {
				t.Fatalf("%s: djpeg decodes it", name)
			}
		}
		var fe *jpeg.FormatError
		if _, err := Strip(&bytes.Buffer{}, bytes.NewReader(b), DefaultPolicy()); !errors.As(err, &fe) {
			t.Errorf("%s: Strip: %v (%T), want *jpeg.FormatError", name, err, err)
		}
		var dfe *dct.FormatError
		if err := dct.Check(b, dct.Limits{}); !errors.As(err, &dfe) {
			t.Errorf("%s: dct.Check: %v (%T), want *dct.FormatError", name, err, err)
		}
	}
	// libjpeg takes Ah=14 with Al=13, but internal/jpeg/dct (Verify's decoder)
	// does not: Strip refuses it too, rather than publish what Verify rolls back.
	b := patch(ac, 1, 1, 63, 0xED)
	var fe *jpeg.FormatError
	if _, err := Strip(&bytes.Buffer{}, bytes.NewReader(b), DefaultPolicy()); !errors.As(err, &fe) {
		t.Errorf("Ah=14 Al=13: Strip: %v (%T), want *jpeg.FormatError", err, err)
	}
	var dfe *dct.FormatError
	if err := dct.Check(b, dct.Limits{}); !errors.As(err, &dfe) {
		t.Errorf("Ah=14 Al=13: dct.Check: %v (%T), want *dct.FormatError", err, err)
	}
	if _, err := Strip(&bytes.Buffer{}, bytes.NewReader(img), DefaultPolicy()); err != nil {
		t.Fatalf("the unpatched fixture: %v", err)
	}
}
