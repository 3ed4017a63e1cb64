package dct

import (
	"encoding/binary"
	"math/bits"
)

// The entropy decoder: one loop over the blocks of a scan, and per block a
// method of entropyReader that copies the bit buffer to local variables (the
// compiler keeps them in registers, where the fields of a reader behind a
// pointer go through memory on every code), resolves most codes and their
// magnitude bits with one table lookup and stores the bit buffer back at the
// end of the block. It reads the same bits and returns the same errors as the
// block-by-block decoding of T.81 Annex F and G it replaced, which the tests
// keep as their reference (reference_test.go).

// multiBits is the lookahead of huffDecoder.multi: 4096 entries of 4 bytes,
// so the tables of a scan stay in the first-level cache.
const multiBits = 12

// multiTable returns h's multi-code table, building it on first use. For
// each multiBits-bit lookahead it holds the AC codes, with their magnitude
// bits, that fit in it whole and together advance at most 16 positions:
// total length (bits 0-5, so a shift by the entry needs no mask) | the
// positions they span, an end of block (EOB, not a run of them) included,
// <<6 | 1<<13 when the last is an EOB | the positions, relative to the
// first, that get a non-zero coefficient <<16. A scan that keeps no
// coefficients moves through a block with it several codes at a time.
// Codes that need the slow path (longer than lutBits, magnitudes above 10,
// invalid, runs of ends of band) end an entry; when the first does not fit,
// the entry spans multiNone positions, more than any block or band has
// room for, so one comparison with the room left tells both apart.
func (h *huffDecoder) multiTable() *[1 << multiBits]uint32 {
	if m := h.multi.Load(); m != nil {
		return m
	}
	m := new([1 << multiBits]uint32)
	for i := range m {
		window, left := uint32(i)<<(32-multiBits), uint(multiBits)
		var used, adv, eob, nz uint32
		for {
			e := h.lut[window>>(32-lutBits)]
			l := uint(e >> 8)
			r, t := uint32(e>>4&15), uint(e&15)
			if l == 0 || l > left || t > 10 {
				break
			}
			if e&0xFF == 0 { // EOB
				used, eob = used+uint32(l), 1
				break
			}
			next := adv + r + 1
			if t == 0 {
				next = adv + 16 // ZRL
			}
			if l+t > left || t == 0 && r != 15 || next > 16 {
				break
			}
			used += uint32(l + t)
			left -= l + t
			window <<= l + t
			if t != 0 {
				nz |= 1 << (next - 1)
			}
			adv = next
		}
		m[i] = multiNone << 6
		if used > 0 {
			m[i] = used | (adv+eob)<<6 | eob<<13 | nz<<16
		}
	}
	// Another goroutine may have built it meanwhile: the first stays.
	if !h.multi.CompareAndSwap(nil, m) {
		return h.multi.Load()
	}
	return m
}

// multiNone is the span of a multi entry whose first code does not fit.
const multiNone = 127

// pairBits is the lookahead of huffDecoder.pair.
const pairBits = 12

