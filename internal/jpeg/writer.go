package jpeg

import (
	"fmt"
	"io"
)

// Writer writes JPEG parts in canonical form: no fill bytes, each marker as
// 0xFF and its code, each segment with its exact length. It does not buffer;
// wrap the destination in a bufio.Writer for small writes. The first write
// error sticks.
type Writer struct {
	w   io.Writer
	n   int64
	hdr [4]byte
	err error
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Written is the number of bytes written so far.
func (w *Writer) Written() int64 { return w.n }

func (w *Writer) write(b []byte) error {
	if w.err != nil {
		return w.err
	}
	n, err := w.w.Write(b)
	w.n += int64(n)
	w.err = err
	return err
}

// WriteMarker writes a standalone marker (SOI, EOI).
func (w *Writer) WriteMarker(m byte) error {
	w.hdr[0], w.hdr[1] = 0xFF, m
	return w.write(w.hdr[:2])
}

// WriteSegment writes marker m with its length and payload.
func (w *Writer) WriteSegment(m byte, payload []byte) error {
	if len(payload) > MaxPayload {
		return fmt.Errorf("jpeg: %s payload of %d bytes exceeds %d", MarkerName(m), len(payload), MaxPayload)
	}
	SegmentHeader(&w.hdr, m, len(payload))
	if err := w.write(w.hdr[:]); err != nil {
		return err
	}
	return w.write(payload)
}

// WriteData writes raw bytes: entropy-coded data exactly as read.
func (w *Writer) WriteData(p []byte) error { return w.write(p) }

// SegmentHeader fills h with the four bytes that start a segment: 0xFF, m and
// the big-endian length of payloadLen+2.
func SegmentHeader(h *[4]byte, m byte, payloadLen int) {
	n := payloadLen + 2
	h[0], h[1], h[2], h[3] = 0xFF, m, byte(n>>8), byte(n)
}
