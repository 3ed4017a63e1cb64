package lambdazip

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"time"
)

// File is one entry of the archive.
type File struct {
	Name       string
	Data       []byte
	Executable bool
}

var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Write writes files as a zip archive to w.
func Write(w io.Writer, files []File) error {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	zw := zip.NewWriter(w)
	for i, f := range sorted {
		if i > 0 && sorted[i-1].Name == f.Name {
			return fmt.Errorf("lambdazip: %s appears twice", f.Name)
		}
		mode := fs.FileMode(0o644)
		if f.Executable {
			mode = 0o755
		}
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: epoch}
		h.SetMode(mode)
		// SetMode and Modified would add an extended-timestamp extra field; keep only
		// the DOS time, which depends on nothing but the constant above.
		h.Modified = time.Time{}
		//lint:ignore SA1019 the DOS fields are the only way to a timestamp without the extra field
		h.ModifiedDate, h.ModifiedTime = dosDate(epoch), 0
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}

func dosDate(t time.Time) uint16 {
	return uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
}
