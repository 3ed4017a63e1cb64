package local

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Completing an upload reads its parts one file at a time: an upload of
// 10,000 parts must not need 10,000 open files (Complete opened every part
// before reading any, past the usual limit of 1,024 descriptors).
func TestPartFilesOpenOneAtATime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors in /proc/self/fd")
	}
	dir := t.TempDir()
	p := &partFiles{}
	var want bytes.Buffer
	for i := range 300 {
		body := []byte(fmt.Sprintf("part %d;", i))
		path := filepath.Join(dir, fmt.Sprint(i))
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
		p.paths = append(p.paths, path)
		want.Write(body)
	}
	open := func() int {
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(fds)
	}
	before, most := open(), 0
	var got bytes.Buffer
	buf := make([]byte, 5) // shorter than a part: reads end inside parts and at their ends
	for range 10_000 {
		n, err := p.Read(buf)
		got.Write(buf[:n])
		most = max(most, open()-before)
		if err != nil {
			break
		}
	}
	p.Close()
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("read %q..., want %q...", got.Bytes()[:min(40, got.Len())], want.Bytes()[:40])
	}
	// Other tests of the package run in parallel and open files too.
	if most > 20 {
		t.Errorf("%d more descriptors open while reading 300 parts", most)
	}
}
