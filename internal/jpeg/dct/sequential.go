package dct

import "encoding/binary"

// The sequential scan decoder: one loop over every block of a scan with the
// bit buffer in local variables (the compiler keeps them in registers, where
// the fields of a bitReader behind a pointer go through memory on every
// code), codes and their magnitude bits resolved by one table lookup, and no
// per-block call. It reads the same bits and returns the same errors as the
// block-by-block decoding of T.81 F.2.2 it replaces, which the tests keep as
// their reference (decoder.refBlock).

// multiBits is the lookahead of huffDecoder.multi: 4096 entries of 4 bytes,
// so the tables of a scan stay in the first-level cache.
const multiBits = 12

// multiTable returns h's multi-code table, building it on first use: for
// each multiBits-bit lookahead, the codes and magnitude bits of the AC
// coefficients that fit in it whole, as total length | positions advanced<<8
// | 1<<16 when the last is an end of block. A sequential scan that keeps no
// coefficients moves through a block with it several codes at a time. Codes
// that need the slow path (longer than lutBits, magnitudes above 10,
// invalid) end an entry; 0 means the first code does not fit.
func (h *huffDecoder) multiTable() *[1 << multiBits]uint32 {
	if h.multi != nil {
		return h.multi
	}
	m := new([1 << multiBits]uint32)
	for i := range m {
		window, left := uint32(i)<<(32-multiBits), uint(multiBits)
		var used, adv, eob uint32
		for {
			e := h.lut[window>>(32-lutBits)]
			l := uint(e >> 8)
			r, t := uint32(e>>4&15), uint(e&15)
			if l == 0 || l > left || t > 10 {
				break
			}
			if t == 0 && r != 15 { // EOB (T.81 F.2.2.2: any run with size 0 but ZRL ends a block)
				used, eob = used+uint32(l), 1
				break
			}
			if l+t > left {
				break
			}
			used += uint32(l + t)
			left -= l + t
			window <<= l + t
			if t == 0 {
				adv += 16 // ZRL
			} else {
				adv += r + 1
			}
		}
		if used > 0 {
			m[i] = used | adv<<8 | eob<<16
		}
	}
	h.multi = m
	return m
}

// seqBlock is one block of a sequential scan's MCU.
type seqBlock struct {
	comp   int // index in the scan, for its DC predictor
	dc, ac *huffDecoder
	multi  *[1 << multiBits]uint32 // ac's, when coefficients are not kept
	off    int                     // offset of the block in its component's Coef from its MCU's first block
}

// sequentialScan decodes every MCU of a sequential scan from d.unstuff (T.81
// F.2.2), storing the coefficients when keep is set; otherwise it only proves
// that the scan decodes.
func (d *decoder) sequentialScan(sc []scanComp, keep bool) error {
	img := d.img
	var mcusX, mcusY int
	var blocks [10]seqBlock
	nb := 0
	for i := range sc {
		c := sc[i].c
		h, v := c.H, c.V
		if len(sc) == 1 {
			// A non-interleaved scan codes one block per MCU (T.81 A.2.2).
			mcusX, mcusY, h, v = c.BlocksW, c.BlocksH, 1, 1
		}
		for y := 0; y < v; y++ {
			for x := 0; x < h; x++ {
				b := seqBlock{comp: i, dc: sc[i].dc, ac: sc[i].ac, off: (y*c.Stride + x) * 64}
				if !keep {
					b.multi = b.ac.multiTable()
				}
				blocks[nb] = b
				nb++
			}
		}
	}
	if len(sc) > 1 {
		mw, mh := img.mcuSize()
		mcusX, mcusY = ceilDiv(img.Width, mw), ceilDiv(img.Height, mh)
	}
	iv := 0
	first, _ := d.interval(0)
	r := seqReader{data: first}
	var pred [4]int32
	mcu := 0
	for my := 0; my < mcusY; my++ {
		for mx := 0; mx < mcusX; mx++ {
			if d.restart > 0 && mcu > 0 && mcu%d.restart == 0 {
				if r.overrun() {
					return errTruncated
				}
				iv++
				data, err := d.interval(iv)
				if err != nil {
					return err
				}
				r, pred = seqReader{data: data}, [4]int32{}
			}
			mcu++
			for bi := range blocks[:nb] {
				b := &blocks[bi]
				var err error
				if keep {
					c := sc[b.comp].c
					i := (my*c.V*c.Stride+mx*c.H)*64 + b.off
					if len(sc) == 1 {
						i = (my*c.Stride + mx) * 64
					}
					err = r.blockKeep((*[64]int16)(c.Coef[i:i+64]), b.dc, b.ac, &pred[b.comp&3])
				} else {
					err = r.blockCheck(b.dc, b.ac, b.multi, &pred[b.comp&3])
				}
				if err != nil {
					return err
				}
			}
		}
		if r.overrun() {
			return errTruncated
		}
	}
	return nil
}

