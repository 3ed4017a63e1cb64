package dct

import (
	"encoding/binary"
	"github.com/s3-image-sanitizer/s3-image-sanitizer/internal/reuse"
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

// AppendEncode is Encode appending to buf. It codes each block once, into
// a list of symbols (symbolize), counting them for the optimised tables as
// it goes, then writes the list with the tables.
func AppendEncode(buf []byte, img *Image, segments ...[]byte) ([]byte, error) {
	nc := len(img.Components)
	if nc < 1 || nc > 4 || img.Width < 1 || img.Height < 1 || img.Width > 0xFFFF || img.Height > 0xFFFF {
		return nil, unsupported("cannot encode a %dx%d image of %d components", img.Width, img.Height, nc)
	}
	// Plan the scans and their tables before writing anything, so a
	// coefficient too large for baseline fails cleanly.
	scans := planScans(img)
	type plannedScan struct {
		comps      []int
		table      []int // table id of each component: 0 for the first, 1 for the rest
		dc, ac     []huffSpec
		start, end int // the scan's chunks of symbols
	}
	var syms symList
	defer syms.release()
	planned := make([]plannedScan, len(scans))
	for si, comps := range scans {
		ps := plannedScan{comps: comps, table: make([]int, len(comps)), start: len(syms.done)}
		ntab := 1
		if len(comps) > 1 {
			ntab = 2
		}
		for i := range comps {
			ps.table[i] = min(i, 1)
		}
		var freq [4 * 256]int64 // DC table 0, AC table 0, DC table 1, AC table 1
		err := walkScan(img, comps, func(slot int, blk *[64]int16, pred *int32) error {
			cur := syms.room()
			var err error
			*cur, err = symbolize(*cur, blk, pred, uint32(ps.table[slot]), &freq)
			return err
		})
		if err != nil {
			return nil, err
		}
		syms.close()
		ps.end = len(syms.done)
		for t := 0; t < ntab; t++ {
			ps.dc = append(ps.dc, optimalTable((*[256]int64)(freq[2*t*256:])))
			ps.ac = append(ps.ac, optimalTable((*[256]int64)(freq[(2*t+1)*256:])))
		}
		planned[si] = ps
	}

	buf = appendFrameHeader(buf, img, segments)
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

		var codes symCodes
		for t := range ps.dc {
			codes.set(2*t, &ps.dc[t])
			codes.set(2*t+1, &ps.ac[t])
		}
		var w bitBuffer
		for _, chunk := range syms.done[ps.start:ps.end] {
			buf = codes.emit(buf, &w, chunk)
		}
		buf = w.finish(buf)
	}
	return append(buf, 0xFF, mEOI), nil
}

// planScans returns the components of each scan: all in one interleaved
// scan when an MCU allows it (at most 10 blocks), otherwise one scan each.
func planScans(img *Image) [][]int {
	nc := len(img.Components)
	blocks := 0
	for i := range img.Components {
		blocks += img.Components[i].H * img.Components[i].V
	}
	if nc == 1 || blocks <= 10 {
		all := make([]int, nc)
		for i := range all {
			all[i] = i
		}
		return [][]int{all}
	}
	scans := make([][]int, nc)
	for i := range scans {
		scans[i] = []int{i}
	}
	return scans
}

// appendFrameHeader appends SOI, segments, the quantisation tables and the
// frame header.
func appendFrameHeader(buf []byte, img *Image, segments [][]byte) []byte {
	buf = append(buf, 0xFF, mSOI)
	for _, s := range segments {
		buf = append(buf, s...)
	}
	nc := len(img.Components)
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
	return buf
}

func appendMarker(buf []byte, m byte, payload int) []byte {
	return append(buf, 0xFF, m, byte((payload+2)>>8), byte(payload+2))
}

func appendHuffSpec(buf []byte, tcth int, s *huffSpec) []byte {
	buf = append(buf, byte(tcth))
	buf = append(buf, s.counts[:]...)
	return append(buf, s.vals...)
}

