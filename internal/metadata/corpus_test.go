package metadata_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/oracle"
)

// corpusDir is ../shared/corpus seen from the project root.
const corpusDir = "../../../shared/corpus"

// corpusEntry is the part of manifest.json the tests use.
type corpusEntry struct {
	File           string `json:"file"`
	IsCorrupt      bool   `json:"is_corrupt"`
	IsCMYK         bool   `json:"is_cmyk"`
	HasAdobeAPP14  bool   `json:"has_adobe_app14"`
	HasGPS         bool   `json:"has_gps"`
	HasICC         bool   `json:"has_icc"`
	HasIFD1Thumb   bool   `json:"has_ifd1_thumb"`
	HasMakerNotes  bool   `json:"has_makernotes"`
	HasTrailer     bool   `json:"has_trailer"`
	ExtraJPEGs     int    `json:"extra_jpegs"`
	Orientation    *int   `json:"orientation"`
	DjpegRC        int    `json:"djpeg_rc"`
	ExiftoolGroups []string
}

func loadCorpus(t testing.TB) []corpusEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, "manifest.json"))
	if err != nil {
		t.Skip("../shared/corpus not found")
	}
	var entries []corpusEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		t.Fatal(err)
	}
	return entries
}

// typed reports whether err is one of the rejections a caller can branch on
// (not a self-check failure, which would be a bug in Strip).
func typed(err error) bool {
	var (
		fe *jpeg.FormatError
		te *jpeg.TruncatedError
		ue *jpeg.UnsupportedError
		ne *metadata.NotJPEGError
		le *metadata.TooLargeError
		pe *metadata.TooManyPixelsError
	)
	return errors.As(err, &fe) || errors.As(err, &te) || errors.As(err, &ue) ||
		errors.As(err, &ne) || errors.As(err, &le) || errors.As(err, &pe)
}

// TestCorpus strips every corpus file and checks the outputs with our own
// verifier, exiftool (no metadata group left) and djpeg (identical pixels),
// in the keep mode (image data untouched) and in the default transform mode
// (where a transformed image's pixels are checked by package dct's oracle
// tests against jpegtran; every other output must still be pixel-identical).
func TestCorpus(t *testing.T) {
	for _, mode := range []metadata.OrientationMode{metadata.OrientationKeep, metadata.OrientationTransform} {
		t.Run(string(mode), func(t *testing.T) {
			p := metadata.DefaultPolicy()
			p.Orientation = mode
			testCorpus(t, p)
		})
	}
}

