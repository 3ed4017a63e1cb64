package dct

import (
	"encoding/binary"
	"fmt"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/reuse"
)

// JPEG markers (T.81 Table B.1).
const (
	mSOF0 = 0xC0 // baseline
	mSOF1 = 0xC1 // extended sequential, Huffman
	mSOF2 = 0xC2 // progressive, Huffman
	mDHT  = 0xC4
	mDAC  = 0xCC
	mRST0 = 0xD0
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mDQT  = 0xDB
	mDNL  = 0xDC
	mDRI  = 0xDD
)

// decoder holds the tables and state of one Decode call.
type decoder struct {
	img     *Image
	lim     Limits
	quant   [4]*[64]uint16
	dc, ac  [4]*huffDecoder
	tq      []int  // each component's quantisation table selector
	latched []bool // component's quantisation table latched by a scan
	scanned []bool // component decoded by a sequential scan
	restart int
	scans   int
	size    int // bytes in the whole stream
	unstuff []byte
	spans   []restartSpan
	// noCoef: Check; no coefficients are kept.
	noCoef bool
	// want: Compare; each block is compared with want's. A sequential
	// frame (stream) is compared block by block as it is decoded and keeps
	// no coefficients; a progressive one is decoded whole, then compared.
	want    *Image
	stream  bool
	scratch [64]int16
	// nz marks, per component and block of a progressive frame, the AC
	// coefficients that are not zero: what refinement scans depend on, so
	// they need not look at every coefficient (and Check keeps nothing else).
	nz [][]uint64
	// refScan, set by tests only, decodes the scans instead of decodeScan:
	// the reference decoder Decode and Check must agree with.
	refScan func(d *decoder, sc []scanComp, kind, ss, se, ah, al int) error
}

// restartSpan is one restart interval of unstuffed entropy-coded data.
type restartSpan struct {
	start, end int
	rst        int // number of the RSTn marker that opened it; -1 for the first
}

// Decode parses a complete JPEG stream (SOI to EOI) and entropy-decodes its
// frame into quantised DCT coefficients. Segments that carry no image data
// (APPn, COM) are skipped.
func Decode(data []byte, lim Limits) (*Image, error) {
	d := &decoder{}
	img, err := d.decode(data, lim)
	if err != nil && d.img != nil {
		d.img.Release()
	}
	return img, err
}

// Check entropy-decodes data as Decode does and returns the error Decode
// would return, for every input: every Huffman code, coefficient index,
// restart marker and scan is checked the same way. It keeps no image: a
// sequential frame is decoded without allocating or storing its
// coefficients, which makes it faster than Decode and its memory the size of
// the entropy-coded data. A progressive frame keeps its coefficients while
// it decodes, as refinement scans depend on them.
func Check(data []byte, lim Limits) error {
	_, err := (&decoder{noCoef: true}).decode(data, lim)
	return err
}

func (d *decoder) decode(data []byte, lim Limits) (*Image, error) {
	img, err := d.decodeStream(data, lim)
	if d.unstuff != nil {
		unstuffFree.Put(d.unstuff)
		d.unstuff = nil
	}
	return img, err
}

// unstuffFree holds the decoders' copies of entropy-coded data for reuse: up
// to 16 MB.
var unstuffFree = reuse.List[byte]{Budget: 16 << 20}

