package jpeg

import "io"

// Sink is an io.Writer that parses the JPEG stream written to it, calling fn for
// every part as soon as it is complete. Close marks the end of the stream and
// reports a truncated image. The first error (from parsing or from fn) sticks:
// every later Write and Close returns it.
type Sink struct {
	p   parser
	fn  func(Part) error
	err error
	end bool
}

// NewSink returns a Sink that hands each parsed part to fn. Part.Data is only
// valid during the call.
func NewSink(fn func(Part) error) *Sink {
	return &Sink{p: newParser(), fn: fn}
}

// Reset makes s parse a new stream, handing parts to fn, reusing its buffer.
func (s *Sink) Reset(fn func(Part) error) {
	s.p.reset()
	s.fn = fn
	s.err = nil
	s.end = false
}

// Write parses b. It returns an error as soon as the stream is known to be bad.
func (s *Sink) Write(b []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	for len(b) > 0 {
		s.p.compact()
		c := copy(s.p.buf[s.p.w:], b)
		if c == 0 {
			s.err = s.p.formatErr("parser stalled with a full buffer")
			return n, s.err
		}
		s.p.w += c
		b = b[c:]
		n += c
		if err := s.drain(false); err != nil {
			s.err = err
			return n, err
		}
	}
	return n, nil
}

// Close ends the stream: it returns *TruncatedError when the image is incomplete.
func (s *Sink) Close() error {
	if s.err == nil && !s.end {
		s.end = true
		s.err = s.drain(true)
	}
	return s.err
}

func (s *Sink) drain(eof bool) error {
	for {
		part, err := s.p.next(eof)
		switch err {
		case nil:
		case errNeedMore:
			return nil
		case io.EOF:
			return nil
		default:
			return err
		}
		if err := s.fn(part); err != nil {
			return err
		}
	}
}

// Offset is the number of stream bytes parsed so far.
func (s *Sink) Offset() int64 { return s.p.offset() }
