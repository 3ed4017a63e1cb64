package metadata

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg/dct"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/reuse"
)

// OrientationTransform rotates or mirrors the image losslessly, in the DCT
// domain, when its Exif Orientation is 2–8, so the output needs no Exif at
// all. Where that is impossible without changing a pixel (the image is not
// whole MCUs along a mirrored axis, or is arithmetic-coded, 12-bit or
// lossless) it falls back to the minimal Orientation-only Exif of
// OrientationKeep, and the Report says so.
const OrientationTransform OrientationMode = "transform"

// Report.OrientationAction values of the transform mode.
const (
	// OrientationTransformed: the image was rotated or mirrored as its
	// Orientation said; the output holds no Exif.
	OrientationTransformed = "transformed"
	// OrientationKeptFallback: the transform was not possible; a minimal Exif
	// holding Orientation alone was written, as in the keep mode.
	// Report.OrientationReason says why.
	OrientationKeptFallback = "kept-fallback"
)

// stripTransform is Strip in the transform mode. It strips as the keep mode
// does, holding the output back until the first scan header: by then the
// orientation is known, and an image that needs no transform streams on to
// dst in bounded memory. An image that keeps a minimal Orientation is staged
// whole and replaced with the transformed image; memory is then bounded by
// the output size and the coefficients of two frames (Limits).
func stripTransform(dst io.Writer, src io.Reader, p Policy, known string) (*Report, error) {
	kp := p
	kp.Orientation = OrientationKeep
	staging := &stagingWriter{dst: dst, buf: *bytes.NewBuffer(getBuffer(0))}
	defer func() {
		staging.buf.Reset()
		putBuffer(staging.buf.AvailableBuffer())
	}()
	rep, err := strip(staging, src, kp, func(action string) {
		if action != OrientationKept {
			staging.release()
		}
	}, known)
	if err != nil {
		return nil, err
	}
	if staging.through {
		rep.OrientationMode = string(OrientationTransform)
		rep.SourceImageDigest = rep.ImageDigest
		return rep, nil
	}
	staged := &staging.buf
	rep.OrientationMode = string(OrientationTransform)
	rep.SourceImageDigest = rep.ImageDigest
	if rep.OrientationAction == OrientationKept {
		out, ins, err := transformImage(staged.Bytes(), rep.Orientation, p)
		var nt *notTransformable
		switch {
		case errors.As(err, &nt):
			rep.OrientationAction = OrientationKeptFallback
			rep.OrientationReason = nt.why
		case err != nil:
			return nil, err
		default:
			_, err := dst.Write(out)
			putBuffer(out)
			if err != nil {
				return nil, err
			}
			rep.OrientationAction = OrientationTransformed
			rep.BytesOut = int64(len(out))
			rep.Width, rep.Height = ins.Structure.Width, ins.Structure.Height
			rep.Structure = ins.Structure
			rep.ImageDigest = ins.ImageDigest
			return rep, nil
		}
	}
	if _, err := staged.WriteTo(dst); err != nil {
		return nil, err
	}
	return rep, nil
}

// notTransformable says why an image keeps its Orientation tag instead.
type notTransformable struct{ why string }

func (e *notTransformable) Error() string { return "orientation not transformed: " + e.why }

// dctLimits bounds the coefficient memory of a transform by the policy's
// pixel limit, and never beyond dct's default (100 MP): with no pixel limit a
// small file declaring a huge frame would otherwise make Strip allocate
// gigabytes. Larger images keep the minimal Orientation tag instead.
func dctLimits(p Policy) dct.Limits {
	n, most := p.Limits.maxPixels(), dct.DefaultLimits().MaxPixels
	if n < 0 || n > most {
		n = most
	}
	return dct.Limits{MaxPixels: n}
}

// transformFileFactor is what a transform needs beyond the coefficients, in
// multiples of the stripped file's size.
const transformFileFactor = 4

