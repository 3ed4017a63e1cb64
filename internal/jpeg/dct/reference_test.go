package dct

import (
	"encoding/binary"
	"math/bits"
)

// The reference decoder: the plain reading of T.81 Annex F and G that the
// package decoded with before decodeScan, one method call per block and the
// bit buffer behind a pointer. Decode and Check must agree with it on every
// input (TestFastMatchesReference, FuzzDecode).

// decodeReference is Decode with every scan decoded by refDecoder.
func decodeReference(data []byte, lim Limits) (*Image, error) {
	d := &decoder{refScan: func(d *decoder, sc []scanComp, kind, ss, se, ah, al int) error {
		return (&refDecoder{decoder: d}).decodeScan(sc, kind, ss, se, ah, al)
	}}
	return d.decode(data, lim)
}

// refDecoder decodes the scans of a decoder.
type refDecoder struct {
	*decoder
	br     bitReader
	eobrun int32
	pred   [4]int32
}

// bitReader reads an unstuffed entropy-coded segment most significant bit
// first. Past the end it reads zero bits, as libjpeg does, and counts them, so
// the caller can tell a truncated segment from a complete one.
type bitReader struct {
	data []byte
	pos  int    // next byte of data to load; may pass len(data)
	acc  uint64 // the next n bits, left-aligned; the rest are zero
	n    uint
}

func (b *bitReader) reset(data []byte) { *b = bitReader{data: data} }

