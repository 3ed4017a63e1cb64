package dct

import (
	"io"
	"math/bits"
)

// Encode writes img as a complete JPEG stream: SOI, the given marker segments
// verbatim (each whole, from its 0xFF marker on), then the quantisation
// tables, one sequential frame with optimised Huffman tables, and EOI. The
// frame is baseline unless a quantisation table needs 16-bit entries. All
// components share one interleaved scan when an MCU allows it (at most 10
// blocks), otherwise each has its own scan.
func Encode(w io.Writer, img *Image, segments ...[]byte) error {
	out, err := AppendEncode(nil, img, segments...)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// AppendEncode is Encode appending to buf.
func AppendEncode(buf []byte, img *Image, segments ...[]byte) ([]byte, error) {
	nc := len(img.Components)
	if nc < 1 || nc > 4 || img.Width < 1 || img.Height < 1 || img.Width > 0xFFFF || img.Height > 0xFFFF {
		return nil, unsupported("cannot encode a %dx%d image of %d components", img.Width, img.Height, nc)
	}
	// Plan the scans and their tables before writing anything, so a
	// coefficient too large for baseline fails cleanly.
	var scans [][]int
	blocks := 0
	for i := range img.Components {
		blocks += img.Components[i].H * img.Components[i].V
	}
	if nc == 1 || blocks <= 10 {
		all := make([]int, nc)
		for i := range all {
			all[i] = i
		}
		scans = [][]int{all}
	} else {
		for i := range img.Components {
			scans = append(scans, []int{i})
		}
	}
	type plannedScan struct {
		comps  []int
		table  []int // table id of each component: 0 for the first, 1 for the rest
		dc, ac []huffSpec
	}
	planned := make([]plannedScan, len(scans))
	for si, comps := range scans {
		ps := plannedScan{comps: comps, table: make([]int, len(comps))}
		ntab := 1
		if len(comps) > 1 {
			ntab = 2
		}
		for i := range comps {
			ps.table[i] = min(i, 1)
		}
		dcFreq := make([][256]int64, ntab)
		acFreq := make([][256]int64, ntab)
		err := walkScan(img, comps, func(slot int, blk []int16, pred *int32) error {
			t := ps.table[slot]
			return countBlock(blk, pred, &dcFreq[t], &acFreq[t])
		})
		if err != nil {
			return nil, err
		}
		for t := 0; t < ntab; t++ {
			ps.dc = append(ps.dc, optimalTable(&dcFreq[t]))
			ps.ac = append(ps.ac, optimalTable(&acFreq[t]))
		}
		planned[si] = ps
	}

	buf = append(buf, 0xFF, mSOI)
	for _, s := range segments {
		buf = append(buf, s...)
	}

	// Quantisation tables: one per distinct table, at most one per component.
	var tables [][64]uint16
	tq := make([]int, nc)
	wide := false
	for i := range img.Components {
		q := img.Components[i].Quant
		tq[i] = -1
		for j := range tables {
			if tables[j] == q {
				tq[i] = j
			}
		}
		if tq[i] < 0 {
			tq[i] = len(tables)
			tables = append(tables, q)
		}
		for _, v := range q {
			wide = wide || v > 255
		}
	}
	for j, q := range tables {
		pq := 0
		for _, v := range q {
			if v > 255 {
				pq = 1
			}
		}
		buf = appendMarker(buf, mDQT, 1+64*(1+pq))
		buf = append(buf, byte(pq<<4|j))
		for k := 0; k < 64; k++ {
			v := q[zigzag[k]]
			if pq == 1 {
				buf = append(buf, byte(v>>8))
			}
			buf = append(buf, byte(v))
		}
	}

	sof := byte(mSOF0)
	if wide {
		sof = mSOF1 // T.81 B.2.4.1: baseline allows only 8-bit tables
	}
	buf = appendMarker(buf, sof, 6+3*nc)
	buf = append(buf, 8, byte(img.Height>>8), byte(img.Height), byte(img.Width>>8), byte(img.Width), byte(nc))
	for i, c := range img.Components {
		buf = append(buf, c.ID, byte(c.H<<4|c.V), byte(tq[i]))
	}

	for _, ps := range planned {
		n := 0
		for t := range ps.dc {
			n += 17 + len(ps.dc[t].vals) + 17 + len(ps.ac[t].vals)
		}
		buf = appendMarker(buf, mDHT, n)
		for t := range ps.dc {
			buf = appendHuffSpec(buf, 0<<4|t, &ps.dc[t])
			buf = appendHuffSpec(buf, 1<<4|t, &ps.ac[t])
		}
		buf = appendMarker(buf, mSOS, 4+2*len(ps.comps))
		buf = append(buf, byte(len(ps.comps)))
		for i, ci := range ps.comps {
			buf = append(buf, img.Components[ci].ID, byte(ps.table[i]<<4|ps.table[i]))
		}
		buf = append(buf, 0, 63, 0)

		dc := make([]*huffEncoder, len(ps.dc))
		ac := make([]*huffEncoder, len(ps.ac))
		for t := range ps.dc {
			dc[t], ac[t] = ps.dc[t].encoder(), ps.ac[t].encoder()
		}
		bw := bitWriter{buf: buf}
		// Cannot fail: countBlock has accepted every block.
		_ = walkScan(img, ps.comps, func(slot int, blk []int16, pred *int32) error {
			t := ps.table[slot]
			bw.block(blk, pred, dc[t], ac[t])
			return nil
		})
		buf = bw.finish()
	}
	return append(buf, 0xFF, mEOI), nil
}

func appendMarker(buf []byte, m byte, payload int) []byte {
	return append(buf, 0xFF, m, byte((payload+2)>>8), byte(payload+2))
}

func appendHuffSpec(buf []byte, tcth int, s *huffSpec) []byte {
	buf = append(buf, byte(tcth))
	buf = append(buf, s.counts[:]...)
	return append(buf, s.vals...)
}

// walkScan calls fn for each block of a scan in coding order (T.81 A.2). In
// an interleaved scan, blocks of an edge MCU beyond the image are passed as
// nil: they are coded as a repeat of the previous DC with no AC, as libjpeg
// codes them.
func walkScan(img *Image, comps []int, fn func(slot int, blk []int16, pred *int32) error) error {
	var pred [4]int32
	if len(comps) == 1 {
		c := &img.Components[comps[0]]
		for by := 0; by < c.BlocksH; by++ {
			for bx := 0; bx < c.BlocksW; bx++ {
				if err := fn(0, c.Block(bx, by), &pred[0]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	mw, mh := img.mcuSize()
	mcusX, mcusY := ceilDiv(img.Width, mw), ceilDiv(img.Height, mh)
	for my := 0; my < mcusY; my++ {
		for mx := 0; mx < mcusX; mx++ {
			for slot, ci := range comps {
				c := &img.Components[ci]
				for v := 0; v < c.V; v++ {
					by := my*c.V + v
					for h := 0; h < c.H; h++ {
						bx := mx*c.H + h
						var blk []int16
						if bx < c.BlocksW && by < c.BlocksH {
							blk = c.Block(bx, by)
						}
						if err := fn(slot, blk, &pred[slot]); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

var errTooLarge = &UnsupportedError{Msg: "coefficient too large for an 8-bit sequential frame"}

// countBlock adds the symbols one block codes to the frequency tables and
// checks its coefficients fit the 8-bit ranges of T.81 F.1.2.
func countBlock(blk []int16, pred *int32, dcFreq, acFreq *[256]int64) error {
	if blk == nil {
		dcFreq[0]++
		acFreq[0]++
		return nil
	}
	blk = blk[:64:64]
	diff := int32(blk[0]) - *pred
	*pred = int32(blk[0])
	s := magnitude(diff)
	if s > 11 {
		return errTooLarge
	}
	dcFreq[s]++
	last := 0
	for m := nonzero(blk); m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		r := k - last - 1
		last = k
		for ; r > 15; r -= 16 {
			acFreq[0xF0]++
		}
		s := magnitude(int32(blk[k]))
		if s > 10 {
			return errTooLarge
		}
		acFreq[r<<4|int(s)]++
	}
	if last < 63 {
		acFreq[0]++
	}
	return nil
}

// nonzero returns a mask with bit k set when AC coefficient k is not zero.
func nonzero(blk []int16) uint64 {
	blk = blk[:64:64]
	var m uint64
	for k := 1; k < 64; k++ {
		v := uint16(blk[k])
		m |= uint64((v|-v)>>15) << k
	}
	return m
}

// magnitude returns the category of v: the bit length of |v| (T.81 F.1.2.1.1).
func magnitude(v int32) uint {
	m := v >> 31 // all ones when v is negative: branch-free abs
	return uint(bits.Len32(uint32((v ^ m) - m)))
}

// bitWriter appends entropy-coded bits to buf, stuffing a zero byte after
// each 0xFF (T.81 F.1.2.3).
type bitWriter struct {
	buf []byte
	acc uint64 // the low n bits are pending, most significant first
	n   uint
}

func (w *bitWriter) put(code uint32, size uint) {
	w.acc = w.acc<<size | uint64(code)
	w.n += size
	if w.n >= 32 {
		w.emit32()
	}
}

// emit32 moves the oldest 32 pending bits to buf, four bytes at once unless
// one of them is 0xFF and needs stuffing.
func (w *bitWriter) emit32() {
	v := uint32(w.acc >> (w.n - 32))
	if x := ^v; (x-0x01010101)&^x&0x80808080 == 0 { // no 0xFF byte
		w.buf = append(w.buf, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
		w.n -= 32
		return
	}
	w.flush()
}

// flush moves whole bytes from the accumulator to buf.
func (w *bitWriter) flush() {
	for w.n >= 8 {
		b := byte(w.acc >> (w.n - 8))
		w.buf = append(w.buf, b)
		if b == 0xFF {
			w.buf = append(w.buf, 0)
		}
		w.n -= 8
	}
}

// finish pads the last byte with one bits (T.81 F.1.2.3) and returns buf.
func (w *bitWriter) finish() []byte {
	if pad := (8 - w.n%8) % 8; pad > 0 {
		w.put(1<<pad-1, pad)
	}
	w.flush()
	return w.buf
}

// block codes one block (T.81 F.1.2.1-2); countBlock has checked its ranges.
func (w *bitWriter) block(blk []int16, pred *int32, dc, ac *huffEncoder) {
	if blk == nil {
		w.put(uint32(dc.code[0]), uint(dc.size[0]))
		w.put(uint32(ac.code[0]), uint(ac.size[0]))
		return
	}
	blk = blk[:64:64]
	diff := int32(blk[0]) - *pred
	*pred = int32(blk[0])
	s := magnitude(diff)
	w.put(uint32(dc.code[s])<<s|extra(diff, s), uint(dc.size[s])+s)
	last := 0
	for m := nonzero(blk); m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		r := k - last - 1
		last = k
		for ; r > 15; r -= 16 {
			w.put(uint32(ac.code[0xF0]), uint(ac.size[0xF0]))
		}
		v := int32(blk[k])
		s := magnitude(v)
		sym := r<<4 | int(s)
		w.put(uint32(ac.code[sym])<<s|extra(v, s), uint(ac.size[sym])+s)
	}
	if last < 63 {
		w.put(uint32(ac.code[0]), uint(ac.size[0]))
	}
}

// extra returns the s low bits that code v: v itself if positive, v-1 if
// negative (T.81 F.1.2.1.1).
func extra(v int32, s uint) uint32 {
	return uint32(v+v>>31) & (1<<s - 1)
}