// seqReader reads the unstuffed entropy-coded data of one restart interval.
// Its block methods copy its fields to local variables, which the compiler
// keeps in registers, and store them back at the end of the block.
type seqReader struct {
	data []byte
	acc  uint64 // the next n bits, left-aligned; below them, bits of the following bytes or zeros
	n    uint
	pos  int // next byte of data to load; may pass len(data)
}

// overrun reports whether more bits were consumed than the data holds.
func (r *seqReader) overrun() bool { return r.pos*8-int(r.n) > len(r.data)*8 }

// dc decodes a DC difference (T.81 F.2.2.1), adds it to pred and checks the
// result. acc holds at least 27 bits: a code (16) and its magnitude (11).
func dc(h *huffDecoder, acc uint64, n uint, pred *int32) (uint64, uint, error) {
	var diff int32
	if e := h.fast[acc>>(64-lutBits)]; e != 0 {
		l := uint(e & 0xFF)
		acc <<= l & 63
		n -= l
		diff = e >> 16
	} else {
		var t byte
		var err error
		if t, acc, n, err = decodeSymbol(h, acc, n); err != nil {
			return acc, n, err
		}
		if t > 11 {
			return acc, n, formatErr("DC difference category %d", t)
		}
		diff = extend(acc, uint(t))
		acc <<= t & 63
		n -= uint(t)
	}
	p := *pred + diff
	if p < -32768 || p > 32767 {
		return acc, n, errCoefRange
	}
	*pred = p
	return acc, n, nil
}

// blockKeep decodes one block into blk (T.81 F.2.2).
func (r *seqReader) blockKeep(blk *[64]int16, dch, ach *huffDecoder, pred *int32) error {
	data, acc, n, pos := r.data, r.acc, r.n, r.pos
	// After a fill at least 57 bits are there: a DC code and magnitude (27
	// bits) or an AC code and magnitude (26) need one fill at most.
	if n < 32 {
		acc, n, pos = fill(data, acc, n, pos)
	}
	var err error
	if acc, n, err = dc(dch, acc, n, pred); err != nil {
		return err
	}
	blk[0] = int16(*pred)
	for k := 1; k < 64; {
		if n < 32 {
			acc, n, pos = fill(data, acc, n, pos)
		}
		if e := ach.fast[acc>>(64-lutBits)]; e != 0 {
			l := uint(e & 0xFF)
			acc <<= l & 63
			n -= l
			if e>>8&0xFF == fastEOB {
				break
			}
			k += int(e >> 8 & 0xFF)
			if k > 63 {
				return formatErr("AC coefficient past the block")
			}
			blk[k&63] = int16(e >> 16)
			k++
			continue
		}
		// A code longer than lutBits, or with its magnitude longer.
		var v int32
		if acc, n, k, v, err = acCode(ach, acc, n, k); err != nil {
			return err
		}
		if v != 0 {
			blk[k&63] = int16(v)
		}
		k++
	}
	r.acc, r.n, r.pos = acc, n, pos
	return nil
}

