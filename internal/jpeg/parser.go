package jpeg

import (
	"bytes"
	"errors"
	"io"
)

// Kind says what a Part holds.
type Kind uint8

const (
	// KindMarker is a standalone marker without a length: SOI, EOI, TEM, or a
	// restart marker found between segments rather than inside entropy-coded data.
	KindMarker Kind = iota + 1
	// KindSegment is a marker segment; Data is the payload after the length field.
	KindSegment
	// KindECS is a run of entropy-coded data after an SOS, copied verbatim: it
	// includes stuffed 0xFF00 pairs and RSTn markers. One scan's data may arrive
	// as several consecutive parts.
	KindECS
	// KindJunk is bytes found where a marker was expected (libjpeg skips them
	// with a "extraneous bytes before marker" warning). Fill bytes (0xFF runs
	// before a marker, T.81 B.1.1.2) are dropped silently and never reported,
	// except that a run after entropy-coded data longer than the parse buffer
	// is handed out, but for its last byte, as KindECS.
	KindJunk
	// KindTrailer is bytes after the EOI that ends the image, in chunks.
	KindTrailer
)

func (k Kind) String() string {
	switch k {
	case KindMarker:
		return "marker"
	case KindSegment:
		return "segment"
	case KindECS:
		return "ecs"
	case KindJunk:
		return "junk"
	case KindTrailer:
		return "trailer"
	}
	return "unknown"
}

// Part is one piece of a JPEG stream.
type Part struct {
	Kind   Kind
	Marker byte  // the marker code for KindMarker and KindSegment
	Offset int64 // stream offset of the part's first byte (the 0xFF of a marker)
	// Data is the segment payload (without marker and length) or the raw bytes
	// of ECS, junk and trailer parts. It aliases the parser's buffer and is only
	// valid until the next call that advances the stream.
	Data []byte
}

// Size is the number of stream bytes the part occupies (marker and length included).
func (p Part) Size() int64 {
	switch p.Kind {
	case KindMarker:
		return 2
	case KindSegment:
		return 4 + int64(len(p.Data))
	}
	return int64(len(p.Data))
}

// MaxPayload is the largest segment payload the two-byte length allows.
const MaxPayload = 65535 - 2

// bufSize holds the largest segment (4+65533 bytes) with room to spare, and is
// large enough that entropy-coded data moves in big chunks.
const bufSize = 128 << 10

type state uint8

const (
	stStart state = iota
	stMarker
	stECS
	stTrailer
)

// errNeedMore is the parser asking for more input; it never escapes the package.
var errNeedMore = errors.New("jpeg: need more input")

// parser is the resumable state machine shared by Reader and Sink. It only
// looks at buf[r:w]; the caller refills the buffer when next returns errNeedMore.
type parser struct {
	buf     []byte
	r, w    int   // unread window
	base    int64 // stream offset of buf[0]
	st      state
	scanned int  // in stECS: buf[r:scanned] holds no unresolved 0xFF
	frame   bool // an SOFn has been seen
	scan    bool // an SOS has been seen
	err     error
}

func newParser() parser { return parser{buf: make([]byte, bufSize)} }

// reset readies the parser for a new stream, keeping its buffer.
func (p *parser) reset() { *p = parser{buf: p.buf} }

// compact moves the unread bytes to the start of the buffer.
func (p *parser) compact() {
	if p.r == 0 {
		return
	}
	n := copy(p.buf, p.buf[p.r:p.w])
	p.base += int64(p.r)
	p.scanned -= p.r
	if p.scanned < 0 {
		p.scanned = 0
	}
	p.w = n
	p.r = 0
}

func (p *parser) offset() int64 { return p.base + int64(p.r) }

func (p *parser) formatErr(msg string) error {
	p.err = &FormatError{Offset: p.offset(), Msg: msg}
	return p.err
}

// next returns the next part. eof says no more input will come; without it,
// errNeedMore asks the caller to append input and call again.
func (p *parser) next(eof bool) (Part, error) {
	if p.err != nil {
		return Part{}, p.err
	}
	var part Part
	var err error
	switch p.st {
	case stStart:
		part, err = p.start()
	case stMarker:
		part, err = p.marker()
	case stECS:
		part, err = p.ecs()
	case stTrailer:
		if p.r < p.w {
			part = Part{Kind: KindTrailer, Offset: p.offset(), Data: p.buf[p.r:p.w]}
			p.r = p.w
			return part, nil
		}
		err = errNeedMore
		if eof {
			return Part{}, io.EOF
		}
	}
	if err == errNeedMore && eof {
		end := p.base + int64(p.w)
		switch p.st {
		case stStart:
			p.err = &TruncatedError{Offset: end, Msg: "no SOI marker"}
		case stMarker:
			if p.r < p.w {
				p.err = &TruncatedError{Offset: end, Msg: "segment cut short"}
			} else {
				p.err = &TruncatedError{Offset: end, Msg: "missing EOI marker"}
			}
		case stECS:
			p.err = &TruncatedError{Offset: end, Msg: "entropy-coded data ends without EOI"}
		}
		return Part{}, p.err
	}
	if err != nil && err != errNeedMore {
		p.err = err
	}
	return part, err
}