// transformImage applies Orientation o to a stripped JPEG (the keep mode's
// output) and checks the result: it must be clean with no Exif at all, and its
// coefficients must be exactly the transformed source's. It returns
// *notTransformable when the image cannot be transformed losslessly.
func transformImage(stripped []byte, o int, p Policy) ([]byte, *Inspection, error) {
	t, ok := dct.FromOrientation(o)
	if !ok || t == dct.Identity {
		return nil, nil, &notTransformable{fmt.Sprintf("orientation %d", o)}
	}
	lim := dctLimits(p)
	if most := p.Limits.MaxTransformMemory; most > 0 {
		// Two coefficient copies (the source's and the transformed) live at
		// once, with what grows with the file: this copy, the decoder's
		// unstuffed entropy data, the caller's input and output. Measured
		// with GOGC=5 on 100 MP images: 4:2:0 baseline, 26 MB, 674 MB peak
		// (600 of coefficients); 4:4:4 progressive, 28 MB, 1.29 GB (1.2).
		lim.MaxCoefficientBytes = (most - transformFileFactor*int64(len(stripped))) / 2
		if lim.MaxCoefficientBytes <= 0 {
			return nil, nil, &notTransformable{fmt.Sprintf("limit: a %.1f MB file needs more than the %.1f MB a transform may use", float64(len(stripped))/(1<<20), float64(most)/(1<<20))}
		}
	}
	img, err := dct.Decode(stripped, lim)
	if err != nil {
		return nil, nil, &notTransformable{reason(err)}
	}
	want, err := img.Transform(t)
	// The source's coefficients are not needed past here: releasing them now
	// lowers the peak by a third for the encode and its proof.
	img.Release()
	if err != nil {
		return nil, nil, &notTransformable{reason(err)}
	}
	defer want.Release()
	segs, err := headerSegments(stripped, t.Transposes())
	if err != nil {
		return nil, nil, err
	}
	out, err := dct.AppendEncode(getBuffer(len(stripped)+len(stripped)/8), want, segs...)
	if err != nil {
		return nil, nil, &notTransformable{reason(err)}
	}
	ins, err := Inspect(bytes.NewReader(out), p)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("transform: own output does not parse: %w", err)
	case !ins.Clean:
		return nil, nil, &MetadataRemainsError{Problems: ins.Problems}
	case ins.Orientation != 0:
		return nil, nil, &MetadataRemainsError{Problems: []string{"output: Exif Orientation after the transform"}}
	}
	// The proof: the output decodes to exactly the transformed source,
	// compared block by block as it decodes.
	var mismatch *dct.MismatchError
	switch err := dct.Compare(out, want, lim); {
	case errors.As(err, &mismatch):
		return nil, nil, &TransformMismatchError{Transform: t.String(), Err: err}
	case err != nil:
		return nil, nil, fmt.Errorf("transform: own output does not decode: %w", err)
	}
	return out, ins, nil
}

// reason words a dct error for Report.OrientationReason.
func reason(err error) string {
	var np *dct.NotPerfectError
	var ue *dct.UnsupportedError
	var fe *dct.FormatError
	var le *dct.LimitError
	switch {
	case errors.As(err, &np):
		return fmt.Sprintf("not perfect: %s of %dx%d needs whole %dx%d-pixel MCUs along the mirrored axis",
			np.Transform, np.Width, np.Height, np.MCUWidth, np.MCUHeight)
	case errors.As(err, &ue):
		return "unsupported: " + ue.Msg
	case errors.As(err, &fe):
		return "entropy-coded data not decodable: " + fe.Msg
	case errors.As(err, &le):
		return "limit: " + le.Msg
	}
	return err.Error()
}

