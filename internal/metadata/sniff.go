package metadata

import (
	"bytes"
	"io"
)

// sniffLen is enough for every signature below (ISO BMFF brands sit at 8–12).
const sniffLen = 16

// sniff reads the first bytes of src and either names a non-JPEG format or
// returns a reader that yields the whole stream again.
func sniff(src io.Reader) (io.Reader, error) {
	var head [sniffLen]byte
	n, err := io.ReadFull(src, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	b := head[:n]
	if kind := detect(b); kind != "jpeg" {
		return nil, &NotJPEGError{Detected: kind}
	}
	return io.MultiReader(bytes.NewReader(b), src), nil
}

// detect names the format of a file from its first bytes.
func detect(b []byte) string {
	switch {
	case len(b) == 0:
		return "empty"
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xD8:
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "gif"
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return "webp"
	case len(b) >= 12 && bytes.Equal(b[4:8], []byte("ftyp")):
		switch string(b[8:12]) {
		case "avif", "avis":
			return "avif"
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1":
			return "heic"
		}
		return "unknown"
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "tiff"
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "pdf"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")), bytes.HasPrefix(b, []byte("PK\x05\x06")):
		return "zip"
	case bytes.HasPrefix(b, []byte("BM")) && len(b) >= 14:
		return "bmp"
	}
	return "unknown"
}

// limitReader fails with *TooLargeError once more than max bytes have been read.
type limitReader struct {
	r      io.Reader
	n, max int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.max < 0 {
		n, err := l.r.Read(p)
		l.n += int64(n)
		return n, err
	}
	if l.n > l.max {
		return 0, &TooLargeError{Limit: l.max, Size: l.n}
	}
	if rest := l.max - l.n + 1; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return n, &TooLargeError{Limit: l.max, Size: l.n}
	}
	return n, err
}

// open applies the byte limit and the format sniff shared by Strip and Inspect.
func open(src io.Reader, p Policy) (*limitReader, io.Reader, error) {
	if err := p.check(); err != nil {
		return nil, nil, err
	}
	lr := &limitReader{r: src, max: p.Limits.maxBytes()}
	in, err := sniff(lr)
	return lr, in, err
}