func testCorpus(t *testing.T, p metadata.Policy) {
	entries := loadCorpus(t)
	outDir := t.TempDir()
	reports := map[string]*metadata.Report{}
	for _, e := range entries {
		in, err := os.ReadFile(filepath.Join(corpusDir, "files", e.File))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		rep, err := metadata.Strip(&out, bytes.NewReader(in), p)
		if err != nil {
			if !typed(err) {
				t.Errorf("%s: untyped or self-check error: %T %v", e.File, err, err)
			}
			if !e.IsCorrupt {
				t.Errorf("%s: rejected a file the manifest calls sound: %v", e.File, err)
			}
			continue
		}
		reports[e.File] = rep
		if err := os.WriteFile(filepath.Join(outDir, e.File), out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		ins, err := metadata.Verify(bytes.NewReader(out.Bytes()), p, false)
		if err != nil {
			t.Errorf("%s: output does not verify: %v", e.File, err)
			continue
		}
		if ins.ImageDigest != rep.ImageDigest {
			t.Errorf("%s: output image digest differs from the report's", e.File)
		}
		transformed := rep.OrientationAction == metadata.OrientationTransformed
		if (rep.ImageDigest == rep.SourceImageDigest) == transformed {
			t.Errorf("%s: %s, yet the image digest changed: %v", e.File, rep.OrientationAction, rep.ImageDigest != rep.SourceImageDigest)
		}
		if e.IsCMYK && e.HasAdobeAPP14 && !hasSegment(ins, metadata.KindAdobe) {
			t.Errorf("%s: CMYK output lost its Adobe APP14", e.File)
		}
		if e.HasICC && !e.IsCorrupt && !hasSegment(ins, metadata.KindICC) {
			t.Errorf("%s: ICC profile lost", e.File)
		}
		if e.HasGPS && !anyPrefix(rep.SensitiveTags, "GPS", "exif:GPS") {
			t.Errorf("%s: GPS not reported: %v", e.File, rep.SensitiveTags)
		}
		if e.HasIFD1Thumb && !contains(rep.SensitiveTags, "ThumbnailImage") {
			t.Errorf("%s: IFD1 thumbnail not reported", e.File)
		}
		if e.HasMakerNotes && !contains(rep.SensitiveTags, "MakerNote") {
			t.Logf("%s: MakerNote not reported (maker note outside the first Exif IFDs)", e.File)
		}
		if (e.HasTrailer || e.ExtraJPEGs > 0) && ins.TrailerBytes != 0 {
			t.Errorf("%s: trailer kept", e.File)
		}
		if o := e.Orientation; o != nil && *o >= 2 && *o <= 8 {
			kept := rep.OrientationAction == metadata.OrientationKept || rep.OrientationAction == metadata.OrientationKeptFallback
			switch {
			case rep.Orientation != *o:
				t.Errorf("%s: orientation %d reported as %d", e.File, *o, rep.Orientation)
			case kept && ins.Orientation != *o, transformed && ins.Orientation != 0, !kept && !transformed:
				t.Errorf("%s: orientation %d: %s, output holds %d", e.File, *o, rep.OrientationAction, ins.Orientation)
			}
		}
	}
	if len(reports) == 0 {
		t.Fatal("no corpus file was stripped")
	}
	t.Logf("%d of %d corpus files stripped, the rest rejected with typed errors", len(reports), len(entries))
	checkExiftool(t, outDir, reports)
	checkDjpeg(t, outDir, reports, p)
	checkSerials(t, reports)
}

// serialGroups are the maker notes whose serial numbers Strip names.
var serialGroups = map[string]bool{"Canon": true, "Nikon": true, "Olympus": true, "Panasonic": true, "FujiFilm": true, "Sigma": true, "Ricoh": true}

// checkSerials: wherever exiftool finds a serial number in one of those maker
// notes of an input, the report names it.
func checkSerials(t *testing.T, reports map[string]*metadata.Report) {
	oracle.Need(t, "exiftool")
	args := []string{"-j", "-a", "-G1", "-q", "-q", "-SerialNumber", "-InternalSerialNumber"}
	for name := range reports {
		args = append(args, filepath.Join(corpusDir, "files", name))
	}
	out, _ := exec.Command("exiftool", args...).Output()
	var docs []map[string]any
	if err := json.Unmarshal(out, &docs); err != nil {
		t.Fatalf("exiftool JSON: %v", err)
	}
	found := 0
	for _, d := range docs {
		name := filepath.Base(d["SourceFile"].(string))
		for key := range d {
			group, tag, _ := strings.Cut(key, ":")
			if !serialGroups[group] {
				continue
			}
			found++
			if !contains(reports[name].SensitiveTags, "MakerNote:"+tag) {
				t.Errorf("%s: exiftool finds %s, the report does not name it: %v", name, key, reports[name].SensitiveTags)
			}
		}
	}
	if found == 0 {
		t.Error("exiftool found no maker-note serial number in the corpus")
	}
}

func hasSegment(ins *metadata.Inspection, kind string) bool {
	for _, s := range ins.Segments {
		if s.Kind == kind {
			return true
		}
	}
	return false
}

func anyPrefix(tags []string, prefixes ...string) bool {
	for _, t := range tags {
		for _, p := range prefixes {
			if strings.HasPrefix(t, p) {
				return true
			}
		}
	}
	return false
}

func contains(tags []string, s string) bool {
	for _, t := range tags {
		if t == s {
			return true
		}
	}
	return false
}

// exiftoolAllowed are the groups a clean output may show under -G1: file
// system facts, computed values, JFIF, ICC, Adobe, and IFD0 for Orientation.
var exiftoolAllowed = map[string]bool{
	"ExifTool": true, "File": true, "System": true, "Composite": true, "JFIF": true, "Adobe": true,
	"ICC_Profile": true, "ICC-header": true, "ICC-view": true, "ICC-meas": true, "ICC-chrm": true,
	"IFD0": true,
}

// exiftoolICCWarnings are warnings about malformed multi-chunk ICC profiles
// the policy keeps byte for byte (corpus files made to test them).
var exiftoolICCWarnings = []string{"ICC_Profile", "ICC_profile"}

func checkExiftool(t *testing.T, dir string, reports map[string]*metadata.Report) {
	oracle.Need(t, "exiftool")
	out, err := exec.Command("exiftool", "-j", "-a", "-G1", "-n", "-q", "-q", dir).Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("exiftool: %v", err)
	}
	var docs []map[string]any
	if err := json.Unmarshal(out, &docs); err != nil {
		t.Fatalf("exiftool JSON: %v", err)
	}
	if len(docs) != len(reports) {
		t.Errorf("exiftool described %d files, want %d", len(docs), len(reports))
	}
	for _, d := range docs {
		name := filepath.Base(d["SourceFile"].(string))
		for key, v := range d {
			group, tag, ok := strings.Cut(key, ":")
			if !ok {
				continue
			}
			switch {
			case !exiftoolAllowed[group]:
				t.Errorf("%s: exiftool finds %s", name, key)
			case group == "IFD0" && tag != "Orientation":
				t.Errorf("%s: exiftool finds %s beside Orientation", name, key)
			case group == "IFD0" && reports[name].OrientationAction != metadata.OrientationKept && reports[name].OrientationAction != metadata.OrientationKeptFallback:
				t.Errorf("%s: Orientation kept though the report says %s", name, reports[name].OrientationAction)
			case tag == "Warning" && !anyContains(v, exiftoolICCWarnings):
				t.Errorf("%s: exiftool warns: %v", name, v)
			}
		}
	}
}

