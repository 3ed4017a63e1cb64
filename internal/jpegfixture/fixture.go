package jpegfixture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	stdjpeg "image/jpeg"
)

// Segment is one marker segment: Marker is the code after 0xFF (0xE1 for APP1).
type Segment struct {
	Marker  byte
	Payload []byte
}

// Bytes encodes the segment: 0xFF, marker, big-endian length, payload.
// It panics when the payload exceeds 65533 bytes (a test bug).
func (s Segment) Bytes() []byte {
	if len(s.Payload) > 65533 {
		panic(fmt.Sprintf("jpegfixture: payload of %d bytes does not fit a segment", len(s.Payload)))
	}
	n := len(s.Payload) + 2
	return append([]byte{0xFF, s.Marker, byte(n >> 8), byte(n)}, s.Payload...)
}

// Baseline returns a w×h colour JPEG from image/jpeg at quality 90. seed varies
// the picture (a gradient with deterministic noise), so entropy-coded data
// holds stuffed 0xFF00 bytes for images of a few hundred pixels or more.
func Baseline(w, h int, seed uint32) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := seed*2654435761 + 1
	for py := 0; py < h; py++ {
		for px := 0; px < w; px++ {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			img.Set(px, py, color.RGBA{uint8(px*255/max(w, 1)) ^ uint8(x&0x3F), uint8(py * 255 / max(h, 1)), uint8(x >> 24), 255})
		}
	}
	return encode(img)
}

// Gray returns a w×h single-component JPEG from image/jpeg.
func Gray(w, h int, seed uint32) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(uint32(i)*seed + uint32(i*i)>>3)
	}
	return encode(img)
}

func encode(img image.Image) []byte {
	var buf bytes.Buffer
	if err := stdjpeg.Encode(&buf, img, &stdjpeg.Options{Quality: 90}); err != nil {
		panic(err) // cannot happen for in-memory images
	}
	return buf.Bytes()
}

// File is a JPEG under construction: an encoded image plus segments and trailer.
type File struct {
	image     []byte
	header    []Segment
	afterScan []Segment
	trailer   [][]byte
}

// New starts a file from an encoded JPEG (from Baseline, Gray, Progressive or elsewhere).
func New(image []byte) *File { return &File{image: image} }

// Add appends segments right after SOI, before the image's own segments.
func (f *File) Add(segs ...Segment) *File {
	f.header = append(f.header, segs...)
	return f
}

// AfterFirstScan places segments after the first scan's entropy-coded data.
// The image must have a marker after its first scan other than EOI for the
// result to be meaningful (any Progressive image does).
func (f *File) AfterFirstScan(segs ...Segment) *File {
	f.afterScan = append(f.afterScan, segs...)
	return f
}

// Trailer appends bytes after EOI.
func (f *File) Trailer(b ...[]byte) *File {
	f.trailer = append(f.trailer, b...)
	return f
}

// Bytes assembles the file.
func (f *File) Bytes() []byte {
	img := f.image
	if len(img) < 4 || img[0] != 0xFF || img[1] != 0xD8 {
		panic("jpegfixture: image does not start with SOI")
	}
	// Room for the picture and the usual metadata at once: the load
	// generator builds a photo of a megabyte or more for every upload, and
	// growing the buffer by doubling copied each about twice.
	var out bytes.Buffer
	out.Grow(len(img) + 128<<10)
	out.Write(img[:2])
	for _, s := range f.header {
		out.Write(s.Bytes())
	}
	rest := img[2:]
	if len(f.afterScan) > 0 {
		at := endOfFirstScan(img) - 2
		out.Write(rest[:at])
		for _, s := range f.afterScan {
			out.Write(s.Bytes())
		}
		rest = rest[at:]
	}
	out.Write(rest)
	for _, t := range f.trailer {
		out.Write(t)
	}
	return out.Bytes()
}

// endOfFirstScan returns the offset of the marker that ends the first scan's
// entropy-coded data in img.
func endOfFirstScan(img []byte) int {
	i := 2
	for i+4 <= len(img) {
		if img[i] != 0xFF {
			panic("jpegfixture: unexpected byte between segments")
		}
		m := img[i+1]
		n := int(binary.BigEndian.Uint16(img[i+2:]))
		i += 2 + n
		if m != 0xDA {
			continue
		}
		for i+1 < len(img) {
			if img[i] == 0xFF && img[i+1] != 0 && (img[i+1] < 0xD0 || img[i+1] > 0xD7) {
				return i
			}
			i++
		}
	}
	panic("jpegfixture: no scan in image")
}

// Assemble concatenates SOI, the segments and the raw bytes given (for
// hand-made structures: a bare scan, a missing EOI).
func Assemble(segs []Segment, raw ...[]byte) []byte {
	out := []byte{0xFF, 0xD8}
	for _, s := range segs {
		out = append(out, s.Bytes()...)
	}
	for _, r := range raw {
		out = append(out, r...)
	}
	return out
}