// start expects SOI as the very first two bytes (T.81 B.2.1; libjpeg's first_marker).
func (p *parser) start() (Part, error) {
	if p.w-p.r < 2 {
		return Part{}, errNeedMore
	}
	if p.buf[p.r] != 0xFF || p.buf[p.r+1] != SOI {
		return Part{}, p.formatErr("missing SOI marker")
	}
	part := Part{Kind: KindMarker, Marker: SOI, Offset: p.offset()}
	p.r += 2
	p.st = stMarker
	return part, nil
}

// marker reads the next marker and, when it has one, its segment (T.81 B.1.1.4).
func (p *parser) marker() (Part, error) {
	b := p.buf[p.r:p.w]
	if len(b) == 0 {
		return Part{}, errNeedMore
	}
	if b[0] != 0xFF {
		// Junk before a marker: hand it out up to the next 0xFF.
		i := bytes.IndexByte(b, 0xFF)
		if i < 0 {
			i = len(b)
		}
		part := Part{Kind: KindJunk, Offset: p.offset(), Data: b[:i]}
		p.r += i
		return part, nil
	}
	// Skip fill bytes: keep the last 0xFF of the run as the marker prefix.
	j := 1
	for j < len(b) && b[j] == 0xFF {
		j++
	}
	p.r += j - 1
	if j == len(b) {
		return Part{}, errNeedMore
	}
	b = p.buf[p.r:p.w]
	m := b[1]
	off := p.offset()
	switch {
	case m == 0x00:
		// 0xFF00 outside entropy-coded data is not a marker; libjpeg skips it as junk.
		part := Part{Kind: KindJunk, Offset: off, Data: b[:2]}
		p.r += 2
		return part, nil
	case m == SOI:
		return Part{}, p.formatErr("SOI marker inside the image")
	case m == EOI:
		// The first EOI at marker level ends the image (T.81 B.2.1).
		if !p.scan {
			return Part{}, p.formatErr("EOI before any scan")
		}
		p.r += 2
		p.st = stTrailer
		return Part{Kind: KindMarker, Marker: EOI, Offset: off}, nil
	case m == TEM || IsRST(m):
		p.r += 2
		return Part{Kind: KindMarker, Marker: m, Offset: off}, nil
	case m < 0xC0:
		return Part{}, p.formatErr("reserved marker " + MarkerName(m))
	}
	if len(b) < 4 {
		return Part{}, errNeedMore
	}
	n := int(b[2])<<8 | int(b[3])
	if n < 2 {
		return Part{}, p.formatErr("segment length below 2 in " + MarkerName(m))
	}
	if len(b) < 2+n {
		return Part{}, errNeedMore
	}
	part := Part{Kind: KindSegment, Marker: m, Offset: off, Data: b[4 : 2+n]}
	switch {
	case IsSOF(m):
		p.frame = true
	case m == SOS:
		if !p.frame {
			return Part{}, p.formatErr("SOS before any frame header")
		}
		p.scan = true
		p.st = stECS
		p.scanned = p.r + 2 + n
	}
	p.r += 2 + n
	return part, nil
}

// ecs hands out entropy-coded data up to the next marker other than RSTn
// (T.81 B.1.1.5, F.1.2.3: 0xFF00 is a stuffed data byte, 0xFFD0–D7 restarts).
func (p *parser) ecs() (Part, error) {
	i := p.scanned
	for {
		j := bytes.IndexByte(p.buf[i:p.w], 0xFF)
		if j < 0 {
			i = p.w
			break
		}
		k := i + j
		m := k + 1
		for m < p.w && p.buf[m] == 0xFF {
			m++
		}
		if m == p.w {
			// A 0xFF run at the end of the input so far: undecided until more comes.
			i = k
			break
		}
		if c := p.buf[m]; c == 0x00 || IsRST(c) {
			i = m + 1
			continue
		}
		// A real marker ends the scan. Its fill bytes go with the marker.
		p.st = stMarker
		if k > p.r {
			part := Part{Kind: KindECS, Offset: p.offset(), Data: p.buf[p.r:k]}
			p.r = k
			return part, nil
		}
		return p.marker()
	}
	p.scanned = i
	if i > p.r {
		part := Part{Kind: KindECS, Offset: p.offset(), Data: p.buf[p.r:i]}
		p.r = i
		return part, nil
	}
	if p.r == 0 && p.w == len(p.buf) {
		// The buffer holds one run of 0xFF bytes and nothing else, still
		// undecided: fill bytes before a marker (T.81 B.1.1.2 allows any
		// number) or, as libjpeg reads it, FF..FF00 for one data byte. Hand
		// out all but the last as entropy-coded data, kept verbatim: the
		// stream means the same to a decoder, and where the run is split
		// depends only on the buffer size, so Strip's output, parsed again,
		// splits its copy of the run the same way.
		part := Part{Kind: KindECS, Offset: p.offset(), Data: p.buf[:p.w-1]}
		p.r = p.w - 1
		p.scanned = p.r
		return part, nil
	}
	return Part{}, errNeedMore
}
