package dct

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const corpusDir = "../../../../shared/corpus"

type corpusEntry struct {
	File        string `json:"file"`
	Orientation any    `json:"orientation"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
}

func loadCorpus(t testing.TB) []corpusEntry {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(corpusDir, "manifest.json"))
	if err != nil {
		t.Skip("../shared/corpus not found")
	}
	var m []corpusEntry
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// orientation returns the manifest's Orientation when it is 1-8.
func (e corpusEntry) orientation() int {
	if f, ok := e.Orientation.(float64); ok && f >= 1 && f <= 8 {
		return int(f)
	}
	return 0
}

// TestCorpus decodes every corpus file. A file libjpeg decodes without a
// warning must decode here too, unless it is of a kind this package refuses
// by design, and must re-encode to the same pixels. Files with an
// Orientation of 2-8 must transform exactly as jpegtran -perfect does, and
// small files are put through all seven transforms.
func TestCorpus(t *testing.T) {
	needTools(t)
	var decoded, transformed, refused int
	for _, e := range loadCorpus(t) {
		src, err := os.ReadFile(filepath.Join(corpusDir, "files", e.File))
		if err != nil {
			t.Fatal(err)
		}
		ref, refErr := runErr(src, "djpeg", "-pnm")
		clean := refErr == nil && !bytes.Contains(ref, []byte("Corrupt")) && djpegClean(src)
		img, err := Decode(src, Limits{})
		if err != nil {
			var ue *UnsupportedError
			if clean && !errors.As(err, &ue) {
				t.Errorf("%s: libjpeg decodes it cleanly, Decode says: %v", e.File, err)
			}
			refused++
			continue
		}
		decoded++
		if !clean {
			continue
		}
		if got := run(t, encode(t, img, colourSegments(t, src)...), "djpeg", "-pnm"); !bytes.Equal(ref, got) {
			t.Errorf("%s: re-encoded pixels differ", e.File)
		}
		var trs []Transform
		if o := e.orientation(); o >= 2 {
			tr, _ := FromOrientation(o)
			trs = append(trs, tr)
		}
		if int64(img.Width)*int64(img.Height) <= 100_000 {
			trs = []Transform{FlipH, FlipV, Transpose, Transverse, Rotate90, Rotate180, Rotate270}
		}
		for _, tr := range trs {
			args := append([]string{"-copy", "none", "-perfect"}, jpegtranArgs(tr)...)
			want, refErr := runErr(src, "jpegtran", args...)
			out, err := img.Transform(tr)
			if refErr != nil {
				if err == nil {
					t.Errorf("%s %s: jpegtran refused (%v), we transformed", e.File, tr, refErr)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s %s: jpegtran transformed, we refused: %v", e.File, tr, err)
				continue
			}
			transformed++
			if !bytes.Equal(run(t, want, "djpeg", "-pnm"), run(t, encode(t, out, colourSegments(t, src)...), "djpeg", "-pnm")) {
				t.Errorf("%s %s: pixels differ from jpegtran's", e.File, tr)
			}
		}
	}
	t.Logf("corpus: %d decoded, %d refused, %d transforms matched jpegtran", decoded, refused, transformed)
}

// djpegClean reports whether djpeg decodes src without a warning.
func djpegClean(src []byte) bool {
	_, err := runErr(src, "djpeg", "-strict", "-pnm")
	return err == nil
}