// pairTable returns h's table for decoding coefficients, building it on
// first use. For each pairBits-bit lookahead it holds the first one or two
// AC codes that fit in it whole with their magnitude bits: up to two
// coefficients of magnitudes up to 5 bits, then possibly an EOB, as total
// length | the first's position, relative to the next position of the
// block, <<4 | the second's <<8 (the first's when there is no second) |
// last<<13 | 1<<19 after an EOB | value1<<20 | value2<<26 (6-bit two's
// complement), missing values 0. last is the second's position, plus one
// after an EOB: the entry fits in a block, or band, when that position is
// in it, which takes one comparison. An entry whose first code does not
// fit, is a ZRL, needs the slow path or has a larger magnitude has last
// pairNone, past any block. An EOB alone has last 1, as if a coefficient
// came first: at position 63, where it is rare, it takes the slow path.
func (h *huffDecoder) pairTable() *[1 << pairBits]uint32 {
	if m := h.pair.Load(); m != nil {
		return m
	}
	m := new([1 << pairBits]uint32)
	for i := range m {
		window, left := uint32(i)<<(32-pairBits), uint(pairBits)
		var used, adv, eob uint32
		var vals [2]int32
		var at [2]uint32
		for j := 0; j < 2; j++ {
			c := h.lut[window>>(32-lutBits)]
			l, r, t := uint(c>>8), uint32(c>>4&15), uint(c&15)
			if l == 0 || l > left {
				break
			}
			if c&0xFF == 0 { // EOB
				used, eob = used+uint32(l), 1
				break
			}
			if t == 0 || t > 5 || l+t > left {
				break
			}
			v := int32(window << l >> (32 - t)) // the magnitude bits
			if v < 1<<(t-1) {
				v += -1<<t + 1
			}
			vals[j] = v
			at[j] = adv + r
			at[1] = at[j]
			adv += r + 1
			used += uint32(l + t)
			left -= l + t
			window <<= l + t
		}
		m[i] = pairNone << 13
		if used > 0 {
			m[i] = used | at[0]<<4 | at[1]<<8 | (at[1]+eob)<<13 | eob<<19 | uint32(vals[0]&0x3F)<<20 | uint32(vals[1]&0x3F)<<26
		}
	}
	// Another goroutine may have built it meanwhile: the first stays.
	if !h.pair.CompareAndSwap(nil, m) {
		return h.pair.Load()
	}
	return m
}

// pairNone is the last position of a pair entry whose first code does not
// fit: past any block.
const pairNone = 63

// mcuBlock is one block of a scan's MCU.
type mcuBlock struct {
	comp   int // index in the scan
	dc, ac *huffDecoder
	multi  *[1 << multiBits]uint32 // ac's multiTable, for scans that keep no coefficients
	pair   *[1 << pairBits]uint32  // ac's pairTable, for scans that keep them
	off    int                     // offset of the block in its component's grid from its MCU's first block
	x, y   int                     // position of the block in its MCU, in blocks
}

