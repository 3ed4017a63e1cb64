package lambdazip_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/lambdazip"
)

func build(t *testing.T, files []lambdazip.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := lambdazip.Write(&buf, files); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReproducibleAndReadable(t *testing.T) {
	files := []lambdazip.File{{Name: "bootstrap", Data: bytes.Repeat([]byte("\x7fELF binary"), 1000), Executable: true}, {Name: "README", Data: []byte("hi")}}
	a := build(t, files)
	b := build(t, []lambdazip.File{files[1], files[0]}) // order does not matter
	if !bytes.Equal(a, b) {
		t.Fatal("same files, different archives")
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 2 || zr.File[1].Name != "bootstrap" {
		t.Fatalf("entries: %v", zr.File)
	}
	boot := zr.File[1]
	if boot.Mode().Perm() != 0o755 || zr.File[0].Mode().Perm() != 0o644 {
		t.Errorf("modes %v %v", boot.Mode(), zr.File[0].Mode())
	}
	if len(boot.Extra) != 0 || boot.ModifiedDate != 0x21 || boot.ModifiedTime != 0 {
		t.Errorf("time fields: extra %x date %x time %x", boot.Extra, boot.ModifiedDate, boot.ModifiedTime)
	}
	rc, _ := boot.Open()
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, files[0].Data) {
		t.Error("content differs")
	}
	if _, err := exec.LookPath("unzip"); err == nil {
		p := filepath.Join(t.TempDir(), "f.zip")
		os.WriteFile(p, a, 0o644)
		if out, err := exec.Command("unzip", "-t", p).CombinedOutput(); err != nil {
			t.Fatalf("unzip -t: %v\n%s", err, out)
		}
	}
}

func TestDuplicateNamesRefused(t *testing.T) {
	if err := lambdazip.Write(io.Discard, []lambdazip.File{{Name: "a"}, {Name: "a"}}); err == nil {
		t.Fatal("duplicate accepted")
	}
}
