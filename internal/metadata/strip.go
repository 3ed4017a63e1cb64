package metadata

import (
	"bufio"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"sync"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// Report says what Strip did. It names removed tags but never holds their values.
type Report struct {
	PolicyVersion     string    `json:"policyVersion"`
	OrientationMode   string    `json:"orientationMode"`
	BytesIn           int64     `json:"bytesIn"`
	BytesOut          int64     `json:"bytesOut"`
	Removed           []Removal `json:"removed"`
	SensitiveTags     []string  `json:"sensitiveTags"`
	Orientation       int       `json:"orientation"`                 // the input's Exif Orientation, 0 when absent
	OrientationAction string    `json:"orientationAction"`           // none, kept, dropped, invalid, transformed, kept-fallback
	OrientationReason string    `json:"orientationReason,omitempty"` // why kept-fallback did not transform
	Width             int       `json:"width"`
	Height            int       `json:"height"`
	Structure         Structure `json:"structure"`
	// ImageDigest is the hex sha256 over the image data (DQT, DHT, DAC, SOFn,
	// DRI, SOS and DNL segments with their markers and lengths, and the
	// entropy-coded bytes, in file order). Input and output share it, except
	// when OrientationAction is "transformed": then it is the output's.
	ImageDigest string `json:"imageDigest"`
	// SourceImageDigest is the input's image digest; it differs from
	// ImageDigest only for a transformed image (see CheckTransform).
	SourceImageDigest string `json:"sourceImageDigest"`
}

// outBufSize batches writes to dst and to the self-check parser.
const outBufSize = 64 << 10

// stripState is the reusable memory of one Strip call: the input parser, the
// output buffer and the self-check parser (about 330 KiB together).
type stripState struct {
	rd    *jpeg.Reader
	sink  *jpeg.Sink
	bw    *bufio.Writer
	multi teeWriter
	in    blockHash // self-check digest of the input's image data
	out   blockHash // and of the output's
}

var statePool = sync.Pool{New: func() any {
	st := &stripState{rd: jpeg.NewReader(nil), sink: jpeg.NewSink(nil)}
	st.multi.sink = st.sink
	st.bw = bufio.NewWriterSize(&st.multi, outBufSize)
	return st
}}

// teeWriter writes to the destination, then to the self-check parser.
type teeWriter struct {
	dst  io.Writer
	sink *jpeg.Sink
}

func (t *teeWriter) Write(b []byte) (int, error) {
	if n, err := t.dst.Write(b); err != nil {
		return n, err
	}
	n, err := t.sink.Write(b)
	if err != nil {
		return n, outputError(err)
	}
	return n, nil
}

// outputError words a self-check failure as *MetadataRemainsError, so that a
// jpeg error about Strip's own output is never taken for one about the input.
func outputError(err error) error {
	var mr *MetadataRemainsError
	if errors.As(err, &mr) {
		return err
	}
	return &MetadataRemainsError{Problems: []string{"output does not parse: " + err.Error()}}
}

// Strip copies the JPEG image in src to dst without the metadata p removes.
// It reads src once, in bounded memory, and checks its own output while
// writing it: the output must parse, hold only what p allows, end at EOI, and
// carry image data identical to the input's. On error dst may hold a prefix of
// the output: write to a staging place and publish only when Strip succeeds.
//
// In the transform mode Strip holds the output in memory until it knows
// whether to transform it, and a transformed image's coefficients twice
// (bounded by Limits.MaxPixels); its image data is then new, and checked
// coefficient by coefficient against the transformed input instead.
func Strip(dst io.Writer, src io.Reader, p Policy) (*Report, error) {
	return StripKnown(dst, src, p, "")
}

// StripKnown is Strip for a source whose image digest the caller already holds,
// computed from these very bytes (the pipeline's Validate read the same pinned
// version): it does not hash the image data again, the most expensive step of
// a Strip that does not transform (see imageDigest). Its self-check still proves
// the output's image data equal to the input's byte for byte, so the Report
// gives sourceImageDigest as SourceImageDigest and, unless the image was
// transformed, as ImageDigest; a transformed image's digest is computed from
// the new image data. With sourceImageDigest "", it is Strip.
func StripKnown(dst io.Writer, src io.Reader, p Policy, sourceImageDigest string) (*Report, error) {
	if p.Orientation == OrientationTransform {
		return stripTransform(dst, src, p, sourceImageDigest)
	}
	return strip(dst, src, p, nil, sourceImageDigest)
}

// strip is Strip in the keep and drop modes. atFirstScan, when set, learns the
// orientation action at the first scan header, before any entropy-coded data
// is written: everything that decides it comes before. known is the source's
// image digest when the caller holds it ("": computed here).
func strip(dst io.Writer, src io.Reader, p Policy, atFirstScan func(orientAction string), known string) (*Report, error) {
	lr, in, err := open(src, p)
	if err != nil {
		return nil, err
	}

	st := statePool.Get().(*stripState)
	defer func() {
		st.rd.Reset(nil) // drop references to the caller's streams before pooling
		st.sink.Reset(nil)
		st.multi.dst = nil
		statePool.Put(st)
	}()
	seed := maphash.MakeSeed()
	st.in.reset(seed)
	st.out.reset(seed)
	chk := &checker{p: p, mh: &st.out}
	st.sink.Reset(chk.part)
	st.multi.dst = dst
	st.bw.Reset(&st.multi)

	w := newWalker(p, known == "")
	defer w.sha.finish()
	w.mh = &st.in
	w.out = jpeg.NewWriter(st.bw)
	if atFirstScan != nil {
		w.onScan = func() {
			if w.st.Scans == 1 {
				atFirstScan(w.orientAct)
			}
		}
	}
	st.rd.Reset(in)
	if err := w.run(st.rd); err != nil {
		return nil, err
	}
	if err := st.bw.Flush(); err != nil {
		return nil, err
	}
	if err := st.sink.Close(); err != nil {
		return nil, outputError(err)
	}
	if !chk.eoi {
		return nil, &MetadataRemainsError{Problems: []string{"output: no EOI"}}
	}
	if in, out := w.mh.Sum64(), chk.mh.Sum64(); in != out {
		return nil, &ImageMismatchError{Want: fmt.Sprintf("%016x", in), Got: fmt.Sprintf("%016x", out)}
	}
	mode := p.Orientation
	if mode == "" {
		mode = OrientationKeep
	}
	digest := known
	if digest == "" {
		digest = w.digest()
	}
	return &Report{
		PolicyVersion:     PolicyVersion,
		OrientationMode:   string(mode),
		BytesIn:           lr.n,
		BytesOut:          w.out.Written(),
		Removed:           append([]Removal{}, w.removed...), // [] rather than null in JSON
		SensitiveTags:     w.sortedTags(),
		Orientation:       w.orientation,
		OrientationAction: w.orientAct,
		Width:             w.st.Width,
		Height:            w.st.Height,
		Structure:         w.st,
		ImageDigest:       digest,
		SourceImageDigest: digest,
	}, nil
}
