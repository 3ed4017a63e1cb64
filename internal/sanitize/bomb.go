package sanitize

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/jpeg"
)

// checkCodedSize refuses a frame that claims more 8x8 blocks than its entropy-coded
// data has bits. Every block of a Huffman-coded frame takes at least one bit (its DC
// code, T.81 F.1.2.1 and G.1.2.1), so such a file cannot be a complete image: it is a
// small file claiming a huge one (a decompression bomb under the pixel limit), which
// Verify's decoder would refuse only after Strip and Write had published it. This is
// internal/jpeg/dct's pre-allocation check, made on the segments alone (no decode)
// and against the entropy-coded bytes rather than the whole file.
// Arithmetic coding can spend less than a bit per block, so it is not checked here
// (Verify's decoder does not decode it either); nor is a height defined by DNL.
func checkCodedSize(b []byte) error {
	r := jpeg.NewReader(bytes.NewReader(b))
	var (
		blocks   int64 // blocks the first frame claims; 0 until its SOF
		sofAt    int64
		ecsBytes int64
	)
loop:
	for range len(b) + 1 { // each part takes at least one byte
		part, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err // Inspect already accepted the file; keep its verdict otherwise
		}
		switch {
		case part.Kind == jpeg.KindSegment && jpeg.IsSOF(part.Marker) && blocks == 0:
			blocks, sofAt = frameBlocks(part.Marker, part.Data), part.Offset
			if blocks == 0 {
				return nil
			}
		case part.Kind == jpeg.KindECS:
			ecsBytes += int64(len(part.Data))
		case part.Kind == jpeg.KindMarker && part.Marker == jpeg.EOI, part.Kind == jpeg.KindTrailer:
			break loop
		}
	}
	if blocks > 8*ecsBytes {
		return &jpeg.FormatError{Offset: sofAt, Msg: fmt.Sprintf(
			"the frame claims %d blocks but the file has %d bytes of entropy-coded data (at least one bit per block)", blocks, ecsBytes)}
	}
	return nil
}

// frameBlocks counts the 8x8 blocks a Huffman-coded frame header claims, without
// MCU padding (a lower bound); 0 when the frame is not checked (arithmetic coding,
// DNL height, or a header Inspect would have refused).
func frameBlocks(marker byte, seg []byte) int64 {
	if marker >= 0xC9 { // SOF9..SOF15: arithmetic coding (DHT, JPG and DAC are not SOFs)
		return 0
	}
	if len(seg) < 6 {
		return 0
	}
	h, w, nc := int64(seg[1])<<8|int64(seg[2]), int64(seg[3])<<8|int64(seg[4]), int(seg[5])
	if h == 0 || w == 0 || nc < 1 || len(seg) < 6+3*nc {
		return 0
	}
	if nc == 1 { // one component is coded block by block whatever its factors (T.81 A.2.2)
		return ceilDiv(w, 8) * ceilDiv(h, 8)
	}
	var hmax, vmax int64 = 1, 1
	for i := range nc {
		hmax, vmax = max(hmax, int64(seg[7+3*i]>>4)), max(vmax, int64(seg[7+3*i]&15))
	}
	var blocks int64
	for i := range nc {
		hi, vi := int64(seg[7+3*i]>>4), int64(seg[7+3*i]&15)
		if hi < 1 || vi < 1 {
			return 0
		}
		blocks += ceilDiv(ceilDiv(w*hi, hmax), 8) * ceilDiv(ceilDiv(h*vi, vmax), 8)
	}
	return blocks
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