// headerSegments returns the segments of a stripped file other than image
// data and Exif, whole (marker and length included), in file order: JFIF,
// ICC and Adobe segments, which tell decoders the colour space. With
// transpose, the JFIF pixel densities swap with the axes, so non-square
// pixels keep their shape (jpegtran leaves them as they were).
func headerSegments(stripped []byte, transpose bool) ([][]byte, error) {
	var segs [][]byte
	rd := jpeg.NewReader(bytes.NewReader(stripped))
	for {
		part, err := rd.Next()
		if err != nil {
			return nil, err
		}
		if part.Kind == jpeg.KindMarker && part.Marker != jpeg.SOI || part.Kind == jpeg.KindECS {
			return segs, nil
		}
		if part.Kind != jpeg.KindSegment || part.Marker == jpeg.SOS {
			continue
		}
		k := classify(part.Marker, part.Data)
		if k == KindImage || k == KindExif {
			continue
		}
		seg := make([]byte, 4+len(part.Data))
		jpeg.SegmentHeader((*[4]byte)(seg), part.Marker, len(part.Data))
		copy(seg[4:], part.Data)
		if transpose && k == KindJFIF && len(part.Data) >= jfifLen {
			// JFIF: "JFIF\0", version (2), units, Xdensity (2), Ydensity (2), ...
			d := seg[4+8 : 4+12]
			d[0], d[1], d[2], d[3] = d[2], d[3], d[0], d[1]
		}
		segs = append(segs, seg)
	}
}

// TransformMismatchError reports a transformed image whose DCT coefficients
// are not exactly the transformed source's.
type TransformMismatchError struct {
	Transform string
	Err       error
}

func (e *TransformMismatchError) Error() string {
	return fmt.Sprintf("image is not the %s of the source: %v", e.Transform, e.Err)
}

func (e *TransformMismatchError) Unwrap() error { return e.Err }

// CheckTransform proves that out is src with src's Exif Orientation applied
// losslessly, as Strip's transform mode writes it: it decodes both to DCT
// coefficients and compares out with the transformed source exactly. Use it
// where a published output's Report said OrientationTransformed and its image
// digest therefore differs from the source's. It returns
// *TransformMismatchError when they differ.
func CheckTransform(src, out []byte, p Policy) error {
	// Strip first, as Strip did before transforming: the source may hold
	// junk between segments that only the segment walk skips.
	kp := p
	kp.Orientation = OrientationKeep
	var staged bytes.Buffer
	rep, err := Strip(&staged, bytes.NewReader(src), kp)
	if err != nil {
		return fmt.Errorf("check transform: source: %w", err)
	}
	t, ok := dct.FromOrientation(rep.Orientation)
	if !ok || t == dct.Identity {
		return &TransformMismatchError{Transform: "none", Err: fmt.Errorf("source orientation %d needs no transform", rep.Orientation)}
	}
	lim := dctLimits(p)
	img, err := dct.Decode(staged.Bytes(), lim)
	if err != nil {
		return fmt.Errorf("check transform: source: %w", err)
	}
	defer img.Release()
	want, err := img.Transform(t)
	if err != nil {
		return fmt.Errorf("check transform: %w", err)
	}
	defer want.Release()
	if err := dct.Compare(out, want, lim); err != nil {
		return &TransformMismatchError{Transform: t.String(), Err: err}
	}
	return nil
}

// buffers keeps buffers of staged and transformed images for reuse: a
// transform stages a whole photo and writes another, and growing fresh
// buffers for them costs copies and the page faults of fresh memory.
var buffers = reuse.List[byte]{Budget: 64 << 20}

// getBuffer returns an empty buffer, of capacity n or more.
func getBuffer(n int) []byte {
	b, _ := buffers.Get(n)
	return b[:0]
}

// putBuffer hands b back for reuse; its contents must not be used afterwards.
func putBuffer(b []byte) { buffers.Put(b) }

// stagingWriter holds the output in memory until release, then writes through.
type stagingWriter struct {
	dst     io.Writer
	buf     bytes.Buffer
	through bool
	err     error
}

func (s *stagingWriter) Write(b []byte) (int, error) {
	switch {
	case s.err != nil:
		return 0, s.err
	case s.through:
		return s.dst.Write(b)
	}
	return s.buf.Write(b)
}

// release writes what is held and lets later writes through.
func (s *stagingWriter) release() {
	s.through = true
	_, s.err = s.buf.WriteTo(s.dst)
}
