package jpeg

import "io"

// Reader parses a JPEG stream pulled from an io.Reader.
type Reader struct {
	p   parser
	src io.Reader
	eof bool
}

// NewReader returns a Reader that parses src from its first byte.
func NewReader(src io.Reader) *Reader {
	return &Reader{p: newParser(), src: src}
}

// Reset makes r parse a new stream from src, reusing its buffer.
func (r *Reader) Reset(src io.Reader) {
	r.p.reset()
	r.src = src
	r.eof = false
}

// maxEmptyReads bounds how often a misbehaving io.Reader may return 0, nil.
const maxEmptyReads = 100

// Next returns the next part of the stream, io.EOF after the last trailer byte,
// or an error: *FormatError, *TruncatedError, or the source's read error.
// The returned Part's Data is valid only until the next call.
func (r *Reader) Next() (Part, error) {
	empty := 0
	for {
		part, err := r.p.next(r.eof)
		if err != errNeedMore {
			return part, err
		}
		r.p.compact()
		if r.p.w == len(r.p.buf) {
			// Unreachable: every state either emits or fits in the buffer.
			return Part{}, r.p.formatErr("parser stalled with a full buffer")
		}
		n, rerr := r.src.Read(r.p.buf[r.p.w:])
		r.p.w += n
		switch {
		case rerr == io.EOF:
			r.eof = true
		case rerr != nil:
			return Part{}, rerr
		case n == 0:
			if empty++; empty > maxEmptyReads {
				return Part{}, io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
}

// Offset is the number of stream bytes consumed by the parts returned so far.
func (r *Reader) Offset() int64 { return r.p.offset() }