func (d *decoder) decodeStream(data []byte, lim Limits) (*Image, error) {
	def := DefaultLimits()
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = def.MaxPixels
	}
	if lim.MaxScans <= 0 {
		lim.MaxScans = def.MaxScans
	}
	d.lim, d.size = lim, len(data)
	if len(data) < 2 || data[0] != 0xFF || data[1] != mSOI {
		return nil, formatErr("missing SOI marker")
	}
	pos := 2
	for {
		// T.81 B.1.1.2: a marker is 0xFF, optional 0xFF fill bytes, a code.
		if pos >= len(data) {
			return nil, formatErr("missing EOI marker")
		}
		if data[pos] != 0xFF {
			return nil, formatErr("expected a marker at offset %d", pos)
		}
		for pos < len(data) && data[pos] == 0xFF {
			pos++
		}
		if pos >= len(data) {
			return nil, formatErr("missing EOI marker")
		}
		m := data[pos]
		pos++
		switch {
		case m == mEOI:
			if d.img == nil || d.scans == 0 {
				return nil, formatErr("no image data before EOI")
			}
			d.img.RestartInterval = d.restart
			if d.want != nil {
				return d.img, d.compareEnd()
			}
			return d.img, nil
		case m == 0x01 || m >= mRST0 && m <= mRST0+7 || m == 0x00:
			// TEM and stray RSTn carry no length (B.1.1.3); libjpeg skips them.
			continue
		}
		if pos+2 > len(data) {
			return nil, formatErr("truncated marker segment")
		}
		n := int(binary.BigEndian.Uint16(data[pos:]))
		if n < 2 || pos+n > len(data) {
			return nil, formatErr("truncated marker segment 0x%02X", m)
		}
		seg := data[pos+2 : pos+n]
		pos += n
		var err error
		switch m {
		case mSOF0, mSOF1, mSOF2:
			err = d.parseSOF(m, seg)
		case 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
			err = unsupported("arithmetic coding (SOF%d)", m-0xC0)
		case 0xC3, 0xC5, 0xC6, 0xC7:
			err = unsupported("lossless or hierarchical frame (SOF%d)", m-0xC0)
		case mDAC:
			err = unsupported("arithmetic coding")
		case mDHT:
			err = d.parseDHT(seg)
		case mDQT:
			err = d.parseDQT(seg)
		case mDRI:
			if len(seg) != 2 {
				err = formatErr("DRI length")
				break
			}
			d.restart = int(binary.BigEndian.Uint16(seg))
		case mDNL:
			err = unsupported("DNL marker")
		case mSOS:
			pos, err = d.parseSOS(seg, data, pos)
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseSOF reads a frame header (T.81 B.2.2).
func (d *decoder) parseSOF(m byte, seg []byte) error {
	if d.img != nil {
		return formatErr("more than one frame")
	}
	if len(seg) < 6 {
		return formatErr("SOF length")
	}
	if seg[0] != 8 {
		return unsupported("%d-bit samples", seg[0])
	}
	h, w, nc := int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:])), int(seg[5])
	if h == 0 {
		return unsupported("height defined by DNL")
	}
	if w == 0 {
		return formatErr("zero width")
	}
	if nc < 1 || nc > 4 { // T.81 allows 255; images have 1 (gray), 3 or 4
		return unsupported("%d components", nc)
	}
	if len(seg) != 6+3*nc {
		return formatErr("SOF length")
	}
	if int64(w)*int64(h) > d.lim.MaxPixels {
		return &LimitError{Msg: "image has more pixels than allowed"}
	}
	img := &Image{Width: w, Height: h, Progressive: m == mSOF2}
	for i := 0; i < nc; i++ {
		c := Component{ID: seg[6+3*i], H: int(seg[7+3*i] >> 4), V: int(seg[7+3*i] & 15)}
		if c.H < 1 || c.H > 4 || c.V < 1 || c.V > 4 {
			return formatErr("sampling factors %dx%d", c.H, c.V)
		}
		if seg[8+3*i] > 3 {
			return formatErr("quantisation table %d", seg[8+3*i])
		}
		for j := 0; j < i; j++ {
			if img.Components[j].ID == c.ID {
				return formatErr("duplicate component id %d", c.ID)
			}
		}
		if nc == 1 {
			// One component is coded block by block whatever its factors
			// (T.81 A.2.2), and its size is the frame's: 1x1 is equivalent.
			c.H, c.V = 1, 1
		}
		img.Components = append(img.Components, c)
		d.tq = append(d.tq, int(seg[8+3*i]))
	}
	// Every block takes at least one bit of entropy-coded data (a DC code,
	// T.81 F.1.2.1 and G.1.2.1), so a frame with more blocks than the file
	// has bits cannot be complete: refuse it before allocating its
	// coefficients, or a small file could claim 100 MP of memory.
	img.grid()
	var blocks int64
	for _, c := range img.Components {
		blocks += int64(c.BlocksW) * int64(c.BlocksH)
	}
	if blocks > 8*int64(d.size) {
		return &LimitError{Msg: fmt.Sprintf("%d blocks cannot be coded in %d bytes", blocks, d.size)}
	}
	if most := d.lim.MaxCoefficientBytes; most > 0 && !d.noCoef && d.want == nil {
		if need := img.coefficientBytes(); need > most {
			return &LimitError{Msg: fmt.Sprintf("the coefficients need %.1f MB, more than the %.1f MB allowed", float64(need)/(1<<20), float64(most)/(1<<20))}
		}
	}
	if d.want != nil {
		if err := equalFrame(d.want, img); err != nil {
			return err
		}
		d.stream = !img.Progressive
	}
	if !d.noCoef && !d.stream {
		img.layout()
	}
	if img.Progressive {
		for _, c := range img.Components {
			d.nz = append(d.nz, make([]uint64, c.Stride*c.Rows))
		}
	}
	d.img = img
	d.latched = make([]bool, nc)
	d.scanned = make([]bool, nc)
	return nil
}

// parseDHT reads Huffman tables (T.81 B.2.4.2).
func (d *decoder) parseDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return formatErr("DHT length")
		}
		class, id := seg[0]>>4, seg[0]&15
		if class > 1 || id > 3 {
			return formatErr("DHT class %d id %d", class, id)
		}
		var counts [16]byte
		copy(counts[:], seg[1:17])
		total := 0
		for _, c := range counts {
			total += int(c)
		}
		if total > 256 || len(seg) < 17+total {
			return formatErr("DHT length")
		}
		h, err := huffTable(counts, seg[17:17+total], class == 1)
		if err != nil {
			return err
		}
		if class == 0 {
			d.dc[id] = h
		} else {
			d.ac[id] = h
		}
		seg = seg[17+total:]
	}
	return nil
}

// parseDQT reads quantisation tables (T.81 B.2.4.1) into natural order.
func (d *decoder) parseDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if pq > 1 || tq > 3 {
			return formatErr("DQT precision %d id %d", pq, tq)
		}
		size := 1 + 64*(1+int(pq))
		if len(seg) < size {
			return formatErr("DQT length")
		}
		q := new([64]uint16)
		for k := 0; k < 64; k++ {
			if pq == 0 {
				q[zigzag[k]] = uint16(seg[1+k])
			} else {
				q[zigzag[k]] = binary.BigEndian.Uint16(seg[1+2*k:])
			}
		}
		d.quant[tq] = q
		seg = seg[size:]
	}
	return nil
}
