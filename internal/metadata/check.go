package metadata

import (
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// checker re-parses Strip's output as it is written (through a jpeg.Sink) and
// fails on the first part a clean file may not hold. It digests the image data
// with the same seeded blockHash as the input side: the check needs equality,
// not a published digest, and blockHash is far cheaper than a second sha256.
type checker struct {
	p         Policy
	mh        *blockHash
	afterScan bool
	exifSeen  bool
	eoi       bool
	hdr       [4]byte
}

func (c *checker) fail(problem string) error {
	return &MetadataRemainsError{Problems: []string{"output: " + problem}}
}

func (c *checker) part(part jpeg.Part) error {
	switch part.Kind {
	case jpeg.KindMarker:
		switch part.Marker {
		case jpeg.SOI:
			return nil
		case jpeg.EOI:
			c.eoi = true
			return nil
		}
		return c.fail("stray " + jpeg.MarkerName(part.Marker) + " marker")
	case jpeg.KindJunk:
		return c.fail("bytes between segments")
	case jpeg.KindTrailer:
		return c.fail("data after EOI")
	case jpeg.KindECS:
		c.mh.Write(part.Data)
		return nil
	}
	kind := classify(part.Marker, part.Data)
	if kind == KindImage {
		jpeg.SegmentHeader(&c.hdr, part.Marker, len(part.Data))
		c.mh.Write(c.hdr[:])
		c.mh.Write(part.Data)
		if part.Marker == jpeg.SOS {
			c.afterScan = true
		}
		return nil
	}
	ok, why := allowed(kind, part.Data, c.p, c.afterScan, c.exifSeen)
	if !ok {
		return c.fail(why)
	}
	if kind == KindExif {
		c.exifSeen = true
	}
	return nil
}