// blockCheck decodes one block as blockKeep does, storing nothing, several
// AC codes per lookup of multi where the block has room for them all.
func (r *seqReader) blockCheck(dch, ach *huffDecoder, multi *[1 << multiBits]uint32, pred *int32) error {
	data, acc, n, pos := r.data, r.acc, r.n, r.pos
	if n < 32 {
		acc, n, pos = fill(data, acc, n, pos)
	}
	var err error
	if acc, n, err = dc(dch, acc, n, pred); err != nil {
		return err
	}
	for k := 1; k < 64; {
		if n < 32 {
			acc, n, pos = fill(data, acc, n, pos)
		}
		e := multi[acc>>(64-multiBits)]
		if adv := int(e >> 8 & 0xFF); e != 0 && k+adv+int(e>>16) <= 64 {
			l := uint(e & 0xFF)
			acc <<= l & 63
			n -= l
			if e>>16 != 0 {
				break
			}
			k += adv
			continue
		}
		// The first code does not fit, or near the end of the block the
		// entry runs past it: one code.
		if acc, n, k, _, err = acCode(ach, acc, n, k); err != nil {
			return err
		}
		k++
	}
	r.acc, r.n, r.pos = acc, n, pos
	return nil
}

// fill tops the bit buffer up to at least 57 bits, 8 bytes at a time while
// there are 8 (the bits below the n counted may already hold the next
// bytes: or-ing them in again changes nothing), then byte by byte and, past
// the end of data, with zero bits as libjpeg does.
func fill(data []byte, acc uint64, n uint, pos int) (uint64, uint, int) {
	if pos+8 <= len(data) {
		acc |= binary.BigEndian.Uint64(data[pos:]) >> (n & 63)
		return acc, n | 56, pos + int(63-n)>>3
	}
	for n <= 56 {
		var c byte
		if pos < len(data) {
			c = data[pos]
		}
		pos++
		acc |= uint64(c) << ((56 - n) & 63)
		n += 8
	}
	return acc, n, pos
}

// acCode decodes one AC code and its magnitude (T.81 F.2.2.2) from at least
// 26 bits in acc, for a block at position k: it returns the position and
// value of the coefficient, a zero value for a run of 16 zeros (ZRL) at k+15
// and for an end of block at 63.
func acCode(h *huffDecoder, acc uint64, n uint, k int) (uint64, uint, int, int32, error) {
	if e := h.fast[acc>>(64-lutBits)]; e != 0 {
		l := uint(e & 0xFF)
		if e>>8&0xFF == fastEOB {
			return acc << (l & 63), n - l, 63, 0, nil
		}
		k += int(e >> 8 & 0xFF)
		if k > 63 {
			return acc, n, k, 0, formatErr("AC coefficient past the block")
		}
		return acc << (l & 63), n - l, k, e >> 16, nil
	}
	rs, acc, n, err := decodeSymbol(h, acc, n)
	if err != nil {
		return acc, n, k, 0, err
	}
	r, t := int(rs>>4), uint(rs&15)
	if t == 0 {
		if r != 15 {
			return acc, n, 63, 0, nil
		}
		return acc, n, k + 15, 0, nil
	}
	k += r
	if k > 63 || t > 10 {
		return acc, n, k, 0, formatErr("AC coefficient past the block or too large")
	}
	return acc << (t & 63), n - t, k, extend(acc, t), nil
}

// decodeSymbol decodes one Huffman code from at least 16 bits in acc.
func decodeSymbol(h *huffDecoder, acc uint64, n uint) (byte, uint64, uint, error) {
	if e := h.lut[acc>>(64-lutBits)]; e != 0 {
		l := uint(e >> 8)
		return byte(e), acc << (l & 63), n - l, nil
	}
	for l := uint(lutBits + 1); l <= 16; l++ {
		code := int32(acc >> (64 - l))
		if code <= h.maxcode[l] {
			return h.vals[h.valptr[l]+code-h.mincode[l]], acc << l, n - l, nil
		}
	}
	return 0, acc, n, formatErr("invalid Huffman code")
}

// extend returns the t-bit magnitude at the top of acc sign-extended (T.81
// F.2.2.1); 0 for t = 0.
func extend(acc uint64, t uint) int32 {
	v := int32(acc >> (64 - t))
	if t > 0 && v < 1<<(t-1) {
		v += -1<<t + 1
	}
	return v
}
