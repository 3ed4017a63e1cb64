package metadata

import (
	"io"
	"sync"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// Inspection describes a JPEG file: its segments, the metadata it holds, how its
// image is coded, and whether it is clean under a policy.
type Inspection struct {
	Bytes           int64         `json:"bytes"`
	Segments        []SegmentInfo `json:"segments"`
	SegmentsOmitted int           `json:"segmentsOmitted,omitempty"` // beyond the first 4096
	// Metadata lists the kinds of data the policy removes that the file holds.
	Metadata      []Removal `json:"metadata"`
	SensitiveTags []string  `json:"sensitiveTags"`
	Orientation   int       `json:"orientation"` // Exif Orientation of the first Exif segment, 0 when absent
	Structure     Structure `json:"structure"`
	TrailerBytes  int64     `json:"trailerBytes"`
	ExtraImages   int       `json:"extraImages"` // JPEG starts found after EOI
	// Clean is true when Strip would remove nothing: no metadata beyond what
	// the policy keeps, nothing after EOI, no junk between segments.
	Clean       bool     `json:"clean"`
	Problems    []string `json:"problems,omitempty"` // why the file is not clean
	ImageDigest string   `json:"imageDigest"`        // as Report.ImageDigest
	// Decode is set by Verify: "ok", or "skipped: <why>" when its decoder
	// (package dct) cannot decode this coding process.
	Decode string `json:"decode,omitempty"`
}

// Inspect reads a whole JPEG stream and describes it. It applies p's limits
// and returns the same typed errors as Strip; with an error it also returns
// what it had found until then.
func Inspect(r io.Reader, p Policy) (*Inspection, error) {
	return inspect(r, p, nil)
}

// inspect is Inspect with a hook: tee, when set, is given the stream (for a
// decoder) and the walker (for its frame callback) before the walk starts.
func inspect(r io.Reader, p Policy, tee func(io.Reader, *walker) io.Reader) (*Inspection, error) {
	lr, in, err := open(r, p)
	if err != nil {
		return nil, err
	}
	w := newWalker(p, true)
	defer w.sha.finish()
	w.keepSegs = true
	if tee != nil {
		in = tee(in, w)
	}
	rd := readerPool.Get().(*jpeg.Reader)
	defer readerPool.Put(rd)
	rd.Reset(in)
	err = w.run(rd)
	rd.Reset(nil)
	return w.inspection(lr.n), err
}

// readerPool keeps parsers (128 KiB buffers each) across Inspect calls.
var readerPool = sync.Pool{New: func() any { return jpeg.NewReader(nil) }}

func (w *walker) inspection(n int64) *Inspection {
	ins := &Inspection{
		Bytes:           n,
		Segments:        w.segs,
		SegmentsOmitted: w.omitted,
		Metadata:        w.removed,
		SensitiveTags:   w.sortedTags(),
		Orientation:     w.orientation,
		Structure:       w.st,
		TrailerBytes:    w.trailer,
		ExtraImages:     w.extraImages,
		Problems:        w.problems,
		ImageDigest:     w.digest(),
	}
	ins.Clean = len(ins.Problems) == 0
	if ins.Metadata == nil {
		ins.Metadata = []Removal{}
	}
	return ins
}
