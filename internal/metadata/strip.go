package metadata

import (
	"bufio"
	"fmt"
	"hash/maphash"
	"io"

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
	Orientation       int       `json:"orientation"`       // the input's Exif Orientation, 0 when absent
	OrientationAction string    `json:"orientationAction"` // none, kept, dropped, invalid
	Width             int       `json:"width"`
	Height            int       `json:"height"`
	Structure         Structure `json:"structure"`
	// ImageDigest is the hex sha256 over the image data (DQT, DHT, DAC, SOFn,
	// DRI, SOS and DNL segments with their markers and lengths, and the
	// entropy-coded bytes, in file order). Input and output share it.
	ImageDigest string `json:"imageDigest"`
}

// outBufSize batches writes to dst and to the self-check parser.
const outBufSize = 64 << 10

// Strip copies the JPEG image in src to dst without the metadata p removes.
// It reads src once, in bounded memory, and checks its own output while
// writing it: the output must parse, hold only what p allows, end at EOI, and
// carry image data identical to the input's. On error dst may hold a prefix of
// the output: write to a staging place and publish only when Strip succeeds.
func Strip(dst io.Writer, src io.Reader, p Policy) (*Report, error) {
	lr, in, err := open(src, p)
	if err != nil {
		return nil, err
	}

	seed := maphash.MakeSeed()
	chk := newChecker(p, seed)
	sink := jpeg.NewSink(chk.part)
	bw := bufio.NewWriterSize(io.MultiWriter(dst, sink), outBufSize)

	w := newWalker(p)
	w.mh = new(maphash.Hash)
	w.mh.SetSeed(seed)
	w.out = jpeg.NewWriter(bw)
	if err := w.run(jpeg.NewReader(in)); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := sink.Close(); err != nil {
		return nil, fmt.Errorf("strip: own output does not parse: %w", err)
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
	return &Report{
		PolicyVersion:     PolicyVersion,
		OrientationMode:   string(mode),
		BytesIn:           lr.n,
		BytesOut:          w.out.Written(),
		Removed:           w.removed,
		SensitiveTags:     w.sortedTags(),
		Orientation:       w.orientation,
		OrientationAction: w.orientAct,
		Width:             w.st.Width,
		Height:            w.st.Height,
		Structure:         w.st,
		ImageDigest:       w.digest(),
	}, nil
}
