package metadata

import (
	"bytes"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// maxTrailerImages bounds how many JPEGs after EOI are parsed for the report;
// beyond it their starts are only counted. MPF files hold one to three.
const maxTrailerImages = 8

var sigSOI = []byte{0xFF, 0xD8, 0xFF}

// trailerScanner looks through the bytes after EOI for further JPEG images
// (MPF side images, depth maps, gain maps), parses each one it finds to name
// the sensitive tags it carries ("ExtraImage:Make"), and counts them. All of it
// is removed either way; this only makes the report say what went.
type trailerScanner struct {
	tags   map[string]bool
	images *int
	sink   *jpeg.Sink      // parsing an embedded image, nil while searching
	next   *trailerScanner // scans what follows that image's EOI
	tail   []byte          // the last bytes searched, for a start split across chunks
}

func newTrailerScanner(tags map[string]bool, images *int) *trailerScanner {
	return &trailerScanner{tags: tags, images: images}
}

func (ts *trailerScanner) feed(b []byte) {
	if ts.sink != nil {
		if _, err := ts.sink.Write(b); err != nil {
			ts.sink = nil // not a JPEG after all, or a damaged one: search on from the next chunk
		}
		return
	}
	// A start split across chunks: the saved tail joined with b's first bytes.
	if len(ts.tail) > 0 {
		join := append(append([]byte(nil), ts.tail...), b[:min(len(b), 2)]...)
		if k := bytes.Index(join, sigSOI); k >= 0 && k < len(ts.tail) {
			ts.start(append(ts.tail[k:len(ts.tail):len(ts.tail)], b...))
			return
		}
	}
	i := bytes.Index(b, sigSOI)
	if i < 0 {
		ts.tail = append(ts.tail[:0], b[max(0, len(b)-2):]...)
		return
	}
	ts.start(b[i:])
}

// start begins parsing an embedded image at b, or only counts it past the limit.
func (ts *trailerScanner) start(b []byte) {
	ts.tail = ts.tail[:0]
	if *ts.images >= maxTrailerImages {
		*ts.images += bytes.Count(b, sigSOI)
		return
	}
	*ts.images++
	ts.sink = jpeg.NewSink(ts.part)
	ts.feed(b)
}

func (ts *trailerScanner) part(p jpeg.Part) error {
	switch p.Kind {
	case jpeg.KindSegment:
		var tags []string
		switch classify(p.Marker, p.Data) {
		case KindExif:
			tags = parseExif(p.Data).tags
		case KindXMP:
			tags = xmpTags(p.Data[len(sigXMP):])
		case KindPhotoshop:
			tags = photoshopTags(p.Data)
		}
		addTags(ts.tags, "ExtraImage:", tags)
	case jpeg.KindTrailer:
		if ts.next == nil {
			ts.next = newTrailerScanner(ts.tags, ts.images)
		}
		ts.next.feed(p.Data)
	}
	return nil
}
