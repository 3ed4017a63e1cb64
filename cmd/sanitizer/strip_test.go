package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/metadata"
)

func withMetadata() []byte {
	return jpegfixture.New(jpegfixture.Baseline(48, 32, 1)).
		Add(jpegfixture.Exif(jpegfixture.ExifSpec{Order: binary.LittleEndian, Orientation: 6, Make: "Canon", GPS: true})).
		Add(jpegfixture.XMP(`<tiff:Model>X</tiff:Model>`), jpegfixture.Comment("secret")).
		Trailer([]byte("trailer")).Bytes()
}

func clean(t *testing.T, b []byte) *metadata.Inspection {
	t.Helper()
	ins, err := metadata.Verify(bytes.NewReader(b), metadata.DefaultPolicy(), true)
	if err != nil {
		t.Fatalf("not clean: %v", err)
	}
	return ins
}

func TestStripFiles(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jpg"), filepath.Join(dir, "out.jpg")
	os.WriteFile(in, withMetadata(), 0o644)
	code, stdout, stderr := runCLI(t, "", "strip", "-report", in, out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The default transforms Orientation 6 away: a 48×32 image comes out 32×48.
	if ins := clean(t, b); ins.Orientation != 0 || ins.Structure.Width != 32 || ins.Structure.Height != 48 {
		t.Errorf("orientation %d, %dx%d, want transformed to 32x48", ins.Orientation, ins.Structure.Width, ins.Structure.Height)
	}
	var rep metadata.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.BytesOut != int64(len(b)) {
		t.Errorf("report %q: %v", stdout, err)
	}

	// -orientation keep writes the tag alone; drop removes it.
	if code, _, stderr := runCLI(t, "", "strip", "-orientation", "keep", in, out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ = os.ReadFile(out)
	if ins := clean(t, b); ins.Orientation != 6 {
		t.Errorf("orientation %d after keep", ins.Orientation)
	}
	if code, _, stderr := runCLI(t, "", "strip", "-orientation", "drop", in, out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ = os.ReadFile(out)
	if ins := clean(t, b); ins.Orientation != 0 {
		t.Errorf("orientation %d after drop", ins.Orientation)
	}
}

// TestStripRejectLeavesNothing: a rejected input produces no output file and
// no temporary file, an exit status 1 and a one-line reason.
func TestStripRejectLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jpg"), filepath.Join(dir, "out.jpg")
	good := withMetadata()
	os.WriteFile(in, good[:len(good)/2], 0o644)
	code, _, stderr := runCLI(t, "", "strip", in, out)
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "truncated") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the input", len(entries))
	}
	os.WriteFile(in, []byte("\x89PNG\r\n\x1a\n0000000000"), 0o644)
	if code, _, stderr := runCLI(t, "", "strip", in, out); code != 1 || !strings.Contains(stderr, "PNG") {
		t.Fatalf("png: exit %d, stderr %q", code, stderr)
	}
}

func TestStripStdio(t *testing.T) {
	code, stdout, stderr := runCLI(t, string(withMetadata()), "strip", "-", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	clean(t, []byte(stdout))
	code, stdout, _ = runCLI(t, "GIF89a......", "strip", "-", "-")
	if code != 1 || stdout != "" {
		t.Fatalf("gif on stdin: exit %d, %d bytes on stdout", code, len(stdout))
	}
}

func TestStripBatch(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "out")
	var files []string
	for i, b := range [][]byte{withMetadata(), []byte("not a jpeg"), jpegfixture.Progressive(40, 24, 3)} {
		name := filepath.Join(src, string(rune('a'+i))+".jpg")
		os.WriteFile(name, b, 0o644)
		files = append(files, name)
	}
	code, _, stderr := runCLI(t, "", append([]string{"strip", "-o", dst}, files...)...)
	if code != 1 || !strings.Contains(stderr, "b.jpg") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	entries, _ := os.ReadDir(dst)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		b, _ := os.ReadFile(filepath.Join(dst, e.Name()))
		clean(t, b)
	}
	if strings.Join(names, ",") != "a.jpg,c.jpg" {
		t.Fatalf("outputs %v, want a.jpg and c.jpg only", names)
	}
}

func TestInspectAndVerify(t *testing.T) {
	dir := t.TempDir()
	dirty, stripped := filepath.Join(dir, "dirty.jpg"), filepath.Join(dir, "clean.jpg")
	os.WriteFile(dirty, withMetadata(), 0o644)
	if code, _, stderr := runCLI(t, "", "strip", dirty, stripped); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, _ := runCLI(t, "", "inspect", dirty, stripped)
	if code != 0 {
		t.Fatalf("inspect exit %d", code)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	var results []inspectResult
	for dec.More() {
		var r inspectResult
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		results = append(results, r)
	}
	if len(results) != 2 || results[0].Clean || !results[1].Clean {
		t.Fatalf("inspect results: %s", stdout)
	}
	if !slicesContains(results[0].SensitiveTags, "GPSLatitude") || results[0].Orientation != 6 {
		t.Errorf("dirty file: tags %v orientation %d", results[0].SensitiveTags, results[0].Orientation)
	}
	if code, stdout, _ := runCLI(t, "", "verify", stripped); code != 0 || !strings.Contains(stdout, "clean (decode ok)") {
		t.Errorf("verify clean: exit %d %q", code, stdout)
	}
	if code, stdout, _ := runCLI(t, "", "verify", stripped, dirty); code != 1 || !strings.Contains(stdout, "dirty.jpg: FAIL: metadata remains") {
		t.Errorf("verify dirty: exit %d %q", code, stdout)
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestStripInPlace: IN and OUT may be the same file; it is replaced only once
// the stripped copy is complete.
func TestStripInPlace(t *testing.T) {
	name := filepath.Join(t.TempDir(), "photo.jpg")
	os.WriteFile(name, withMetadata(), 0o644)
	if code, _, stderr := runCLI(t, "", "strip", name, name); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(name)
	clean(t, b)
	entries, _ := os.ReadDir(filepath.Dir(name))
	if len(entries) != 1 {
		t.Fatalf("%d files left, want 1", len(entries))
	}
}
