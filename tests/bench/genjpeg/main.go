// Command genjpeg writes a large, valid, decodable JPEG for memory and
// throughput measurements: a noise picture coded by jpegfixture.Encode, with an
// Exif segment (GPS, Make, Orientation 1) and a trailer to strip.
//
//	go run ./tests/bench/genjpeg -w 12000 -h 8200 -o big.jpg   # about 200 MB, 98 megapixels
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpegfixture"
)

func main() {
	w := flag.Int("w", 12000, "width in pixels")
	h := flag.Int("h", 8200, "height in pixels")
	out := flag.String("o", "big.jpg", "output file")
	flag.Parse()
	if err := write(*out, *w, *h); err != nil {
		fmt.Fprintln(os.Stderr, "genjpeg:", err)
		os.Exit(1)
	}
}

func write(name string, w, h int) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	// The encoder writes SOI first; splice the metadata after it by writing
	// the encoder's output through a writer that inserts it.
	ins := &insertAfterSOI{w: bw, seg: jpegfixture.Exif(jpegfixture.ExifSpec{Make: "Canon", GPS: true, Orientation: 1}).Bytes()}
	if err := jpegfixture.Encode(ins, w, h, 1, jpegfixture.Coding{Noise: true, RestartInterval: 256}); err != nil {
		return err
	}
	if _, err := bw.Write(jpegfixture.ZipArchive("trailer.txt", "bytes after EOI")); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// insertAfterSOI passes bytes through, inserting seg after the first two (SOI).
type insertAfterSOI struct {
	w    *bufio.Writer
	seg  []byte
	seen int
}

func (i *insertAfterSOI) Write(b []byte) (int, error) {
	n := len(b)
	if i.seen < 2 {
		k := min(2-i.seen, len(b))
		if _, err := i.w.Write(b[:k]); err != nil {
			return 0, err
		}
		i.seen += k
		b = b[k:]
		if i.seen == 2 {
			if _, err := i.w.Write(i.seg); err != nil {
				return 0, err
			}
		}
	}
	_, err := i.w.Write(b)
	return n, err
}