func anyContains(v any, subs []string) bool {
	s, _ := v.(string)
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// checkDjpeg decodes input and output with libjpeg-turbo: where the input
// decodes, the output must decode to the same pixels, or, where the transform
// mode rotated it, to the pixels of jpegtran -perfect's rotation. Every output
// djpeg decodes without a warning must pass Verify with its decode check.
func checkDjpeg(t *testing.T, dir string, reports map[string]*metadata.Report, p metadata.Policy) {
	oracle.Need(t, "djpeg")
	compared, decodeOK := 0, 0
	for name := range reports {
		want, err := exec.Command("djpeg", "-pnm", filepath.Join(corpusDir, "files", name)).Output()
		if err != nil || len(want) == 0 {
			continue // djpeg cannot decode the input (12-bit, lossless, corrupt)
		}
		if rep := reports[name]; rep.OrientationAction == metadata.OrientationTransformed {
			in, _ := os.ReadFile(filepath.Join(corpusDir, "files", name))
			args := append([]string{"-copy", "none", "-perfect"}, oracle.JpegtranArgs[rep.Orientation]...)
			rotated, err := oracle.Run(in, "jpegtran", args...)
			if err != nil {
				t.Errorf("%s: we transformed it, jpegtran does not: %v", name, err)
				continue
			}
			want = oracle.MustRun(t, rotated, "djpeg", "-pnm")
		}
		got, err := exec.Command("djpeg", "-pnm", filepath.Join(dir, name)).Output()
		if err != nil && len(got) == 0 {
			t.Errorf("%s: djpeg decodes the input but not the output: %v", name, err)
			continue
		}
		if err == nil { // exit 0: no warning, so the data is complete and sound
			out, rerr := os.ReadFile(filepath.Join(dir, name))
			if rerr != nil {
				t.Fatal(rerr)
			}
			ins, verr := metadata.Verify(bytes.NewReader(out), p, true)
			if bins, berr := metadata.VerifyBytes(out, p, true); (berr == nil) != (verr == nil) || berr == nil && bins.Decode != ins.Decode {
				t.Errorf("%s: VerifyBytes (%v) and Verify (%v) disagree", name, berr, verr)
			}
			if verr != nil {
				t.Errorf("%s: djpeg decodes the output, Verify with decode fails: %v", name, verr)
			} else {
				decodeOK++
				if ins.Decode != "ok" {
					t.Logf("%s: decode %s", name, ins.Decode)
				}
			}
		}
		if reports[name].OrientationAction == metadata.OrientationTransformed {
			continue // rotated on purpose: package dct's tests compare with jpegtran
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: djpeg pixels differ between input and output", name)
		}
		compared++
	}
	t.Logf("djpeg: %d outputs decode to pixels identical to their inputs; %d pass Verify with decode", compared, decodeOK)
}

func errorsAs[T any](err error, target *T) bool { return errors.As(err, target) }
