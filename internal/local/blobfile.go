package local

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// createBlobFile creates path for writing, direct when the file system allows
// (tmpfs, for one, refuses O_DIRECT).
func createBlobFile(path string) (f *os.File, direct bool, err error) {
	if oDirect != 0 {
		f, err = os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|oDirect, 0o644)
		if err == nil {
			return f, true, nil
		}
		if !errors.Is(err, syscall.EINVAL) {
			return nil, false, err
		}
	}
	f, err = os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	return f, false, err
}

// openDirect opens path for reading past the page cache, or fails.
func openDirect(path string) (*os.File, error) {
	if oDirect == 0 {
		return nil, syscall.EINVAL
	}
	return os.OpenFile(path, os.O_RDONLY|oDirect, 0)
}

// writeBlobFile copies r to f, and each byte also to h, until r ends, through
// the chunks w hands out; it returns how many bytes r gave. On a direct file
// the last chunk is written padded to the alignment and the file then cut to
// its length.
func writeBlobFile(f *os.File, direct bool, r io.Reader, h io.Writer, w *blobWrite) (int64, error) {
	var n int64
	for {
		buf := w.buffer(n)
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			h.Write(buf[:k])
			end := k
			if direct && k%directAlign != 0 {
				end = (k + directAlign - 1) &^ (directAlign - 1)
				clear(buf[k:end])
			}
			if _, werr := f.Write(buf[:end]); werr != nil {
				return n, werr
			}
			n += int64(k)
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			if direct && n%directAlign != 0 {
				return n, f.Truncate(n)
			}
			return n, nil
		case err != nil:
			return n, err
		}
	}
}