// fill tops the accumulator up to at least 57 bits.
func (b *bitReader) fill() {
	if b.pos+8 <= len(b.data) {
		v := binary.BigEndian.Uint64(b.data[b.pos:])
		k := (64 - b.n) >> 3
		nb := b.n + 8*k
		b.acc |= (v >> b.n) &^ (1<<(64-nb) - 1)
		b.pos += int(k)
		b.n = nb
		return
	}
	for b.n <= 56 {
		var c byte
		if b.pos < len(b.data) {
			c = b.data[b.pos]
		}
		b.pos++
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// overrun reports whether more bits were consumed than the data holds.
func (b *bitReader) overrun() bool { return b.pos*8-int(b.n) > len(b.data)*8 }

func (b *bitReader) bits(s uint) int32 {
	if b.n < s {
		b.fill()
	}
	v := int32(b.acc >> (64 - s))
	b.acc <<= s
	b.n -= s
	return v
}

func (b *bitReader) bit() bool {
	if b.n == 0 {
		b.fill()
	}
	return b.take1()
}

// take1 reads one bit the caller has made sure is there (b.n > 0); unlike
// bit it is small enough to be inlined in the refinement loops.
func (b *bitReader) take1() bool {
	v := b.acc>>63 != 0
	b.acc <<= 1
	b.n--
	return v
}

// receiveExtend reads an s-bit magnitude and sign-extends it (T.81 F.2.2.1).
func (b *bitReader) receiveExtend(s uint) int32 {
	if s == 0 {
		return 0
	}
	v := b.bits(s)
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// decode reads one Huffman-coded symbol.
func (b *bitReader) decode(h *huffDecoder) (byte, error) {
	if b.n < 16 {
		b.fill()
	}
	if e := h.lut[b.acc>>(64-lutBits)]; e != 0 {
		l := uint(e >> 8)
		b.acc <<= l
		b.n -= l
		return byte(e), nil
	}
	return b.decodeSlow(h)
}

func (b *bitReader) decodeSlow(h *huffDecoder) (byte, error) {
	for l := uint(lutBits + 1); l <= 16; l++ {
		code := int32(b.acc >> (64 - l))
		if code <= h.maxcode[l] {
			b.acc <<= l
			b.n -= l
			return h.vals[h.valptr[l]+code-h.mincode[l]], nil
		}
	}
	return 0, formatErr("invalid Huffman code")
}

// decodeScan decodes every MCU of a scan from d.unstuff, block by block.
func (d *refDecoder) decodeScan(sc []scanComp, kind, ss, se, ah, al int) error {
	img := d.img
	var mcusX, mcusY int
	if len(sc) == 1 {
		mcusX, mcusY = sc[0].c.BlocksW, sc[0].c.BlocksH
	} else {
		mw, mh := img.mcuSize()
		mcusX, mcusY = ceilDiv(img.Width, mw), ceilDiv(img.Height, mh)
	}
	iv := 0
	first, _ := d.interval(0)
	d.br.reset(first)
	d.eobrun, d.pred = 0, [4]int32{}
	n := 0
	for my := 0; my < mcusY; my++ {
		for mx := 0; mx < mcusX; mx++ {
			if d.restart > 0 && n > 0 && n%d.restart == 0 {
				if d.br.overrun() {
					return errTruncated
				}
				iv++
				data, err := d.interval(iv)
				if err != nil {
					return err
				}
				d.br.reset(data)
				d.eobrun, d.pred = 0, [4]int32{}
			}
			n++
			if len(sc) == 1 {
				if err := d.block(kind, sc[0].c.Block(mx, my), &sc[0], &d.pred[0], ss, se, al); err != nil {
					return err
				}
				continue
			}
			for i := range sc {
				c := sc[i].c
				for v := 0; v < c.V; v++ {
					for h := 0; h < c.H; h++ {
						if err := d.block(kind, c.Block(mx*c.H+h, my*c.V+v), &sc[i], &d.pred[i], ss, se, al); err != nil {
							return err
						}
					}
				}
			}
		}
		if d.br.overrun() {
			return errTruncated
		}
	}
	return nil
}

func (d *refDecoder) block(kind int, blk []int16, s *scanComp, pred *int32, ss, se, al int) error {
	switch kind {
	case scanSequential:
		return d.sequentialBlock(blk, s, pred)
	case scanDCFirst:
		return d.dcFirst(blk, s, pred, al)
	case scanDCRefine:
		if d.br.bit() {
			blk[0] |= 1 << al
		}
		return nil
	case scanACFirst:
		return d.acFirst(blk, s, ss, se, al)
	default:
		return d.acRefine(blk, s, ss, se, al)
	}
}

// dcFirst decodes the first DC scan of a progressive frame (T.81 G.1.2.1).
func (d *refDecoder) dcFirst(blk []int16, s *scanComp, pred *int32, al int) error {
	t, err := d.br.decode(s.dc)
	if err != nil {
		return err
	}
	if t > 11 {
		return formatErr("DC difference category %d", t)
	}
	p := *pred + d.br.receiveExtend(uint(t))
	v := p << al
	if v < -32768 || v > 32767 || p < -32768 || p > 32767 {
		return errCoefRange
	}
	*pred = p
	blk[0] = int16(v)
	return nil
}

// acFirst decodes a block of a first AC scan (T.81 G.1.2.2).
func (d *refDecoder) acFirst(blk []int16, s *scanComp, ss, se, al int) error {
	if d.eobrun > 0 {
		d.eobrun--
		return nil
	}
	br := &d.br
	ac := s.ac
	for k := ss; k <= se; {
		if br.n < 32 {
			br.fill()
		}
		if e := ac.fast[br.acc>>(64-lutBits)]; e != 0 && e>>8&0xFF != fastEOB {
			l := uint(e & 0xFF)
			br.acc <<= l
			br.n -= l
			k += int(e >> 8 & 0xFF)
			v := e >> 16 << al
			if k > se || v < -32768 || v > 32767 {
				return formatErr("AC coefficient past the band or out of range")
			}
			blk[k] = int16(v)
			k++
			continue
		}
		rs, err := br.decode(ac)
		if err != nil {
			return err
		}
		r, t := int(rs>>4), uint(rs&15)
		if t == 0 {
			if r < 15 {
				d.eobrun = 1 << r
				if r > 0 {
					d.eobrun += br.bits(uint(r))
				}
				d.eobrun--
				return nil
			}
			k += 16
			continue
		}
		k += r
		if k > se || t > 10 {
			return formatErr("AC coefficient past the band or too large")
		}
		v := br.receiveExtend(t) << al
		if v < -32768 || v > 32767 {
			return errCoefRange
		}
		blk[k] = int16(v)
		k++
	}
	return nil
}

// acRefine decodes a block of an AC refinement scan (T.81 G.1.2.3), in
// libjpeg's order: correction bits for coefficients already non-zero are
// interleaved with the run of zero-history coefficients being skipped.
func (d *refDecoder) acRefine(blk []int16, s *scanComp, ss, se, al int) error {
	br := &d.br
	p1, m1 := int16(1)<<al, int16(-1)<<al
	k := ss
	if d.eobrun == 0 {
		for ; k <= se; k++ {
			rs, err := br.decode(s.ac)
			if err != nil {
				return err
			}
			r, t := int(rs>>4), rs&15
			var val int16
			if t != 0 {
				if t != 1 {
					return formatErr("AC refinement magnitude %d", t)
				}
				if br.bit() {
					val = p1
				} else {
					val = m1
				}
			} else if r != 15 {
				d.eobrun = 1 << r
				if r > 0 {
					d.eobrun += br.bits(uint(r))
				}
				break
			}
			for ; k <= se; k++ {
				c := &blk[k]
				if *c != 0 {
					if br.n == 0 {
						br.fill()
					}
					if br.take1() && *c&p1 == 0 {
						if *c >= 0 {
							*c += p1
						} else {
							*c += m1
						}
					}
				} else {
					if r == 0 {
						break
					}
					r--
				}
			}
			if val != 0 {
				if k > se {
					return formatErr("AC refinement past the band")
				}
				blk[k] = val
			}
		}
	}
	if d.eobrun > 0 {
		// Only the coefficients already non-zero take a correction bit: visit
		// just those, in order.
		band := (uint64(1)<<(se+1) - 1) &^ (uint64(1)<<k - 1)
		for m := nonzero((*[64]int16)(blk)) & band; m != 0; m &= m - 1 {
			c := &blk[bits.TrailingZeros64(m)]
			if br.n == 0 {
				br.fill()
			}
			if br.take1() && *c&p1 == 0 {
				if *c >= 0 {
					*c += p1
				} else {
					*c += m1
				}
			}
		}
		d.eobrun--
	}
	return nil
}

// sequentialBlock decodes one block of a sequential scan (T.81 F.2.2.1-2).
func (d *refDecoder) sequentialBlock(blk []int16, s *scanComp, pred *int32) error {
	br := &d.br
	t, err := br.decode(s.dc)
	if err != nil {
		return err
	}
	if t > 11 {
		return formatErr("DC difference category %d", t)
	}
	p := *pred + br.receiveExtend(uint(t))
	if p < -32768 || p > 32767 {
		return errCoefRange
	}
	*pred = p
	blk = blk[:64:64]
	blk[0] = int16(p)
	ac := s.ac
	for k := 1; k < 64; {
		if br.n < 32 {
			br.fill()
		}
		// Most codes and their magnitude bits fit the lookup table.
		if e := ac.fast[br.acc>>(64-lutBits)]; e != 0 {
			l := uint(e & 0xFF)
			br.acc <<= l
			br.n -= l
			if e>>8&0xFF == fastEOB {
				break
			}
			k += int(e >> 8 & 0xFF)
			if k > 63 {
				return formatErr("AC coefficient past the block")
			}
			blk[k] = int16(e >> 16)
			k++
			continue
		}
		rs, err := br.decode(ac)
		if err != nil {
			return err
		}
		r, t := int(rs>>4), uint(rs&15)
		if t == 0 {
			if r != 15 {
				break
			}
			k += 16
			continue
		}
		k += r
		if k > 63 || t > 10 {
			return formatErr("AC coefficient past the block or too large")
		}
		blk[k] = int16(br.receiveExtend(t))
		k++
	}
	return nil
}
