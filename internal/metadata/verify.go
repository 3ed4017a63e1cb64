package metadata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg/dct"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/reuse"
)

// maxDecodeScans bounds the scans Verify decodes: each scan walks every block
// of its components, so thousands of tiny scans make a cheap file costly to
// decode (libjpeg-turbo guards the same way with its scan limit). Encoders
// write about ten.
const maxDecodeScans = 256

// Verify inspects r and returns *MetadataRemainsError unless it is clean under p.
// With decode it also entropy-decodes every scan of the frame with package
// dct (baseline, extended and progressive Huffman, 8-bit; any sampling factors
// and restart intervals, as libjpeg), reading r only once: the bytes are kept
// for the decoder only after the frame header has passed the pixel limit, so a
// decompression bomb never reaches it. dct.Check keeps no coefficients of a
// sequential frame, so memory is about twice the file; a progressive frame
// adds its quantised coefficients (2 bytes each, 1.5 per pixel for 4:2:0),
// which its refinement scans build on.
//
// Why dct and not the standard library's image/jpeg: decoding proves the
// entropy-coded data is complete and well formed — every Huffman code valid,
// every MCU present, restart markers in sequence, progressive scans
// consistent. dct checks all of that, as strictly as libjpeg (a scan that ends
// early is an error here, a warning in djpeg). What image/jpeg would add on
// top is the inverse DCT and colour conversion, which cannot fail on decoded
// coefficients; and it refuses valid files libjpeg decodes: progressive scans
// with restart markers ("missing 0xff00 sequence"), two-component frames and
// some sampling factors. A check that fails on valid uploads is worse than
// none, so image/jpeg is not used.
//
// Where dct cannot decode the coding process (arithmetic coding, 12-bit
// samples, lossless, DNL) or the file has more than 256 scans,
// Inspection.Decode says "skipped: <why>"; a failed decode is *DecodeError.
func Verify(r io.Reader, p Policy, decode bool) (*Inspection, error) {
	return verify(r, nil, p, decode)
}

// VerifyBytes is Verify of a file held in memory: the decoder reads b itself
// instead of a copy, which halves Verify's memory beyond the coefficients.
func VerifyBytes(b []byte, p Policy, decode bool) (*Inspection, error) {
	return verify(bytes.NewReader(b), b, p, decode)
}

// InspectDecode is Inspect of a file held in memory plus Verify's entropy
// decode, without asking the file to be clean: it tells an upload whose
// structure is sound but whose image data is not (a corrupt or cut scan)
// before anything is made from it.
//
// What it decodes is the image data alone, in file order: the bytes
// Inspection.ImageDigest covers (DQT, DHT, DRI, SOFn, SOS with their headers,
// and the entropy-coded data), between an SOI and an EOI. That is exactly the
// image part of what Strip writes, so an output whose image digest equals this
// file's decodes as this did; and what Strip drops (bytes between segments,
// stray markers, trailers), which a decoder reading the whole file would trip
// on, is never decoded. The decode is bounded as in Verify; a failed decode
// is *DecodeError, and Inspection.Decode says "ok" or "skipped: <why>".
func InspectDecode(b []byte, p Policy) (*Inspection, error) {
	img, _ := imageStreams.Get(len(b) + 4)
	img = append(img[:0], 0xFF, jpeg.SOI)
	defer func() { imageStreams.Put(img) }()
	return inspectDecode(bytes.NewReader(b), nil, &img, p)
}

// imageStreams holds InspectDecode's copies of image data for reuse: up to 32 MB.
var imageStreams = reuse.List[byte]{Budget: 32 << 20}

// verify is Verify; whole, when set, is all of r's bytes.
func verify(r io.Reader, whole []byte, p Policy, decode bool) (*Inspection, error) {
	if !decode {
		ins, err := Inspect(r, p)
		return ins, verdict(ins, err)
	}
	ins, err := inspectDecode(r, whole, nil, p)
	return ins, verdict(ins, err)
}

// inspectDecode inspects r and decodes its frame. The decoder reads whole,
// when set (all of r's bytes); else *image, when set, which collects the image
// data after its SOI; else a copy of r's bytes.
func inspectDecode(r io.Reader, whole []byte, image *[]byte, p Policy) (*Inspection, error) {
	g := &gate{keep: whole == nil && image == nil}
	maxPixels := int64(math.MaxInt64)
	ins, err := inspect(r, p, func(in io.Reader, w *walker) io.Reader {
		if w.maxPixels >= 0 {
			maxPixels = max(w.maxPixels, 1)
		}
		w.imageData = image
		w.onFrame = func() error {
			if ok, why := w.st.Decodable(); !ok {
				g.stop("skipped: " + why)
				return nil
			}
			g.open = true
			return nil
		}
		w.onScan = func() {
			if w.st.Scans > maxDecodeScans {
				g.stop(fmt.Sprintf("skipped: more than %d scans", maxDecodeScans))
			}
		}
		return io.TeeReader(in, g)
	})
	if err != nil || ins == nil {
		return ins, err
	}
	switch ok, why := ins.Structure.Decodable(); {
	case g.skip != "":
		ins.Decode = g.skip
	case !ok: // DNL is only known after the first scan
		ins.Decode = "skipped: " + why
	case g.open:
		data := g.buf
		switch {
		case whole != nil:
			data = whole
		case image != nil:
			*image = append(*image, 0xFF, jpeg.EOI)
			data = *image
		}
		derr := dct.Check(data, dct.Limits{MaxPixels: maxPixels, MaxScans: maxDecodeScans})
		var ue *dct.UnsupportedError
		switch {
		case derr == nil:
			ins.Decode = "ok"
		case errors.As(derr, &ue):
			ins.Decode = "skipped: " + ue.Msg
		default:
			err = &DecodeError{Err: derr}
		}
	}
	g.buf = nil
	return ins, err
}

func verdict(ins *Inspection, err error) error {
	if err != nil {
		return err
	}
	if !ins.Clean {
		return &MetadataRemainsError{Problems: ins.Problems}
	}
	return nil
}

// gate keeps the stream for the decoder: everything up to the frame header,
// then, once the header has passed the limits and names a process the decoder
// handles, the rest; otherwise nothing.
type gate struct {
	buf  []byte
	keep bool // buffer the stream (Verify); VerifyBytes has it already
	open bool
	skip string
}

func (g *gate) Write(b []byte) (int, error) {
	if g.keep && g.skip == "" {
		g.buf = append(g.buf, b...)
	}
	return len(b), nil
}

func (g *gate) stop(why string) {
	if g.skip == "" {
		g.skip, g.buf = why, nil
	}
}