// decodeScan decodes every MCU of a scan from d.unstuff: into the
// components' coefficients, or with d.noCoef only proving that it decodes
// (and, in a progressive frame, which coefficients are non-zero).
func (d *decoder) decodeScan(sc []scanComp, kind, ss, se, al int) error {
	img := d.img
	keep := !d.noCoef && !d.stream
	var mcusX, mcusY int
	var blocks [10]mcuBlock
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
				b := mcuBlock{comp: i, dc: sc[i].dc, ac: sc[i].ac, off: y*c.Stride + x, x: x, y: y}
				// Scaled by 1<<al (T.81 G.1.2.2), no magnitude of multi (10
				// bits at most) overflows 16 bits with al <= 5, none of
				// pair (6 bits) with al <= 9.
				if !keep && !d.stream && (kind == scanSequential || kind == scanACFirst && al <= 5) {
					b.multi = b.ac.multiTable()
				}
				if (keep || d.stream) && (kind == scanSequential || kind == scanACFirst && al <= 9) {
					b.pair = b.ac.pairTable()
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
	r := entropyReader{data: first}
	var pred [4]int32
	var eobrun int32
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
				r, pred, eobrun = entropyReader{data: data}, [4]int32{}, 0
			}
			mcu++
			for bi := range blocks[:nb] {
				b := &blocks[bi]
				c := sc[b.comp].c
				i := my*c.V*c.Stride + mx*c.H + b.off
				if len(sc) == 1 {
					i = my*c.Stride + mx
				}
				var blk *[64]int16
				var nz *uint64
				if keep {
					blk = (*[64]int16)(c.Coef[i*64 : i*64+64])
				}
				if img.Progressive {
					nz = &d.nz[sc[b.comp].ci][i]
				}
				pred := &pred[b.comp&3]
				var err error
				switch kind {
				case scanSequential:
					if keep {
						err = r.blockKeep(blk, b.dc, b.ac, b.pair, pred)
					} else if d.stream {
						blk = &d.scratch
						*blk = [64]int16{}
						if err = r.blockKeep(blk, b.dc, b.ac, b.pair, pred); err == nil {
							bx, by := mx*c.H+b.x, my*c.V+b.y
							if len(sc) == 1 {
								bx, by = mx, my
							}
							err = d.compareBlock(sc[b.comp].ci, bx, by, blk)
						}
					} else {
						err = r.blockCheck(b.dc, b.ac, b.multi, pred)
					}
				case scanDCFirst:
					if err = r.dcFirst(b.dc, pred, al); err == nil && keep {
						blk[0] = int16(*pred << al)
					}
				case scanDCRefine:
					if r.bit() && keep {
						blk[0] |= 1 << al
					}
				case scanACFirst:
					if eobrun > 0 {
						eobrun--
						continue
					}
					err = r.acFirst(blk, nz, b.ac, b.multi, b.pair, ss, se, al, &eobrun)
				default:
					err = r.acRefine(blk, nz, b.ac, ss, se, al, &eobrun)
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

// entropyReader reads the unstuffed entropy-coded data of one restart
// interval. Its block methods copy its fields to local variables, which the
// compiler keeps in registers, and store them back at the end of the block.
type entropyReader struct {
	data []byte
	acc  uint64 // the next n bits, left-aligned; below them, bits of the following bytes or zeros
	n    uint
	pos  int // next byte of data to load; may pass len(data)
}

// overrun reports whether more bits were consumed than the data holds.
func (r *entropyReader) overrun() bool { return r.pos*8-int(r.n) > len(r.data)*8 }

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
func (r *entropyReader) blockKeep(blk *[64]int16, dch, ach *huffDecoder, pair *[1 << pairBits]uint32, pred *int32) error {
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
		// A lookup needs pairBits bits, and takes at most those: filling
		// only then fills half as often.
		if n < pairBits {
			acc, n, pos = fill(data, acc, n, pos)
		}
		// Up to two coefficients and an EOB per lookup, unless they
		// would run past the block.
		if e := pair[acc>>(64-pairBits)]; k+int(e>>13&63) <= 63 {
			l := uint(e & 15)
			acc <<= l
			n -= l
			// The positions from k on are still zero: writing a zero
			// value there changes nothing. The first value is written
			// last, as the second's position is the first's when there
			// is no second.
			blk[(uint(k)+uint(e>>8&31))&63] = int16(int32(e) >> 26)
			blk[(uint(k)+uint(e>>4&15))&63] = int16(int32(e<<6) >> 26)
			// Past the last position, and past the block after an EOB.
			k += int(e>>13&127) + 1
			continue
		}
		// A ZRL, a code longer than pairBits with its magnitude, or one
		// near the end of the block: one code.
		if n < 32 {
			acc, n, pos = fill(data, acc, n, pos)
		}
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
func (r *entropyReader) blockCheck(dch, ach *huffDecoder, multi *[1 << multiBits]uint32, pred *int32) error {
	data, acc, n, pos := r.data, r.acc, r.n, r.pos
	if n < 32 {
		acc, n, pos = fill(data, acc, n, pos)
	}
	var err error
	if acc, n, err = dc(dch, acc, n, pred); err != nil {
		return err
	}
	for k := 1; k < 64; {
		if n < multiBits { // as in blockKeep
			acc, n, pos = fill(data, acc, n, pos)
		}
		e := multi[acc>>(64-multiBits)]
		if span := int(e >> 6 & 127); k+span <= 64 {
			acc <<= e & 63
			n -= uint(e & 63)
			// The span and the EOB bit above it: past the block after
			// an EOB.
			k += int(e >> 6 & 255)
			continue
		}
		// The first code does not fit, or near the end of the block the
		// entry runs past it: one code.
		if n < 32 {
			acc, n, pos = fill(data, acc, n, pos)
		}
		if acc, n, k, _, err = acCode(ach, acc, n, k); err != nil {
			return err
		}
		k++
	}
	r.acc, r.n, r.pos = acc, n, pos
	return nil
}

// dcFirst decodes a DC difference of a first DC scan (T.81 G.1.2.1) into
// pred; the coefficient is pred<<al.
func (r *entropyReader) dcFirst(h *huffDecoder, pred *int32, al int) error {
	acc, n, pos := r.acc, r.n, r.pos
	if n < 32 {
		acc, n, pos = fill(r.data, acc, n, pos)
	}
	var err error
	if acc, n, err = dc(h, acc, n, pred); err != nil {
		return err
	}
	if v := *pred << al; v < -32768 || v > 32767 {
		return errCoefRange
	}
	r.acc, r.n, r.pos = acc, n, pos
	return nil
}

// bit reads one bit.
func (r *entropyReader) bit() bool {
	if r.n == 0 {
		r.acc, r.n, r.pos = fill(r.data, r.acc, r.n, r.pos)
	}
	v := r.acc>>63 != 0
	r.acc <<= 1
	r.n--
	return v
}

// acFirst decodes a block of a first AC scan (T.81 G.1.2.2) into blk, unless
// it is nil, and marks its non-zero coefficients in nz; several codes per
// lookup with multi (for Check) or pair (for Decode) when set. An end-of-band
// code sets eobrun to the number of blocks after this one the run covers.
func (r *entropyReader) acFirst(blk *[64]int16, nz *uint64, h *huffDecoder, multi *[1 << multiBits]uint32, pair *[1 << pairBits]uint32, ss, se, al int, eobrun *int32) error {
	data, acc, n, pos := r.data, r.acc, r.n, r.pos
	mask := *nz
	for k := ss; k <= se; {
		// Several codes per lookup while they fit in the band, in a loop
		// of their own: it does not test the tables on every step. A
		// step past the band ends it, and with it the block.
		if multi != nil {
			for {
				if n < multiBits {
					acc, n, pos = fill(data, acc, n, pos)
				}
				e := multi[acc>>(64-multiBits)]
				if k+int(e>>6&127) > se+1 {
					break
				}
				acc <<= e & 63
				n -= uint(e & 63)
				mask |= uint64(e>>16) << k
				k += int(e >> 6 & 255) // past the band after an EOB
			}
		} else if pair != nil {
			// As in blockKeep, with the band ending at se; but the band may
			// hold coefficients of an earlier scan: only values are written.
			for {
				if n < pairBits {
					acc, n, pos = fill(data, acc, n, pos)
				}
				e := pair[acc>>(64-pairBits)]
				if k+int(e>>13&63) > se {
					break
				}
				l := uint(e & 15)
				acc <<= l
				n -= l
				if e>>26 != 0 {
					k2 := k + int(e>>8&31)
					blk[k2&63] = int16(int32(e)>>26) << al
					mask |= 1 << k2
				}
				if e>>20&0x3F != 0 {
					k1 := k + int(e>>4&15)
					blk[k1&63] = int16(int32(e<<6)>>26) << al
					mask |= 1 << k1
				}
				k += int(e>>13&127) + 1 // past the band after an EOB
			}
		}
		if k > se {
			break
		}
		// One code: it does not fit in a lookup of the tables, or there
		// are none.
		if n < 32 {
			acc, n, pos = fill(data, acc, n, pos)
		}
		if e := h.fast[acc>>(64-lutBits)]; e != 0 && e>>8&0xFF != fastEOB {
			l := uint(e & 0xFF)
			acc <<= l & 63
			n -= l
			k += int(e >> 8 & 0xFF)
			v := e >> 16 << al
			if k > se || v < -32768 || v > 32767 {
				return formatErr("AC coefficient past the band or out of range")
			}
			if blk != nil {
				blk[k&63] = int16(v)
			}
			mask |= 1 << k
			k++
			continue
		}
		var rs byte
		var err error
		if rs, acc, n, err = decodeSymbol(h, acc, n); err != nil {
			return err
		}
		run, t := uint(rs>>4), uint(rs&15)
		if t == 0 {
			if run < 15 {
				// An end-of-band run of 2^run + run bits blocks, this one
				// included (G.1.2.2); 16 bits are left after the code.
				*eobrun = int32(1)<<run + int32(acc>>(64-run)) - 1
				acc <<= run
				n -= run
				break
			}
			k += 16
			continue
		}
		k += int(run)
		if k > se || t > 10 {
			return formatErr("AC coefficient past the band or too large")
		}
		v := extend(acc, t) << al
		acc <<= t
		n -= t
		if v < -32768 || v > 32767 {
			return errCoefRange
		}
		if blk != nil {
			blk[k&63] = int16(v)
		}
		mask |= 1 << k
		k++
	}
	*nz = mask
	r.acc, r.n, r.pos = acc, n, pos
	return nil
}

// acRefine decodes a block of an AC refinement scan (T.81 G.1.2.3) in
// libjpeg's order: correction bits for coefficients already non-zero are
// interleaved with the run of zero-history coefficients being skipped. It
// finds them in nz, the block's non-zero coefficients: where a run stops
// from a lookup (nthZeroIn) when it stops within 8 coefficients, from a
// loop over the run otherwise, and the correction bits passed by counting.
// Most codes are decoded by refineSkip (Check) or refineCommon (Decode);
// the loop here decodes the others. With blk nil it works on nz alone (a
// correction bit never makes a coefficient zero or non-zero) and skips the
// correction bits all at once.
func (r *entropyReader) acRefine(blk *[64]int16, nz *uint64, h *huffDecoder, ss, se, al int, eobrun *int32) error {
	data, acc, n, pos := r.data, r.acc, r.n, r.pos
	mask := *nz
	band := uint64(1)<<(se+1) - 1 // se <= 63: all ones for 63
	p1 := int16(1) << al
	k := ss
	if *eobrun == 0 {
	coefs:
		for ; k <= se; k++ {
			// Most codes take refineSkip or refineCommon; the loop below
			// decodes one code they leave (and reads what they do not:
			// the last 8 bytes of the data).
			var notZero uint64
			if blk == nil {
				acc, n, pos, notZero, k = refineSkip(&h.fast, data, acc, n, pos, mask|^band, k)
			} else {
				acc, n, pos, notZero, k = refineCommon(blk, &h.fast, data, acc, n, pos, mask|^band, k, uint(al))
			}
			mask |= notZero & band
			if k > se {
				break
			}
			if n < 32 {
				acc, n, pos = fill(data, acc, n, pos)
			}
			var run uint
			var val int16
			if e := h.fast[acc>>(64-lutBits)]; e>>16 == 1 || e>>16 == -1 {
				// A run and a new coefficient of magnitude 1, the sign bit
				// read with the code: most codes of a refinement scan.
				l := uint(e & 0xFF)
				acc <<= l & 63
				n -= l
				run, val = uint(e>>8&15), int16(e>>16)<<al
			} else {
				rs, acc2, n2, err := decodeSymbol(h, acc, n)
				if err != nil {
					return err
				}
				acc, n, run = acc2, n2, uint(rs>>4)
				switch t := rs & 15; {
				case t > 1:
					return formatErr("AC refinement magnitude %d", t)
				case t == 1:
					if val = int16(-1) << al; acc>>63 != 0 {
						val = int16(1) << al
					}
					acc <<= 1
					n--
				case run != 15: // a run of ends of band; 15 is 16 zeros
					*eobrun = int32(1)<<run + int32(acc>>(64-run))
					acc <<= run
					n -= run
					break coefs
				}
			}
			// Skip run zero-history coefficients from k: stop at the next
			// one (or past the band), reading a correction bit for each
			// non-zero coefficient passed. Most runs end within 8
			// coefficients: one lookup finds where, and the positions
			// passed that are not zeros are the correction bits.
			// (k <= 63, run <= 15 and c <= n <= 63: the masks only
			// spare the shifts and the lookup their range checks.)
			zeros := (^mask & band) >> (k & 63) // from k, as from bit 0
			p := nthZeroIn(zeros, run)
			c := p - run
			if p >= 8 {
				for ; run > 0 && zeros != 0; run-- {
					zeros &= zeros - 1
				}
				p = min(uint(bits.TrailingZeros64(zeros)), uint(se+1-k))
				c = uint(bits.OnesCount64(mask >> k & (uint64(1)<<p - 1)))
			}
			// After a code at least 15 bits are left: 7 correction bits
			// at most but after a long run, which correct reads.
			if c > n {
				acc, n, pos = r.correct(blk, mask>>k&(uint64(1)<<p-1)<<k, al, acc, n, pos)
			} else if blk == nil {
				// Nothing to correct: the bits are skipped.
				acc <<= c & 63
				n -= c
			} else {
				// As correct does, without the call.
				for m := mask >> k & (uint64(1)<<p - 1) << k; m != 0; m &= m - 1 {
					bit := int16(acc >> 63)
					acc <<= 1
					n--
					v := &blk[bits.TrailingZeros64(m)&63]
					sign := *v >> 15
					*v += bit & (^*v >> al & 1) * ((p1 ^ sign) - sign)
				}
			}
			k += int(p)
			if val != 0 {
				if k > se {
					return formatErr("AC refinement past the band")
				}
				if blk != nil {
					blk[k&63] = val
				}
				mask |= 1 << (k & 63)
			}
		}
	}
	if *eobrun > 0 {
		// Only the coefficients already non-zero take a correction bit.
		acc, n, pos = r.correct(blk, mask&band&^(uint64(1)<<k-1), al, acc, n, pos)
		*eobrun--
	}
	*nz = mask
	r.acc, r.n, r.pos = acc, n, pos
	return nil
}

// refineCommon decodes the codes of a refinement band from k on (as
// acRefine does) while they are the common ones: a run and a new
// coefficient of magnitude 1 whose code and sign bit fit in lutBits, the
// run ending within 8 coefficients, the data going on for 8 bytes more. It
// returns at the first code that is not, with k at it, or past the band.
// notZero has the coefficients that a run does not stop at: the non-zero
// ones and those past the band, so that a lookup past the band finds none
// (and k past it, up to 64, needs no test of its own). It is a function of
// its own, with no call inside and few variables, so that its loop keeps
// them in registers: in acRefine, whose other paths call functions, the
// compiler kept them on the stack, a store and a load on every code.
//
// Codes of a refinement scan are short and their order random, so a branch
// that depends on them mispredicts often, which cost more than the work
// itself: the loop fills before every code, needed or not (filling again
// changes nothing, see fill), and leaves on one test for both reasons.
func refineCommon(blk *[64]int16, fast *[1 << lutBits]int32, data []byte, acc uint64, n uint, pos int, notZero uint64, k int, al uint) (uint64, uint, int, uint64, int) {
	for {
		// fill's first case.
		end := pos + 8
		if uint(end) > uint(len(data)) || pos < 0 {
			break
		}
		w := binary.BigEndian.Uint64(data[pos:end:end])
		acc, n, pos = acc|w>>(n&63), n|56, pos+int(63-n)>>3
		e := fast[acc>>(64-lutBits)]
		run := uint(e >> 8 & 15)
		p := nthZeroIn(^notZero>>uint(k), run)
		// Not a magnitude of 1 (e>>16 is -1 or 1: e>>16+1 is 0 or 2),
		// or the run stops past the 8 coefficients (p is 8).
		if uint32(e>>16+1)&^2|uint32(p&8) != 0 {
			break
		}
		// The code with its sign bit (l), then a correction bit for each
		// coefficient passed that is not a zero, as correct reads them:
		// at most 17 bits of the 56 or more there are after the fill.
		l := uint(e & 0xFF)
		bits := acc << (l & 63)
		for m := notZero >> uint(k) & (uint64(1)<<p - 1); m != 0; m &= m - 1 {
			bit := int16(bits >> 63)
			bits <<= 1
			v := &blk[(k+trailingZeros(m))&63]
			sign := *v >> 15
			*v += bit & (^*v >> al & 1) * ((int16(1)<<al ^ sign) - sign)
		}
		used := l + p - run
		acc <<= used & 63
		n -= used
		k += int(p)
		blk[k&63] = int16(e>>16) << al
		notZero |= 1 << (k & 63)
		k++
	}
	return acc, n, pos, notZero, k
}

// refineSkip is refineCommon for Check, with fewer variables, so that they
// fit in registers: notZero has the coefficients that a run does not stop
// at, those past the band included, so a lookup past it finds none (and k
// past the band, up to 64, needs no test of its own). Like refineCommon it
// avoids branches the data decides: it fills before every two codes (at
// most 34 bits) whether or not they need it, and tests for a code it must
// leave with one branch.
func refineSkip(fast *[1 << lutBits]int32, data []byte, acc uint64, n uint, pos int, notZero uint64, k int) (uint64, uint, int, uint64, int) {
	for {
		end := pos + 8
		if uint(end) > uint(len(data)) || pos < 0 {
			break
		}
		w := binary.BigEndian.Uint64(data[pos:end:end])
		acc, n, pos = acc|w>>(n&63), n|56, pos+int(63-n)>>3
		e := fast[acc>>(64-lutBits)]
		run := uint(e >> 8 & 15)
		p := nthZeroIn(^notZero>>uint(k), run)
		if uint32(e>>16+1)&^2|uint32(p&8) != 0 {
			break
		}
		// The code, its sign bit and the correction bits skipped.
		used := uint(e&0xFF) + p - run
		acc <<= used & 63
		n -= used
		k += int(p)
		notZero |= 1 << (k & 63)
		k++
		// The second code, written out: the compiler does not unroll.
		e = fast[acc>>(64-lutBits)]
		run = uint(e >> 8 & 15)
		p = nthZeroIn(^notZero>>uint(k), run)
		if uint32(e>>16+1)&^2|uint32(p&8) != 0 {
			break
		}
		used = uint(e&0xFF) + p - run
		acc <<= used & 63
		n -= used
		k += int(p)
		notZero |= 1 << (k & 63)
		k++
	}
	return acc, n, pos, notZero, k
}

// trailingZeros is bits.TrailingZeros64 of a non-zero m, in 0-63: no
// range check where it indexes a block.
func trailingZeros(m uint64) int { return bits.TrailingZeros64(m) & 63 }

// nthBits[v] holds in its nibble i (bits 4i to 4i+3) the position of the
// set bit of v with i set bits below it, 8 when there is none. A row per
// byte rather than a byte per row and run: the row's load waits only for
// the coefficients' bits, not for the code, and the run then picks its
// nibble with a shift, which is quicker than a second load after the
// code's.
var nthBits = func() (t [256]uint64) {
	for v := range t {
		for i := range 16 {
			p, seen := 8, 0
			for b := 0; b < 8; b++ {
				if v>>b&1 != 0 {
					if seen == i {
						p = b
						break
					}
					seen++
				}
			}
			t[v] |= uint64(p) << (4 * i)
		}
	}
	return t
}()

// nthZeroIn returns the position of the zero-history coefficient (set bit of
// zeros) with run others below it among the first 8, 8 when there is none.
func nthZeroIn(zeros uint64, run uint) uint {
	return uint(nthBits[uint8(zeros)] >> (run * 4 & 63) & 15)
}

// correct reads a correction bit for each coefficient in m, in order, and
// applies it to blk (T.81 G.1.2.3): a 1 adds 1<<al to the magnitude unless
// that bit is set already. With blk nil the bits are only skipped.
func (r *entropyReader) correct(blk *[64]int16, m uint64, al int, acc uint64, n uint, pos int) (uint64, uint, int) {
	if blk == nil {
		for left := uint(bits.OnesCount64(m)); left > 0; {
			if n == 0 {
				acc, n, pos = fill(r.data, acc, n, pos)
			}
			s := min(left, n)
			acc <<= s & 63
			n -= s
			left -= s
		}
		return acc, n, pos
	}
	p1 := int16(1) << al
	for ; m != 0; m &= m - 1 {
		if n == 0 {
			acc, n, pos = fill(r.data, acc, n, pos)
		}
		bit := int16(acc >> 63)
		acc <<= 1
		n--
		c := &blk[bits.TrailingZeros64(m)&63]
		// Branch-free: bit and an unset bit al add p1 towards the sign.
		sign := *c >> 15
		*c += bit & (^*c >> al & 1) * ((p1 ^ sign) - sign)
	}
	return acc, n, pos
}

// fill tops the bit buffer up to at least 57 bits, 8 bytes at a time while
// there are 8 (the bits below the n counted may already hold the next
// bytes: or-ing them in again changes nothing), then byte by byte and, past
// the end of data, with zero bits as libjpeg does.
func fill(data []byte, acc uint64, n uint, pos int) (uint64, uint, int) {
	if end := pos + 8; uint(end) <= uint(len(data)) && pos >= 0 {
		// Sliced to 8 bytes with its capacity: no check against data's
		// capacity, which a decoding loop would then keep in a register.
		w := binary.BigEndian.Uint64(data[pos:end:end])
		return acc | w>>(n&63), n | 56, pos + int(63-n)>>3
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