// walkScan calls fn for each block of a scan in coding order (T.81 A.2).
// In an interleaved scan, blocks of an edge MCU beyond the image are passed
// as nil: they are coded as a repeat of the previous DC with no AC, as
// libjpeg codes them.
func walkScan(img *Image, comps []int, fn func(slot int, blk *[64]int16, pred *int32) error) error {
	var pred [4]int32
	if len(comps) == 1 {
		c := &img.Components[comps[0]]
		for by := 0; by < c.BlocksH; by++ {
			for bx := 0; bx < c.BlocksW; bx++ {
				if err := fn(0, (*[64]int16)(c.Block(bx, by)), &pred[0]); err != nil {
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
						var blk *[64]int16
						if bx < c.BlocksW && by < c.BlocksH {
							blk = (*[64]int16)(c.Block(bx, by))
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

// A symbol is one Huffman-coded item of a scan with the bits that follow its
// code, as a uint32: the symbol (T.81 F.1.2) in bits 0-7, its table in bits
// 8-9 (2*table id, plus 1 for AC), the magnitude bits from bit 16 on. The
// low 4 bits of every symbol are the number of magnitude bits: a DC
// category (0-11), or the size of an AC run/size pair.
const (
	symTable = 8
	symExtra = 16
)

// maxBlockSyms bounds the symbols of one block: a DC, at most 63 AC
// coefficients, 3 runs of 16 zeros and an end of block.
const maxBlockSyms = 68

// symbolize appends the symbols that code one block (T.81 F.1.2.1-2) to
// syms, counts them in freq, indexed by symbol and table (the low 10 bits),
// and checks the coefficients fit the 8-bit ranges of T.81 F.1.2. tab is
// the block's table id.
func symbolize(syms []uint32, blk *[64]int16, pred *int32, tab uint32, freq *[4 * 256]int64) ([]uint32, error) {
	dcTab := (2 * tab) << symTable
	acTab := (2*tab + 1) << symTable
	if blk == nil {
		freq[dcTab]++
		freq[acTab]++
		return append(syms, dcTab, acTab), nil
	}
	diff := int32(blk[0]) - *pred
	*pred = int32(blk[0])
	s := magnitude(diff)
	if s > 11 {
		return syms, errTooLarge
	}
	e := extra(diff, s)<<symExtra | dcTab | uint32(s)
	freq[e&0x3FF]++
	syms = append(syms, e)
	m := nonzero(blk)
	if m == ^uint64(1) {
		return symbolizeDense(syms, blk, acTab, freq)
	}
	last := 0
	for ; m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		r := k - last - 1
		last = k
		for ; r > 15; r -= 16 {
			freq[acTab|0xF0]++
			syms = append(syms, acTab|0xF0)
		}
		v := int(blk[k&63]) + 1023
		if uint(v) > 2*1023 {
			return syms, errTooLarge
		}
		e := acValue[v] | acTab | uint32(r)<<4
		freq[e&0x3FF]++
		syms = append(syms, e)
	}
	if last < 63 {
		freq[acTab]++
		syms = append(syms, acTab)
	}
	return syms, nil
}

// symbolizeDense appends the AC symbols of a block whose AC coefficients
// are all non-zero, as symbolize would: one symbol each, with no runs and
// no end of block, which its loop then need not keep track of. A noisy
// picture is all such blocks.
func symbolizeDense(syms []uint32, blk *[64]int16, acTab uint32, freq *[4 * 256]int64) ([]uint32, error) {
	out := (*[63]uint32)(syms[len(syms) : len(syms)+63])
	for k := 1; k < 64; k++ {
		v := int(blk[k]) + 1023
		if uint(v) > 2*1023 {
			return syms, errTooLarge
		}
		e := acValue[v] | acTab
		freq[e&0x3FF]++
		out[k-1] = e
	}
	return syms[:len(syms)+63], nil
}

// acValue holds, for each AC coefficient v in -1023..1023 (at v+1023), its
// magnitude bits and size as a symbol holds them: what magnitude and extra
// compute, one lookup away.
var acValue = func() (t [2*1023 + 1]uint32) {
	for i := range t {
		v := int32(i - 1023)
		s := magnitude(v)
		t[i] = extra(v, s)<<symExtra | uint32(s)
	}
	return t
}()

// nonzero returns a mask with bit k set when AC coefficient k is not zero,
// eight coefficients per loop step.
func nonzero(blk *[64]int16) uint64 {
	var m uint64
	for k := 0; k < 64; k += 8 {
		b := (*[8]int16)(blk[k:])
		m |= (isNonzero(b[0]) | isNonzero(b[1])<<1 | isNonzero(b[2])<<2 | isNonzero(b[3])<<3 |
			isNonzero(b[4])<<4 | isNonzero(b[5])<<5 | isNonzero(b[6])<<6 | isNonzero(b[7])<<7) << k
	}
	return m &^ 1 // the DC coefficient
}

// isNonzero is 1 when v is not zero, else 0, without a branch.
func isNonzero(v int16) uint64 {
	u := uint16(v)
	return uint64((u | -u) >> 15)
}

// magnitude returns the category of v: the bit length of |v| (T.81 F.1.2.1.1).
func magnitude(v int32) uint {
	m := v >> 31 // all ones when v is negative: branch-free abs
	return uint(bits.Len32(uint32((v ^ m) - m)))
}

// extra returns the s low bits that code v: v itself if positive, v-1 if
// negative (T.81 F.1.2.1.1).
func extra(v int32, s uint) uint32 {
	return uint32(v+v>>31) & (1<<s - 1)
}

// symCodes holds, for each symbol and table as a symbol indexes them, its
// Huffman code followed by room for its magnitude bits, and the number of
// bits they make: code<<size<<8 | length.
type symCodes [4 * 256]uint64

// set enters the canonical codes (T.81 C.2) of table tab (2*id, +1 for AC).
func (c *symCodes) set(tab int, s *huffSpec) {
	code, k := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for n := 0; n < int(s.counts[l-1]); n++ {
			sym := int(s.vals[k])
			c[tab<<symTable|sym] = uint64(code)<<(sym&15)<<8 | uint64(l+sym&15)
			code++
			k++
		}
		code <<= 1
	}
}

// bitBuffer holds the bits of a scan not yet written as whole bytes.
type bitBuffer struct {
	acc uint64 // the low n bits are pending, most significant first
	n   uint   // less than 32
}

// emit appends the entropy-coded data of syms to buf, stuffing a zero byte
// after each 0xFF (T.81 F.1.2.3); bits that make no whole 32 stay in w.
func (c *symCodes) emit(buf []byte, w *bitBuffer, syms []uint32) []byte {
	acc, n := w.acc, w.n
	for _, e := range syms {
		ce := c[e&0x3FF]
		l := uint(ce & 0xFF)
		// The shifts are masked (l is at most 27, n less than 64): the
		// compiler then makes no code for counts of 64 or more.
		acc = acc<<(l&63) | ce>>8 | uint64(e>>symExtra)
		n += l
		if n >= 32 {
			n -= 32
			v := uint32(acc >> (n & 63))
			if x := ^v; (x-0x01010101)&^x&0x80808080 == 0 { // no 0xFF byte
				buf = binary.BigEndian.AppendUint32(buf, v)
				continue
			}
			buf = appendStuffed(buf, v, 4)
		}
	}
	w.acc, w.n = acc, n
	return buf
}

// finish appends the pending bits, the last byte padded with one bits
// (T.81 F.1.2.3).
func (w *bitBuffer) finish(buf []byte) []byte {
	acc, n := w.acc, w.n
	if pad := (8 - n%8) % 8; pad > 0 {
		acc = acc<<pad | (1<<pad - 1)
		n += pad
	}
	*w = bitBuffer{}
	return appendStuffed(buf, uint32(acc)<<(32-n), n/8)
}

// appendStuffed appends the first nb bytes of v, most significant first,
// each 0xFF followed by a stuffed zero.
func appendStuffed(buf []byte, v uint32, nb uint) []byte {
	for ; nb > 0; nb-- {
		b := byte(v >> 24)
		v <<= 8
		buf = append(buf, b)
		if b == 0xFF {
			buf = append(buf, 0)
		}
	}
	return buf
}

// symList is a list of symbols in chunks of symChunk (256 KB): it grows a
// chunk at a time, never copied, and its chunks are reused across images.
type symList struct {
	done [][]uint32 // closed chunks, each its symbols
	cur  []uint32   // the chunk being filled
}

const symChunk = 64 << 10

// room returns the chunk being filled, with room for a block's symbols.
func (l *symList) room() *[]uint32 {
	if cap(l.cur)-len(l.cur) < maxBlockSyms {
		l.close()
		l.cur, _ = symsFree.Get(symChunk)
		l.cur = l.cur[:0]
	}
	return &l.cur
}

// close ends the chunk being filled: the next symbols start a new one.
func (l *symList) close() {
	if len(l.cur) > 0 {
		l.done = append(l.done, l.cur)
	} else if l.cur != nil {
		symsFree.Put(l.cur)
	}
	l.cur = nil
}

// release hands the chunks back for reuse.
func (l *symList) release() {
	l.close()
	for _, c := range l.done {
		symsFree.Put(c)
	}
	l.done = nil
}

// symsFree holds chunks of symbol lists for reuse: up to 48 MB, the lists
// of four photos of a megabyte or so being encoded at once (sanitizer run's
// compute gate on two cores).
var symsFree = reuse.List[uint32]{Budget: 12 << 20}
